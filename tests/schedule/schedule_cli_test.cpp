// schedule create/get/describe/pause/unpause/delete and the --from-schedule
// forms of backup create and restore create, through the real binary.
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/location_fixture.h"

namespace cairn {
namespace {

using nlohmann::json;

class ScheduleCliTest : public LocationCliTest {
 protected:
  void SetUp() override {
    LocationCliTest::SetUp();
    ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
  }
  json schedules() {
    CommandResult r = at({"schedule", "get", "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["items"];
  }
};

TEST_F(ScheduleCliTest, CreateThenGetShowsVeleroColumnsAndJson) {
  CommandResult c = at({"schedule", "create", "daily", "--schedule", "0 1 * * *", "--ttl", "720h",
                        "--keep-daily", "7", "--path", src_, "--label", "app=db"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  CommandResult g = at({"schedule", "get"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out.rfind("NAME    STATUS    CREATED", 0), 0u) << g.out;
  for (const char* col : {"SCHEDULE", "BACKUP TTL", "LAST BACKUP", "SELECTOR", "PAUSED", "0 1 * * *",
                          "720h0m0s", "n/a", "cairn.io/schedule-name=daily", "false"})
    EXPECT_NE(g.out.find(col), std::string::npos) << col << "\n" << g.out;
  json items = schedules();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["name"], "daily");
  EXPECT_EQ(items[0]["location"], "disk");
  EXPECT_EQ(items[0]["retention"]["keep_daily"], 7);
  EXPECT_EQ(items[0]["paths"][0], src_);
  EXPECT_TRUE(items[0]["next_run"].get<std::string>().find("T01:00:00Z") != std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat((config_dir() + "/schedules.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  CommandResult d = at({"schedule", "describe", "daily"});
  EXPECT_NE(d.out.find("Retention:      daily 7"), std::string::npos) << d.out;
}

TEST_F(ScheduleCliTest, MalformedExpressionIsRejectedWithPositionAndReason) {
  CommandResult c = at({"schedule", "create", "bad", "--schedule", "0 1 32 * *", "--path", src_});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_EQ(
      c.err,
      "error: --schedule \"0 1 32 * *\": field 3 (day of month) at column 5: 32 is out of range 1-31.\n");
  CommandResult never = at({"schedule", "create", "bad", "--schedule", "0 0 30 2 *", "--path", src_});
  EXPECT_EQ(never.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(never.err)) << never.err;
  CommandResult ttl =
      at({"schedule", "create", "s", "--schedule", "@daily", "--ttl", "soon", "--path", src_});
  EXPECT_EQ(ttl.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(ttl.err)) << ttl.err;
  CommandResult keep =
      at({"schedule", "create", "s", "--schedule", "@daily", "--keep-last", "-1", "--path", src_});
  EXPECT_EQ(keep.exit_code, 2);
  CommandResult nopath = at({"schedule", "create", "s", "--schedule", "@daily"});
  EXPECT_EQ(nopath.exit_code, 2);
  CommandResult name = at({"schedule", "create", "-x", "--schedule", "@daily", "--path", src_});
  EXPECT_NE(name.exit_code, 0);
  EXPECT_TRUE(schedules().empty());
}

TEST_F(ScheduleCliTest, DuplicateNameIsRefusedAndTheFirstStays) {
  ASSERT_EQ(at({"schedule", "create", "s", "--schedule", "@daily", "--path", src_}).exit_code, 0);
  CommandResult again = at({"schedule", "create", "s", "--schedule", "@hourly", "--path", src_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(again.err)) << again.err;
  EXPECT_EQ(schedules()[0]["schedule"], "@daily");
}

TEST_F(ScheduleCliTest, PauseUnpauseAndDelete) {
  ASSERT_EQ(at({"schedule", "create", "s", "--schedule", "@daily", "--path", src_}).exit_code, 0);
  ASSERT_EQ(at({"schedule", "pause", "s"}).exit_code, 0);
  EXPECT_EQ(schedules()[0]["paused"], true);
  ASSERT_EQ(at({"schedule", "unpause", "s"}).exit_code, 0);
  EXPECT_EQ(schedules()[0]["paused"], false);
  CommandResult missing = at({"schedule", "pause", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(missing.err)) << missing.err;
  ASSERT_EQ(at({"schedule", "delete", "s", "--confirm"}).exit_code, 0);
  EXPECT_TRUE(schedules().empty());
  EXPECT_EQ(at({"schedule", "describe", "s"}).exit_code, 1);
}

TEST_F(ScheduleCliTest, BackupFromScheduleUsesTheTemplateAndRestoreFromSchedulePicksTheNewest) {
  ASSERT_EQ(at({"schedule", "create", "s", "--schedule", "@daily", "--path", src_, "--label", "app=db",
                "--ttl", "30d"})
                .exit_code,
            0);
  CommandResult first = at({"backup", "create", "first", "--from-schedule", "s"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  make_random_file(src_ + "/later", 5000, 9);
  CommandResult second = at({"backup", "create", "--from-schedule", "s"});  // default name s-YYYYMMDDHHMMSS
  ASSERT_EQ(second.exit_code, 0) << second.err;
  CommandResult get = at({"backup", "get", "-l", "cairn.io/schedule-name=s", "-o", "json"});
  json items = json::parse(get.out)["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["name"].get<std::string>().size(), std::string("s-20261122010203").size());
  EXPECT_EQ(items[0]["labels"]["app"], "db");
  EXPECT_TRUE(items[0]["expires"].is_string());
  CommandResult r = at({"restore", "create", "--from-schedule", "s", "--wait", "--target", tmp_.file("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(items[0]["name"].get<std::string>()), std::string::npos) << r.out;
  EXPECT_TRUE(compare_trees(src_, tmp_.file("out") + src_).empty());
}

TEST_F(ScheduleCliTest, RestoreFromScheduleWithoutBackupsSaysSo) {
  ASSERT_EQ(at({"schedule", "create", "s", "--schedule", "@daily", "--path", src_}).exit_code, 0);
  CommandResult r = at({"restore", "create", "--from-schedule", "s", "--target", tmp_.file("out")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: schedule \"s\" has no Completed backup to restore yet.\n");
  CommandResult both =
      at({"restore", "create", "--from-schedule", "s", "--from-backup", "x", "--target", "o"});
  EXPECT_EQ(both.exit_code, 2);
}

}  // namespace
}  // namespace cairn
