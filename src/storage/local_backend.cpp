#include "storage/local_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "storage/atomic_file.h"
#include "storage/unique_fd.h"

namespace cairn {
namespace {

constexpr ObjectKind kFolderKinds[] = {ObjectKind::kKey,      ObjectKind::kPack, ObjectKind::kIndex,
                                       ObjectKind::kSnapshot, ObjectKind::kLock, ObjectKind::kArchive};

// Objects hold keys and encrypted data: only the owner may read them.
constexpr unsigned kObjectMode = 0600;
constexpr mode_t kFolderMode = 0700;

// Below this a get is one or two pages and readahead advice costs more than it saves.
constexpr uint64_t kFadviseThreshold = 1 << 20;

Status make_folder(const std::string& path) {
  if (::mkdir(path.c_str(), kFolderMode) == 0) return Status::ok();
  if (errno != EEXIST) return errno_status(errno, "creating folder " + path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_status(errno, "creating folder " + path);
  if (!S_ISDIR(st.st_mode)) return Status(ErrorCode::kAlreadyExists, path + " exists and is not a folder");
  return Status::ok();
}

// mkdir -p: every missing component is created with kFolderMode.
Status make_folders(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    CAIRN_RETURN_IF_ERROR(make_folder(path.substr(0, slash)));
  }
  return make_folder(path);
}

Result<std::string> absolute_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return errno_status(errno, "resolving " + path);
  return std::string(buf);
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(std::string root) : root_(std::move(root)) {}

  Status put(const ObjectKey& key, ByteView data) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    const std::string path = path_of(key);
    Status st = write_file_atomic(path, data, ReplaceMode::kFailIfExists, kObjectMode);
    // Pack folders data/<2 hex> are made on first use: a missing folder shows
    // up as kNotFound from creating the temp file, so the common case pays nothing.
    if (st.code() == ErrorCode::kNotFound && key.kind == ObjectKind::kPack) {
      CAIRN_RETURN_IF_ERROR(make_pack_folder(key.name.substr(0, 2)));
      st = write_file_atomic(path, data, ReplaceMode::kFailIfExists, kObjectMode);
    }
    // archive/ and restores/ came after the first repositories were made: made on first use there.
    if (st.code() == ErrorCode::kNotFound &&
        (key.kind == ObjectKind::kArchive || key.kind == ObjectKind::kRestore)) {
      CAIRN_RETURN_IF_ERROR(make_folder(root_ + "/" + object_kind_name(key.kind)));
      CAIRN_RETURN_IF_ERROR(sync_directory(root_));
      st = write_file_atomic(path, data, ReplaceMode::kFailIfExists, kObjectMode);
    }
    if (st.code() == ErrorCode::kAlreadyExists) return already_exists(key.to_string() + " already exists");
    return st;
  }

  Result<Bytes> get(const ObjectKey& key, uint64_t offset, uint64_t length) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    const std::string path = path_of(key);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return open_error(errno, key, path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_status(errno, "reading " + path);
    if (!S_ISREG(st.st_mode)) return not_a_file(key);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (offset > size || (length > 0 && length > size - offset)) {
      return corruption("short read of " + key.to_string() + ": asked for " + std::to_string(length) +
                        " bytes at " + std::to_string(offset) + ", object has " + std::to_string(size));
    }
    if (length == 0) length = size - offset;
    if (length >= kFadviseThreshold) {
      // Advice only: a failure changes speed, not results.
      (void)::posix_fadvise(fd.get(), static_cast<off_t>(offset), static_cast<off_t>(length),
                            POSIX_FADV_SEQUENTIAL);
    }
    Bytes out(length);
    uint64_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd.get(), out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status(errno, "reading " + path);
      }
      if (n == 0) return corruption("short read of " + key.to_string() + ": it shrank while being read");
      done += static_cast<uint64_t>(n);
    }
    return out;
  }

  Result<ObjectInfo> stat(const ObjectKey& key) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    const std::string path = path_of(key);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return open_error(errno, key, path);
    if (!S_ISREG(st.st_mode)) return not_a_file(key);
    return ObjectInfo{key, static_cast<uint64_t>(st.st_size)};
  }

  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override {
    if (kind == ObjectKind::kConfig) {
      Result<ObjectInfo> info = stat(ObjectKey{kind, "config"});
      if (info.is_ok()) fn(*info);
      return info.status().code() == ErrorCode::kNotFound ? Status::ok() : info.status();
    }
    const std::string folder = root_ + "/" + object_kind_name(kind);
    if ((kind == ObjectKind::kArchive || kind == ObjectKind::kRestore) &&
        ::access(folder.c_str(), F_OK) != 0 && errno == ENOENT)
      return Status::ok();  // an older repository that never archived or restored anything
    if (kind != ObjectKind::kPack) return list_folder(folder, kind, "", fn);
    // Packs: one folder per first two hex digits. Anything else in data/ is not ours.
    return for_each_entry(folder, [&](int, const char* name) -> Status {
      std::string prefix(name);
      if (!validate_object_key(ObjectKey{kind, prefix}).is_ok() || prefix.size() != 2) return Status::ok();
      return list_folder(folder + "/" + prefix, kind, prefix, fn);
    });
  }

  Status remove(const ObjectKey& key) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    const std::string path = path_of(key);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return Status::ok();
      return errno_status(errno, "removing " + path);
    }
    // Deletes happen in a deliberate order (snapshot before index before
    // packs); syncing each one keeps that order across a crash.
    return sync_directory(parent_of(path));
  }

  BackendProperties properties() const override {
    BackendProperties p;
    p.location = root_;
    p.supports_exclusive_put = true;
    return p;
  }

 private:
  std::string path_of(const ObjectKey& key) const {
    switch (key.kind) {
      case ObjectKind::kConfig: return root_ + "/config";
      case ObjectKind::kPack: return root_ + "/data/" + key.name.substr(0, 2) + "/" + key.name;
      default: return root_ + "/" + object_kind_name(key.kind) + "/" + key.name;
    }
  }

  static Status open_error(int err, const ObjectKey& key, const std::string& path) {
    if (err == ENOENT) return not_found(key.to_string() + " does not exist");
    return errno_status(err, "reading " + path);
  }

  // Something else sits where the object should be; list skips it too.
  static Status not_a_file(const ObjectKey& key) {
    return corruption(key.to_string() + " is not a regular file");
  }

  Status make_pack_folder(const std::string& prefix) {
    const std::string data = root_ + "/data";
    CAIRN_RETURN_IF_ERROR(make_folder(data + "/" + prefix));
    // The folder's entry in data/ must be durable before objects in it are.
    return sync_directory(data);
  }

  // Calls fn(dir_fd, name) for each entry except "." and "..".
  template <typename Fn>
  static Status for_each_entry(const std::string& folder, Fn&& fn) {
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) return errno_status(errno, "listing " + folder);
    Status st;
    while (st.is_ok()) {
      errno = 0;
      const dirent* entry = ::readdir(dir);
      if (entry == nullptr) {
        if (errno != 0) st = errno_status(errno, "listing " + folder);
        break;
      }
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      st = fn(::dirfd(dir), name);
    }
    ::closedir(dir);
    return st;
  }

  // Lists the objects of one folder. Names that are not valid keys (temp
  // files ".tmp-*", strays) and packs filed under the wrong prefix are
  // skipped: get could not find them by name anyway.
  static Status list_folder(const std::string& folder, ObjectKind kind, const std::string& prefix,
                            const std::function<void(const ObjectInfo&)>& fn) {
    return for_each_entry(folder, [&](int dir_fd, const char* name) -> Status {
      ObjectKey key{kind, name};
      if (!validate_object_key(key).is_ok() || key.name.compare(0, prefix.size(), prefix) != 0) {
        return Status::ok();
      }
      // fstatat relative to the open folder: no path walk per object, which
      // matters with 100k+ packs.
      struct stat st {};
      if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return Status::ok();  // removed while listing
        return errno_status(errno, "listing " + folder + "/" + key.name);
      }
      if (!S_ISREG(st.st_mode)) return Status::ok();
      fn(ObjectInfo{std::move(key), static_cast<uint64_t>(st.st_size)});
      return Status::ok();
    });
  }

  const std::string root_;  // absolute, without a trailing slash
};

Result<bool> has_config(const std::string& root) {
  struct stat st {};
  if (::stat((root + "/config").c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return errno_status(errno, "looking for " + root + "/config");
}

}  // namespace

Result<std::unique_ptr<Backend>> create_local_backend(const std::string& path) {
  if (path.empty()) return invalid_argument("no repository path given");
  CAIRN_RETURN_IF_ERROR(make_folders(path));
  CAIRN_ASSIGN_OR_RETURN(std::string root, absolute_path(path));
  CAIRN_ASSIGN_OR_RETURN(bool exists, has_config(root));
  if (exists) return already_exists("a repository already exists at " + root);
  for (ObjectKind kind : kFolderKinds)
    CAIRN_RETURN_IF_ERROR(make_folder(root + "/" + object_kind_name(kind)));
  CAIRN_RETURN_IF_ERROR(sync_directory(root));
  CAIRN_RETURN_IF_ERROR(sync_directory(parent_of(root)));
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(std::move(root)));
}

Result<std::unique_ptr<Backend>> open_local_backend(const std::string& path) {
  if (path.empty()) return invalid_argument("no repository path given");
  Result<std::string> root = absolute_path(path);
  if (!root.is_ok()) {
    if (root.status().code() == ErrorCode::kNotFound) return not_found("no repository at " + path);
    return root.status();
  }
  CAIRN_ASSIGN_OR_RETURN(bool exists, has_config(*root));
  if (!exists) return not_found("no repository at " + *root);
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(std::move(*root)));
}

Result<std::unique_ptr<Backend>> open_local_cache_backend(const std::string& path) {
  if (path.empty()) return invalid_argument("no cache path given");
  CAIRN_RETURN_IF_ERROR(make_folders(path));
  CAIRN_ASSIGN_OR_RETURN(std::string root, absolute_path(path));
  for (ObjectKind kind : kFolderKinds)
    CAIRN_RETURN_IF_ERROR(make_folder(root + "/" + object_kind_name(kind)));
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(std::move(root)));
}

}  // namespace cairn
