#include "source/fs/fs_entry.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace cairn {
namespace {

int64_t to_ns(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<int64_t>(ts.tv_nsec);
}

// Linux caps a symlink target at PATH_MAX (4096); anything longer than this
// means the link keeps changing under us or the file system is broken.
constexpr size_t kMaxLinkTarget = 1 << 20;

}  // namespace

EntryKind entry_kind(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return EntryKind::kFile;
  if (S_ISDIR(st.st_mode)) return EntryKind::kDirectory;
  if (S_ISLNK(st.st_mode)) return EntryKind::kSymlink;
  return EntryKind::kOther;
}

Node node_from_stat(const std::string& name, const struct stat& st) {
  Node node;
  node.name = name;
  switch (entry_kind(st)) {
    case EntryKind::kDirectory: node.type = NodeType::kDirectory; break;
    case EntryKind::kSymlink: node.type = NodeType::kSymlink; break;
    default: node.type = NodeType::kFile; break;  // kOther is never stored; backup skips it
  }
  node.mode = static_cast<uint32_t>(st.st_mode) & 07777;
  node.uid = st.st_uid;
  node.gid = st.st_gid;
  node.mtime_ns = to_ns(st.st_mtim);
  node.ctime_ns = to_ns(st.st_ctim);
  // A directory's st_size depends on the file system (4096 on ext4, the
  // entry count on tmpfs) and is never restored; keeping it 0 means an
  // unchanged directory encodes to the same tree blob on any file system.
  node.size = node.type == NodeType::kDirectory ? 0 : static_cast<uint64_t>(st.st_size);
  node.inode = st.st_ino;
  node.device = st.st_dev;
  node.links = static_cast<uint32_t>(st.st_nlink);
  node.sparse = node.type == NodeType::kFile && looks_sparse(st);
  return node;
}

Result<struct stat> lstat_at(int dir_fd, const std::string& name, const std::string& path_for_errors) {
  struct stat st {};
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno_status(errno, "lstat " + path_for_errors);
  }
  return st;
}

Result<std::string> read_link_at(int dir_fd, const std::string& name, const std::string& path_for_errors) {
  // readlinkat does not say how long the target is; a full buffer may mean
  // it was cut, so grow until the answer fits with room to spare.
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return errno_status(errno, "readlink " + path_for_errors);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (buf.size() >= kMaxLinkTarget) {
      return io_error("readlink " + path_for_errors + ": target longer than " +
                      std::to_string(kMaxLinkTarget) + " bytes");
    }
    buf.resize(buf.size() * 2);
  }
}

Result<std::vector<std::string>> list_directory(int dir_fd, const std::string& path_for_errors) {
  // fdopendir takes ownership of its fd, so give it a duplicate. The
  // duplicate shares the file offset with dir_fd; rewinddir makes the
  // listing complete even if the caller read from dir_fd before.
  int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return errno_status(errno, "opening directory " + path_for_errors);
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    Status st = errno_status(errno, "opening directory " + path_for_errors);
    close(dup_fd);
    return st;
  }
  rewinddir(dir);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;  // readdir returns nullptr both at the end and on error
    struct dirent* entry = readdir(dir);
    if (entry == nullptr) {
      int err = errno;
      closedir(dir);
      if (err != 0) return errno_status(err, "reading directory " + path_for_errors);
      break;
    }
    std::string name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.push_back(std::move(name));
  }
  // std::string compares as unsigned char bytes (char_traits<char>::lt), so
  // the order does not depend on the locale or on the names being UTF-8.
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<DataRange>> data_ranges(int fd, uint64_t size, const std::string& path_for_errors) {
  std::vector<DataRange> ranges;
  uint64_t offset = 0;
  while (offset < size) {
    off_t data = lseek(fd, static_cast<off_t>(offset), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // no data at or after offset: the rest is a hole
      if (errno == EINVAL) {
        // The file system does not know SEEK_DATA: treat the rest as data.
        ranges.push_back({offset, size - offset});
        break;
      }
      return errno_status(errno, "seeking data in " + path_for_errors);
    }
    uint64_t start = static_cast<uint64_t>(data);
    if (start >= size) break;  // the file grew after the stat; stay within size
    off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole < 0) {
      // ENXIO here means the file shrank between the two seeks.
      if (errno == ENXIO) break;
      return errno_status(errno, "seeking hole in " + path_for_errors);
    }
    uint64_t end = std::min(static_cast<uint64_t>(hole), size);
    if (end <= start) break;
    ranges.push_back({start, end - start});
    offset = end;
  }
  return ranges;
}

bool looks_sparse(const struct stat& st) {
  if (st.st_size <= 0) return false;
  return static_cast<uint64_t>(st.st_blocks) * 512 < static_cast<uint64_t>(st.st_size);
}

}  // namespace cairn
