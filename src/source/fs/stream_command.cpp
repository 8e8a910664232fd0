#include "source/fs/stream_command.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace cairn {

namespace {
constexpr size_t kTailBytes = 4096;
constexpr size_t kTailLines = 5;

void close_pipe(int fds[2]) {
  if (fds[0] >= 0) close(fds[0]);
  if (fds[1] >= 0) close(fds[1]);
}

// The last few non-empty lines of `text`, joined with " / " so that the
// failure stays one sentence.
std::string last_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
    pos = end + 1;
  }
  if (lines.size() > kTailLines) lines.erase(lines.begin(), lines.end() - kTailLines);
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : " / ") + l;
  return out;
}
}  // namespace

Result<std::unique_ptr<ChildCommand>> ChildCommand::start(const std::string& command) {
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return errno_status(errno, "cannot create a pipe for the command");
  if (pipe2(err, O_CLOEXEC) != 0) {
    Status s = errno_status(errno, "cannot create a pipe for the command");
    close_pipe(out);
    return s;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  // The command starts with default signal handling, whatever cairn ignores:
  // a dump writer must die of SIGPIPE if cairn stops reading.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::string shell = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {shell.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return errno_status(rc, "cannot start /bin/sh to run the command");
  }
  return std::unique_ptr<ChildCommand>(new ChildCommand(command, pid, out[0], err[0]));
}

ChildCommand::ChildCommand(std::string command, pid_t pid, int stdout_fd, int stderr_fd)
    : command_(std::move(command)), pid_(pid), stdout_fd_(stdout_fd) {
  stderr_reader_ = std::thread([this, stderr_fd] { drain_stderr(stderr_fd); });
}

ChildCommand::~ChildCommand() { stop(); }

void ChildCommand::drain_stderr(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    // Passed on as it comes: the command's own warnings and progress.
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = write(STDERR_FILENO, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      off += w;
    }
    std::lock_guard<std::mutex> lock(tail_mu_);
    tail_.append(buf, static_cast<size_t>(n));
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  }
  close(fd);
}

std::string ChildCommand::stderr_tail() {
  std::lock_guard<std::mutex> lock(tail_mu_);
  return last_lines(tail_);
}

int ChildCommand::wait_child() {
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  // The command has exited; its stderr pipe ends when the last process
  // holding it (a background grandchild, rarely) lets go.
  if (stderr_reader_.joinable()) stderr_reader_.join();
  return status;
}

Status ChildCommand::finish() {
  int status = wait_child();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  std::string how;
  if (WIFEXITED(status)) {
    how = "exited with status " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    how =
        "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  } else {
    how = "ended abnormally";
  }
  std::string tail = stderr_tail();
  return io_error("the command \"" + command_ + "\" " + how +
                  (tail.empty() ? "; it wrote nothing to standard error"
                                : "; the last lines of its standard error: " + tail));
}

void ChildCommand::stop() {
  if (reaped_) return;
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  kill(pid_, SIGTERM);
  (void)wait_child();
}

}  // namespace cairn
