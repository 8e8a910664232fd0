// Content-defined chunking (FastCDC with a gear rolling hash).
//
// A chunk boundary depends only on the bytes near it, so inserting bytes
// into a file changes only the chunks around the insert; every other chunk,
// and so every other blob id, stays the same and is deduplicated.
//
// The gear table is derived from a per-repository secret seed, so chunk
// boundaries (and thus chunk sizes) do not reveal which well-known files a
// repository holds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.h"

namespace cairn {

struct ChunkerParams {
  uint32_t min_size = 128 * 1024;       // no cut before this many bytes
  uint32_t avg_size = 512 * 1024;       // expected chunk size (a power of two)
  uint32_t max_size = 2 * 1024 * 1024;  // forced cut
  uint64_t seed = 0;                    // per-repository secret
};

class Chunker {
 public:
  explicit Chunker(const ChunkerParams& params);

  // Returns the length of the first chunk of data. The caller passes at
  // least max_size() bytes unless the data ends sooner (end of file); the
  // result is then in [min(data.size(), min_size), min(data.size(), max_size)].
  // Stateless between calls: each call starts a new chunk at data[0].
  size_t find_boundary(ByteView data) const;

  const ChunkerParams& params() const { return params_; }
  size_t max_size() const { return params_.max_size; }

 private:
  ChunkerParams params_;
  uint64_t mask_small_;  // stricter mask before the average size (normalized chunking)
  uint64_t mask_large_;  // looser mask after it
  std::array<uint64_t, 256> gear_;
};

}  // namespace cairn
