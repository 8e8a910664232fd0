// Packs: many sealed blobs in one object, followed by a sealed header.
//
//   [sealed blob 0] ... [sealed blob n-1] [sealed header] [u32 LE header length]
//
// The header lists each blob's type, flags, id, offset, sealed length and
// plaintext length (and, for a delta blob, its base's id), so a pack can be
// re-indexed from its own bytes (check, and recovery after a lost index).
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "repo/format.h"

namespace cairn {

struct PackEntry {
  BlobId id;
  BlobType type = BlobType::kData;
  bool compressed = false;
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t raw_length = 0;
  // A delta blob is stored compressed with the bytes of base (another blob,
  // never itself a delta) as zstd's prefix: a chunk of a file changed in
  // place costs what changed (docs/format.md, "Delta blobs").
  bool delta = false;
  BlobId base{};
};

// Accumulates sealed blobs in memory; not thread-safe (BlobWriter locks).
class PackBuilder {
 public:
  // Appends an already sealed blob and records its entry.
  void add(const PackEntry& entry_without_offset, ByteView sealed);
  // Sizes the buffer once, so a growing pack never holds twice its size.
  void reserve(size_t bytes) { data_.reserve(bytes); }
  // Builds into a buffer finish() returned before (its capacity is kept).
  void reuse_buffer(Bytes&& buffer) {
    buffer.clear();
    data_ = std::move(buffer);
  }
  size_t size() const { return data_.size(); }
  size_t count() const { return entries_.size(); }
  size_t header_size() const { return header_size_; }  // before sealing
  const std::vector<PackEntry>& entries() const { return entries_; }
  // Appends the sealed header and its length; the builder is then spent.
  Bytes finish(const Sealer& sealer);
  // The entries, moved out (after finish, to hand them to the index uncopied).
  std::vector<PackEntry> take_entries() { return std::move(entries_); }

 private:
  Bytes data_;
  std::vector<PackEntry> entries_;
  size_t header_size_ = 0;
};

// An entry's size in a pack header or an index; a delta entry is followed
// by its base's id.
constexpr size_t kPackHeaderEntrySize = 1 + 1 + 32 + 4 + 4 + 4;
constexpr size_t kPackHeaderDeltaSize = 32;

// The entry layout shared by pack headers and index objects.
void encode_pack_entry(const PackEntry& entry, ByteWriter& out);
// False when the entry is truncated or of an unknown type or flag.
bool decode_pack_entry(ByteReader& in, PackEntry& entry);

// Parses a pack's trailing header given the pack's last bytes (tail must
// include the 4-byte length and the whole sealed header) and the pack size.
Result<std::vector<PackEntry>> decode_pack_header(const Sealer& sealer, ByteView tail, uint64_t pack_size);
// Parses an unsealed header: whole entries only, each of a known type and
// lying within the first data_end bytes of the pack (the blobs' area).
Result<std::vector<PackEntry>> parse_pack_header_plain(ByteView header, uint64_t data_end);

}  // namespace cairn
