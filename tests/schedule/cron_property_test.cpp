// Property test: next_run agrees with a brute-force walk over every minute
// (5 fields, two years) or every second (6 fields, two days around each
// daylight-saving change and one ordinary span) of random expressions in
// several time zones.
//
// The walk knows nothing of next_run's search. It steps through instants,
// converts each to local time with CCTZ and fires when that local time
// matches and was not seen before (a repeated hour fires once), or when the
// step jumped over a matching local time (a spring-forward gap fires at its
// end). The expected sets of each field come from the generator, not from
// the parser, so the parser is checked too.
//
// CAIRN_CRON_PROPERTY_ITERATIONS sets the number of expressions per zone.
#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>
#include <vector>

#include "schedule/cron.h"

namespace cairn {
namespace {

constexpr int64_t kNs = 1000000000;
using Seconds = cctz::time_point<cctz::seconds>;

const char* const kZones[] = {
    "UTC", "Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu"};

int iterations() {
  if (const char* v = std::getenv("CAIRN_CRON_PROPERTY_ITERATIONS")) return std::max(1, std::atoi(v));
#if defined(__SANITIZE_ADDRESS__)
  return 4;
#else
  return 12;
#endif
}

// One field of a random expression: its text and the values it selects.
struct Field {
  std::string text;
  std::vector<bool> set;
  bool star = false;  // text starts with '*' or '?'
};

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                               "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // sparse: never `*` alone, so that the walk stays cheap (minute fields).
  Field field(int lo, int hi, bool sparse, const char* const* names = nullptr, bool question = false) {
    Field f;
    f.set.assign(hi + 1, false);
    int kind = uniform(sparse ? 1 : 0, 6);
    auto value = [&](int v) {
      if (names != nullptr && uniform(0, 2) == 0) return std::string(names[v - lo]);
      return std::to_string(v);
    };
    if (kind == 0) {
      f.text = question && uniform(0, 1) ? "?" : "*";
      f.star = true;
      std::fill(f.set.begin() + lo, f.set.end(), true);
    } else if (kind == 1) {
      int step = uniform(std::max(2, (hi - lo) / 4), std::max(2, hi - lo));
      f.text = "*/" + std::to_string(step);
      f.star = true;
      for (int v = lo; v <= hi; v += step) f.set[v] = true;
    } else if (kind == 2 || kind == 3) {  // a list of 1-3 values
      int n = uniform(1, 3);
      for (int i = 0; i < n; ++i) {
        int v = uniform(lo, hi);
        f.text += (i ? "," : "") + value(v);
        f.set[v] = true;
      }
    } else if (kind == 4) {
      int a = uniform(lo, hi), b = uniform(a, std::min(hi, a + (sparse ? 3 : hi)));
      f.text = value(a) + "-" + value(b);
      for (int v = a; v <= b; ++v) f.set[v] = true;
    } else if (kind == 5) {
      int a = uniform(lo, hi), b = uniform(a, hi), step = uniform(2, std::max(2, (hi - lo) / 2));
      f.text = std::to_string(a) + "-" + std::to_string(b) + "/" + std::to_string(step);
      for (int v = a; v <= b; v += step) f.set[v] = true;
    } else {
      int a = uniform(lo, hi), step = uniform(std::max(2, (hi - lo) / 3), std::max(2, hi - lo));
      f.text = std::to_string(a) + "/" + std::to_string(step);
      for (int v = a; v <= hi; v += step) f.set[v] = true;
    }
    return f;
  }

 private:
  std::mt19937 rng_;
};

struct Expected {
  std::string text;
  Field sec, min, hour, dom, mon, dow;
  bool matches(const cctz::civil_second& c) const {
    if (!sec.set[c.second()] || !min.set[c.minute()] || !hour.set[c.hour()] || !mon.set[c.month()])
      return false;
    int wd = (static_cast<int>(cctz::get_weekday(cctz::civil_day(c))) + 1) % 7;  // cctz: monday = 0
    bool d = dom.set[c.day()], w = dow.set[wd];
    return dom.star || dow.star ? d && w : d || w;
  }
};

Expected random_expression(Generator& g, bool with_seconds) {
  Expected e;
  if (with_seconds) {
    e.sec = g.field(0, 59, true);
  } else {
    e.sec.set.assign(60, false);
    e.sec.set[0] = true;
  }
  e.min = g.field(0, 59, true);
  e.hour = g.field(0, 23, false);
  e.dom = g.field(1, 31, false, nullptr, true);
  e.mon = g.field(1, 12, false, kMonths);
  e.dow = g.field(0, 6, false, kDays, true);
  e.text = (with_seconds ? e.sec.text + " " : "") + e.min.text + " " + e.hour.text + " " + e.dom.text + " " +
           e.mon.text + " " + e.dow.text;
  return e;
}

// Fire instants in (from, to] by walking every `step` seconds.
std::vector<int64_t> brute_force(const Expected& e, const cctz::time_zone& tz, int64_t from, int64_t to,
                                 int64_t step) {
  std::vector<int64_t> out;
  cctz::civil_second seen = cctz::convert(Seconds(cctz::seconds(from)), tz);
  for (int64_t t = from + step; t <= to; t += step) {
    cctz::civil_second c = cctz::convert(Seconds(cctz::seconds(t)), tz);
    bool fire = c > seen && e.matches(c);
    // Jumped over local times (a gap): they fire now.
    for (cctz::civil_second skipped = seen + step; !fire && skipped < c && c - seen > step; skipped += step)
      fire = e.matches(skipped);
    if (fire) out.push_back(t);
    if (c > seen) seen = c;
  }
  return out;
}

// Checks next_run against the walk: chained from each fire, and from
// random instants in between.
void compare(const Expected& e, const char* zone, int64_t from, int64_t to, const std::vector<int64_t>& fires,
             Generator& g) {
  Result<CronExpression> parsed = parse_cron(e.text, zone);
  ASSERT_TRUE(parsed.is_ok()) << e.text << ": " << parsed.status().message();
  SCOPED_TRACE(std::string(zone) + " \"" + e.text + "\"");
  int64_t prev = from;
  for (int64_t expected : fires) {
    std::optional<TimeNs> n = next_run(*parsed, prev * kNs);
    ASSERT_TRUE(n.has_value()) << "after " << prev;
    ASSERT_EQ(*n / kNs, expected) << "after " << prev;
    prev = expected;
  }
  std::optional<TimeNs> beyond = next_run(*parsed, prev * kNs);
  if (beyond) {
    ASSERT_GT(*beyond / kNs, to) << "after " << prev;
  }
  for (int i = 0; i < 200; ++i) {
    int64_t t = from + static_cast<int64_t>(g.uniform(0, 1 << 30)) % (to - from);
    auto it = std::upper_bound(fires.begin(), fires.end(), t);
    if (it == fires.end()) continue;
    std::optional<TimeNs> n = next_run(*parsed, t * kNs + 123);
    ASSERT_TRUE(n.has_value());
    ASSERT_EQ(*n / kNs, *it) << "after " << t;
  }
}

int64_t utc_seconds(int y, int m, int d) {
  return cctz::convert(cctz::civil_second(y, m, d, 0, 0, 0), cctz::utc_time_zone())
      .time_since_epoch()
      .count();
}

TEST(CronProperty, FiveFieldNextRunMatchesAMinuteWalkOverTwoYears) {
  int64_t from = utc_seconds(2026, 1, 1), to = utc_seconds(2028, 1, 1);
  Generator g(20261122);
  size_t total_fires = 0;
  for (const char* zone : kZones) {
    cctz::time_zone tz;
    ASSERT_TRUE(cctz::load_time_zone(zone, &tz)) << zone;
    for (int i = 0; i < iterations(); ++i) {
      Expected e = random_expression(g, false);
      std::vector<int64_t> fires = brute_force(e, tz, from, to, 60);
      total_fires += fires.size();
      compare(e, zone, from, to, fires, g);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(total_fires, 0u);
}

TEST(CronProperty, SixFieldNextRunMatchesASecondWalkAroundEveryDstChange) {
  Generator g(4711);
  int64_t from = utc_seconds(2026, 1, 1), to = utc_seconds(2028, 1, 1);
  for (const char* zone : kZones) {
    cctz::time_zone tz;
    ASSERT_TRUE(cctz::load_time_zone(zone, &tz));
    // Windows of two days around each change, plus one ordinary week.
    std::vector<std::pair<int64_t, int64_t>> windows = {{utc_seconds(2026, 6, 10), utc_seconds(2026, 6, 17)}};
    cctz::time_zone::civil_transition tr;
    for (Seconds p{cctz::seconds(from)}; tz.next_transition(p, &tr);) {
      p = tz.lookup(tr.to).trans;
      int64_t s = p.time_since_epoch().count();
      if (s > to) break;
      windows.push_back({s - 86400, s + 86400});
    }
    for (int i = 0; i < iterations(); ++i) {
      Expected e = random_expression(g, true);
      for (auto [a, b] : windows) {
        compare(e, zone, a, b, brute_force(e, tz, a, b, 1), g);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(CronProperty, ZonesUnderTestReallyChangeOffsets) {
  // Guards the test itself: without zoneinfo every zone would be UTC.
  cctz::time_zone tz;
  ASSERT_TRUE(cctz::load_time_zone("Australia/Lord_Howe", &tz));
  cctz::time_zone::civil_transition tr;
  EXPECT_TRUE(tz.next_transition(Seconds(cctz::seconds(utc_seconds(2026, 1, 1))), &tr));
}

}  // namespace
}  // namespace cairn
