// Pack headers: the plaintext parser, the same bytes sealed into a pack's
// trailer, and the raw input taken as a (forged) trailer.
//
// Input: u32 LE end of the blobs' area, then the plaintext header.
#include "fuzz_target.h"
#include "fuzz_util.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(pack_header) {
  ByteView in(data, size);
  decode_pack_header(fixed_sealer(), in, size).status().ignore();
  decode_pack_header(fixed_sealer(), in, uint64_t{size} + 1000).status().ignore();

  ByteReader r(in);
  uint32_t data_end;
  if (!r.u32(data_end)) return;
  ByteView header = in.subspan(4);
  Result<std::vector<PackEntry>> plain = parse_pack_header_plain(header, data_end);
  if (plain.is_ok()) {
    for (const PackEntry& e : *plain) {
      if (uint64_t{e.offset} + e.length > data_end) fuzz_fail("an entry points past the blobs' area");
      if (e.type != BlobType::kData && e.type != BlobType::kTree) fuzz_fail("an entry has an unknown type");
    }
  }

  // A pack whose trailer seals this header, with data_end bytes of blobs
  // before it (only the trailer is passed, as readers do).
  Bytes tail = fixed_sealer().seal(header, as_bytes("cairn/v1/pack-header"));
  uint32_t sealed_len = static_cast<uint32_t>(tail.size());
  ByteWriter(tail).u32(sealed_len);
  Result<std::vector<PackEntry>> sealed =
      decode_pack_header(fixed_sealer(), tail, uint64_t{data_end} + tail.size());
  if (sealed.is_ok() != plain.is_ok()) fuzz_fail("sealed and plaintext headers disagree on validity");
  if (sealed.is_ok() && !same_entries(*sealed, *plain))
    fuzz_fail("sealed and plaintext headers disagree on entries");
}
