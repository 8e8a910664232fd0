// The everyday commands end to end: create, get, describe, restore, delete, keys.
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

using nlohmann::json;

class CommandsTest : public CliTest {
 protected:
  void SetUp() override {
    init_repository();
    src_ = tmp_.file("src");
    make_random_file(src_ + "/a/one", 3000, 1);
    make_random_file(src_ + "/two", 70000, 2);
  }
  std::string src_;
};

TEST_F(CommandsTest, BackupCreatePrintsASummaryAndGetListsItWithVeleroColumns) {
  CommandResult c = cairn({"backup", "create", "nightly", "--path", src_, "--label", "app=db"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("backup \"nightly\" Completed: 2 files"), std::string::npos) << c.out;
  CommandResult g = cairn({"backup", "get"});
  EXPECT_EQ(g.exit_code, 0);
  EXPECT_EQ(g.out.rfind("NAME      STATUS      ERRORS   WARNINGS   CREATED", 0), 0u) << g.out;
  EXPECT_NE(g.out.find("DURATION   SIZE"), std::string::npos);
  EXPECT_NE(g.out.find("nightly   Completed   0        0"), std::string::npos) << g.out;
}

TEST_F(CommandsTest, GetJsonIsValidAndCarriesStatusStatsAndLabels) {
  ASSERT_EQ(cairn({"backup", "create", "b1", "--path", src_, "--label", "app=db"}).exit_code, 0);
  CommandResult g = cairn({"backup", "get", "-o", "json"});
  json doc = json::parse(g.out);
  ASSERT_EQ(doc["items"].size(), 1u);
  EXPECT_EQ(doc["items"][0]["name"], "b1");
  EXPECT_EQ(doc["items"][0]["status"], "Completed");
  EXPECT_EQ(doc["items"][0]["labels"]["app"], "db");
  EXPECT_EQ(doc["items"][0]["stats"]["files"], 2);
}

TEST_F(CommandsTest, GetFiltersByNameAndSelector) {
  ASSERT_EQ(cairn({"backup", "create", "b1", "--path", src_, "--label", "app=db"}).exit_code, 0);
  ASSERT_EQ(cairn({"backup", "create", "b2", "--path", src_, "--label", "app=web"}).exit_code, 0);
  json by_label = json::parse(cairn({"backup", "get", "-l", "app=web", "-o", "json"}).out);
  ASSERT_EQ(by_label["items"].size(), 1u);
  EXPECT_EQ(by_label["items"][0]["name"], "b2");
  CommandResult missing = cairn({"backup", "get", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
}

TEST_F(CommandsTest, DescribeShowsPathsAndDetailsListFiles) {
  ASSERT_EQ(cairn({"backup", "create", "b1", "--path", src_}).exit_code, 0);
  CommandResult d = cairn({"backup", "describe", "b1", "--details"});
  EXPECT_EQ(d.exit_code, 0);
  EXPECT_NE(d.out.find("Status:       Completed"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find(src_ + "/a/one"), std::string::npos) << d.out;
  json j = json::parse(cairn({"backup", "describe", "b1", "--details", "-o", "json"}).out);
  EXPECT_EQ(j["name"], "b1");
  EXPECT_FALSE(j["files"].empty());
}

TEST_F(CommandsTest, RestoreCreateRecreatesTheTreeUnderTheTarget) {
  ASSERT_EQ(cairn({"backup", "create", "b1", "--path", src_}).exit_code, 0);
  std::string out = tmp_.file("out");
  CommandResult r = cairn({"restore", "create", "--from-backup", "b1", "--target", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Completed: 2 files"), std::string::npos) << r.out;
  EXPECT_TRUE(compare_trees(src_, out + src_).empty());
}

TEST_F(CommandsTest, DeleteRemovesTheBackupFromListings) {
  ASSERT_EQ(cairn({"backup", "create", "b1", "--path", src_}).exit_code, 0);
  ASSERT_EQ(cairn({"backup", "delete", "b1"}).exit_code, 0);
  json doc = json::parse(cairn({"backup", "get", "-o", "json"}).out);
  EXPECT_TRUE(doc["items"].empty());
  EXPECT_EQ(cairn({"backup", "delete", "b1"}).exit_code, 1);
  // The name can be used again.
  EXPECT_EQ(cairn({"backup", "create", "b1", "--path", src_}).exit_code, 0);
}

TEST_F(CommandsTest, SecondPasswordOpensTheRepositoryUntilItsKeyIsRemoved) {
  CommandResult add = cairn({"key", "add"}, {{"CAIRN_NEW_PASSWORD", "second one"}});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(cairn({"backup", "get"}, {{"CAIRN_PASSWORD", "second one"}}).exit_code, 0);
  json keys = json::parse(cairn({"key", "list", "-o", "json"}).out);
  ASSERT_EQ(keys["items"].size(), 2u);
  std::string other;
  for (const auto& k : keys["items"])
    if (!k["current"].get<bool>()) other = k["id"];
  // The key in use cannot remove itself; the other one can be removed.
  ASSERT_EQ(cairn({"key", "remove", other.substr(0, 12)}).exit_code, 0);
  EXPECT_EQ(cairn({"backup", "get"}, {{"CAIRN_PASSWORD", "second one"}}).exit_code, 12);
}

TEST_F(CommandsTest, RepositoryFilesAreOnlyReadableByTheOwner) {
  ASSERT_EQ(cairn({"backup", "create", "b1", "--path", src_}).exit_code, 0);
  for (const auto& e : std::filesystem::recursive_directory_iterator(repo())) {
    auto perms = std::filesystem::status(e.path()).permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none)
        << e.path();
  }
}

}  // namespace
}  // namespace cairn
