// Delta blobs: a blob compressed against a base blob reads back
// byte for byte, through a fresh index, whatever the lengths; a delta is
// only taken when it is smaller; a chain is never longer than one; and a
// delta whose base is gone is reported, never returned wrong.
#include <gtest/gtest.h>

#include "repo/check.h"
#include "repo/index.h"
#include "repo/pack.h"
#include "repo_test_util.h"

namespace cairn {
namespace {

// data with a few bytes changed at spread offsets, as a page rewrite leaves a chunk.
Bytes with_changes(Bytes data, uint64_t seed) {
  for (size_t i = 0; i < 5; ++i) data[(seed * 7919 + i * 200003) % data.size()] ^= 0x5a;
  return data;
}

class DeltaBlobTest : public RepoTest {
 protected:
  BlobId store(ByteView data, const BlobId* base = nullptr, uint64_t* bytes_added = nullptr) {
    BlobWriter writer(*repo_);
    const BlobId id = repo_->hasher().id(data);
    Result<bool> added = writer.add(BlobType::kData, id, data, base);
    EXPECT_TRUE(added.is_ok()) << added.status().message();
    Status s = writer.flush();
    EXPECT_TRUE(s.is_ok()) << s.message();
    if (bytes_added) *bytes_added = writer.bytes_added();
    return id;
  }

  void expect_reads_back(Repository& repo, const BlobId& id, const Bytes& expected) {
    Result<Bytes> read = repo.read_blob(id);
    ASSERT_TRUE(read.is_ok()) << read.status().message();
    EXPECT_TRUE(*read == expected) << "blob " << id.hex() << " read back different bytes";
  }
};

TEST_F(DeltaBlobTest, ChunkChangedInAFewBytesIsStoredAsASmallDeltaAndReadsBackExact) {
  const Bytes base = random_data(1 << 20, 1);
  const Bytes changed = with_changes(base, 2);
  const BlobId base_id = store(base);
  uint64_t added = 0;
  const BlobId id = store(changed, &base_id, &added);
  ASSERT_TRUE(repo_->index().find(id)->delta);
  EXPECT_EQ(repo_->index().delta_base(id), base_id);
  EXPECT_LT(added, 1024u) << "5 changed bytes of an incompressible MiB should cost a few dozen bytes";
  expect_reads_back(*repo_, id, changed);

  // As another process sees it: from the index objects in storage.
  std::unique_ptr<Repository> other = open_again();
  ASSERT_TRUE(other->load_index().is_ok());
  EXPECT_EQ(other->index().delta_base(id), base_id);
  expect_reads_back(*other, id, changed);
  expect_reads_back(*other, base_id, base);
}

TEST_F(DeltaBlobTest, DeltasOfLongerAndShorterChunksReadBackExact) {
  const Bytes base = random_data(300000, 3);
  Bytes longer = with_changes(base, 4);
  const Bytes tail = random_data(5000, 5);
  longer.insert(longer.end(), tail.begin(), tail.end());
  Bytes shorter(base.begin(), base.begin() + 200000);
  shorter[100] ^= 1;
  const BlobId base_id = store(base);
  const BlobId longer_id = store(longer, &base_id);
  const BlobId shorter_id = store(shorter, &base_id);
  EXPECT_TRUE(repo_->index().find(longer_id)->delta);
  EXPECT_TRUE(repo_->index().find(shorter_id)->delta);
  expect_reads_back(*repo_, longer_id, longer);
  expect_reads_back(*repo_, shorter_id, shorter);
}

TEST_F(DeltaBlobTest, DeltaAgainstADeltaIsStoredAgainstThatDeltasBase) {
  const Bytes v1 = random_data(1 << 20, 6);
  const Bytes v2 = with_changes(v1, 7);
  const Bytes v3 = with_changes(v2, 8);
  const BlobId v1_id = store(v1);
  const BlobId v2_id = store(v2, &v1_id);
  const BlobId v3_id = store(v3, &v2_id);
  EXPECT_EQ(repo_->index().delta_base(v3_id), v1_id) << "a chain of deltas would make reads ever slower";
  expect_reads_back(*repo_, v3_id, v3);
}

TEST_F(DeltaBlobTest, UnrelatedBlobIsStoredWholeDespiteABase) {
  const BlobId base_id = store(random_data(1 << 20, 9));
  // Hex digits: compresses about 2:1, by itself as well as against the base.
  Bytes other = random_data(1 << 20, 10);
  for (uint8_t& b : other) b = static_cast<uint8_t>("0123456789abcdef"[b & 15]);
  const BlobId id = store(other, &base_id);
  EXPECT_FALSE(repo_->index().find(id)->delta) << "nothing in common with the base: stored whole";
  EXPECT_FALSE(repo_->index().delta_base(id).has_value());
  expect_reads_back(*repo_, id, other);
}

TEST_F(DeltaBlobTest, BaseNotInTheRepositoryMeansTheBlobIsStoredWhole) {
  const Bytes data = random_data(100000, 11);
  const BlobId missing = repo_->hasher().id(as_bytes(std::string_view("never stored")));
  const BlobId id = store(data, &missing);
  EXPECT_FALSE(repo_->index().find(id)->delta);
  expect_reads_back(*repo_, id, data);
}

TEST_F(DeltaBlobTest, DeltaWhoseBaseIsNoLongerIndexedIsCorruptionNamingTheBlob) {
  const Bytes base = random_data(1 << 20, 12);
  const BlobId base_id = store(base);
  const std::vector<std::string> base_index = object_names(*backend_, ObjectKind::kIndex);
  ASSERT_EQ(base_index.size(), 1u);
  const BlobId id = store(with_changes(base, 13), &base_id);
  ASSERT_TRUE(repo_->index().find(id)->delta);
  ASSERT_TRUE(backend_->remove({ObjectKind::kIndex, base_index[0]}).is_ok());

  std::unique_ptr<Repository> other = open_again();
  ASSERT_TRUE(other->load_index().is_ok());
  Result<Bytes> read = other->read_blob(id);
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(read.status().message().find(id.hex().substr(0, 16)), std::string::npos)
      << read.status().message();
  EXPECT_NE(read.status().message().find("base"), std::string::npos) << read.status().message();
}

TEST_F(DeltaBlobTest, CheckReadDataVerifiesDeltaBlobsAgainstTheirBases) {
  const Bytes base = random_data(1 << 20, 14);
  const BlobId base_id = store(base);
  const BlobId id = store(with_changes(base, 15), &base_id);
  Result<CheckReport> clean = check_repository(*repo_, CheckOptions{true, 1}, nullptr);
  ASSERT_TRUE(clean.is_ok()) << clean.status().message();
  EXPECT_TRUE(clean->problems.empty()) << clean->problems[0].message;

  // A damaged base damages the delta too: check names both.
  flip_byte_in_file(pack_path_of(base_id), repo_->index().find(base_id)->offset + 20);
  std::unique_ptr<Repository> other = open_again();
  ASSERT_TRUE(other->load_index().is_ok());
  Result<CheckReport> damaged = check_repository(*other, CheckOptions{true, 1}, nullptr);
  ASSERT_TRUE(damaged.is_ok()) << damaged.status().message();
  std::string all;
  for (const CheckProblem& p : damaged->problems) all += p.message + "\n";
  EXPECT_NE(all.find(base_id.hex().substr(0, 16)), std::string::npos) << all;
  EXPECT_NE(all.find(id.hex().substr(0, 16)), std::string::npos) << all;
}

TEST(DeltaBlobFormat, PackHeaderAndIndexCarryTheBaseOfDeltaEntries) {
  PackEntry whole;
  whole.id.bytes.fill(1);
  whole.compressed = true;
  whole.length = 100;
  whole.raw_length = 200;
  PackEntry delta = whole;
  delta.id.bytes.fill(2);
  delta.offset = 100;
  delta.delta = true;
  delta.base.bytes.fill(1);
  Bytes header;
  ByteWriter w(header);
  encode_pack_entry(whole, w);
  encode_pack_entry(delta, w);
  Result<std::vector<PackEntry>> parsed = parse_pack_header_plain(header, 200);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_FALSE((*parsed)[0].delta);
  EXPECT_TRUE((*parsed)[1].delta);
  EXPECT_EQ((*parsed)[1].base, whole.id);

  Result<std::vector<IndexPack>> decoded = decode_index(encode_index({IndexPack{PackId{}, *parsed}}));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_EQ((*decoded)[0].blobs[1].base, whole.id);
  // A truncated base is a malformed header, never a short read.
  header.pop_back();
  EXPECT_EQ(parse_pack_header_plain(header, 200).status().code(), ErrorCode::kCorruption);
}

TEST(DeltaBlobFormat, VersionOneIndexObjectsStillReadAndCannotHoldDeltas) {
  PackEntry e;
  e.id.bytes.fill(3);
  e.length = 10;
  e.raw_length = 10;
  Bytes v2 = encode_index({IndexPack{PackId{}, {e}}});
  Bytes v1 = v2;
  v1[4] = 1;  // the version byte after "CRNI"
  Result<std::vector<IndexPack>> old = decode_index(v1);
  ASSERT_TRUE(old.is_ok()) << old.status().message();
  EXPECT_EQ((*old)[0].blobs[0].id, e.id);

  e.delta = e.compressed = true;
  Bytes with_delta = encode_index({IndexPack{PackId{}, {e}}});
  with_delta[4] = 1;
  EXPECT_EQ(decode_index(with_delta).status().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace cairn
