// Packs, index objects and the in-memory MasterIndex: what a pack header
// says is what was put in the pack, every kind of damage to it is
// Corruption, and the index answers lookups while it grows.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "repo/index.h"
#include "repo/pack.h"

namespace cairn {
namespace {

Key test_key(uint8_t seed) {
  Key k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 31 + i);
  return k;
}

BlobId id_from(uint64_t n) {
  BlobId id;
  std::mt19937_64 rng(n);
  for (auto& b : id.bytes) b = static_cast<uint8_t>(rng());
  return id;
}

PackEntry entry(uint64_t n, BlobType type, bool compressed, uint32_t raw_length) {
  PackEntry e;
  e.id = id_from(n);
  e.type = type;
  e.compressed = compressed;
  e.raw_length = raw_length;
  return e;
}

void expect_same_entry(const PackEntry& got, const PackEntry& want, size_t i) {
  EXPECT_EQ(got.id, want.id) << "entry " << i;
  EXPECT_EQ(got.type, want.type) << "entry " << i;
  EXPECT_EQ(got.compressed, want.compressed) << "entry " << i;
  EXPECT_EQ(got.offset, want.offset) << "entry " << i;
  EXPECT_EQ(got.length, want.length) << "entry " << i;
  EXPECT_EQ(got.raw_length, want.raw_length) << "entry " << i;
}

void expect_corruption(const Status& s, const std::string& what) {
  EXPECT_EQ(s.code(), ErrorCode::kCorruption) << what << ": " << (s.is_ok() ? "accepted" : s.message());
}

// A pack of three "sealed" blobs (any bytes will do: the pack does not look
// inside them), with its entries and the blobs' bytes.
struct BuiltPack {
  Bytes data;
  std::vector<PackEntry> entries;
  std::vector<Bytes> blobs;
  size_t header_start = 0;  // where the sealed header begins
};

BuiltPack build_pack(const Sealer& sealer) {
  BuiltPack p;
  PackBuilder builder;
  p.blobs = {Bytes(100, 0xaa), Bytes(kSealOverhead, 0x01), Bytes(5000, 0x5c)};
  builder.add(entry(1, BlobType::kData, true, 4000), p.blobs[0]);
  builder.add(entry(2, BlobType::kTree, false, 0), p.blobs[1]);
  builder.add(entry(3, BlobType::kData, false, 4972), p.blobs[2]);
  p.entries = builder.entries();
  p.header_start = builder.size();
  p.data = builder.finish(sealer);
  return p;
}

TEST(Pack, HeaderDecodesToTheEntriesThatWereAdded) {
  Sealer sealer(test_key(1));
  BuiltPack p = build_pack(sealer);
  Result<std::vector<PackEntry>> header = decode_pack_header(sealer, p.data, p.data.size());
  ASSERT_TRUE(header.is_ok()) << header.status().message();
  ASSERT_EQ(header->size(), 3u);
  uint32_t offset = 0;
  for (size_t i = 0; i < 3; ++i) {
    expect_same_entry((*header)[i], p.entries[i], i);
    EXPECT_EQ((*header)[i].offset, offset) << "blobs are laid out back to back";
    EXPECT_EQ((*header)[i].length, p.blobs[i].size());
    Bytes stored(p.data.begin() + (*header)[i].offset,
                 p.data.begin() + (*header)[i].offset + (*header)[i].length);
    EXPECT_EQ(stored, p.blobs[i]) << "blob " << i << " bytes in the pack";
    offset += (*header)[i].length;
  }
}

// check reads only the end of a pack; the header must decode from that alone.
TEST(Pack, HeaderDecodesFromJustTheTailOfThePack) {
  Sealer sealer(test_key(1));
  BuiltPack p = build_pack(sealer);
  ByteView tail = ByteView(p.data).subspan(p.header_start);
  Result<std::vector<PackEntry>> header = decode_pack_header(sealer, tail, p.data.size());
  ASSERT_TRUE(header.is_ok()) << header.status().message();
  ASSERT_EQ(header->size(), 3u);
  for (size_t i = 0; i < 3; ++i) expect_same_entry((*header)[i], p.entries[i], i);
}

TEST(Pack, EmptyPackHasAnEmptyHeader) {
  Sealer sealer(test_key(1));
  PackBuilder builder;
  Bytes data = builder.finish(sealer);
  Result<std::vector<PackEntry>> header = decode_pack_header(sealer, data, data.size());
  ASSERT_TRUE(header.is_ok()) << header.status().message();
  EXPECT_TRUE(header->empty());
}

TEST(Pack, FlippedByteInTheHeaderOrItsLengthIsCorruption) {
  Sealer sealer(test_key(1));
  BuiltPack p = build_pack(sealer);
  for (size_t pos = p.header_start; pos < p.data.size(); ++pos) {
    Bytes damaged = p.data;
    damaged[pos] ^= 0x01;
    expect_corruption(decode_pack_header(sealer, damaged, damaged.size()).status(),
                      "flip at " + std::to_string(pos));
  }
}

TEST(Pack, HeaderSealedWithAnotherKeyIsCorruption) {
  BuiltPack p = build_pack(Sealer(test_key(1)));
  expect_corruption(decode_pack_header(Sealer(test_key(2)), p.data, p.data.size()).status(), "other key");
}

TEST(Pack, EveryTruncationOfThePackIsCorruption) {
  Sealer sealer(test_key(1));
  BuiltPack p = build_pack(sealer);
  for (size_t n = 0; n < p.data.size(); ++n) {
    ByteView cut = ByteView(p.data).first(n);
    expect_corruption(decode_pack_header(sealer, cut, n).status(), "pack cut to " + std::to_string(n));
  }
}

TEST(Pack, TailMissingTheStartOfTheHeaderIsCorruption) {
  Sealer sealer(test_key(1));
  BuiltPack p = build_pack(sealer);
  ByteView short_tail = ByteView(p.data).subspan(p.header_start + 1);
  expect_corruption(decode_pack_header(sealer, short_tail, p.data.size()).status(), "tail one byte short");
}

TEST(Pack, TailLargerThanThePackIsCorruption) {
  Sealer sealer(test_key(1));
  BuiltPack p = build_pack(sealer);
  expect_corruption(decode_pack_header(sealer, p.data, p.data.size() - 1).status(),
                    "pack_size below tail size");
}

// An intact header over data that has lost bytes (a pack cut in the middle
// and glued back together) must not send readers past the data.
TEST(Pack, HeaderEntriesPointingPastTheDataAreCorruption) {
  Sealer sealer(test_key(1));
  BuiltPack p = build_pack(sealer);

  Bytes shorter = p.data;
  shorter.erase(shorter.begin() + static_cast<ptrdiff_t>(p.header_start) - 1);  // last byte of the last blob
  Status s = decode_pack_header(sealer, shorter, shorter.size()).status();
  expect_corruption(s, "one data byte missing");
  EXPECT_NE(s.message().find("past"), std::string::npos) << s.message();

  ByteView header_only = ByteView(p.data).subspan(p.header_start);
  expect_corruption(decode_pack_header(sealer, header_only, header_only.size()).status(), "no data at all");
}

std::vector<IndexPack> sample_index() {
  IndexPack a;
  a.id = id_from(100);
  for (uint32_t i = 0; i < 5; ++i) {
    PackEntry e = entry(200 + i, i % 2 ? BlobType::kTree : BlobType::kData, i % 3 == 0, 1000 * i);
    e.offset = 7000 * i;
    e.length = 3000 + i;
    a.blobs.push_back(e);
  }
  IndexPack b;
  b.id = id_from(101);
  PackEntry big = entry(300, BlobType::kData, false, std::numeric_limits<uint32_t>::max());
  big.offset = std::numeric_limits<uint32_t>::max() - 1;
  big.length = std::numeric_limits<uint32_t>::max();
  b.blobs.push_back(big);
  IndexPack empty;
  empty.id = id_from(102);
  return {a, b, empty};
}

TEST(Index, RoundTripsPacksAndEntries) {
  const std::vector<IndexPack> packs = sample_index();
  Result<std::vector<IndexPack>> decoded = decode_index(encode_index(packs));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  ASSERT_EQ(decoded->size(), packs.size());
  for (size_t p = 0; p < packs.size(); ++p) {
    EXPECT_EQ((*decoded)[p].id, packs[p].id);
    ASSERT_EQ((*decoded)[p].blobs.size(), packs[p].blobs.size()) << "pack " << p;
    for (size_t i = 0; i < packs[p].blobs.size(); ++i)
      expect_same_entry((*decoded)[p].blobs[i], packs[p].blobs[i], i);
  }
}

TEST(Index, EveryTruncationIsCorruption) {
  const Bytes full = encode_index(sample_index());
  for (size_t n = 0; n < full.size(); ++n)
    expect_corruption(decode_index(ByteView(full).first(n)).status(), "prefix of " + std::to_string(n));
}

TEST(Index, TrailingBytesBadMagicAndUnknownVersionAreCorruption) {
  const Bytes full = encode_index(sample_index());
  Bytes trailing = full;
  trailing.push_back(0);
  expect_corruption(decode_index(trailing).status(), "trailing byte");
  Bytes magic = full;
  magic[0] ^= 0x20;
  expect_corruption(decode_index(magic).status(), "bad magic");
  Bytes version = full;
  version[4] = 3;  // versions 1 and 2 are known
  expect_corruption(decode_index(version).status(), "version 3");
}

TEST(Index, UnknownBlobTypeIsCorruption) {
  Bytes data = encode_index(sample_index());
  // magic(4) version(1) pack count(1) pack id(32) blob count(1), then the first entry's type.
  const size_t type_at = 4 + 1 + 1 + 32 + 1;
  ASSERT_EQ(data[type_at], static_cast<uint8_t>(BlobType::kData));
  data[type_at] = 3;
  expect_corruption(decode_index(data).status(), "blob type 3");
}

TEST(Index, PackCountLargerThanTheInputIsCorruption) {
  Bytes data = to_bytes("CRNI");
  data.push_back(1);
  ByteWriter(data).varint(uint64_t{1} << 40);
  expect_corruption(decode_index(data).status(), "2^40 packs");
}

IndexPack index_pack(uint64_t pack, std::vector<std::pair<uint64_t, uint32_t>> blobs_at) {
  IndexPack p;
  p.id = id_from(pack);
  for (auto [blob, offset] : blobs_at) {
    PackEntry e = entry(blob, BlobType::kData, false, offset + 2);
    e.offset = offset;
    e.length = offset + 1;
    p.blobs.push_back(e);
  }
  return p;
}

TEST(MasterIndex, FindsTheLocationOfEveryAddedBlob) {
  MasterIndex index;
  IndexPack p = index_pack(1, {{10, 0}, {11, 500}});
  p.blobs[1].type = BlobType::kTree;
  p.blobs[1].compressed = true;
  index.add_pack(p);
  index.add_pack(index_pack(2, {{12, 40}}));

  std::optional<BlobLocation> loc = index.find(id_from(11));
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(index.pack_id(loc->pack), id_from(1));
  EXPECT_EQ(loc->offset, 500u);
  EXPECT_EQ(loc->length, 501u);
  EXPECT_EQ(loc->raw_length, 502u);
  EXPECT_EQ(loc->type, BlobType::kTree);
  EXPECT_TRUE(loc->compressed);

  loc = index.find(id_from(12));
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(index.pack_id(loc->pack), id_from(2));
  EXPECT_EQ(loc->offset, 40u);

  EXPECT_TRUE(index.contains(id_from(10)));
  EXPECT_FALSE(index.contains(id_from(13)));
  EXPECT_FALSE(index.find(id_from(13)).has_value());
  EXPECT_EQ(index.blob_count(), 3u);
  EXPECT_EQ(index.pack_count(), 2u);
}

TEST(MasterIndex, FirstCopyOfABlobInSeveralPacksWins) {
  MasterIndex index;
  index.add_pack(index_pack(1, {{10, 100}}));
  index.add_pack(index_pack(2, {{10, 200}, {11, 0}}));
  std::optional<BlobLocation> loc = index.find(id_from(10));
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(index.pack_id(loc->pack), id_from(1));
  EXPECT_EQ(loc->offset, 100u);
  EXPECT_EQ(index.blob_count(), 2u);
  EXPECT_EQ(index.pack_count(), 2u);
}

TEST(MasterIndex, AddingThePackAgainKeepsOnePackNumber) {
  MasterIndex index;
  index.add_pack(index_pack(1, {{10, 100}}));
  index.add_pack(index_pack(1, {{11, 200}}));  // a second index object naming the same pack
  EXPECT_EQ(index.pack_count(), 1u);
  EXPECT_EQ(index.blob_count(), 2u);
  EXPECT_EQ(index.find(id_from(10))->pack, index.find(id_from(11))->pack);
}

TEST(MasterIndex, ForEachVisitsEveryBlobOnce) {
  MasterIndex index;
  index.add_pack(index_pack(1, {{10, 1}, {11, 2}}));
  index.add_pack(index_pack(2, {{11, 3}, {12, 4}}));
  std::map<BlobId, uint32_t> seen;
  index.for_each([&](const BlobId& id, const BlobLocation& loc) { seen[id] += loc.offset; });
  EXPECT_EQ(seen, (std::map<BlobId, uint32_t>{{id_from(10), 1}, {id_from(11), 2}, {id_from(12), 4}}));
}

// Readers look blobs up while a writer adds packs (a backup deduplicates
// while its uploads complete). Every location a reader sees must be whole:
// the fields of one blob, in the pack that holds it.
TEST(MasterIndex, ConcurrentFindsDuringAddPackSeeWholeLocations) {
  constexpr uint64_t kPacks = 300, kBlobsPerPack = 40;
  MasterIndex index;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> found{0}, inconsistent{0};
  auto reader = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    while (!done) {
      std::this_thread::yield();  // glibc's shared_mutex favours readers: leave the writer room
      uint64_t pack = rng() % kPacks, i = rng() % kBlobsPerPack;
      std::optional<BlobLocation> loc = index.find(id_from(1'000'000 + pack * kBlobsPerPack + i));
      if (!loc) continue;
      found++;
      bool whole = index.pack_id(loc->pack) == id_from(pack) && loc->offset == i * 1000 &&
                   loc->length == loc->offset + 1 && loc->raw_length == loc->offset + 2;
      if (!whole) inconsistent++;
    }
  };
  std::vector<std::thread> readers;
  for (uint64_t t = 0; t < 4; ++t) readers.emplace_back(reader, t);
  for (uint64_t pack = 0; pack < kPacks; ++pack) {
    std::vector<std::pair<uint64_t, uint32_t>> blobs;
    for (uint64_t i = 0; i < kBlobsPerPack; ++i)
      blobs.emplace_back(1'000'000 + pack * kBlobsPerPack + i, static_cast<uint32_t>(i * 1000));
    index.add_pack(index_pack(pack, blobs));
    // Halfway, wait until the readers are finding blobs, so the second half
    // of the packs is certainly added while they read.
    while (pack == kPacks / 2 && found == 0) std::this_thread::yield();
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(inconsistent.load(), 0u);
  EXPECT_EQ(index.blob_count(), kPacks * kBlobsPerPack);
  EXPECT_EQ(index.pack_count(), kPacks);
}

}  // namespace
}  // namespace cairn
