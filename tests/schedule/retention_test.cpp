// Retention follows restic forget: each rule keeps the newest backup of
// each of its last N buckets, a backup kept by any rule stays, and TTL
// expiry removes a backup whatever the rules say.
#include "schedule/retention.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <map>

namespace cairn {
namespace {

constexpr int64_t kNs = 1000000000;

TimeNs utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return cctz::convert(cctz::civil_second(y, mo, d, h, mi, 0), cctz::utc_time_zone())
             .time_since_epoch()
             .count() *
         kNs;
}

std::vector<std::string> kept(const std::vector<RetentionDecision>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds)
    if (d.keep) out.push_back(d.name);
  return out;
}

// One backup a day at 01:00 from 2026-01-01 for `days` days, named d001...
std::vector<RetentionCandidate> daily(int days) {
  std::vector<RetentionCandidate> out;
  for (int i = 0; i < days; ++i) {
    char name[16];  // room for any int: GCC at -O1 with ASan checks the whole range
    std::snprintf(name, sizeof name, "d%03d", i + 1);
    out.push_back({name, utc(2026, 1, 1, 1) + int64_t{i} * 86400 * kNs, 0});
  }
  return out;
}

TEST(Retention, WithoutRulesEverythingStays) {
  auto ds = decide_retention(daily(5), {}, utc(2030, 1, 1));
  EXPECT_EQ(kept(ds).size(), 5u);
  EXPECT_EQ(ds[0].reasons, std::vector<std::string>{"no count rule given"});
}

TEST(Retention, KeepLastKeepsTheNewestAndSaysWhy) {
  RetentionPolicy p;
  p.keep_last = 2;
  auto ds = decide_retention(daily(5), p, utc(2030, 1, 1));
  EXPECT_EQ(kept(ds), (std::vector<std::string>{"d005", "d004"}));
  EXPECT_EQ(ds[0].reasons, std::vector<std::string>{"last 1"});
  EXPECT_EQ(ds[2].reasons, std::vector<std::string>{"no rule keeps it"});
}

TEST(Retention, DailyKeepsTheNewestOfEachDay) {
  std::vector<RetentionCandidate> c = {{"a", utc(2026, 3, 1, 1), 0},
                                       {"b", utc(2026, 3, 1, 13), 0},
                                       {"c", utc(2026, 3, 2, 9), 0},
                                       {"d", utc(2026, 3, 4, 9), 0}};
  RetentionPolicy p;
  p.keep_daily = 3;
  auto ds = decide_retention(c, p, utc(2030, 1, 1));
  // Buckets with a backup: 03-04, 03-02, 03-01 (newest b); empty days do not count.
  EXPECT_EQ(kept(ds), (std::vector<std::string>{"d", "c", "b"}));
  EXPECT_EQ(ds[0].reasons, std::vector<std::string>{"daily 1 (2026-03-04)"});
}

TEST(Retention, AnyRuleKeepsABackup) {
  RetentionPolicy p;
  p.keep_daily = 7;
  p.keep_weekly = 4;
  p.keep_monthly = 3;
  auto ds = decide_retention(daily(120), p, utc(2030, 1, 1));
  std::vector<std::string> k = kept(ds);
  // 7 newest days (d114..d120); Sundays ending the 4 newest ISO weeks
  // (d116 = 2026-04-26 is in the 7; then d109, d102, and the week of d120);
  // the newest of April (d120), March (d090) and February (d059).
  std::vector<std::string> expected = {"d120", "d119", "d118", "d117", "d116", "d115",
                                       "d114", "d109", "d102", "d090", "d059"};
  EXPECT_EQ(k, expected);
  std::map<std::string, std::vector<std::string>> why;
  for (const auto& d : ds) why[d.name] = d.reasons;
  EXPECT_EQ(why["d120"],
            (std::vector<std::string>{"daily 1 (2026-04-30)", "weekly 1 (2026-W18)", "monthly 1 (2026-04)"}));
  EXPECT_EQ(why["d090"], (std::vector<std::string>{"monthly 2 (2026-03)"}));
}

TEST(Retention, YearlyAndHourlyBuckets) {
  std::vector<RetentionCandidate> c = {{"y24", utc(2024, 6, 1), 0},        {"y25a", utc(2025, 1, 1), 0},
                                       {"y25b", utc(2025, 12, 31, 23), 0}, {"h1", utc(2026, 1, 1, 10, 5), 0},
                                       {"h2", utc(2026, 1, 1, 10, 50), 0}, {"h3", utc(2026, 1, 1, 11, 0), 0}};
  RetentionPolicy p;
  p.keep_yearly = 2;
  auto ds = decide_retention(c, p, utc(2030, 1, 1));
  EXPECT_EQ(kept(ds), (std::vector<std::string>{"h3", "y25b"}));
  RetentionPolicy h;
  h.keep_hourly = 2;
  EXPECT_EQ(kept(decide_retention(c, h, utc(2030, 1, 1))), (std::vector<std::string>{"h3", "h2"}));
}

TEST(Retention, ExpiredBackupsGoEvenIfARuleWouldKeepThem) {
  std::vector<RetentionCandidate> c = daily(3);
  c[2].expires = utc(2026, 1, 10);  // d003, the newest
  c[0].expires = utc(2026, 2, 1);   // d001: not yet
  RetentionPolicy p;
  p.keep_last = 5;
  auto ds = decide_retention(c, p, utc(2026, 1, 15));
  EXPECT_EQ(kept(ds), (std::vector<std::string>{"d002", "d001"}));
  EXPECT_EQ(ds[0].reasons, std::vector<std::string>{"expired 2026-01-10T00:00:00Z"});
  // TTL alone, no rules.
  EXPECT_EQ(kept(decide_retention(c, {}, utc(2026, 3, 1))), (std::vector<std::string>{"d002"}));
}

TEST(Retention, IsoWeeksCrossTheYearBoundary) {
  // 2026-12-31 (Thursday) and 2027-01-03 (Sunday) are both in 2026-W53.
  std::vector<RetentionCandidate> c = {
      {"thu", utc(2026, 12, 31), 0}, {"sun", utc(2027, 1, 3), 0}, {"mon", utc(2027, 1, 4), 0}};
  RetentionPolicy p;
  p.keep_weekly = 2;
  auto ds = decide_retention(c, p, utc(2030, 1, 1));
  EXPECT_EQ(kept(ds), (std::vector<std::string>{"mon", "sun"}));
  EXPECT_EQ(ds[1].reasons, std::vector<std::string>{"weekly 2 (2026-W53)"});
}

}  // namespace
}  // namespace cairn
