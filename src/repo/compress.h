// zstd compression of blobs and metadata (internal to the repository).
#pragma once

#include "common/bytes.h"
#include "common/status.h"

namespace cairn {

// Compresses with zstd at level; returns false when the output would not be
// smaller than the input (the caller then stores the input as is).
bool zstd_compress(ByteView input, int level, Bytes& out);
// Decompresses; Corruption unless the output is exactly expected_size bytes.
Result<Bytes> zstd_decompress(ByteView input, size_t expected_size);
// Decompresses a frame whose size is recorded in its header (metadata objects).
Result<Bytes> zstd_decompress_frame(ByteView input, size_t max_size);

// Delta blobs (pack.h): input compressed with base as zstd's prefix (a
// dictionary for one frame), so whatever input shares with base, at the
// same offset or moved, costs a match; false as zstd_compress.
bool zstd_compress_against(ByteView input, ByteView base, int level, Bytes& out);
Result<Bytes> zstd_decompress_against(ByteView input, ByteView base, size_t expected_size);

}  // namespace cairn
