// FastCDC (Xia et al., USENIX ATC 2016) with normalized chunking, level 2.
//
// Rolling hash: h = (h << 1) + gear[byte], over 64-bit unsigned arithmetic.
// A byte's gear value is shifted out of h after 64 more bytes, so h depends
// only on the last 64 bytes; its low bits depend only on the last few bytes,
// so the cut test looks at the top bits: a cut follows the byte at which the
// top N bits of h are all zero, i.e. (h & mask) == 0 with mask = top N bits.
//
// For a chunk starting at data[0], with bits = log2(avg_size):
//   - bytes [0, min_size) are skipped: they cannot end a chunk and are not
//     hashed (h starts at 0 at data[min_size]);
//   - up to avg_size the mask has bits + 2 top bits (cuts are 4x rarer),
//   - after it, bits - 2 top bits (cuts are 4x likelier), until max_size,
//     where a cut is forced.
// Exactly, with end = min(size, max_size) and data of at most min_size bytes
// being one chunk:
//   h = 0
//   for i in min_size .. end-1:
//     h = (h << 1) + gear[data[i]]                 (mod 2^64)
//     mask = i < avg_size ? top(bits + 2) : top(bits - 2)
//     if (h & mask) == 0: the chunk is data[0, i + 1)
//   otherwise the chunk is data[0, end)
// This narrows the spread of chunk sizes around the average. With the
// default min = avg/4 and max = 4 * avg, the mean chunk of random data is
// about 1.15 * avg_size (the skipped min_size bytes add to it).
//
// Gear table (part of the repository format; must never change):
//   state = seed
//   for i in 0..255:
//     state = state + 0x9E3779B97F4A7C15           (mod 2^64)
//     z = state
//     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9     (mod 2^64)
//     z = (z ^ (z >> 27)) * 0x94D049BB133111EB     (mod 2^64)
//     gear[i] = z ^ (z >> 31)
// i.e. gear[i] is the (i+1)-th output of SplitMix64 seeded with seed.
#include "chunker/chunker.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace cairn {

namespace {

uint64_t top_bits_mask(unsigned n) { return n == 0 ? 0 : ~uint64_t{0} << (64 - n); }

std::array<uint64_t, 256> make_gear(uint64_t seed) {
  std::array<uint64_t, 256> gear;
  uint64_t state = seed;
  for (auto& g : gear) {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    g = z ^ (z >> 31);
  }
  return gear;
}

// The repository config is validated before it reaches here; this only keeps
// a bad value from breaking the loop's invariants (min <= avg <= max, and
// 6 <= log2(avg) <= 30 so that both masks have bits).
ChunkerParams sanitize(ChunkerParams p) {
  assert(std::has_single_bit(p.avg_size));
  assert(p.min_size <= p.avg_size && p.avg_size <= p.max_size);
  p.avg_size = std::clamp<uint32_t>(std::bit_floor(p.avg_size), 64, uint32_t{1} << 30);
  p.min_size = std::min(p.min_size, p.avg_size);
  p.max_size = std::max(p.max_size, p.avg_size);
  return p;
}

// Returns the index just past the first byte in data[from, to) after which
// (h & mask) == 0, or 0 if there is none (a cut index is never 0).
// The hash update compiles to one lea per byte; unrolling by four trims the
// loop overhead. Unrolling by eight, comparing h against a threshold, and
// advancing two bytes per dependent step were measured and were no faster.
inline size_t scan(const uint8_t* data, size_t from, size_t to, uint64_t mask, const uint64_t* gear,
                   uint64_t& h) {
  size_t i = from;
  for (; i + 4 <= to; i += 4) {
    h = (h << 1) + gear[data[i]];
    if (!(h & mask)) return i + 1;
    h = (h << 1) + gear[data[i + 1]];
    if (!(h & mask)) return i + 2;
    h = (h << 1) + gear[data[i + 2]];
    if (!(h & mask)) return i + 3;
    h = (h << 1) + gear[data[i + 3]];
    if (!(h & mask)) return i + 4;
  }
  for (; i < to; ++i) {
    h = (h << 1) + gear[data[i]];
    if (!(h & mask)) return i + 1;
  }
  return 0;
}

}  // namespace

Chunker::Chunker(const ChunkerParams& params) : params_(sanitize(params)) {
  const unsigned bits = static_cast<unsigned>(std::countr_zero(params_.avg_size));
  mask_small_ = top_bits_mask(bits + 2);
  mask_large_ = top_bits_mask(bits - 2);
  gear_ = make_gear(params_.seed);
}

size_t Chunker::find_boundary(ByteView data) const {
  const size_t size = data.size();
  if (size <= params_.min_size) return size;
  const size_t end = std::min<size_t>(size, params_.max_size);
  const size_t normal = std::min<size_t>(end, params_.avg_size);

  uint64_t h = 0;
  size_t cut = scan(data.data(), params_.min_size, normal, mask_small_, gear_.data(), h);
  if (cut == 0) cut = scan(data.data(), normal, end, mask_large_, gear_.data(), h);
  return cut == 0 ? end : cut;
}

}  // namespace cairn
