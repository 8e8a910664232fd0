#include "schedule/retention.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <functional>

namespace cairn {

namespace {

struct Rule {
  const char* name;
  int count;
  std::function<std::string(const cctz::civil_second&)> bucket;
};

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// ISO 8601 week: the week belongs to the year of its Thursday.
std::string iso_week(const cctz::civil_second& t) {
  cctz::civil_day d(t);
  int since_monday = (static_cast<int>(cctz::get_weekday(d)) + 7) % 7;  // cctz: monday = 0
  cctz::civil_day thursday = d - since_monday + 3;
  int week = static_cast<int>((cctz::get_yearday(thursday) - 1) / 7 + 1);
  return std::to_string(thursday.year()) + "-W" + two(week);
}

}  // namespace

std::vector<RetentionDecision> decide_retention(std::vector<RetentionCandidate> candidates,
                                                const RetentionPolicy& policy, TimeNs now) {
  // Newest first; the name breaks ties so the result does not depend on input order.
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.time != b.time ? a.time > b.time : a.name > b.name;
  });
  auto ymd = [](const cctz::civil_second& t) {
    return std::to_string(t.year()) + "-" + two(t.month()) + "-" + two(t.day());
  };
  std::vector<Rule> rules = {
      {"last", policy.keep_last, nullptr},
      {"hourly", policy.keep_hourly, [&](const auto& t) { return ymd(t) + " " + two(t.hour()) + "h"; }},
      {"daily", policy.keep_daily, ymd},
      {"weekly", policy.keep_weekly, iso_week},
      {"monthly", policy.keep_monthly,
       [](const auto& t) { return std::to_string(t.year()) + "-" + two(t.month()); }},
      {"yearly", policy.keep_yearly, [](const auto& t) { return std::to_string(t.year()); }},
  };
  std::vector<int> left(rules.size());
  std::vector<std::string> last_bucket(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) left[r] = rules[r].count;

  std::vector<RetentionDecision> out;
  for (const RetentionCandidate& c : candidates) {
    RetentionDecision d;
    d.name = c.name;
    d.time = c.time;
    cctz::civil_second civil = cctz::convert(
        cctz::time_point<cctz::seconds>(cctz::seconds(c.time / 1000000000)), cctz::utc_time_zone());
    for (size_t r = 0; r < rules.size(); ++r) {
      if (left[r] <= 0) continue;
      if (rules[r].bucket == nullptr) {  // keep-last: every backup is its own bucket
        d.reasons.push_back(std::string(rules[r].name) + " " + std::to_string(rules[r].count - left[r] + 1));
        --left[r];
        continue;
      }
      std::string bucket = rules[r].bucket(civil);
      if (bucket == last_bucket[r]) continue;
      last_bucket[r] = bucket;
      d.reasons.push_back(std::string(rules[r].name) + " " + std::to_string(rules[r].count - left[r] + 1) +
                          " (" + bucket + ")");
      --left[r];
    }
    d.keep = !policy.has_count_rules() || !d.reasons.empty();
    if (c.expires != 0 && c.expires <= now) {
      d.keep = false;
      d.reasons = {"expired " + format_rfc3339(c.expires)};
    } else if (!d.keep) {
      d.reasons = {"no rule keeps it"};
    } else if (d.reasons.empty()) {
      d.reasons = {"no count rule given"};
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace cairn
