// Cron parsing. The search for the next fire time is in cron_next.cpp.
#include "schedule/cron.h"

#include <cctz/time_zone.h>

#include <cctype>
#include <vector>

namespace cairn {

namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;                   // inclusive; day of week accepts 7 as Sunday
  const char* const* names;  // names[i] is value min+i, or nullptr
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldSpec kFields[] = {
    {"second", 0, 59, nullptr},       {"minute", 0, 59, nullptr},    {"hour", 0, 23, nullptr},
    {"day of month", 1, 31, nullptr}, {"month", 1, 12, kMonthNames}, {"day of week", 0, 7, kDayNames},
};
enum FieldIndex { kSecond, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };

struct Token {
  std::string_view text;
  size_t column;  // 1-based, in the whole expression
};

// Builds "field 3 (day of month) at column 7: <reason>"; field numbers are
// those of the expression as written (5-field expressions have no seconds).
class FieldError {
 public:
  FieldError(int index, bool has_seconds, size_t column)
      : number_(index + (has_seconds ? 1 : 0)), name_(kFields[index].name), column_(column) {}
  Status operator()(const std::string& reason) const {
    return invalid_argument("field " + std::to_string(number_) + " (" + name_ + ") at column " +
                            std::to_string(column_) + ": " + reason);
  }

 private:
  int number_;
  std::string name_;
  size_t column_;
};

Result<int> parse_value(std::string_view s, const FieldSpec& spec, const FieldError& err) {
  if (s.empty()) return err("a number is missing");
  if (spec.names != nullptr && std::isalpha(static_cast<unsigned char>(s[0]))) {
    std::string upper;
    for (char c : s) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    int count = spec.max - spec.min + 1 - (spec.max == 7 ? 1 : 0);
    for (int i = 0; i < count; ++i)
      if (upper == spec.names[i]) return spec.min + i;
    return err("\"" + std::string(s) + "\" is not a " + spec.name + " name");
  }
  int64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return err("\"" + std::string(s) + "\" is not a number");
    v = v * 10 + (c - '0');
    if (v > 1000000) break;
  }
  if (v < spec.min || v > spec.max)
    return err(std::string(s) + " is out of range " + std::to_string(spec.min) + "-" +
               std::to_string(spec.max));
  return static_cast<int>(v);
}

// One comma-separated item: *, ?, N, N-M, with an optional /STEP.
Status parse_item(std::string_view item, int index, const FieldError& err, std::vector<bool>& bits) {
  const FieldSpec& spec = kFields[index];
  if (item.empty()) return err("an empty list item");
  std::string_view range = item;
  int step = 1;
  size_t slash = item.find('/');
  if (slash != std::string_view::npos) {
    range = item.substr(0, slash);
    std::string_view step_text = item.substr(slash + 1);
    FieldSpec step_spec{spec.name, 1, spec.max, nullptr};
    Result<int> s = parse_value(step_text, step_spec, err);
    if (!s.is_ok()) {
      if (step_text.empty()) return err("the step after '/' is missing");
      return err("step \"" + std::string(step_text) + "\" must be a number from 1 to " +
                 std::to_string(spec.max));
    }
    step = *s;
  }
  int lo = spec.min;
  int hi = spec.max == 7 ? 6 : spec.max;
  if (range == "*" || range == "?") {
    if (range == "?" && index != kDayOfMonth && index != kDayOfWeek)
      return err("'?' is only allowed in day of month and day of week");
  } else {
    size_t dash = range.find('-');
    CAIRN_ASSIGN_OR_RETURN(lo, parse_value(range.substr(0, dash), spec, err));
    if (dash != std::string_view::npos) {
      CAIRN_ASSIGN_OR_RETURN(hi, parse_value(range.substr(dash + 1), spec, err));
      if (hi < lo) return err("range " + std::string(range) + " ends before it starts");
    } else if (slash == std::string_view::npos) {
      hi = lo;
    }
    // "N/S" runs from N to the end of the field, as robfig/cron reads it.
  }
  for (int v = lo; v <= hi; v += step) bits[v == 7 && index == kDayOfWeek ? 0 : v] = true;
  return Status::ok();
}

Status parse_field(const Token& token, int index, bool has_seconds, CronExpression& out) {
  std::vector<bool> bits(64, false);
  size_t start = 0;
  while (true) {
    size_t comma = token.text.find(',', start);
    std::string_view item = token.text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    FieldError err(index, has_seconds, token.column + start);
    CAIRN_RETURN_IF_ERROR(parse_item(item, index, err, bits));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  // Vixie cron marks a day field "star" when it starts with '*'; so does a
  // leading '?' (Quartz's "no specific value").
  bool leading_star = token.text[0] == '*' || token.text[0] == '?';
  auto copy = [&](auto& set) {
    for (size_t i = 0; i < set.size(); ++i) set[i] = bits[i];
  };
  switch (index) {
    case kSecond: copy(out.seconds); break;
    case kMinute: copy(out.minutes); break;
    case kHour: copy(out.hours); break;
    case kDayOfMonth:
      copy(out.days_of_month);
      out.day_of_month_star = leading_star;
      break;
    case kMonth: copy(out.months); break;
    case kDayOfWeek:
      copy(out.days_of_week);
      out.day_of_week_star = leading_star;
      break;
  }
  return Status::ok();
}

std::vector<Token> split_fields(std::string_view text, size_t offset) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back({text.substr(start, i - start), offset + start + 1});
  }
  return out;
}

const char* descriptor_fields(std::string_view d) {
  if (d == "@yearly" || d == "@annually") return "0 0 1 1 *";
  if (d == "@monthly") return "0 0 1 * *";
  if (d == "@weekly") return "0 0 * * 0";
  if (d == "@daily" || d == "@midnight") return "0 0 * * *";
  if (d == "@hourly") return "0 * * * *";
  return nullptr;
}

}  // namespace

Result<CronExpression> parse_cron(std::string_view text, std::string_view time_zone) {
  CronExpression out;
  out.text = std::string(text);
  if (!time_zone.empty()) out.time_zone = std::string(time_zone);
  std::vector<Token> tokens = split_fields(text, 0);
  if (tokens.empty())
    return invalid_argument("the schedule is empty: give 5 or 6 fields, e.g. \"0 1 * * *\"");

  // CRON_TZ=Zone or TZ=Zone in front, as robfig/cron and cronie accept.
  for (std::string_view prefix : {"CRON_TZ=", "TZ="}) {
    if (tokens[0].text.substr(0, prefix.size()) == prefix) {
      out.time_zone = std::string(tokens[0].text.substr(prefix.size()));
      if (out.time_zone.empty())
        return invalid_argument("column " + std::to_string(tokens[0].column) + ": " + std::string(prefix) +
                                " names no time zone");
      tokens.erase(tokens.begin());
      break;
    }
  }
  cctz::time_zone tz;
  if (!cctz::load_time_zone(out.time_zone, &tz))
    return invalid_argument("unknown time zone \"" + out.time_zone +
                            "\": use an IANA name such as UTC or Europe/Oslo");
  if (tokens.empty()) return invalid_argument("the schedule has a time zone but no fields");

  if (tokens[0].text[0] == '@') {
    if (tokens[0].text == "@every") {
      if (tokens.size() != 2)
        return invalid_argument("column " + std::to_string(tokens[0].column) +
                                ": @every takes one duration, e.g. \"@every 90m\"");
      Result<int64_t> d = parse_duration(tokens[1].text);
      if (!d.is_ok())
        return invalid_argument("column " + std::to_string(tokens[1].column) + ": " + d.status().message());
      out.every_seconds = *d;
      return out;
    }
    const char* fields = descriptor_fields(tokens[0].text);
    if (fields == nullptr || tokens.size() != 1)
      return invalid_argument("column " + std::to_string(tokens[0].column) + ": \"" +
                              std::string(tokens[0].text) +
                              "\" is not a descriptor (@yearly, @annually, @monthly, @weekly, @daily, "
                              "@midnight, @hourly or @every DURATION)");
    Result<CronExpression> expanded = parse_cron(fields, out.time_zone);
    if (!expanded.is_ok()) return expanded.status();
    expanded->text = out.text;
    return expanded;
  }

  if (tokens.size() != 5 && tokens.size() != 6)
    return invalid_argument("the schedule has " + std::to_string(tokens.size()) +
                            " fields; give 5 (minute hour day-of-month month day-of-week) or 6 (seconds "
                            "first), e.g. \"0 1 * * *\"");
  out.has_seconds = tokens.size() == 6;
  int first = out.has_seconds ? kSecond : kMinute;
  if (!out.has_seconds) out.seconds[0] = true;
  for (size_t i = 0; i < tokens.size(); ++i)
    CAIRN_RETURN_IF_ERROR(parse_field(tokens[i], first + static_cast<int>(i), out.has_seconds, out));
  return out;
}

bool cron_matches(const CronExpression& c, int, int month, int day, int weekday, int hour, int minute,
                  int second) {
  if (!c.seconds[second] || !c.minutes[minute] || !c.hours[hour] || !c.months[month]) return false;
  bool dom = c.days_of_month[day];
  bool dow = c.days_of_week[weekday];
  if (c.day_of_month_star || c.day_of_week_star) return dom && dow;
  return dom || dow;
}

}  // namespace cairn
