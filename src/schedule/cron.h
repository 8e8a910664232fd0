// Cron expressions and when they fire next.
//
// A CronExpression is a parsed schedule: either calendar fields (second,
// minute, hour, day of month, month, day of week) evaluated in one time
// zone, or a fixed interval (`@every 90m`). next_run() is a pure function of
// the expression and an instant; nothing here reads the clock.
//
// Accepted text (as Vixie cron, robfig/cron and Quartz-style operators use it):
//   5 fields   "MIN HOUR DOM MON DOW"             "0 1 * * *"
//   6 fields   "SEC MIN HOUR DOM MON DOW"         "0 */3 * * * ?"
//   per field  *  ?  N  N-M  */S  N-M/S  N/S  lists "1,15,30-40/2"
//   names      JAN-DEC for months, SUN-SAT for days of week (any case);
//              day of week 7 is Sunday too
//   `?`        only in day of month and day of week; means `*`
//   descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly
//              and "@every DURATION" (DURATION as parse_duration accepts)
//   time zone  a "CRON_TZ=Europe/Oslo " or "TZ=Europe/Oslo " prefix, else the
//              time_zone argument of parse_cron, else UTC
//
// Day of month and day of week follow Vixie cron: when either field starts
// with `*` (or is `?`) a day must match both; when both are restricted, a
// day matching either fires ("0 0 1,15 * MON" runs on the 1st, the 15th and
// every Monday).
//
// Daylight-saving changes follow Vixie cron's rule for fixed-time jobs:
//   - a local time skipped by a spring-forward change fires at the first
//     instant after the gap (02:30 in a 02:00->03:00 gap fires at 03:00);
//   - a local time that occurs twice in an autumn change fires once, at its
//     first occurrence; this holds for `*` hours too (an hourly job does
//     not run a second time in the repeated hour).
// `@every` intervals are absolute durations and ignore time zones.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace cairn {

struct CronExpression {
  std::string text;               // as given, for messages and storage
  std::string time_zone = "UTC";  // IANA name
  bool has_seconds = false;       // 6 fields were given
  int64_t every_seconds = 0;      // > 0: "@every", the calendar fields are unused

  std::bitset<60> seconds;
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bit 0 unused
  std::bitset<13> months;         // bit 0 unused
  std::bitset<7> days_of_week;    // 0 = Sunday
  bool day_of_month_star = false;
  bool day_of_week_star = false;
};

// Parses text; an error says which field, at which column (1-based, in
// text) and why: "field 3 (day of month) at column 7: 32 is out of range 1-31".
// time_zone (IANA name, empty = UTC) applies unless text has a CRON_TZ= prefix.
Result<CronExpression> parse_cron(std::string_view text, std::string_view time_zone = "");

// True when the civil date and time (in the expression's zone) matches the
// calendar fields, with the day-of-month/day-of-week rule above.
bool cron_matches(const CronExpression& cron, int year, int month, int day, int weekday, int hour, int minute,
                  int second);

// The first instant strictly after `after` at which the expression fires,
// whole seconds. nullopt when it never fires again (e.g. "0 0 30 2 *"), looked
// for up to 10 years ahead. For "@every D" it is after + D.
std::optional<TimeNs> next_run(const CronExpression& cron, TimeNs after);

// Parses a duration: a sequence of <number><unit> with units d, h, m, s
// ("720h", "30d", "1h30m", "90s", Velero's "720h0m0s"). Returns seconds > 0.
Result<int64_t> parse_duration(std::string_view text);
// As Go and Velero print durations: 2592000 -> "720h0m0s", 90 -> "1m30s", 5 -> "5s".
std::string format_duration_spec(int64_t seconds);

}  // namespace cairn
