// ChildCommand: a shell command whose standard output a stream backup
// reads. Internal to source/fs (stream_backup.cpp).
//
// The command runs under /bin/sh -c with cairn's standard input and
// environment. Its standard output is a pipe read by the caller; its
// standard error goes on to cairn's standard error as it comes, and its
// last lines are kept so that a failure can be explained in one message.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace cairn {

class ChildCommand {
 public:
  // Starts `command`; fails if the shell cannot be started.
  static Result<std::unique_ptr<ChildCommand>> start(const std::string& command);
  ~ChildCommand();  // a command not finished yet is stopped (SIGTERM) and reaped

  int stdout_fd() const { return stdout_fd_; }

  // Closes the read end, waits for the command and says how it ended: ok
  // only for exit status 0. The error names the command, its exit status or
  // signal and the last lines it wrote to standard error. Call once.
  Status finish();

  // For a backup that failed on cairn's side: stops the command (closes
  // its output, sends SIGTERM) and reaps it.
  void stop();

 private:
  ChildCommand(std::string command, pid_t pid, int stdout_fd, int stderr_fd);
  void drain_stderr(int fd);
  std::string stderr_tail();
  int wait_child();

  std::string command_;
  pid_t pid_;
  int stdout_fd_;
  std::thread stderr_reader_;
  std::mutex tail_mu_;
  std::string tail_;  // the last kTailBytes of standard error
  bool reaped_ = false;
};

}  // namespace cairn
