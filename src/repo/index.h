// The index: which pack holds each blob.
//
// Nouns:
//   IndexPack    one pack's id and its blob entries, as written in index objects.
//   MasterIndex  the union of every index object in memory, blob id -> location.
//
// Index objects are sealed, zstd-compressed binary (docs/format.md). Each
// writer writes its own; a blob may appear in several packs (two writers
// stored it at once); any copy will do.
#pragma once

#include <functional>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "repo/pack.h"

namespace cairn {

struct IndexPack {
  PackId id;
  std::vector<PackEntry> blobs;
};

Bytes encode_index(const std::vector<IndexPack>& packs);
Result<std::vector<IndexPack>> decode_index(ByteView data);

// Thread-safe: lookups may run while packs are added.
class MasterIndex {
 public:
  void add_pack(const IndexPack& pack);
  std::optional<BlobLocation> find(const BlobId& id) const;
  bool contains(const BlobId& id) const { return find(id).has_value(); }
  // The base of a delta blob (as the copy find() returns is stored); nullopt
  // for a blob stored whole or not indexed.
  std::optional<BlobId> delta_base(const BlobId& id) const;
  PackId pack_id(uint32_t pack) const;
  size_t blob_count() const;
  size_t pack_count() const;
  // Forgets every pack and blob (prune reloads the index between phases).
  void clear();
  // Every blob, for check; fn(id, location).
  void for_each(const std::function<void(const BlobId&, const BlobLocation&)>& fn) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<PackId> packs_;
  std::unordered_map<PackId, uint32_t, BlobIdHash> pack_numbers_;
  std::unordered_map<BlobId, BlobLocation, BlobIdHash> blobs_;
  std::unordered_map<BlobId, BlobId, BlobIdHash> delta_bases_;  // only the few delta blobs
};

}  // namespace cairn
