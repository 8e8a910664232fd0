#include "common/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace cairn {

namespace {
class SystemClock : public Clock {
 public:
  TimeNs now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};
}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static std::tm utc_tm(TimeNs t) {
  time_t secs = static_cast<time_t>(t / 1000000000);
  if (t < 0 && t % 1000000000) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

std::string format_rfc3339(TimeNs t) {
  std::tm tm = utc_tm(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_human_time(TimeNs t) {
  std::tm tm = utc_tm(t);
  char buf[48];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

std::string format_duration(double s) {
  // Clamped so the int conversions below are defined for any stored times
  // (negative, NaN or centuries long: found by fuzz/snapshot_fuzz).
  if (!(s > 0)) s = 0;
  if (s > 1e9) s = 1e9;  // about 31 years; h * 3600 below must fit an int
  char buf[48];
  if (s < 1) {
    std::snprintf(buf, sizeof buf, "%dms", static_cast<int>(s * 1000 + 0.5));
  } else if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    int m = static_cast<int>(s / 60);
    std::snprintf(buf, sizeof buf, "%dm%02ds", m, static_cast<int>(s - m * 60));
  } else {
    int h = static_cast<int>(s / 3600);
    int m = static_cast<int>((s - h * 3600) / 60);
    std::snprintf(buf, sizeof buf, "%dh%02dm", h, m);
  }
  return buf;
}

std::string format_size(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

}  // namespace cairn
