// The one place that reads the system clock. Code that needs "now" takes a
// Clock so that tests (and later the scheduler) can inject time.
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

// Nanoseconds since the Unix epoch, UTC.
using TimeNs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeNs now() const = 0;
};

// The real wall clock.
const Clock& system_clock();
// Monotonic seconds, for measuring durations only.
double monotonic_seconds();

// "2026-11-22T01:02:03Z" (RFC 3339, UTC, second precision).
std::string format_rfc3339(TimeNs t);
// "2026-11-22 01:02:03 +0000 UTC", as Velero prints timestamps.
std::string format_human_time(TimeNs t);
// "1m32s", "4.2s", "350ms".
std::string format_duration(double seconds);
// "1.3 GiB", "512 B".
std::string format_size(uint64_t bytes);

}  // namespace cairn
