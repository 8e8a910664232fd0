// 60 simulated days of a daily schedule with TTL and retention, with real
// backups into a real local repository and backup times from the simulated
// clock; checks exactly which backups exist at the end. Nothing sleeps.
#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <set>

#include "common/log.h"
#include "repo/repository.h"
#include "schedule/forget.h"
#include "schedule/scheduler.h"
#include "source/fs/fs_backup.h"
#include "storage/local_backend.h"
#include "support/temp_dir.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

constexpr int64_t kNs = 1000000000;

TimeNs utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return cctz::convert(cctz::civil_second(y, mo, d, h, mi, 0), cctz::utc_time_zone())
             .time_since_epoch()
             .count() *
         kNs;
}

class SimulatedClock : public Clock {
 public:
  TimeNs now() const override { return now_; }
  TimeNs now_ = 0;
};

class SchedulerSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = create_local_backend(tmp_.file("repo"));
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    InitOptions init;
    init.kdf.memory_kib = 8 * 1024;
    init.kdf.iterations = 1;
    ASSERT_TRUE(Repository::init(std::shared_ptr<Backend>(std::move(*backend)), "pw", init).is_ok());
    src_ = tmp_.file("src");
    make_random_file(src_ + "/data", 20000, 1);
    set_log_level(LogLevel::kWarning);  // a line per run and deletion is too much here
    lister_ = open();
  }
  void TearDown() override { set_log_level(LogLevel::kInfo); }

  std::unique_ptr<Repository> open() {
    auto backend = open_local_backend(tmp_.file("repo"));
    EXPECT_TRUE(backend.is_ok());
    auto repo = Repository::open(std::shared_ptr<Backend>(std::move(*backend)), "pw");
    EXPECT_TRUE(repo.is_ok());
    EXPECT_TRUE((*repo)->load_index().is_ok());
    return std::move(*repo);
  }

  Result<SnapshotManifest> backup(const std::string& name, std::map<std::string, std::string> labels,
                                  int64_t ttl) {
    FsBackupOptions o;
    o.name = name;
    o.paths = {src_};
    o.labels = std::move(labels);
    o.ttl_seconds = ttl;
    o.clock = &clock_;
    return run_fs_backup(*open(), o, nullptr);
  }

  std::vector<SnapshotManifest> snapshots(const std::string& schedule) {
    auto all = lister_->list_snapshots();
    EXPECT_TRUE(all.is_ok());
    std::vector<SnapshotManifest> out;
    for (auto& m : *all) {
      auto it = m.labels.find(kScheduleNameLabel);
      if (schedule.empty() || (it != m.labels.end() && it->second == schedule)) out.push_back(m);
    }
    return out;
  }

  SchedulerHooks hooks() {
    SchedulerHooks h;
    std::string dir = tmp_.file("config");
    h.load = [dir] { return load_schedules(dir); };
    h.record = [dir](const std::string& name, const std::string& b, TimeNs start, const std::string& status) {
      return update_schedules(dir, [&](std::vector<Schedule>& all) {
        for (Schedule& s : all)
          if (s.name == name) {
            s.last_backup = start;
            s.last_backup_name = b;
            s.last_backup_status = status;
          }
        return Status::ok();
      });
    };
    h.run_backup = [this](const Schedule& s, const std::string& name) {
      ++runs_;
      auto labels = s.labels;
      labels[kScheduleNameLabel] = s.name;
      Result<SnapshotManifest> m = backup(name, labels, s.ttl_seconds);
      if (!m.is_ok()) return BackupRunOutcome{"Failed", m.status().message()};
      return BackupRunOutcome{backup_status_name(m->status), ""};
    };
    h.apply_retention = [this](const Schedule& s) -> Result<int> {
      CAIRN_ASSIGN_OR_RETURN(auto d,
                             forget_backups(*lister_, snapshots(s.name), s.retention, clock_.now(), false));
      return static_cast<int>(std::count_if(d.begin(), d.end(), [](const auto& x) { return !x.keep; }));
    };
    h.expire = [this](const Schedule&) -> Result<int> {
      CAIRN_ASSIGN_OR_RETURN(auto d, forget_backups(*lister_, snapshots(""), {}, clock_.now(), false));
      return static_cast<int>(std::count_if(d.begin(), d.end(), [](const auto& x) { return !x.keep; }));
    };
    return h;
  }

  TempDir tmp_;
  std::string src_;
  SimulatedClock clock_;
  std::unique_ptr<Repository> lister_;  // lists and deletes, as one long-running server would
  int runs_ = 0;
};

TEST_F(SchedulerSimTest, SixtyDaysOfADailyScheduleKeepExactlyWhatTtlAndRetentionSay) {
  clock_.now_ = utc(2026, 1, 1);
  Schedule s;
  s.name = "daily";
  s.schedule = "0 1 * * *";
  s.created = clock_.now_;
  s.repo = tmp_.file("repo");
  s.paths = {src_};
  s.ttl_seconds = 20 * 86400;
  s.retention.keep_daily = 7;
  s.retention.keep_weekly = 4;
  ASSERT_TRUE(update_schedules(tmp_.file("config"), [&](std::vector<Schedule>& all) {
                all.push_back(s);
                return Status::ok();
              }).is_ok());

  Scheduler scheduler(clock_, hooks(), 3600);
  const TimeNs end = utc(2026, 3, 1, 12);
  const TimeNs down_from = utc(2026, 2, 10), down_until = utc(2026, 2, 13, 5, 30);
  bool manual_done = false;
  int ticks = 0;
  while (clock_.now_ < end) {
    if (!manual_done && clock_.now_ >= utc(2026, 1, 20, 12)) {
      // Backups made by hand: one expires after 5 days, one never.
      ASSERT_TRUE(backup("manual-ttl", {}, 5 * 86400).is_ok());
      ASSERT_TRUE(backup("keeper", {}, 0).is_ok());
      manual_done = true;
    }
    TimeNs next = scheduler.tick();
    ++ticks;
    ASSERT_GT(next, clock_.now_);
    clock_.now_ = std::min(next, end);
    // The server is down for three days and a bit: no ticks at all.
    if (clock_.now_ >= down_from && clock_.now_ < down_until) clock_.now_ = down_until;
  }
  scheduler.tick();

  // 40 runs Jan 1 - Feb 9, one catch-up run at Feb 13 05:30 (not three), 16 runs Feb 14 - Mar 1.
  EXPECT_EQ(runs_, 57);
  std::set<std::string> names;
  for (const auto& m : snapshots("")) names.insert(m.name);
  // Alive by TTL: started after Feb 9 12:00. Kept by daily 7: Feb 23 - Mar 1;
  // by weekly 4: the newest of ISO weeks 9 (Mar 1), 8 (Feb 22), 7 (Feb 15);
  // week 6 has nothing left that has not expired.
  std::set<std::string> expected = {"keeper",
                                    "daily-20260301010000",
                                    "daily-20260228010000",
                                    "daily-20260227010000",
                                    "daily-20260226010000",
                                    "daily-20260225010000",
                                    "daily-20260224010000",
                                    "daily-20260223010000",
                                    "daily-20260222010000",
                                    "daily-20260215010000"};
  EXPECT_EQ(names, expected);

  auto metrics = scheduler.metrics();
  EXPECT_EQ(metrics["daily"].attempts, 57u);
  EXPECT_EQ(metrics["daily"].successes, 57u);
  EXPECT_EQ(metrics["daily"].deletions, 57u - 9u + 1u);  // + manual-ttl, expired by the hourly pass
  EXPECT_EQ(metrics["daily"].last_success_seconds, static_cast<double>(utc(2026, 3, 1, 1) / kNs));
  Result<std::vector<Schedule>> stored = load_schedules(tmp_.file("config"));
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ((*stored)[0].last_backup_name, "daily-20260301010000");
  EXPECT_LT(ticks, 60 * 30);  // it jumps from due time to due time
  // The kept backups still restore: retention deleted manifests only.
  auto repo = open();
  auto kept = repo->load_snapshot("daily-20260215010000");
  ASSERT_TRUE(kept.is_ok());
  EXPECT_EQ(kept->started, utc(2026, 2, 15, 1));
  EXPECT_EQ(kept->expires, utc(2026, 3, 7, 1));
}

TEST_F(SchedulerSimTest, PausedScheduleDoesNotRunAndAMissedSlotRunsOnceAfterUnpause) {
  clock_.now_ = utc(2026, 5, 1);
  Schedule s;
  s.name = "hourly";
  s.schedule = "@hourly";
  s.created = clock_.now_;
  s.repo = tmp_.file("repo");
  s.paths = {src_};
  s.paused = true;
  std::string dir = tmp_.file("config");
  ASSERT_TRUE(update_schedules(dir, [&](std::vector<Schedule>& all) {
                all.push_back(s);
                return Status::ok();
              }).is_ok());
  Scheduler scheduler(clock_, hooks(), 86400);
  for (int i = 0; i < 10; ++i) {
    scheduler.tick();
    clock_.now_ += 3600 * kNs;
  }
  EXPECT_EQ(runs_, 0);
  ASSERT_TRUE(update_schedules(dir, [&](std::vector<Schedule>& all) {
                all[0].paused = false;
                return Status::ok();
              }).is_ok());
  scheduler.tick();  // ten slots were missed: one run
  scheduler.tick();
  EXPECT_EQ(runs_, 1);
  clock_.now_ += 3600 * kNs;
  scheduler.tick();
  EXPECT_EQ(runs_, 2);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_F(SchedulerSimTest, ABackupLongerThanItsIntervalIsFollowedByOneRunNotAPileUp) {
  clock_.now_ = utc(2026, 6, 1);
  Schedule s;
  s.name = "often";
  s.schedule = "*/10 * * * *";
  s.created = clock_.now_;
  s.repo = tmp_.file("repo");
  s.paths = {src_};
  ASSERT_TRUE(update_schedules(tmp_.file("config"), [&](std::vector<Schedule>& all) {
                all.push_back(s);
                return Status::ok();
              }).is_ok());
  SchedulerHooks h = hooks();
  auto real = h.run_backup;
  int running = 0, most = 0;
  h.run_backup = [&](const Schedule& sched, const std::string& name) {
    most = std::max(most, ++running);
    BackupRunOutcome o = real(sched, name);
    clock_.now_ += 45 * 60 * kNs;  // each backup takes 45 minutes: four slots and a half
    --running;
    return o;
  };
  Scheduler scheduler(clock_, h, 86400);
  for (int i = 0; i < 4; ++i) {  // the first tick only learns that 00:10 is next
    TimeNs next = scheduler.tick();
    clock_.now_ = std::max(clock_.now_, next);
  }
  EXPECT_EQ(runs_, 3);
  EXPECT_EQ(most, 1);
  // Started at 00:10, then right after each 45-minute run (00:55, 01:40).
  std::set<std::string> names;
  for (const auto& m : snapshots("often")) names.insert(m.name);
  EXPECT_EQ(names,
            (std::set<std::string>{"often-20260601001000", "often-20260601005500", "often-20260601014000"}));
}

}  // namespace
}  // namespace cairn
