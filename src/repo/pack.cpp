#include "repo/pack.h"

namespace cairn {

namespace {
constexpr char kHeaderAssociatedData[] = "cairn/v1/pack-header";
constexpr uint8_t kFlagCompressed = 1;
constexpr uint8_t kFlagDelta = 2;
}  // namespace

void encode_pack_entry(const PackEntry& e, ByteWriter& w) {
  w.u8(static_cast<uint8_t>(e.type));
  w.u8(static_cast<uint8_t>((e.compressed ? kFlagCompressed : 0) | (e.delta ? kFlagDelta : 0)));
  w.raw(e.id.bytes);
  w.u32(e.offset);
  w.u32(e.length);
  w.u32(e.raw_length);
  if (e.delta) w.raw(e.base.bytes);
}

bool decode_pack_entry(ByteReader& r, PackEntry& e) {
  uint8_t type, flags;
  ByteView id;
  if (!r.u8(type) || !r.u8(flags) || !r.raw(32, id) || !r.u32(e.offset) || !r.u32(e.length) ||
      !r.u32(e.raw_length))
    return false;
  if ((type != 1 && type != 2) || (flags & ~(kFlagCompressed | kFlagDelta))) return false;
  e.type = static_cast<BlobType>(type);
  e.compressed = flags & kFlagCompressed;
  e.delta = flags & kFlagDelta;
  std::copy(id.begin(), id.end(), e.id.bytes.begin());
  if (e.delta) {
    ByteView base;
    // A delta is always compressed (against its base).
    if (!e.compressed || !r.raw(32, base)) return false;
    std::copy(base.begin(), base.end(), e.base.bytes.begin());
  }
  return true;
}

void PackBuilder::add(const PackEntry& e, ByteView sealed) {
  PackEntry entry = e;
  entry.offset = static_cast<uint32_t>(data_.size());
  entry.length = static_cast<uint32_t>(sealed.size());
  data_.insert(data_.end(), sealed.begin(), sealed.end());
  entries_.push_back(entry);
  header_size_ += kPackHeaderEntrySize + (entry.delta ? kPackHeaderDeltaSize : 0);
}

Bytes PackBuilder::finish(const Sealer& sealer) {
  Bytes header;
  header.reserve(header_size_);
  ByteWriter w(header);
  for (const PackEntry& e : entries_) encode_pack_entry(e, w);
  size_t before = data_.size();
  sealer.seal(header, as_bytes(kHeaderAssociatedData), data_);
  ByteWriter(data_).u32(static_cast<uint32_t>(data_.size() - before));
  return std::move(data_);
}

Result<std::vector<PackEntry>> decode_pack_header(const Sealer& sealer, ByteView tail, uint64_t pack_size) {
  if (tail.size() < 4 || pack_size < tail.size()) return corruption("pack is too short to hold a header");
  uint32_t header_len;
  ByteReader lr(tail.subspan(tail.size() - 4));
  if (!lr.u32(header_len)) return corruption("pack header length is unreadable");
  if (header_len + 4ull > tail.size()) return corruption("pack header length is out of range");
  ByteView sealed = tail.subspan(tail.size() - 4 - header_len, header_len);
  CAIRN_ASSIGN_OR_RETURN(Bytes header, sealer.open(sealed, as_bytes(kHeaderAssociatedData)));
  return parse_pack_header_plain(header, pack_size - 4 - header_len);
}

Result<std::vector<PackEntry>> parse_pack_header_plain(ByteView header, uint64_t data_end) {
  std::vector<PackEntry> entries;
  entries.reserve(header.size() / kPackHeaderEntrySize);
  ByteReader r(header);
  while (!r.at_end()) {
    PackEntry e;
    if (!decode_pack_entry(r, e)) return corruption("pack header entry is malformed");
    if (uint64_t{e.offset} + e.length > data_end) return corruption("pack header points past the pack data");
    entries.push_back(e);
  }
  return entries;
}

}  // namespace cairn
