// WriteThroughCacheBackend: a local copy of the small objects a client has
// written or read, for credentials that may write but not read or list.
//
// Nouns:
//   cached kinds  config, keys, index, snapshots and locks: everything a
//                 client needs to open the repository, deduplicate and find
//                 its own backups. Packs are never cached (they are the bulk).
//   cache         any Backend, in practice a local folder per location
//                 (open_local_cache_backend).
//
// Why: an AppendOnly location may hold credentials allowed only PutObject
// (ransomware protection: a compromised client cannot read, list or delete
// what it wrote). Such a client still has to open the repository and know
// which blobs exist, or every backup would upload everything again. The cache
// remembers what this client put; the storage stays the only copy that
// matters, and a client with full rights never needs the cache.
//
// Rules:
//   put     goes to the storage first; only once the storage has it is it
//           copied into the cache, so the cache never claims an object the
//           storage lacks.
//   get     from the cache; a miss reads the storage and fills the cache.
//   stat    the cache, else the storage.
//   list    the storage when it allows listing (so what others wrote and
//           what was deleted is seen); on kPermissionDenied, the cache.
//   remove  the storage, then the cache (a lock leaves the cache even when
//           the storage refuses: there it goes stale, here it would pile up).
// A read the storage refuses and the cache cannot answer says so in one
// sentence (the credentials may only write; the cache does not have it).
#pragma once

#include <memory>
#include <string>

#include "storage/backend.h"

namespace cairn {

class WriteThroughCacheBackend final : public Backend {
 public:
  WriteThroughCacheBackend(std::shared_ptr<Backend> storage, std::shared_ptr<Backend> cache);

  Status put(const ObjectKey& key, ByteView data) override;
  Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) override;
  Result<ObjectInfo> stat(const ObjectKey& key) override;
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override;
  Status remove(const ObjectKey& key) override;
  BackendProperties properties() const override { return storage_->properties(); }

  // Whether objects of this kind are kept in the cache.
  static bool is_cached_kind(ObjectKind kind);

 private:
  Status explain_refusal(const Status& refused, const ObjectKey& key) const;

  const std::shared_ptr<Backend> storage_;
  const std::shared_ptr<Backend> cache_;
};

// The cache folder of a repository location: CAIRN_CACHE_DIR, else
// $XDG_CACHE_HOME/cairn, else ~/.cache/cairn, then a folder named after a
// hash of `where` (the location's URL or path), so that two locations never
// share a cache and renaming a location keeps it.
Result<std::string> cache_folder_for(const std::string& where);

}  // namespace cairn
