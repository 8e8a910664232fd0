// backup forget and backup create --ttl through the real binary: what goes,
// why, what a dry run leaves alone, and refusals that change nothing.
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "cli/location_fixture.h"
#include "repo/snapshot.h"

namespace cairn {
namespace {

using nlohmann::json;

class ForgetTest : public LocationCliTest {
 protected:
  void SetUp() override {
    LocationCliTest::SetUp();
    ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
  }
  void backup(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"backup", "create", name, "--path", src_};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = at(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::set<std::string> names() {
    CommandResult g = at({"backup", "get", "-o", "json"});
    EXPECT_EQ(g.exit_code, 0) << g.err;
    std::set<std::string> out;
    json doc = json::parse(g.out);
    for (const auto& item : doc["items"]) out.insert(item["name"].get<std::string>());
    return out;
  }
};

TEST_F(ForgetTest, DryRunShowsWhatWouldGoAndWhyAndDeletesNothing) {
  for (const char* n : {"b1", "b2", "b3"}) backup(n);
  CommandResult r = at({"backup", "forget", "--keep-last", "1", "--dry-run", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(r.out);
  EXPECT_EQ(doc["dry_run"], true);
  ASSERT_EQ(doc["items"].size(), 3u);
  EXPECT_EQ(doc["items"][0]["name"], "b3");
  EXPECT_EQ(doc["items"][0]["action"], "keep");
  EXPECT_EQ(doc["items"][0]["reasons"][0], "last 1");
  EXPECT_EQ(doc["items"][1]["action"], "delete");
  EXPECT_EQ(doc["items"][1]["reasons"][0], "no rule keeps it");
  CommandResult table = at({"backup", "forget", "--keep-last", "1", "--dry-run"});
  EXPECT_NE(table.out.find("would delete"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 of 3 backups would be deleted"), std::string::npos) << table.out;
  EXPECT_EQ(names(), (std::set<std::string>{"b1", "b2", "b3"}));
}

TEST_F(ForgetTest, KeepLastDeletesTheRestAndTheDataStillRestores) {
  for (const char* n : {"b1", "b2", "b3"}) backup(n);
  CommandResult r = at({"backup", "forget", "--keep-last", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 of 3 backups deleted"), std::string::npos) << r.out;
  EXPECT_EQ(names(), (std::set<std::string>{"b2", "b3"}));
  CommandResult restore = at({"restore", "create", "--from-backup", "b2", "--target", tmp_.file("out")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_TRUE(compare_trees(src_, tmp_.file("out") + src_).empty());
}

TEST_F(ForgetTest, SelectorAndNamesLimitTheCandidates) {
  backup("db1", {"--label", "app=db"});
  backup("web1", {"--label", "app=web"});
  backup("db2", {"--label", "app=db"});
  ASSERT_EQ(at({"backup", "forget", "-l", "app=db", "--keep-last", "1"}).exit_code, 0);
  EXPECT_EQ(names(), (std::set<std::string>{"web1", "db2"}));
  ASSERT_EQ(at({"backup", "forget", "web1", "--keep-last", "0"}).exit_code, 0);  // no rule: keep all
  EXPECT_EQ(names(), (std::set<std::string>{"web1", "db2"}));
  CommandResult missing = at({"backup", "forget", "nope", "--keep-last", "1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error: no backup named \"nope\" matches; nothing was deleted.\n");
}

TEST_F(ForgetTest, TtlIsRecordedAndExpiredBackupsAreForgotten) {
  backup("short", {"--ttl", "1s"});
  backup("long", {"--ttl", "720h"});
  backup("forever");
  json doc = json::parse(at({"backup", "get", "long", "-o", "json"}).out);
  ASSERT_TRUE(doc["items"][0]["expires"].is_string()) << doc.dump();
  json forever = json::parse(at({"backup", "get", "forever", "-o", "json"}).out);
  EXPECT_TRUE(forever["items"][0]["expires"].is_null());
  usleep(1100 * 1000);
  CommandResult r = at({"backup", "forget", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json f = json::parse(r.out);
  bool saw = false;
  for (const auto& item : f["items"]) {
    if (item["name"] != "short") continue;
    saw = true;
    EXPECT_EQ(item["action"], "delete");
    EXPECT_EQ(item["reasons"][0].get<std::string>().rfind("expired ", 0), 0u);
  }
  EXPECT_TRUE(saw);
  EXPECT_EQ(names(), (std::set<std::string>{"long", "forever"}));
}

TEST_F(ForgetTest, BadTtlIsAUsageErrorAndCreatesNothing) {
  CommandResult r = at({"backup", "create", "b1", "--path", src_, "--ttl", "10 days"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("is not a duration"), std::string::npos) << r.err;
  EXPECT_TRUE(names().empty());
}

TEST_F(ForgetTest, RefusedOnAppendOnlyAndReadOnlyLocationsWithoutDeleting) {
  backup("b1");
  backup("b2");
  for (const char* mode : {"AppendOnly", "ReadOnly"}) {
    ASSERT_EQ(at({"location", "set", "disk", "--access-mode", mode}).exit_code, 0);
    CommandResult r = at({"backup", "forget", "--keep-last", "1"});
    EXPECT_NE(r.exit_code, 0) << mode;
    EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
    EXPECT_NE(r.err.find(mode), std::string::npos) << r.err;
    EXPECT_EQ(names(), (std::set<std::string>{"b1", "b2"})) << mode;
    // A dry run only reads, so it is allowed.
    EXPECT_EQ(at({"backup", "forget", "--keep-last", "1", "--dry-run"}).exit_code, 0) << mode;
  }
}

TEST(SnapshotExpiry, OldManifestsWithoutExpiresStillDecode) {
  SnapshotManifest m;
  m.name = "old";
  std::string text = encode_snapshot(m);
  EXPECT_EQ(text.find("expires"), std::string::npos);  // what a pre-TTL writer produced
  Result<SnapshotManifest> d = decode_snapshot(text);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_EQ(d->expires, 0);
  m.expires = 1234567890123;
  Result<SnapshotManifest> e = decode_snapshot(encode_snapshot(m));
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->expires, 1234567890123);
}

}  // namespace
}  // namespace cairn
