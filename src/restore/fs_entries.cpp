// Restoring the entries that are not regular files: symlinks, folders,
// hard links; and the final sync.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "restore/fs_util.h"
#include "restore/fs_writer.h"

namespace cairn {
namespace {

// Creates a symlink under a fresh temp name beside path; retries when a
// leftover has the same random name.
Result<std::string> symlink_beside(const std::string& target, const std::string& path) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(std::string temp, temp_path_beside(path));
    if (symlinkat(target.c_str(), AT_FDCWD, temp.c_str()) == 0) return temp;
    if (errno != EEXIST) return errno_status(errno, "creating symlink " + path);
  }
  return already_exists("creating a temp symlink beside " + path + ": every name tried exists");
}

Result<std::string> link_beside(const std::string& existing_path, const std::string& path) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(std::string temp, temp_path_beside(path));
    if (link(existing_path.c_str(), temp.c_str()) == 0) return temp;
    if (errno != EEXIST) return errno_status(errno, "creating hard link " + path + " to " + existing_path);
  }
  return already_exists("creating a temp hard link beside " + path + ": every name tried exists");
}

Status symlink_metadata(const std::string& temp, const std::string& path, const Node& node,
                        const RestoreOwnership& ownership) {
  if (ownership.restore_owner && lchown(temp.c_str(), node.uid, node.gid) != 0) {
    return errno_status(errno, "setting owner of symlink " + path);
  }
  struct timespec times[2];
  times_from_mtime(node.mtime_ns, times);
  if (utimensat(AT_FDCWD, temp.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno_status(errno, "setting times of symlink " + path);
  }
  return Status::ok();
}

}  // namespace

Status restore_symlink(const std::string& path, const Node& node, const RestoreOwnership& ownership) {
  // Owner and times go on the temp link, so the final name appears complete;
  // rename keeps a link's mtime.
  CAIRN_ASSIGN_OR_RETURN(std::string temp, symlink_beside(node.link_target, path));
  Status st = symlink_metadata(temp, path, node, ownership);
  if (st.is_ok()) st = rename_into_place(temp, path);
  if (!st.is_ok()) unlink(temp.c_str());
  return st;
}

Status ensure_directory(const std::string& path) {
  // 0700 until apply_directory_metadata: the backed-up mode may forbid the
  // writes that fill the folder, and nobody else should see it half-done.
  if (mkdir(path.c_str(), 0700) == 0) return Status::ok();
  if (errno != EEXIST) return errno_status(errno, "creating folder " + path);
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return errno_status(errno, "lstat " + path);
  if (S_ISDIR(st.st_mode)) return Status::ok();
  // A file or symlink (even one to a folder: restore must not write through
  // it) is in the way. Replace it, like any other entry restore overwrites.
  if (unlink(path.c_str()) != 0) return errno_status(errno, "removing " + path + " to make a folder there");
  if (mkdir(path.c_str(), 0700) != 0) return errno_status(errno, "creating folder " + path);
  return Status::ok();
}

Status apply_directory_metadata(const std::string& path, const Node& node,
                                const RestoreOwnership& ownership) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return errno_status(errno, "lstat " + path);
  if (!S_ISDIR(st.st_mode)) return invalid_argument("setting metadata of " + path + ": not a folder");
  if (ownership.restore_owner && lchown(path.c_str(), node.uid, node.gid) != 0) {
    return errno_status(errno, "setting owner of " + path);
  }
  // chmod after chown: chown clears setgid, which folders use to pass
  // their group on.
  if (chmod(path.c_str(), static_cast<mode_t>(node.mode & 07777)) != 0) {
    return errno_status(errno, "setting mode of " + path);
  }
  struct timespec times[2];
  times_from_mtime(node.mtime_ns, times);
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno_status(errno, "setting times of " + path);
  }
  return Status::ok();
}

Status restore_hardlink(const std::string& existing_path, const std::string& new_path) {
  // rename(2) does nothing, and reports success, when both names are
  // already the same file; that would leave the temp link behind.
  struct stat existing {
  }, current{};
  if (lstat(existing_path.c_str(), &existing) != 0) return errno_status(errno, "lstat " + existing_path);
  if (lstat(new_path.c_str(), &current) == 0 && current.st_dev == existing.st_dev &&
      current.st_ino == existing.st_ino) {
    return Status::ok();
  }
  CAIRN_ASSIGN_OR_RETURN(std::string temp, link_beside(existing_path, new_path));
  Status st = rename_into_place(temp, new_path);
  if (!st.is_ok()) unlink(temp.c_str());
  return st;
}

Status sync_filesystem(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "opening " + path + " to sync");
  Status st = syncfs(fd) == 0 ? Status::ok() : errno_status(errno, "syncing the file system of " + path);
  close(fd);  // read-only fd: nothing to report from close
  return st;
}

}  // namespace cairn
