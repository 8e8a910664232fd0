// The location config round-trips through its file, which is private (0600
// in a 0700 folder) and replaced atomically, and rejects what it cannot use.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "location/location.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

Location local(const std::string& name, const std::string& path) {
  Location l;
  l.name = name;
  l.path = path;
  return l;
}

Location s3(const std::string& name) {
  Location l;
  l.name = name;
  l.provider = Provider::kS3;
  l.bucket = "backups";
  l.prefix = "cluster-a/repo";
  l.endpoint = "http://127.0.0.1:7480";
  l.region = "us-east-1";
  l.credentials_file = "/etc/cairn/aws";
  l.profile = "writer";
  l.path_style = false;
  l.ca_bundle = "/etc/ssl/ca.pem";
  l.access_mode = AccessMode::kAppendOnly;
  return l;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(LocationConfig, RoundTripsEveryFieldThroughThePrivateFile) {
  TempDir tmp;
  const std::string dir = tmp.file("a/b/cairn");
  LocationConfig config;
  config.locations.push_back(local("disk", "/srv/repo"));
  config.locations.push_back(s3("rgw"));
  config.locations[0].last_validated = 1795000000123456789;
  config.locations[0].phase = "Available";
  config.set_default("rgw");
  ASSERT_TRUE(save_locations(dir, config).is_ok());
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(tmp.file("a")), 0700u);
  EXPECT_EQ(mode_of(dir + "/locations.json"), 0600u);

  Result<LocationConfig> back = load_locations(dir);
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  ASSERT_EQ(back->locations.size(), 2u);
  EXPECT_EQ(location_to_json(back->locations[0]), location_to_json(config.locations[0]));
  EXPECT_EQ(location_to_json(back->locations[1]), location_to_json(config.locations[1]));
  EXPECT_EQ(back->default_location()->name, "rgw");
  EXPECT_EQ(back->find("disk")->last_validated, 1795000000123456789);
  EXPECT_EQ(back->find("rgw")->access_mode, AccessMode::kAppendOnly);
  EXPECT_FALSE(back->find("rgw")->path_style);
  EXPECT_EQ(back->find("rgw")->where(), "backups/cluster-a/repo");
}

TEST(LocationConfig, AMissingFileIsAnEmptyConfig) {
  TempDir tmp;
  Result<LocationConfig> c = load_locations(tmp.file("nothing-here"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_TRUE(c->locations.empty());
  EXPECT_EQ(c->default_location(), nullptr);
}

TEST(LocationConfig, ADamagedFileIsReportedByName) {
  TempDir tmp;
  { std::ofstream(tmp.file("locations.json")) << "{\"version\": 1, \"locations\": [{\"name\": 3}]}"; }
  Result<LocationConfig> c = load_locations(tmp.path());
  EXPECT_EQ(c.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(c.status().message().find(tmp.file("locations.json")), std::string::npos);
}

TEST(LocationConfig, SetDefaultLeavesExactlyOneDefault) {
  LocationConfig c;
  c.locations = {local("a", "/a"), local("b", "/b")};
  c.set_default("a");
  c.set_default("b");
  EXPECT_FALSE(c.find("a")->is_default);
  EXPECT_EQ(c.default_location()->name, "b");
}

TEST(LocationValidation, RejectsBadNamesAndFieldsOfTheWrongProvider) {
  EXPECT_TRUE(validate_location(local("prod-1.disk", "/srv")).is_ok());
  EXPECT_TRUE(validate_location(s3("rgw")).is_ok());
  EXPECT_FALSE(validate_location(local("", "/srv")).is_ok());
  EXPECT_FALSE(validate_location(local("-x", "/srv")).is_ok());
  EXPECT_FALSE(validate_location(local("a/b", "/srv")).is_ok());
  EXPECT_FALSE(validate_location(local("disk", "relative/path")).is_ok());
  Location mixed = local("disk", "/srv");
  mixed.bucket = "b";
  EXPECT_FALSE(validate_location(mixed).is_ok());
  Location no_bucket = s3("rgw");
  no_bucket.bucket.clear();
  EXPECT_FALSE(validate_location(no_bucket).is_ok());
  Location slash = s3("rgw");
  slash.prefix = "/abs";
  EXPECT_FALSE(validate_location(slash).is_ok());
}

}  // namespace
}  // namespace cairn
