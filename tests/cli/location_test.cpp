// Storage locations end to end through the real binary: create, get (with a
// real probe), set, delete, the default location, and a config file that is
// private and never holds a secret.
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/location_fixture.h"

namespace cairn {
namespace {

using nlohmann::json;

TEST_F(LocationCliTest, CreatedLocalLocationIsAvailableAndListedWithVeleroColumns) {
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
  CommandResult g = at({"location", "get"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out.rfind("NAME   PROVIDER   BUCKET/PREFIX", 0), 0u) << g.out;
  EXPECT_NE(g.out.find("PHASE       LAST VALIDATED"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("ACCESS MODE   DEFAULT"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("disk   local      " + repo() + "   Available   "), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("ReadWrite     true"), std::string::npos) << g.out;
}

TEST_F(LocationCliTest, AMissingFolderIsUnavailableWithTheReason) {
  ASSERT_EQ(at({"location", "create", "gone", "--path", tmp_.file("nowhere")}).exit_code, 0);
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo()}).exit_code, 0);
  CommandResult g = at({"location", "get", "-o", "json"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  json doc = json::parse(g.out);
  ASSERT_EQ(doc["items"].size(), 2u);
  EXPECT_EQ(doc["items"][0]["name"], "disk");
  EXPECT_EQ(doc["items"][0]["phase"], "Available");
  EXPECT_EQ(doc["items"][1]["name"], "gone");
  EXPECT_EQ(doc["items"][1]["phase"], "Unavailable");
  EXPECT_FALSE(doc["items"][1]["message"].get<std::string>().empty());
  EXPECT_GT(doc["items"][1]["last_validated"].get<int64_t>(), 0);
}

TEST_F(LocationCliTest, TheDefaultLocationIsUsedWhenNoRepositoryIsGiven) {
  CommandResult none = at({"backup", "get"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--location NAME"), std::string::npos) << none.err;
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
  CommandResult c = at({"backup", "create", "b1", "--path", src_});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // The same repository, seen through --repo.
  EXPECT_NE(cairn({"backup", "get"}).out.find("b1"), std::string::npos);
}

TEST_F(LocationCliTest, LocationFlagPicksANamedLocationAndRejectsUnknownOnes) {
  ASSERT_EQ(at({"location", "create", "other", "--path", tmp_.file("elsewhere")}).exit_code, 0);
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo()}).exit_code, 0);
  EXPECT_EQ(at({"--location", "disk", "backup", "create", "b1", "--path", src_}).exit_code, 0);
  CommandResult missing = at({"--location", "other", "backup", "get"});
  EXPECT_EQ(missing.exit_code, 10);
  EXPECT_NE(missing.err.find("location other"), std::string::npos) << missing.err;
  CommandResult unknown = at({"--location", "nope", "backup", "get"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(unknown.err)) << unknown.err;
  EXPECT_EQ(at({"--location", "disk", "--repo", repo(), "backup", "get"}).exit_code, 2);
}

TEST_F(LocationCliTest, RepoInitWorksThroughALocation) {
  ASSERT_EQ(at({"location", "create", "fresh", "--path", tmp_.file("fresh"), "--default"}).exit_code, 0);
  CommandResult init = at({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find("location fresh"), std::string::npos) << init.out;
  EXPECT_NE(at({"location", "get", "fresh"}).out.find("Available"), std::string::npos);
}

TEST_F(LocationCliTest, TheConfigFileIsPrivate) {
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo()}).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat(config_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((config_dir() + "/locations.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(LocationCliTest, SecretsAppearNeitherInTheConfigNorInOutputNorInErrors) {
  const std::string marker = "MARKERsecretDoNotPrint123";
  {
    std::ofstream(tmp_.file("aws")) << "[writer]\naws_access_key_id = AKIAMARKER\naws_secret_access_key = "
                                    << marker << "\naws_session_token = " << marker << "tok\n";
    std::ofstream(tmp_.file("broken")) << "[writer]\naws_access_key_id = AKIAMARKER\n" << marker << "\n";
  }
  CommandResult c =
      at({"location", "create", "rgw", "--provider", "s3", "--bucket", "backups", "--prefix", "p",
          "--endpoint", "http://127.0.0.1:1", "--credentials-file", tmp_.file("aws"), "--profile", "writer"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  CommandResult g = at({"location", "get", "-o", "json"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_NE(g.out.find(tmp_.file("aws")), std::string::npos) << g.out;
  std::ifstream in(config_dir() + "/locations.json");
  std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CommandResult bad = at({"location", "create", "bad", "--provider", "s3", "--bucket", "b",
                          "--credentials-file", tmp_.file("broken"), "--profile", "writer"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(bad.err)) << bad.err;
  EXPECT_NE(bad.err.find(tmp_.file("broken")), std::string::npos) << bad.err;
  CommandResult wrong_profile = at({"location", "create", "bad", "--provider", "s3", "--bucket", "b",
                                    "--credentials-file", tmp_.file("aws"), "--profile", "reader"});
  EXPECT_EQ(wrong_profile.exit_code, 1);
  EXPECT_NE(wrong_profile.err.find("no profile [reader]"), std::string::npos) << wrong_profile.err;
  for (const std::string& text : {g.out, g.err, config, c.out, c.err, bad.err, wrong_profile.err})
    EXPECT_EQ(text.find(marker), std::string::npos) << text;
}

TEST_F(LocationCliTest, SetChangesTheModeAndTheDefaultAndDeleteForgetsTheLocationOnly) {
  ASSERT_EQ(at({"location", "create", "a", "--path", repo(), "--default"}).exit_code, 0);
  ASSERT_EQ(at({"location", "create", "b", "--path", repo()}).exit_code, 0);
  CommandResult s = at({"location", "set", "b", "--access-mode", "ReadOnly", "--default"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  json doc = json::parse(at({"location", "get", "-o", "json"}).out);
  EXPECT_EQ(doc["items"][0]["default"], false);
  EXPECT_EQ(doc["items"][1]["default"], true);
  EXPECT_EQ(doc["items"][1]["access_mode"], "ReadOnly");
  EXPECT_EQ(at({"location", "set", "b"}).exit_code, 2);
  EXPECT_EQ(at({"location", "set", "b", "--access-mode", "readonly"}).exit_code, 2);
  ASSERT_EQ(at({"location", "delete", "b"}).exit_code, 0);
  EXPECT_EQ(at({"location", "delete", "b"}).exit_code, 1);
  EXPECT_EQ(json::parse(at({"location", "get", "-o", "json"}).out)["items"].size(), 1u);
  EXPECT_EQ(cairn({"repo", "check"}).exit_code, 0);
}

TEST_F(LocationCliTest, CreateRefusesADuplicateNameAndFieldsOfTheOtherProvider) {
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo()}).exit_code, 0);
  CommandResult dup = at({"location", "create", "disk", "--path", repo()});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup.err;
  EXPECT_EQ(at({"location", "create", "x", "--path", repo(), "--bucket", "b"}).exit_code, 2);
  EXPECT_EQ(at({"location", "create", "y", "--provider", "s3"}).exit_code, 2);
}

}  // namespace
}  // namespace cairn
