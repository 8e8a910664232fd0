// Cron parsing and next_run on hand-picked cases: the syntax, the Vixie
// day rule, descriptors, time zones, daylight-saving changes and errors.
#include "schedule/cron.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

namespace cairn {
namespace {

constexpr int64_t kNs = 1000000000;

// Instant of a local time in zone (the first one when it repeats).
TimeNs at(const char* zone, int y, int mo, int d, int h, int mi, int s = 0) {
  cctz::time_zone tz;
  EXPECT_TRUE(cctz::load_time_zone(zone, &tz));
  auto p = tz.lookup(cctz::civil_second(y, mo, d, h, mi, s)).pre;
  return p.time_since_epoch().count() * kNs;
}
TimeNs utc(int y, int mo, int d, int h, int mi, int s = 0) { return at("UTC", y, mo, d, h, mi, s); }

std::string local(const char* zone, TimeNs t) {
  cctz::time_zone tz;
  EXPECT_TRUE(cctz::load_time_zone(zone, &tz));
  return cctz::format("%Y-%m-%d %H:%M:%S %z", cctz::time_point<cctz::seconds>(cctz::seconds(t / kNs)), tz);
}

CronExpression parse(const std::string& text, const std::string& tz = "") {
  Result<CronExpression> c = parse_cron(text, tz);
  EXPECT_TRUE(c.is_ok()) << text << ": " << c.status().message();
  return c.is_ok() ? *c : CronExpression{};
}

std::string next(const std::string& text, TimeNs after, const char* zone = "UTC") {
  std::optional<TimeNs> n = next_run(parse(text), after);
  return n ? local(zone, *n) : "never";
}

std::string error_of(const std::string& text) {
  Result<CronExpression> c = parse_cron(text);
  return c.is_ok() ? "ok" : c.status().message();
}

TEST(CronParse, FiveFieldsFireOnTheMinute) {
  EXPECT_EQ(next("0 1 * * *", utc(2026, 3, 1, 0, 0)), "2026-03-01 01:00:00 +0000");
  EXPECT_EQ(next("0 1 * * *", utc(2026, 3, 1, 1, 0)), "2026-03-02 01:00:00 +0000");
  EXPECT_EQ(next("*/15 * * * *", utc(2026, 3, 1, 0, 7, 30)), "2026-03-01 00:15:00 +0000");
}

TEST(CronParse, SixFieldsHaveSecondsFirstAndAcceptQuestionMark) {
  EXPECT_EQ(next("*/2 * * * * *", utc(2026, 3, 1, 0, 0, 1)), "2026-03-01 00:00:02 +0000");
  EXPECT_EQ(next("0 */3 * * * ?", utc(2026, 3, 1, 0, 0, 0)), "2026-03-01 00:03:00 +0000");
  EXPECT_EQ(next("30 0 12 ? * MON-FRI", utc(2026, 11, 21, 0, 0)), "2026-11-23 12:00:30 +0000");
}

TEST(CronParse, ListsRangesStepsAndNames) {
  CronExpression c = parse("5,10-20/5,50/4 1-3 * jan,Jul-SEP sun,7");
  EXPECT_TRUE(c.minutes[5] && c.minutes[10] && c.minutes[15] && c.minutes[20] && c.minutes[50] &&
              c.minutes[54] && c.minutes[58]);
  EXPECT_EQ(c.minutes.count(), 7u);
  EXPECT_EQ(c.hours.count(), 3u);
  EXPECT_TRUE(c.months[1] && c.months[7] && c.months[8] && c.months[9]);
  EXPECT_EQ(c.months.count(), 4u);
  EXPECT_TRUE(c.days_of_week[0]);
  EXPECT_EQ(c.days_of_week.count(), 1u);
}

TEST(CronParse, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // 2026-11-01 is a Sunday: the next is Monday the 2nd (by weekday), then the 15th.
  EXPECT_EQ(next("0 0 1,15 * MON", utc(2026, 11, 1, 0, 0)), "2026-11-02 00:00:00 +0000");
  EXPECT_EQ(next("0 0 1,15 * MON", utc(2026, 11, 9, 0, 0)), "2026-11-15 00:00:00 +0000");
  // A star in either field makes it AND, as in Vixie cron (also "*/2").
  EXPECT_EQ(next("0 0 13 * */2", utc(2026, 1, 1, 0, 0)), "2026-01-13 00:00:00 +0000");  // a Tuesday
  EXPECT_EQ(next("0 0 13 * 5", utc(2026, 1, 1, 0, 0)), "2026-01-02 00:00:00 +0000");
  EXPECT_EQ(next("0 0 0 ? * FRI", utc(2026, 1, 1, 0, 0)), "2026-01-02 00:00:00 +0000");
}

TEST(CronParse, DescriptorsExpandToTheirFields) {
  TimeNs t = utc(2026, 5, 17, 10, 30);  // a Sunday
  EXPECT_EQ(next("@yearly", t), "2027-01-01 00:00:00 +0000");
  EXPECT_EQ(next("@annually", t), "2027-01-01 00:00:00 +0000");
  EXPECT_EQ(next("@monthly", t), "2026-06-01 00:00:00 +0000");
  EXPECT_EQ(next("@weekly", t), "2026-05-24 00:00:00 +0000");
  EXPECT_EQ(next("@daily", t), "2026-05-18 00:00:00 +0000");
  EXPECT_EQ(next("@midnight", t), "2026-05-18 00:00:00 +0000");
  EXPECT_EQ(next("@hourly", t), "2026-05-17 11:00:00 +0000");
  EXPECT_EQ(next("@every 90m", t), "2026-05-17 12:00:00 +0000");
  EXPECT_EQ(parse("@every 1h30m").every_seconds, 5400);
}

TEST(CronParse, TimeZonePrefixOrArgument) {
  TimeNs t = utc(2026, 7, 1, 0, 0);
  EXPECT_EQ(next("CRON_TZ=Europe/Oslo 0 1 * * *", t), "2026-07-01 23:00:00 +0000");
  EXPECT_EQ(next("TZ=America/New_York 0 1 * * *", t), "2026-07-01 05:00:00 +0000");
  std::optional<TimeNs> n = next_run(parse("0 1 * * *", "Asia/Kathmandu"), t);
  ASSERT_TRUE(n);
  EXPECT_EQ(local("UTC", *n), "2026-07-01 19:15:00 +0000");
  EXPECT_EQ(parse("0 1 * * *").time_zone, "UTC");
}

TEST(CronDst, SkippedLocalTimeFiresAtTheEndOfTheGap) {
  // Oslo, 2026-03-29: 02:00 CET becomes 03:00 CEST.
  TimeNs before = at("Europe/Oslo", 2026, 3, 29, 0, 0);
  EXPECT_EQ(next("CRON_TZ=Europe/Oslo 30 2 * * *", before, "Europe/Oslo"), "2026-03-29 03:00:00 +0200");
  TimeNs then = *next_run(parse("CRON_TZ=Europe/Oslo 30 2 * * *"), before);
  EXPECT_EQ(next("CRON_TZ=Europe/Oslo 30 2 * * *", then, "Europe/Oslo"), "2026-03-30 02:30:00 +0200");
  // 02:00, 02:30 and 03:00 all fired at the end of the gap; 03:30 is next.
  TimeNs gap_end = at("Europe/Oslo", 2026, 3, 29, 3, 0);
  EXPECT_EQ(next("CRON_TZ=Europe/Oslo 0,30 2,3 * * *", gap_end, "Europe/Oslo"), "2026-03-29 03:30:00 +0200");
}

TEST(CronDst, RepeatedLocalHourFiresOnce) {
  // New York, 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
  TimeNs first = at("America/New_York", 2026, 11, 1, 1, 30);
  EXPECT_EQ(local("America/New_York", first), "2026-11-01 01:30:00 -0400");
  EXPECT_EQ(next("TZ=America/New_York 30 1 * * *", first, "America/New_York"), "2026-11-02 01:30:00 -0500");
  // Hourly: 01:00 EDT, then 02:00 EST; not 01:00 EST again.
  TimeNs one = at("America/New_York", 2026, 11, 1, 1, 0);
  EXPECT_EQ(next("TZ=America/New_York 0 * * * *", one, "America/New_York"), "2026-11-01 02:00:00 -0500");
  // Asked from inside the second pass of the hour.
  TimeNs second_pass = first + 3600 * kNs;
  EXPECT_EQ(local("America/New_York", second_pass), "2026-11-01 01:30:00 -0500");
  EXPECT_EQ(next("TZ=America/New_York */20 * * * *", second_pass, "America/New_York"),
            "2026-11-01 02:00:00 -0500");
}

TEST(CronNext, NeverFiringExpressionReturnsNothing) {
  EXPECT_EQ(next("0 0 30 2 *", utc(2026, 1, 1, 0, 0)), "never");
  EXPECT_EQ(next("0 0 29 2 *", utc(2026, 3, 1, 0, 0)), "2028-02-29 00:00:00 +0000");
}

TEST(CronNext, FractionalAfterStillMovesStrictlyForward) {
  TimeNs t = utc(2026, 1, 1, 0, 0, 1) + 500000000;
  EXPECT_EQ(next("* * * * * *", t), "2026-01-01 00:00:02 +0000");
}

TEST(CronErrors, NameTheFieldColumnAndReason) {
  EXPECT_EQ(error_of("0 1 32 * *"), "field 3 (day of month) at column 5: 32 is out of range 1-31");
  EXPECT_EQ(error_of("0 0 1 32 * *"), "field 4 (day of month) at column 7: 32 is out of range 1-31");
  EXPECT_EQ(error_of("0 1 * FOO *"), "field 4 (month) at column 7: \"FOO\" is not a month name");
  EXPECT_EQ(error_of("0 1 * * 1,,2"), "field 5 (day of week) at column 11: an empty list item");
  EXPECT_EQ(error_of("*/0 * * * *"),
            "field 1 (minute) at column 1: step \"0\" must be a number from 1 to 59");
  EXPECT_EQ(error_of("0 5-2 * * *"), "field 2 (hour) at column 3: range 5-2 ends before it starts");
  EXPECT_EQ(error_of("? * * * *"),
            "field 1 (minute) at column 1: '?' is only allowed in day of month and day of week");
  EXPECT_EQ(error_of("1x * * * *"), "field 1 (minute) at column 1: \"1x\" is not a number");
  EXPECT_EQ(error_of("0 1 * *"),
            "the schedule has 4 fields; give 5 (minute hour day-of-month month day-of-week) or 6 (seconds "
            "first), e.g. \"0 1 * * *\"");
  EXPECT_NE(error_of("CRON_TZ=Mars/Olympus 0 1 * * *").find("unknown time zone \"Mars/Olympus\""),
            std::string::npos);
  EXPECT_NE(error_of("@fortnightly").find("is not a descriptor"), std::string::npos);
  EXPECT_NE(error_of("@every 10x").find("column 8: \"10x\" is not a duration"), std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
}

TEST(Duration, ParsesVeleroAndDayForms) {
  EXPECT_EQ(*parse_duration("720h"), 720 * 3600);
  EXPECT_EQ(*parse_duration("720h0m0s"), 720 * 3600);
  EXPECT_EQ(*parse_duration("30d"), 30 * 86400);
  EXPECT_EQ(*parse_duration("1h30m"), 5400);
  EXPECT_EQ(format_duration_spec(720 * 3600), "720h0m0s");
  EXPECT_EQ(format_duration_spec(90), "1m30s");
  for (const char* bad : {"", "h", "10", "-5m", "5 m", "1.5h", "0s", "5w"})
    EXPECT_FALSE(parse_duration(bad).is_ok()) << bad;
}

}  // namespace
}  // namespace cairn
