// TmpfsMount: a small tmpfs for tests of "the disk is full". Mounting needs
// root (CAP_SYS_ADMIN); when it is refused, mounted() is false and error()
// says why, so the test can GTEST_SKIP with that reason.
#pragma once

#include <cstdint>
#include <string>

#include "support/temp_dir.h"

namespace cairn {

class TmpfsMount {
 public:
  // Mounts a tmpfs holding at most `bytes` of file data at a new folder.
  explicit TmpfsMount(uint64_t bytes);
  // Unmounts (lazily, so an open file cannot keep it mounted) before the folder is removed.
  ~TmpfsMount();

  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  TempDir dir_;  // declared first: outlives the mount
  std::string path_;
  std::string error_;
  bool mounted_ = false;
};

}  // namespace cairn
