#include "support/tmpfs_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace cairn {

TmpfsMount::TmpfsMount(uint64_t bytes) : path_(dir_.path() + "/tmpfs") {
  if (::mkdir(path_.c_str(), 0700) != 0) {
    error_ = "mkdir " + path_ + ": " + std::strerror(errno);
    return;
  }
  const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
  if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    error_ = "cannot mount a tmpfs (needs root): " + std::string(std::strerror(errno));
    return;
  }
  mounted_ = true;
}

TmpfsMount::~TmpfsMount() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

}  // namespace cairn
