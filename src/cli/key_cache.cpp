#include "cli/key_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>
#include <vector>

#include "common/log.h"
#include "common/temp_name.h"

namespace cairn {
namespace {

constexpr const char* kMagic = "cairn-key-cache 1";
constexpr size_t kMaxEntrySize = 4096;

std::string sha256_hex(ByteView data) {
  const auto digest = sha256(data);
  return to_hex(ByteView(digest.data(), digest.size()));
}

// Salted, so equal passwords of two entries do not show as equal hashes.
std::string password_hash(const std::string& salt_hex, std::string_view password) {
  std::string input = salt_hex + ":";
  input.append(password);
  std::string hash = sha256_hex(as_bytes(input));
  std::fill(input.begin(), input.end(), '\0');
  return hash;
}

bool from_hex(std::string_view hex, uint8_t* out, size_t n) {
  if (hex.size() != 2 * n) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < n; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

// Ours and closed to everyone else: the only folder or file we trust.
bool private_to_us(const struct stat& st) { return st.st_uid == ::geteuid() && (st.st_mode & 077) == 0; }

bool on_tmpfs(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

struct Entry {
  TimeNs expires = 0;
  std::string key_file_sha256, salt, password_sha256;
  MasterKey master;
};

std::string encode_entry(const Entry& e) {
  std::ostringstream out;
  out << kMagic << "\n"
      << "expires " << e.expires << "\n"
      << "key-file-sha256 " << e.key_file_sha256 << "\n"
      << "salt " << e.salt << "\n"
      << "password-sha256 " << e.password_sha256 << "\n"
      << "encryption-key " << to_hex(e.master.encryption) << "\n"
      << "id-key " << to_hex(e.master.id) << "\n";
  return out.str();
}

std::optional<Entry> decode_entry(const std::string& text) {
  std::istringstream in(text);
  std::string line, word, value;
  if (!std::getline(in, line) || line != kMagic) return std::nullopt;
  Entry e;
  int fields = 0;
  std::set<std::string> seen;
  while (in >> word >> value) {
    if (word == "expires") {
      char* end = nullptr;
      e.expires = std::strtoll(value.c_str(), &end, 10);
      if (*end != '\0') return std::nullopt;
    } else if (word == "key-file-sha256") {
      e.key_file_sha256 = value;
    } else if (word == "salt") {
      e.salt = value;
    } else if (word == "password-sha256") {
      e.password_sha256 = value;
    } else if (word == "encryption-key") {
      if (!from_hex(value, e.master.encryption.data(), kKeySize)) return std::nullopt;
    } else if (word == "id-key") {
      if (!from_hex(value, e.master.id.data(), kKeySize)) return std::nullopt;
    } else {
      return std::nullopt;
    }
    ++fields;
    seen.insert(word);
  }
  // Each field exactly once: a repeated one must not stand in for a missing key.
  if (fields != 6 || seen.size() != 6 || e.key_file_sha256.size() != 64 || e.password_sha256.size() != 64)
    return std::nullopt;
  return e;
}

// The entry at path, when it is a regular file that is ours and private.
// O_NOFOLLOW: a symlink planted in the folder is not followed.
std::optional<std::string> read_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && private_to_us(st) &&
      static_cast<size_t>(st.st_size) <= kMaxEntrySize) {
    text.resize(kMaxEntrySize);
    const ssize_t n = ::read(fd, text.data(), text.size());
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  } else {
    log_debug("key cache: ignoring " + path + ": not a private file of this user");
  }
  ::close(fd);
  if (text.empty()) return std::nullopt;
  return text;
}

bool is_entry_name(const std::string& name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// parent/name, made 0700 when missing, or "" when parent is not on tmpfs
// (nothing is created on a disk) or it cannot be made.
std::string prepare_folder(const std::string& parent, const std::string& name) {
  if (!on_tmpfs(parent)) {
    log_debug("key cache: not using " + parent + ": it is not on tmpfs");
    return "";
  }
  const std::string path = parent + "/" + name;
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    log_debug("key cache: cannot create " + path);
    return "";
  }
  return path;
}

}  // namespace

std::optional<KeyCache> KeyCache::open_folder(const std::string& folder) {
  struct stat st {};
  if (::lstat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !private_to_us(st)) {
    log_debug("key cache: not using " + folder + ": it must be a folder of this user with mode 0700");
    return std::nullopt;
  }
  if (!on_tmpfs(folder)) {
    log_debug("key cache: not using " + folder + ": it is not on tmpfs");
    return std::nullopt;
  }
  return KeyCache(folder);
}

std::optional<KeyCache> KeyCache::open_default() {
  const char* setting = std::getenv("CAIRN_KEY_CACHE");
  if (setting && std::string(setting) == "0") return std::nullopt;
  std::string folder;
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime && runtime[0] == '/')
    folder = prepare_folder(runtime, "cairn");
  else
    folder = prepare_folder("/dev/shm", "cairn-" + std::to_string(::geteuid()));
  if (folder.empty()) return std::nullopt;
  return open_folder(folder);
}

std::string KeyCache::entry_path(const std::string& repository, const std::string& key_name) const {
  const std::string id = "cairn key cache\n" + repository + "\n" + key_name;
  return folder_ + "/" + sha256_hex(as_bytes(id));
}

std::optional<MasterKey> KeyCache::find(const std::string& repository, const std::string& key_name,
                                        ByteView key_file, std::string_view password, TimeNs now) const {
  const std::string path = entry_path(repository, key_name);
  std::optional<std::string> text = read_private_file(path);
  if (!text) return std::nullopt;
  std::optional<Entry> e = decode_entry(*text);
  // An expiry beyond one lifetime from now means the clock went back: not trusted either.
  if (!e || e->expires <= now || e->expires > now + kKeyCacheLifetimeSeconds * 1000000000ll) {
    ::unlink(path.c_str());  // expired or damaged: it will never serve
    return std::nullopt;
  }
  if (e->key_file_sha256 != sha256_hex(key_file)) return std::nullopt;
  const std::string hash = password_hash(e->salt, password);
  if (!constant_time_equal(as_bytes(hash), as_bytes(e->password_sha256))) return std::nullopt;
  return e->master;
}

Status KeyCache::store(const std::string& repository, const std::string& key_name, ByteView key_file,
                       std::string_view password, const MasterKey& master, TimeNs now) const {
  remove_expired(now);
  Entry e;
  e.expires = now + kKeyCacheLifetimeSeconds * 1000000000ll;
  e.key_file_sha256 = sha256_hex(key_file);
  e.salt = to_hex(random_bytes(16));
  e.password_sha256 = password_hash(e.salt, password);
  e.master = master;
  std::string text = encode_entry(e);
  CAIRN_ASSIGN_OR_RETURN(std::string suffix, random_temp_suffix());
  const std::string path = entry_path(repository, key_name), temp = folder_ + "/.tmp-" + suffix;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status(errno, "creating " + temp);
  // No fsync: tmpfs, and an entry lost in a crash only costs one Argon2id.
  const bool written =
      ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  std::fill(text.begin(), text.end(), '\0');
  if (::close(fd) != 0 || !written || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return errno_status(err, "writing the key cache entry " + path);
  }
  return Status::ok();
}

void KeyCache::remove_expired(TimeNs now) const {
  DIR* dir = ::opendir(folder_.c_str());
  if (!dir) return;
  std::vector<std::string> names;
  while (const dirent* d = ::readdir(dir))
    if (is_entry_name(d->d_name)) names.emplace_back(d->d_name);
  ::closedir(dir);
  for (const std::string& name : names) {
    const std::string path = folder_ + "/" + name;
    std::optional<std::string> text = read_private_file(path);
    if (!text) continue;
    std::optional<Entry> e = decode_entry(*text);
    if (!e || e->expires <= now) ::unlink(path.c_str());
  }
}

Result<std::unique_ptr<Repository>> open_with_key_cache(std::shared_ptr<Backend> backend,
                                                        std::string_view password,
                                                        const std::optional<KeyCache>& cache) {
  if (!cache) return Repository::open(backend, password);
  const std::string repository = backend->properties().location;
  const TimeNs now = system_clock().now();
  std::vector<std::string> key_names;
  CAIRN_RETURN_IF_ERROR(
      backend->list(ObjectKind::kKey, [&](const ObjectInfo& o) { key_names.push_back(o.key.name); }));
  std::sort(key_names.begin(), key_names.end());
  for (const std::string& name : key_names) {
    if (::access(cache->entry_path(repository, name).c_str(), F_OK) != 0) continue;
    Result<Bytes> key_file = backend->get({ObjectKind::kKey, name});
    if (!key_file.is_ok()) continue;
    std::optional<MasterKey> master = cache->find(repository, name, *key_file, password, now);
    if (!master) continue;
    Result<std::unique_ptr<Repository>> repo = Repository::open_with_master_key(backend, *master, name);
    if (repo.is_ok()) {
      log_debug("key cache: opened with the cached key of keys/" + name.substr(0, 16) + " (no Argon2id)");
      return repo;
    }
  }
  Result<std::unique_ptr<Repository>> repo = Repository::open(backend, password);
  if (!repo.is_ok()) return repo;
  Result<Bytes> key_file = backend->get({ObjectKind::kKey, (*repo)->key_name()});
  Status stored = key_file.is_ok() ? cache->store(repository, (*repo)->key_name(), *key_file, password,
                                                  (*repo)->master_key(), now)
                                   : key_file.status();
  // The cache only saves time: failing to fill it fails nothing.
  if (!stored.is_ok()) log_debug("key cache: not stored: " + stored.message());
  return repo;
}

}  // namespace cairn
