#include "storage/cache_backend.h"

#include <openssl/sha.h>

#include <cstdlib>

namespace cairn {

WriteThroughCacheBackend::WriteThroughCacheBackend(std::shared_ptr<Backend> storage,
                                                   std::shared_ptr<Backend> cache)
    : storage_(std::move(storage)), cache_(std::move(cache)) {}

bool WriteThroughCacheBackend::is_cached_kind(ObjectKind kind) { return kind != ObjectKind::kPack; }

Status WriteThroughCacheBackend::explain_refusal(const Status& refused, const ObjectKey& key) const {
  if (refused.code() != ErrorCode::kPermissionDenied) return refused;
  const std::string what = key.name == "*" ? std::string(object_kind_name(key.kind)) : key.to_string();
  return permission_denied("cannot read " + what + " from " + storage_->properties().location +
                           ": these credentials may only write and this machine's cache has no copy; create "
                           "the repository with these credentials ('cairn repo init') or use a location with "
                           "read access");
}

Status WriteThroughCacheBackend::put(const ObjectKey& key, ByteView data) {
  CAIRN_RETURN_IF_ERROR(storage_->put(key, data));
  if (!is_cached_kind(key.kind)) return Status::ok();
  // The storage has it; a cache that cannot keep a copy only costs a
  // re-upload or a refused read later, never data.
  Status cached = cache_->put(key, data);
  if (cached.code() == ErrorCode::kAlreadyExists) {
    cache_->remove(key).ignore();
    cached = cache_->put(key, data);
  }
  cached.ignore();
  return Status::ok();
}

Result<Bytes> WriteThroughCacheBackend::get(const ObjectKey& key, uint64_t offset, uint64_t length) {
  if (!is_cached_kind(key.kind)) return storage_->get(key, offset, length);
  Result<Bytes> hit = cache_->get(key, offset, length);
  if (hit.is_ok()) return hit;
  Result<Bytes> whole = storage_->get(key);
  if (!whole.is_ok()) return explain_refusal(whole.status(), key);
  cache_->put(key, *whole).ignore();
  if (offset == 0 && length == 0) return whole;
  if (offset > whole->size() || length > whole->size() - offset) {
    return corruption("short read of " + key.to_string() + ": asked for " + std::to_string(length) +
                      " bytes at " + std::to_string(offset) + ", object has " +
                      std::to_string(whole->size()));
  }
  const uint64_t n = length == 0 ? whole->size() - offset : length;
  return Bytes(whole->begin() + static_cast<ptrdiff_t>(offset),
               whole->begin() + static_cast<ptrdiff_t>(offset + n));
}

Result<ObjectInfo> WriteThroughCacheBackend::stat(const ObjectKey& key) {
  if (is_cached_kind(key.kind)) {
    Result<ObjectInfo> hit = cache_->stat(key);
    if (hit.is_ok()) return hit;
  }
  return storage_->stat(key);
}

Status WriteThroughCacheBackend::list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) {
  if (!is_cached_kind(kind)) return storage_->list(kind, fn);
  // Buffer the storage's answer: a listing refused halfway must not have
  // called fn for half of it before the cache answers again.
  std::vector<ObjectInfo> listed;
  Status st = storage_->list(kind, [&](const ObjectInfo& o) { listed.push_back(o); });
  if (st.code() == ErrorCode::kPermissionDenied) {
    size_t n = 0;
    CAIRN_RETURN_IF_ERROR(cache_->list(kind, [&](const ObjectInfo& o) {
      ++n;
      fn(o);
    }));
    // Every repository has a key: none in the cache means this client has
    // never seen this repository, not that it has no keys.
    if (n == 0 && kind == ObjectKind::kKey) return explain_refusal(st, ObjectKey{kind, "*"});
    return Status::ok();
  }
  CAIRN_RETURN_IF_ERROR(st);
  for (const ObjectInfo& o : listed) fn(o);
  return Status::ok();
}

Status WriteThroughCacheBackend::remove(const ObjectKey& key) {
  Status st = storage_->remove(key);
  // A lock the storage keeps goes stale there; here it would only pile up.
  if (is_cached_kind(key.kind) && (st.is_ok() || key.kind == ObjectKind::kLock)) cache_->remove(key).ignore();
  return st;
}

Result<std::string> cache_folder_for(const std::string& where) {
  std::string base;
  if (const char* dir = std::getenv("CAIRN_CACHE_DIR"); dir && *dir) {
    base = dir;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    base = std::string(xdg) + "/cairn";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::string(home) + "/.cache/cairn";
  } else {
    return invalid_argument("no cache folder: set CAIRN_CACHE_DIR (or HOME)");
  }
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(where.data()), where.size(), digest);
  return base + "/" + to_hex(ByteView(digest, 16));
}

}  // namespace cairn
