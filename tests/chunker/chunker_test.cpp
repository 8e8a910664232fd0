// FastCDC boundaries: size bounds, average, determinism, and the property
// deduplication relies on: an edit changes only the chunks around it.
#include "chunker/chunker.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "crypto/crypto.h"

namespace cairn {
namespace {

constexpr size_t kMiB = 1024 * 1024;

Bytes pseudo_random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(b.data() + i, &v, 8);
  }
  for (; i < n; ++i) b[i] = static_cast<uint8_t>(rng());
  return b;
}

// Splits a whole buffer the way a backup does: one find_boundary per chunk.
std::vector<size_t> split(const Chunker& chunker, ByteView data) {
  std::vector<size_t> sizes;
  while (!data.empty()) {
    const size_t n = chunker.find_boundary(data);
    EXPECT_GT(n, 0u);
    if (n == 0) break;
    sizes.push_back(n);
    data = data.subspan(n);
  }
  return sizes;
}

using ChunkHash = std::array<uint8_t, 32>;

std::vector<ChunkHash> chunk_hashes(const Chunker& chunker, ByteView data) {
  std::vector<ChunkHash> hashes;
  size_t pos = 0;
  for (size_t n : split(chunker, data)) {
    hashes.push_back(sha256(data.subspan(pos, n)));
    pos += n;
  }
  return hashes;
}

ChunkerParams small_params(uint64_t seed) {
  return ChunkerParams{.min_size = 2048, .avg_size = 8192, .max_size = 32768, .seed = seed};
}

ChunkerParams default_params(uint64_t seed) {
  ChunkerParams p;
  p.seed = seed;
  return p;
}

void expect_sizes_within_bounds(const ChunkerParams& params, size_t total) {
  const Chunker chunker(params);
  const Bytes data = pseudo_random(total, params.seed + 1);
  const std::vector<size_t> sizes = split(chunker, data);
  ASSERT_FALSE(sizes.empty());
  size_t sum = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    sum += sizes[i];
    if (i + 1 == sizes.size()) break;  // the last chunk ends with the data
    EXPECT_GE(sizes[i], params.min_size) << "chunk " << i;
    EXPECT_LE(sizes[i], params.max_size) << "chunk " << i;
  }
  EXPECT_LE(sizes.back(), params.max_size);
  EXPECT_EQ(sum, total);
}

TEST(Chunker, ChunkSizesStayWithinMinAndMax) {
  expect_sizes_within_bounds(small_params(1), 8 * kMiB + 123);
  expect_sizes_within_bounds(default_params(2), 32 * kMiB + 7);
}

void expect_average_near_target(const ChunkerParams& params, size_t total) {
  const Chunker chunker(params);
  const Bytes data = pseudo_random(total, params.seed * 31 + 5);
  const std::vector<size_t> sizes = split(chunker, data);
  const double average = static_cast<double>(total) / static_cast<double>(sizes.size());
  EXPECT_GT(average, 0.75 * params.avg_size) << sizes.size() << " chunks";
  EXPECT_LT(average, 1.25 * params.avg_size) << sizes.size() << " chunks";
}

TEST(Chunker, AverageChunkSizeIsNearTarget) {
  expect_average_near_target(default_params(3), 64 * kMiB);
  expect_average_near_target(small_params(4), 64 * kMiB);
}

TEST(Chunker, SameSeedGivesSameChunksOtherSeedDiffers) {
  const Bytes data = pseudo_random(8 * kMiB, 5);
  const auto a = split(Chunker(small_params(6)), data);
  const auto b = split(Chunker(small_params(6)), data);
  const auto c = split(Chunker(small_params(7)), data);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// The gear table is part of the repository format: these boundaries must
// never change, or old repositories would stop deduplicating new backups.
// The expected sizes come from an independent Python transcription of the
// algorithm documented in chunker.cpp; the data is a 64-bit LCG's top bytes.
TEST(Chunker, BoundariesAreStableAcrossVersions) {
  Bytes data(256 * 1024);
  uint64_t x = 1;
  for (auto& b : data) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    b = static_cast<uint8_t>(x >> 56);
  }
  const auto sizes = split(Chunker(small_params(0x0123456789abcdef)), data);
  const std::vector<size_t> expected = {8969,  11090, 9088, 10056, 8564, 8920, 11624, 9492, 11169, 10224,
                                        12992, 11640, 5625, 8055,  7387, 5914, 10133, 9892, 12944, 12778,
                                        8887,  6062,  9234, 12477, 9331, 9654, 8961,  982};
  EXPECT_EQ(sizes, expected);
}

TEST(Chunker, ResultDependsOnlyOnFirstMaxSizeBytes) {
  const ChunkerParams params = small_params(9);
  const Chunker chunker(params);
  const Bytes data = pseudo_random(10 * params.max_size, 10);
  for (size_t start = 0; start < data.size() - params.max_size; start += params.max_size / 3) {
    ByteView rest = ByteView(data).subspan(start);
    EXPECT_EQ(chunker.find_boundary(rest), chunker.find_boundary(rest.first(params.max_size)));
  }
}

// Number of chunks at the front of a that are not at the front of b, and
// the same from the back: what an edit cost in new blobs.
struct Difference {
  size_t common_prefix;
  size_t common_suffix;
};

Difference compare(const std::vector<ChunkHash>& a, const std::vector<ChunkHash>& b) {
  Difference d{0, 0};
  while (d.common_prefix < a.size() && d.common_prefix < b.size() &&
         a[d.common_prefix] == b[d.common_prefix]) {
    ++d.common_prefix;
  }
  while (d.common_suffix < a.size() && d.common_suffix < b.size() &&
         a[a.size() - 1 - d.common_suffix] == b[b.size() - 1 - d.common_suffix]) {
    ++d.common_suffix;
  }
  return d;
}

// Applies edit to a 32 MiB random file and checks that only the chunk
// holding the edit and at most the next two differ.
void expect_local_change(const ChunkerParams& params, size_t offset, size_t erase, size_t insert) {
  const Chunker chunker(params);
  const Bytes original = pseudo_random(32 * kMiB, params.seed + offset);
  Bytes edited = original;
  edited.erase(edited.begin() + static_cast<ptrdiff_t>(offset),
               edited.begin() + static_cast<ptrdiff_t>(offset + erase));
  const Bytes inserted = pseudo_random(insert, 77);
  edited.insert(edited.begin() + static_cast<ptrdiff_t>(offset), inserted.begin(), inserted.end());

  const auto before = chunk_hashes(chunker, original);
  const auto after = chunk_hashes(chunker, edited);
  const Difference d = compare(before, after);
  // Chunks wholly before the edit are untouched.
  size_t chunk_of_edit = 0;
  for (size_t end = 0; end <= offset; ++chunk_of_edit) {
    end += chunker.find_boundary(ByteView(original).subspan(end));
  }
  --chunk_of_edit;
  EXPECT_GE(d.common_prefix, chunk_of_edit);
  const size_t changed = after.size() - d.common_prefix - d.common_suffix;
  EXPECT_LE(changed, 3u) << "of " << after.size() << " chunks, edit in chunk " << chunk_of_edit;
  EXPECT_GT(before.size(), 20u);
}

TEST(Chunker, InsertNearStartChangesOnlyNearbyChunks) {
  expect_local_change(default_params(11), 1000, 0, 5);
  expect_local_change(default_params(12), 200 * 1024, 0, 3);
  expect_local_change(small_params(13), 100, 0, 17);
}

TEST(Chunker, InsertInMiddleChangesOnlyNearbyChunks) {
  expect_local_change(default_params(14), 17 * kMiB + 12345, 0, 8);
  expect_local_change(small_params(15), 9 * kMiB + 1, 0, 1);
}

TEST(Chunker, DeletionChangesOnlyNearbyChunks) {
  expect_local_change(default_params(16), 1000, 7, 0);
  expect_local_change(default_params(17), 20 * kMiB, 4096, 0);
  expect_local_change(small_params(18), 3000, 1, 0);
}

TEST(Chunker, AllZeroInputCutsAtMaxSize) {
  for (uint64_t seed : {0ull, 1ull, 42ull, 0x5eedull}) {
    const ChunkerParams params = default_params(seed);
    const Bytes zeros(3 * params.max_size + 1000, 0);
    const auto sizes = split(Chunker(params), zeros);
    const std::vector<size_t> expected = {params.max_size, params.max_size, params.max_size, 1000};
    EXPECT_EQ(sizes, expected) << "seed " << seed;
  }
}

TEST(Chunker, InputShorterThanMinIsOneChunk) {
  const Chunker chunker(default_params(19));
  const Bytes data = pseudo_random(chunker.params().min_size - 1, 20);
  EXPECT_EQ(chunker.find_boundary(data), data.size());
  EXPECT_EQ(chunker.find_boundary(ByteView(data).first(1)), 1u);
  EXPECT_EQ(chunker.find_boundary(ByteView()), 0u);
}

TEST(Chunker, InputOfExactlyMinIsOneChunk) {
  const Chunker chunker(small_params(21));
  const Bytes data = pseudo_random(chunker.params().min_size, 22);
  EXPECT_EQ(chunker.find_boundary(data), data.size());
}

}  // namespace
}  // namespace cairn
