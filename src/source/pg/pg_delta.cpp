// pg restore --delta: bring an existing data directory to a backup by
// fetching only what differs.
//
// Each file that is already there is read and hashed chunk by chunk, at the
// chunk boundaries the backup recorded; a chunk whose keyed hash equals the
// recorded blob id holds the right bytes and is not fetched. Differing
// chunks are fetched and written in place (PostgreSQL is stopped, and the
// restore is not usable until recovery.signal is written at the end anyway).
// Entries the backup does not have are removed; entries of the wrong type
// or missing are restored whole by the ordinary restorer.
#include "source/pg/pg_delta.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "restore/restorer.h"

namespace cairn {
namespace {

std::string child_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The Tree node of the backed-up folder path (absolute), walked down from the root.
Result<Node> find_directory(Repository& repo, const BlobId& root, const std::string& path) {
  Node current;
  current.type = NodeType::kDirectory;
  current.subtree = root;
  for (const auto& part : std::filesystem::path(path)) {
    const std::string name = part.string();
    if (name == "/" || name.empty()) continue;
    CAIRN_ASSIGN_OR_RETURN(Tree tree, repo.read_tree(current.subtree));
    bool found = false;
    for (Node& n : tree.nodes) {
      if (n.name == name && n.type == NodeType::kDirectory) {
        current = std::move(n);
        found = true;
        break;
      }
    }
    if (!found) return not_found("the backup holds no folder " + path);
  }
  return current;
}

Status pread_all(int fd, uint8_t* data, size_t size, uint64_t offset, size_t* got) {
  *got = 0;
  while (*got < size) {
    ssize_t n = ::pread(fd, data + *got, size - *got, static_cast<off_t>(offset + *got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "reading");
    }
    if (n == 0) break;  // the file is shorter
    *got += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status pwrite_all(int fd, const uint8_t* data, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "writing");
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

class DeltaWalker {
 public:
  DeltaWalker(Repository& repo, bool restore_owner, DeltaResult& result)
      : repo_(repo), restore_owner_(restore_owner), result_(result) {}

  // target: the folder on disk; backed: the same folder's backed-up path.
  Status walk(const BlobId& tree_id, const std::string& target, const std::string& backed) {
    CAIRN_ASSIGN_OR_RETURN(Tree tree, repo_.read_tree(tree_id));
    std::set<std::string> names;
    for (const Node& node : tree.nodes) {
      names.insert(node.name);
      const std::string path = target + "/" + node.name;
      const std::string backed_path = child_path(backed, node.name);
      struct stat st {};
      const bool exists = ::lstat(path.c_str(), &st) == 0;
      if (node.type == NodeType::kDirectory && exists && S_ISDIR(st.st_mode)) {
        CAIRN_RETURN_IF_ERROR(walk(node.subtree, path, backed_path));
        CAIRN_RETURN_IF_ERROR(apply_metadata(path, node, st));
      } else if (node.type == NodeType::kFile && exists && S_ISREG(st.st_mode)) {
        Status s = patch_file(path, node);
        if (!s.is_ok()) result_.errors.push_back({path, s.message()});
      } else if (node.type == NodeType::kSymlink && exists && S_ISLNK(st.st_mode) &&
                 std::filesystem::read_symlink(path).string() == node.link_target) {
        ++result_.files_unchanged;
      } else {
        if (exists) CAIRN_RETURN_IF_ERROR(remove(path));
        result_.restore_whole.push_back(backed_path);
      }
    }
    // What the backup does not have goes (stale WAL, postmaster.pid, extra files).
    DIR* d = ::opendir(target.c_str());
    if (!d) return errno_status(errno, "listing " + target);
    std::vector<std::string> extra;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != ".." && !names.count(name)) extra.push_back(name);
    }
    ::closedir(d);
    for (const std::string& name : extra) {
      CAIRN_RETURN_IF_ERROR(remove(target + "/" + name));
      ++result_.files_removed;
    }
    return Status::ok();
  }

 private:
  Status remove(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return io_error("cannot remove " + path + ": " + ec.message());
    return Status::ok();
  }

  // Hashes the file at the backup's chunk boundaries; fetches and writes
  // only the chunks that differ, then sets the size and metadata.
  Status patch_file(const std::string& path, const Node& node) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno_status(errno, "opening " + path);
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    Bytes buffer;
    uint64_t offset = 0;
    bool changed = false;
    for (const ContentChunk& c : node.content) {
      buffer.resize(c.size);
      size_t got = 0;
      CAIRN_RETURN_IF_ERROR(pread_all(fd, buffer.data(), c.size, offset, &got).with_context(path));
      if (got != c.size || !(repo_.hasher().id(ByteView(buffer.data(), c.size)) == c.id)) {
        CAIRN_ASSIGN_OR_RETURN(Bytes blob, repo_.read_blob(c.id));
        if (blob.size() != c.size)
          return corruption("blob " + c.id.hex().substr(0, 16) + " has another size than recorded");
        CAIRN_RETURN_IF_ERROR(pwrite_all(fd, blob.data(), blob.size(), offset).with_context(path));
        result_.bytes_fetched += c.size;
        changed = true;
      }
      offset += c.size;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno_status(errno, "stat " + path);
    if (static_cast<uint64_t>(st.st_size) != node.size) {
      if (::ftruncate(fd, static_cast<off_t>(node.size)) != 0)
        return errno_status(errno, "truncating " + path);
      changed = true;
    }
    if (changed)
      ++result_.files_patched;
    else
      ++result_.files_unchanged;
    return apply_metadata(path, node, st);
  }

  Status apply_metadata(const std::string& path, const Node& node, const struct stat& st) {
    if (restore_owner_ && (st.st_uid != node.uid || st.st_gid != node.gid) &&
        ::lchown(path.c_str(), node.uid, node.gid) != 0)
      return errno_status(errno, "chown " + path);
    if ((st.st_mode & 07777) != node.mode && ::chmod(path.c_str(), node.mode & 07777) != 0)
      return errno_status(errno, "chmod " + path);
    if (node.type == NodeType::kFile) {
      struct timespec times[2];
      times[0].tv_sec = 0;
      times[0].tv_nsec = UTIME_OMIT;
      times[1].tv_sec = static_cast<time_t>(node.mtime_ns / 1000000000);
      times[1].tv_nsec = static_cast<long>(node.mtime_ns % 1000000000);
      if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        return errno_status(errno, "setting the mtime of " + path);
    }
    return Status::ok();
  }

  Repository& repo_;
  bool restore_owner_;
  DeltaResult& result_;
};

}  // namespace

Result<DeltaResult> delta_restore(Repository& repo, const SnapshotManifest& backup, const std::string& strip,
                                  const std::string& dir, bool restore_owner) {
  DeltaResult result;
  CAIRN_ASSIGN_OR_RETURN(Node top, find_directory(repo, backup.tree, strip));
  DeltaWalker walker(repo, restore_owner, result);
  CAIRN_RETURN_IF_ERROR(walker.walk(top.subtree, dir, strip));
  if (!result.restore_whole.empty()) {
    RestoreOptions ro;
    ro.target = dir;
    ro.strip_prefix = strip;
    ro.restore_owner = restore_owner;
    ro.includes = result.restore_whole;
    CAIRN_ASSIGN_OR_RETURN(RestoreResult restored, restore_snapshot(repo, backup, ro, nullptr));
    result.bytes_fetched += restored.bytes;
    result.files_restored = restored.files + restored.symlinks;
    for (BackupIssue& e : restored.errors) result.errors.push_back(std::move(e));
  }
  return result;
}

}  // namespace cairn
