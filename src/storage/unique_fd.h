// UniqueFd: owns a file descriptor and closes it on scope exit. Internal to
// the storage module; code that must see close(2)'s result (after writing)
// calls close() itself.
#pragma once

#include <unistd.h>

#include <cerrno>

namespace cairn {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);  // error ignored: only reached on paths that already failed or only read
    fd_ = -1;
  }
  // Closes and reports close(2)'s errno (0 on success): on NFS and some
  // filesystems a deferred write error appears only here.
  int close() { return ::close(release()) == 0 ? 0 : errno; }

 private:
  int fd_ = -1;
};

}  // namespace cairn
