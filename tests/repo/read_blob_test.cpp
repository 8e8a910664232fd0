// Reading blobs back: every byte is verified, and damage is reported as
// Corruption that names the blob (and the pack) so a user knows what is lost.
#include <gtest/gtest.h>

#include <filesystem>

#include "repo_test_util.h"

namespace cairn {
namespace {

class ReadBlobTest : public RepoTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RepoTest::SetUp());
    ids_ = store_blobs(*repo_, {{BlobType::kData, first_}, {BlobType::kData, second_}});
  }
  const Bytes first_ = random_data(10'000, 1);
  const Bytes second_ = compressible_data(10'000);
  std::vector<BlobId> ids_;
};

TEST_F(ReadBlobTest, FlippedByteInsideABlobIsCorruptionNamingTheBlob) {
  const BlobLocation loc = *repo_->index().find(ids_[0]);
  const std::string pack = repo_->index().pack_id(loc.pack).hex();
  for (uint64_t at : {uint64_t{0}, uint64_t{kNonceSize + 5}, uint64_t{loc.length - 1}}) {
    flip_byte_in_file(pack_path_of(ids_[0]), loc.offset + at);
    Result<Bytes> read = repo_->read_blob(ids_[0]);
    ASSERT_FALSE(read.is_ok()) << "byte " << at << " of the blob flipped, still read";
    EXPECT_EQ(read.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(read.status().message().find(ids_[0].hex().substr(0, 16)), std::string::npos)
        << read.status().message();
    EXPECT_NE(read.status().message().find(pack.substr(0, 16)), std::string::npos) << read.status().message();
    flip_byte_in_file(pack_path_of(ids_[0]), loc.offset + at);
  }
  EXPECT_EQ(*repo_->read_blob(ids_[0]), first_);
}

TEST_F(ReadBlobTest, DamageToOneBlobLeavesItsNeighbourReadable) {
  const BlobLocation loc = *repo_->index().find(ids_[0]);
  flip_byte_in_file(pack_path_of(ids_[0]), loc.offset + loc.length / 2);
  EXPECT_FALSE(repo_->read_blob(ids_[0]).is_ok());
  Result<Bytes> neighbour = repo_->read_blob(ids_[1]);
  ASSERT_TRUE(neighbour.is_ok()) << neighbour.status().message();
  EXPECT_EQ(*neighbour, second_);
}

TEST_F(ReadBlobTest, MissingPackIsCorruptionSayingMissing) {
  ASSERT_TRUE(std::filesystem::remove(pack_path_of(ids_[0])));
  Result<Bytes> read = repo_->read_blob(ids_[0]);
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kCorruption) << read.status().message();
  EXPECT_NE(read.status().message().find("missing"), std::string::npos) << read.status().message();
  EXPECT_NE(read.status().message().find(ids_[0].hex().substr(0, 16)), std::string::npos)
      << read.status().message();
}

TEST_F(ReadBlobTest, TruncatedPackIsCorruption) {
  const std::string path = pack_path_of(ids_[0]);
  const BlobLocation loc = *repo_->index().find(ids_[1]);
  std::filesystem::resize_file(path, loc.offset + loc.length / 2);
  Result<Bytes> read = repo_->read_blob(ids_[1]);
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kCorruption) << read.status().message();
}

TEST_F(ReadBlobTest, BlobMissingFromTheIndexIsCorruption) {
  const Bytes other = random_data(10, 99);
  Result<Bytes> read = repo_->read_blob(repo_->hasher().id(other));
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kCorruption) << read.status().message();
}

// The associated data binds a sealed blob to its id and type, so an index
// entry pointing at the wrong blob cannot make one blob pass for another.
TEST_F(ReadBlobTest, ABlobsBytesDoNotOpenAsAnotherBlob) {
  const BlobLocation loc = *repo_->index().find(ids_[0]);
  Result<Bytes> sealed =
      backend_->get({ObjectKind::kPack, repo_->index().pack_id(loc.pack).hex()}, loc.offset, loc.length);
  ASSERT_TRUE(sealed.is_ok()) << sealed.status().message();
  ASSERT_TRUE(repo_->open_blob(ids_[0], loc, *sealed).is_ok());
  EXPECT_EQ(repo_->open_blob(ids_[1], loc, *sealed).status().code(), ErrorCode::kCorruption);
  BlobLocation as_tree = loc;
  as_tree.type = BlobType::kTree;
  EXPECT_EQ(repo_->open_blob(ids_[0], as_tree, *sealed).status().code(), ErrorCode::kCorruption);
}

TEST_F(ReadBlobTest, WrongLengthInTheIndexIsCorruption) {
  BlobLocation loc = *repo_->index().find(ids_[0]);
  Result<Bytes> sealed =
      backend_->get({ObjectKind::kPack, repo_->index().pack_id(loc.pack).hex()}, loc.offset, loc.length);
  ASSERT_TRUE(sealed.is_ok()) << sealed.status().message();
  loc.raw_length += 1;
  EXPECT_EQ(repo_->open_blob(ids_[0], loc, *sealed).status().code(), ErrorCode::kCorruption);
}

TEST_F(ReadBlobTest, StoredTreeReadsBackAsTheSameTree) {
  Tree tree;
  Node file;
  file.name = "a.txt";
  file.size = first_.size();
  file.content = {{ids_[0], static_cast<uint32_t>(first_.size())}};
  tree.nodes.push_back(file);
  const std::vector<BlobId> ids = store_blobs(*repo_, {{BlobType::kTree, encode_tree(tree)}});
  Result<Tree> read = repo_->read_tree(ids[0]);
  ASSERT_TRUE(read.is_ok()) << read.status().message();
  ASSERT_EQ(read->nodes.size(), 1u);
  EXPECT_EQ(read->nodes[0], file);
}

}  // namespace
}  // namespace cairn
