#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace cairn {

namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mutex;

void emit(LogLevel level, const char* prefix, const std::string& message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "%s%s\n", prefix, message.c_str());
}
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }
void log_debug(const std::string& m) { emit(LogLevel::kDebug, "debug: ", m); }
void log_info(const std::string& m) { emit(LogLevel::kInfo, "", m); }
void log_warning(const std::string& m) { emit(LogLevel::kWarning, "warning: ", m); }
void log_error(const std::string& m) { emit(LogLevel::kError, "error: ", m); }

}  // namespace cairn
