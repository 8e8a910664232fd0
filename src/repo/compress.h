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

}  // namespace cairn
