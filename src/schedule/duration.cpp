// Durations as Velero and Go write them ("720h0m0s", "1h30m") plus days ("30d").
#include <cctype>
#include <limits>

#include "schedule/cron.h"

namespace cairn {

Result<int64_t> parse_duration(std::string_view text) {
  auto bad = [&] {
    return invalid_argument(
        "\"" + std::string(text) +
        "\" is not a duration: use numbers with units d, h, m or s, e.g. 720h, 30d, 1h30m");
  };
  if (text.empty()) return bad();
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > std::numeric_limits<int32_t>::max()) return bad();
      ++i;
    }
    if (i == start || i == text.size()) return bad();
    int64_t unit = 0;
    switch (text[i]) {
      case 'd': unit = 86400; break;
      case 'h': unit = 3600; break;
      case 'm': unit = 60; break;
      case 's': unit = 1; break;
      default: return bad();
    }
    ++i;
    total += n * unit;
    if (total > int64_t{100} * 366 * 86400)
      return invalid_argument("duration \"" + std::string(text) + "\" is longer than 100 years");
  }
  if (total <= 0) return invalid_argument("duration \"" + std::string(text) + "\" must be longer than zero");
  return total;
}

std::string format_duration_spec(int64_t seconds) {
  int64_t h = seconds / 3600;
  int64_t m = seconds % 3600 / 60;
  int64_t s = seconds % 60;
  if (h > 0) return std::to_string(h) + "h" + std::to_string(m) + "m" + std::to_string(s) + "s";
  if (m > 0) return std::to_string(m) + "m" + std::to_string(s) + "s";
  return std::to_string(s) + "s";
}

}  // namespace cairn
