#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "common/clock.h"

namespace cairn {

ProgressPrinter::ProgressPrinter(bool enabled, std::function<std::string(double)> line)
    : line_(std::move(line)), terminal_(isatty(STDERR_FILENO)), start_(monotonic_seconds()) {
  if (enabled) thread_ = std::thread([this] { loop(); });
}

ProgressPrinter::~ProgressPrinter() { stop(); }

void ProgressPrinter::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    if (terminal_) std::fprintf(stderr, "\r\033[K");
  }
}

void ProgressPrinter::loop() {
  auto interval = terminal_ ? std::chrono::milliseconds(250) : std::chrono::seconds(10);
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval, [&] { return stopping_; })) {
    std::string l = line_(monotonic_seconds() - start_);
    if (terminal_)
      std::fprintf(stderr, "\r\033[K%s", l.c_str());
    else
      std::fprintf(stderr, "%s\n", l.c_str());
    std::fflush(stderr);
  }
}

}  // namespace cairn
