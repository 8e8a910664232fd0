#include "repo/index.h"

#include <mutex>

namespace cairn {

// Index plaintext (before zstd): "CRNI" u8 version(=1) varint pack count,
// per pack: id(32) varint blob count, per blob the pack-header entry layout.
namespace {
constexpr char kMagic[] = "CRNI";
constexpr uint8_t kVersion = 1;
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
    for (const PackEntry& e : p.blobs) {
      w.u8(static_cast<uint8_t>(e.type));
      w.u8(e.compressed ? 1 : 0);
      w.raw(e.id.bytes);
      w.u32(e.offset);
      w.u32(e.length);
      w.u32(e.raw_length);
    }
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
  if (!r.u8(version) || version != kVersion) return corruption("index has an unknown version");
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
      uint8_t type, flags;
      ByteView bid;
      if (!r.u8(type) || !r.u8(flags) || !r.raw(32, bid) || !r.u32(e.offset) || !r.u32(e.length) ||
          !r.u32(e.raw_length) || (type != 1 && type != 2))
        return corruption("index entry is malformed");
      e.type = static_cast<BlobType>(type);
      e.compressed = flags & 1;
      std::copy(bid.begin(), bid.end(), e.id.bytes.begin());
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
    blobs_.try_emplace(e.id, BlobLocation{number, e.offset, e.length, e.raw_length, e.type, e.compressed});
  }
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
