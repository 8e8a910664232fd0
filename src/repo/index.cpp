#include "repo/index.h"

#include <mutex>

namespace cairn {

// Index plaintext (before zstd): "CRNI" u8 version varint pack count,
// per pack: id(32) varint blob count, per blob the pack-header entry layout.
// Version 2 added delta blobs (an entry flag and the base id after it);
// version 1 objects, which have none, are still read.
namespace {
constexpr char kMagic[] = "CRNI";
constexpr uint8_t kVersion = 2;
constexpr uint8_t kOldestVersion = 1;
}  // namespace

Bytes encode_index(const std::vector<IndexPack>& packs) {
  Bytes out;
  ByteWriter w(out);
  w.raw(as_bytes(std::string_view(kMagic, 4)));
  w.u8(kVersion);
  w.varint(packs.size());
  for (const IndexPack& p : packs) {
    w.raw(p.id.bytes);
    w.varint(p.blobs.size());
    for (const PackEntry& e : p.blobs) encode_pack_entry(e, w);
  }
  return out;
}

Result<std::vector<IndexPack>> decode_index(ByteView data) {
  ByteReader r(data);
  ByteView magic;
  uint8_t version;
  uint64_t count;
  if (!r.raw(4, magic) || as_string_view(magic) != std::string_view(kMagic, 4))
    return corruption("index has a bad magic");
  if (!r.u8(version) || version < kOldestVersion || version > kVersion)
    return corruption("index has an unknown version");
  if (!r.varint(count) || count > r.remaining() / 33) return corruption("index is malformed");
  std::vector<IndexPack> packs(count);
  for (IndexPack& p : packs) {
    ByteView id;
    uint64_t n;
    if (!r.raw(32, id) || !r.varint(n) || n > r.remaining() / kPackHeaderEntrySize)
      return corruption("index is malformed");
    std::copy(id.begin(), id.end(), p.id.bytes.begin());
    p.blobs.resize(n);
    for (PackEntry& e : p.blobs) {
      if (!decode_pack_entry(r, e) || (e.delta && version < 2)) return corruption("index entry is malformed");
    }
  }
  if (!r.at_end()) return corruption("index has trailing bytes");
  return packs;
}

void MasterIndex::add_pack(const IndexPack& pack) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = pack_numbers_.emplace(pack.id, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.push_back(pack.id);
  uint32_t number = it->second;
  for (const PackEntry& e : pack.blobs) {
    auto [blob, added] = blobs_.try_emplace(
        e.id, BlobLocation{number, e.offset, e.length, e.raw_length, e.type, e.compressed, e.delta});
    // The base goes with the copy the index reads (another copy may be plain).
    if (added && e.delta) delta_bases_.emplace(e.id, e.base);
  }
}

std::optional<BlobId> MasterIndex::delta_base(const BlobId& id) const {
  std::shared_lock lock(mu_);
  auto it = delta_bases_.find(id);
  if (it == delta_bases_.end()) return std::nullopt;
  return it->second;
}

std::optional<BlobLocation> MasterIndex::find(const BlobId& id) const {
  std::shared_lock lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return std::nullopt;
  return it->second;
}

PackId MasterIndex::pack_id(uint32_t pack) const {
  std::shared_lock lock(mu_);
  return packs_.at(pack);
}

void MasterIndex::clear() {
  std::unique_lock lock(mu_);
  packs_.clear();
  pack_numbers_.clear();
  blobs_.clear();
  delta_bases_.clear();
}

size_t MasterIndex::blob_count() const {
  std::shared_lock lock(mu_);
  return blobs_.size();
}

size_t MasterIndex::pack_count() const {
  std::shared_lock lock(mu_);
  return packs_.size();
}

void MasterIndex::for_each(const std::function<void(const BlobId&, const BlobLocation&)>& fn) const {
  std::shared_lock lock(mu_);
  for (const auto& [id, loc] : blobs_) fn(id, loc);
}

}  // namespace cairn
