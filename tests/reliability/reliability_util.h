// Helpers shared by the reliability tests: running the real binary with a
// SIGKILL deadline, reading files, and finding what a restore left behind.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace cairn {

struct KilledRun {
  bool killed = false;  // still running when SIGKILL was sent
  int exit_code = -1;   // when it exited by itself; -1 when a signal ended it
  double seconds = 0;   // from start to end
};

// Runs argv (stdin, stdout and stderr on /dev/null) with env overrides (an
// empty value unsets) and SIGKILLs it after delay_seconds unless it has
// exited by then.
inline KilledRun run_and_kill(const std::vector<std::string>& argv,
                              const std::map<std::string, std::string>& env, double delay_seconds) {
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    for (const auto& [k, v] : env) v.empty() ? unsetenv(k.c_str()) : setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  KilledRun r;
  if (pid < 0) return r;
  auto deadline = start + std::chrono::duration<double>(delay_seconds);
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// The bytes of a file; empty if it cannot be read.
inline std::string read_whole_file(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st {};
  if (fstat(fd, &st) == 0) out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  close(fd);
  return out;
}

// A restore's temp file (".name.cairn-tmp-<hex>") or a backend's (".tmp-<hex>").
inline bool is_temp_name(const std::string& name) {
  return name.find(".cairn-tmp-") != std::string::npos || name.rfind(".tmp-", 0) == 0;
}

// Paths (relative to root) of the regular files under root, temp files included.
inline std::vector<std::string> regular_files_under(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(root, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec))
    if (e.is_regular_file(ec)) out.push_back(std::filesystem::relative(e.path(), root, ec).string());
  return out;
}

inline std::vector<std::string> temp_files_under(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& f : regular_files_under(root))
    if (is_temp_name(std::filesystem::path(f).filename().string())) out.push_back(f);
  return out;
}

}  // namespace cairn
