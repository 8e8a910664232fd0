// Ransomware-protected buckets on the real S3 server (scripts/ceph-rgw.sh):
// an AppendOnly client whose credentials may only PutObject (the bucket
// policy of testinfra.md denies it GetObject, ListBucket and DeleteObject),
// and a bucket with Object Lock in COMPLIANCE mode. The real cairn binary
// throughout; the owner's full-rights client checks what the writer made.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "storage/s3_test_util.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

using nlohmann::json;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class ProtectedBucketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<S3Config> config = s3_test_config();
    if (config.status().code() == ErrorCode::kUnsupported) GTEST_SKIP() << config.status().message();
    ASSERT_TRUE(config.is_ok()) << config.status().message();
    owner_ = *config;
    ASSERT_FALSE(env("CAIRN_TEST_S3_WRITE_ONLY_BUCKET").empty() ||
                 env("CAIRN_TEST_S3_LOCKED_BUCKET").empty() || env("CAIRN_TEST_S3_WRITER_ACCESS_KEY").empty())
        << "the protected-bucket tests need the write-only and Object Lock buckets of scripts/ceph-rgw.sh "
           "(CAIRN_TEST_S3_WRITE_ONLY_BUCKET, _LOCKED_BUCKET, _WRITER_ACCESS_KEY, _WRITER_SECRET_KEY)";
    prefix_ = unique_s3_prefix();
    src_ = tmp_.file("src");
    make_random_file(src_ + "/big", 3 << 20, 1);
    make_random_file(src_ + "/dir/small", 5000, 2);
    write_credentials("owner", owner_.access_key_id, owner_.secret_access_key);
    write_credentials("writer", env("CAIRN_TEST_S3_WRITER_ACCESS_KEY"),
                      env("CAIRN_TEST_S3_WRITER_SECRET_KEY"));
  }

  void write_credentials(const std::string& who, const std::string& id, const std::string& secret) {
    std::ofstream(tmp_.file(who + ".aws"))
        << "[default]\naws_access_key_id = " << id << "\naws_secret_access_key = " << secret << "\n";
  }

  // cairn ARGS with this test's location config and cache.
  CommandResult cairn(std::vector<std::string> args) {
    std::vector<std::string> argv = {cairn_binary(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {{"CAIRN_PASSWORD", "correct horse"},
                              {"CAIRN_PASSWORD_FILE", ""},
                              {"CAIRN_REPO", ""},
                              {"CAIRN_CONFIG_DIR", tmp_.file("config")},
                              {"CAIRN_CACHE_DIR", tmp_.file("cache")},
                              {"AWS_ACCESS_KEY_ID", ""},
                              {"AWS_SECRET_ACCESS_KEY", ""}});
  }

  void create_location(const std::string& name, const std::string& bucket, const std::string& who,
                       const std::string& mode) {
    CommandResult r = cairn({"location", "create", name, "--provider", "s3", "--bucket", bucket, "--prefix",
                             prefix_, "--endpoint", owner_.endpoint, "--region", owner_.region,
                             "--credentials-file", tmp_.file(who + ".aws"), "--access-mode", mode});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  uint64_t bytes_added(const std::string& location, const std::string& backup) {
    CommandResult r = cairn({"backup", "get", backup, "--location", location, "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out).at("items").at(0).at("stats").at("bytes_added").get<uint64_t>();
  }

  // Backs src_ up as `name` and keeps a copy of what it held, to compare
  // the restore with.
  void backup_and_keep_copy(const std::string& location, const std::string& name) {
    CommandResult b = cairn({"backup", "create", name, "--location", location, "--path", src_});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    ASSERT_EQ(run_command({"cp", "-a", src_, tmp_.file("expected-" + name)}, {}).exit_code, 0);
  }

  void expect_restores_identically(const std::string& location, const std::string& name) {
    const std::string out = tmp_.file("restored-" + name);
    CommandResult r =
        cairn({"restore", "create", "--from-backup", name, "--location", location, "--target", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(compare_trees(tmp_.file("expected-" + name), out + src_), std::vector<std::string>{}) << name;
  }

  // Locations "writer" (AppendOnly, PutObject-only credentials) and
  // "owner" (ReadWrite, full rights) on this test's prefix of the write-only
  // bucket; returns the owner's view of it, for raw checks and cleanup.
  S3Config use_write_only_bucket() {
    const std::string bucket = env("CAIRN_TEST_S3_WRITE_ONLY_BUCKET");
    S3Config owner_view = owner_;
    owner_view.bucket = bucket;
    owner_view.prefix = prefix_;
    create_location("writer", bucket, "writer", "AppendOnly");
    create_location("owner", bucket, "owner", "ReadWrite");
    return owner_view;
  }

  S3Config owner_;
  std::string prefix_;
  std::string src_;
  TempDir tmp_;
};

TEST_F(ProtectedBucketTest, WriteOnlyClientDedupsThreeBackupsThroughItsCacheAndTheOwnerRestoresThem) {
  const S3Config owner_view = use_write_only_bucket();
  S3PrefixCleanup cleanup{owner_view};

  // The policy is really in force: the writer may not read what it puts.
  S3Config writer_view = owner_view;
  writer_view.access_key_id = env("CAIRN_TEST_S3_WRITER_ACCESS_KEY");
  writer_view.secret_access_key = env("CAIRN_TEST_S3_WRITER_SECRET_KEY");
  EXPECT_EQ(s3_keys_under_prefix(writer_view).status().code(), ErrorCode::kPermissionDenied);

  CommandResult init =
      cairn({"repo", "init", "--location", "writer", "--kdf-memory", "8", "--kdf-iterations", "1"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  backup_and_keep_copy("writer", "b1");
  backup_and_keep_copy("writer", "b2");
  make_random_file(src_ + "/dir/new", 1000, 3);
  backup_and_keep_copy("writer", "b3");

  const uint64_t first = bytes_added("owner", "b1");
  EXPECT_GT(first, uint64_t{3} << 20);
  // Only trees and the snapshot are new: the data was found in the cache.
  EXPECT_LT(bytes_added("owner", "b2"), 16u << 10);
  EXPECT_LT(bytes_added("owner", "b3"), 32u << 10);
  // The writer still lists its own backups, from its cache.
  CommandResult listed = cairn({"backup", "get", "--location", "writer"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("b3 "), std::string::npos) << listed.out;
  // ...and may not delete them.
  CommandResult refused = cairn({"backup", "delete", "b1", "--location", "writer", "--confirm"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(is_one_plain_sentence(refused.err)) << refused.err;

  for (const char* name : {"b1", "b2", "b3"}) expect_restores_identically("owner", name);
  CommandResult check = cairn({"repo", "check", "--read-data", "--location", "owner"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(ProtectedBucketTest, WriteOnlyClientWithoutItsCacheSaysSoInOneSentence) {
  const S3Config owner_view = use_write_only_bucket();
  S3PrefixCleanup cleanup{owner_view};
  // The owner made the repository: the writer has never seen its keys.
  ASSERT_EQ(
      cairn({"repo", "init", "--location", "owner", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code,
      0);
  CommandResult b = cairn({"backup", "create", "b1", "--location", "writer", "--path", src_});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(b.err)) << b.err;
  EXPECT_NE(b.err.find("may only write"), std::string::npos) << b.err;
  // Nothing was written by the failed attempt.
  Result<std::vector<std::string>> keys = s3_keys_under_prefix(owner_view);
  ASSERT_TRUE(keys.is_ok()) << keys.status().message();
  for (const std::string& key : *keys) EXPECT_EQ(key.find("/snapshots/"), std::string::npos) << key;
}

TEST_F(ProtectedBucketTest, ObjectLockComplianceBucketTakesBackupsThatRestore) {
  // Objects under COMPLIANCE retention cannot be deleted for a day: no
  // cleanup; the gateway's store lives only as long as the test cluster.
  create_location("locked", env("CAIRN_TEST_S3_LOCKED_BUCKET"), "owner", "ReadWrite");
  ASSERT_EQ(
      cairn({"repo", "init", "--location", "locked", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code,
      0);
  backup_and_keep_copy("locked", "b1");
  make_random_file(src_ + "/dir/new", 1000, 3);
  backup_and_keep_copy("locked", "b2");
  expect_restores_identically("locked", "b1");
  expect_restores_identically("locked", "b2");
  CommandResult check = cairn({"repo", "check", "--read-data", "--location", "locked"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace cairn
