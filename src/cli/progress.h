// Progress of long operations: a redrawn status line on a terminal, a
// plain log line every few seconds otherwise (for logs of cron jobs and CI).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cairn {

class ProgressPrinter {
 public:
  // line() is called from the printer's thread and must be thread-safe.
  ProgressPrinter(bool enabled, std::function<std::string(double elapsed)> line);
  ~ProgressPrinter();  // stops and clears the line
  void stop();

 private:
  void loop();
  std::function<std::string(double)> line_;
  bool terminal_;
  double start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn
