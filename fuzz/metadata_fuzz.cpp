// Compressed bodies: a metadata object is one zstd frame recording its size
// (bounded by the reader), a blob a frame of a size known from the index.
//
// Input: u8 mode; mode 0: the metadata frame (an index inside);
// mode 1: u16 LE expected blob size, then the blob's frame.
#include "fuzz_target.h"
#include "fuzz_util.h"
#include "repo/compress.h"
#include "repo/index.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(metadata) {
  if (size < 1) return;
  ByteView in = ByteView(data, size).subspan(1);
  if (data[0] == 0) {
    Result<Bytes> frame = zstd_decompress_frame(in, 1 << 20);
    if (frame.is_ok()) decode_index(*frame).status().ignore();
    return;
  }
  if (in.size() < 2) return;
  size_t expected = size_t{in[0]} | size_t{in[1]} << 8;
  Result<Bytes> blob = zstd_decompress(in.subspan(2), expected);
  if (blob.is_ok() && blob->size() != expected) fuzz_fail("a blob decompressed to the wrong size");
}
