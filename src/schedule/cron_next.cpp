// next_run: the search for the next matching local time, and the mapping of
// local times to instants across daylight-saving changes.
#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>

#include "schedule/cron.h"

namespace cairn {

namespace {

using Seconds = cctz::time_point<cctz::seconds>;
constexpr int64_t kNsPerSecond = 1000000000;
// Far enough for every expression that fires at all: Feb 29 on a given
// weekday and the century rule fit well within it.
constexpr int kSearchYears = 10;

int64_t floor_seconds(TimeNs t) {
  return t >= 0 ? t / kNsPerSecond : -((-t + kNsPerSecond - 1) / kNsPerSecond);
}

Seconds to_point(int64_t s) { return Seconds(cctz::seconds(s)); }
int64_t from_point(Seconds p) { return p.time_since_epoch().count(); }

int weekday_number(cctz::weekday w) {
  switch (w) {
    case cctz::weekday::sunday: return 0;
    case cctz::weekday::monday: return 1;
    case cctz::weekday::tuesday: return 2;
    case cctz::weekday::wednesday: return 3;
    case cctz::weekday::thursday: return 4;
    case cctz::weekday::friday: return 5;
    case cctz::weekday::saturday: return 6;
  }
  return 0;
}

bool day_matches(const CronExpression& c, const cctz::civil_day& d) {
  bool dom = c.days_of_month[d.day()];
  bool dow = c.days_of_week[weekday_number(cctz::get_weekday(d))];
  if (c.day_of_month_star || c.day_of_week_star) return dom && dow;
  return dom || dow;
}

// The first local time >= t matching every field, or nullopt past `limit`.
// Each step moves to the start of the next month, day, hour, minute or
// second, so the loop runs at most a few hundred times per year searched.
std::optional<cctz::civil_second> next_match(const CronExpression& c, cctz::civil_second t,
                                             cctz::civil_year limit) {
  while (cctz::civil_year(t) <= limit) {
    if (!c.months[t.month()]) {
      t = cctz::civil_second(cctz::civil_month(t) + 1);
      continue;
    }
    if (!day_matches(c, cctz::civil_day(t))) {
      t = cctz::civil_second(cctz::civil_day(t) + 1);
      continue;
    }
    if (!c.hours[t.hour()]) {
      t = cctz::civil_second(cctz::civil_hour(t) + 1);
      continue;
    }
    if (!c.minutes[t.minute()]) {
      t = cctz::civil_second(cctz::civil_minute(t) + 1);
      continue;
    }
    if (!c.seconds[t.second()]) {
      t += 1;
      continue;
    }
    return t;
  }
  return std::nullopt;
}

// When a local time fires: its only instant; the first of two in a
// repeated hour; the end of the gap (the transition) for a skipped time.
Seconds fire_instant(const cctz::time_zone& tz, const cctz::civil_second& t) {
  cctz::time_zone::civil_lookup l = tz.lookup(t);
  if (l.kind == cctz::time_zone::civil_lookup::SKIPPED) return l.trans;
  return l.pre;  // UNIQUE: all equal; REPEATED: pre is the earlier instant
}

}  // namespace

std::optional<TimeNs> next_run(const CronExpression& c, TimeNs after) {
  int64_t after_s = floor_seconds(after);
  if (c.every_seconds > 0) return (after_s + c.every_seconds) * kNsPerSecond;

  cctz::time_zone tz;
  if (!cctz::load_time_zone(c.time_zone, &tz)) return std::nullopt;  // parse_cron checked it
  // fire_instant is monotonic in local time, and every local time before
  // local(after) fires no later than `after`; so search forward from there
  // and skip the few matches that still fire too early (inside a repeated
  // hour, the whole first pass of that hour fired before `after`).
  Seconds after_point = to_point(after_s);
  cctz::civil_second start = cctz::convert(after_point, tz) + 1;
  cctz::time_zone::civil_lookup here = tz.lookup(start - 1);
  if (here.kind == cctz::time_zone::civil_lookup::REPEATED && after_point >= here.trans) {
    cctz::civil_second end_of_repeat = cctz::convert(here.trans - cctz::seconds(1), tz) + 1;
    if (end_of_repeat > start) start = end_of_repeat;
  }
  cctz::civil_year limit = cctz::civil_year(start) + kSearchYears;
  for (cctz::civil_second t = start;;) {
    std::optional<cctz::civil_second> match = next_match(c, t, limit);
    if (!match) return std::nullopt;
    Seconds fire = fire_instant(tz, *match);
    if (fire > after_point) return from_point(fire) * kNsPerSecond;
    t = *match + 1;
  }
}

}  // namespace cairn
