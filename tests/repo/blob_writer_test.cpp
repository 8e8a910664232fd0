// BlobWriter: what goes in comes back out, once, from packs of the
// configured size, through an index another process can load; and a failed
// upload is an error, never a silent loss.
#include "repo/blob_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "repo/index.h"
#include "repo_test_util.h"
#include "storage/fault_backend.h"

namespace cairn {
namespace {

class BlobWriterTest : public RepoTest {
 protected:
  // How many times each blob id appears across every index object in storage.
  std::map<BlobId, int> indexed_copies() {
    std::map<BlobId, int> copies;
    for (const auto& name : object_names(*backend_, ObjectKind::kIndex)) {
      Result<Bytes> plain = repo_->get_sealed(ObjectKind::kIndex, name);
      EXPECT_TRUE(plain.is_ok()) << plain.status().message();
      if (!plain.is_ok()) continue;
      Result<std::vector<IndexPack>> packs = decode_index(*plain);
      EXPECT_TRUE(packs.is_ok()) << packs.status().message();
      if (!packs.is_ok()) continue;
      for (const auto& p : *packs)
        for (const auto& e : p.blobs) copies[e.id]++;
    }
    return copies;
  }

  size_t pack_files() {
    size_t n = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.file("data")))
      n += entry.is_regular_file();
    return n;
  }
};

TEST_F(BlobWriterTest, AddedBlobsReadBackIdenticalAfterFlush) {
  std::vector<std::pair<BlobType, Bytes>> blobs;
  for (size_t size : {size_t{0}, size_t{1}, size_t{1024 * 1024}}) {
    blobs.emplace_back(BlobType::kData, random_data(size, size));
    blobs.emplace_back(BlobType::kData, compressible_data(size, size));
  }
  blobs.erase(blobs.begin() + 1);  // the two empty blobs are one blob
  blobs.emplace_back(BlobType::kTree, compressible_data(3000, 9));
  const std::vector<BlobId> ids = store_blobs(*repo_, blobs);
  for (size_t i = 0; i < blobs.size(); ++i) {
    Result<Bytes> read = repo_->read_blob(ids[i]);
    ASSERT_TRUE(read.is_ok()) << "blob " << i << ": " << read.status().message();
    EXPECT_EQ(*read, blobs[i].second) << "blob " << i;
    EXPECT_EQ(repo_->index().find(ids[i])->type, blobs[i].first) << "blob " << i;
  }
}

TEST_F(BlobWriterTest, CompressibleBlobsAreStoredCompressedAndRandomOnesAsIs) {
  const Bytes text = compressible_data(1024 * 1024), noise = random_data(1024 * 1024, 1);
  BlobWriter writer(*repo_);
  const BlobId text_id = repo_->hasher().id(text), noise_id = repo_->hasher().id(noise);
  ASSERT_TRUE(writer.add(BlobType::kData, text_id, text).is_ok());
  const uint64_t text_bytes = writer.bytes_added();
  ASSERT_TRUE(writer.add(BlobType::kData, noise_id, noise).is_ok());
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_LT(text_bytes, text.size() / 10);
  EXPECT_EQ(writer.bytes_added() - text_bytes, noise.size() + kSealOverhead);
  EXPECT_TRUE(repo_->index().find(text_id)->compressed);
  EXPECT_FALSE(repo_->index().find(noise_id)->compressed);
  EXPECT_EQ(repo_->index().find(text_id)->raw_length, text.size());
}

TEST_F(BlobWriterTest, CompressionLevelZeroStoresBlobsUncompressed) {
  TempDir dir;
  std::shared_ptr<Backend> backend = new_local_backend(dir);
  InitOptions options = fast_init_options();
  options.compression_level = 0;
  ASSERT_TRUE(Repository::init(backend, "pw", options).is_ok());
  Result<std::unique_ptr<Repository>> opened = Repository::open(backend, "pw");
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  std::unique_ptr<Repository> repo = std::move(*opened);
  const Bytes text = compressible_data(100'000);
  const std::vector<BlobId> ids = store_blobs(*repo, {{BlobType::kData, text}});
  EXPECT_FALSE(repo->index().find(ids[0])->compressed);
  EXPECT_EQ(*repo->read_blob(ids[0]), text);
}

TEST_F(BlobWriterTest, AddingTheSameIdTwiceStoresItOnce) {
  const Bytes data = random_data(1000, 1);
  const BlobId id = repo_->hasher().id(data);
  BlobWriter writer(*repo_);
  Result<bool> first = writer.add(BlobType::kData, id, data);
  Result<bool> second = writer.add(BlobType::kData, id, data);
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_EQ(writer.blobs_added(), 1u);
  EXPECT_EQ(indexed_copies(), (std::map<BlobId, int>{{id, 1}}));
}

TEST_F(BlobWriterTest, BlobAlreadyInTheRepositoryIsNotStoredAgain) {
  const Bytes data = random_data(1000, 1);
  const std::vector<BlobId> ids = store_blobs(*repo_, {{BlobType::kData, data}});
  const size_t indexes = object_names(*backend_, ObjectKind::kIndex).size();

  BlobWriter writer(*repo_);
  Result<bool> added = writer.add(BlobType::kData, ids[0], data);
  ASSERT_TRUE(added.is_ok());
  EXPECT_FALSE(*added);
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_EQ(writer.blobs_added(), 0u);
  EXPECT_EQ(writer.packs_written(), 0u);
  EXPECT_EQ(object_names(*backend_, ObjectKind::kIndex).size(), indexes) << "an empty flush wrote an index";
}

TEST_F(BlobWriterTest, AnotherRepositoryInstanceFindsTheBlobsAfterLoadIndex) {
  const Bytes a = random_data(5000, 1), b = compressible_data(5000);
  const std::vector<BlobId> ids = store_blobs(*repo_, {{BlobType::kData, a}, {BlobType::kTree, b}});
  EXPECT_EQ(object_names(*backend_, ObjectKind::kIndex).size(), 1u);

  std::unique_ptr<Repository> other = open_again();
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(other->index().contains(ids[0])) << "the index is loaded only on request";
  std::vector<std::string> damaged;
  ASSERT_TRUE(other->load_index(&damaged).is_ok());
  EXPECT_TRUE(damaged.empty());
  EXPECT_EQ(*other->read_blob(ids[0]), a);
  EXPECT_EQ(*other->read_blob(ids[1]), b);
}

TEST_F(BlobWriterTest, ConcurrentAddsOfOverlappingIdsStoreEachIdExactlyOnce) {
  constexpr int kThreads = 4, kShared = 300, kOwn = 50;
  std::vector<Bytes> shared;
  for (int i = 0; i < kShared; ++i) shared.push_back(random_data(100 + i * 37, i));
  BlobWriter writer(*repo_, 2);
  std::atomic<uint64_t> stored{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto add = [&](const Bytes& data) {
        Result<bool> r = writer.add(BlobType::kData, repo_->hasher().id(data), data);
        if (!r.is_ok())
          errors++;
        else if (*r)
          stored++;
      };
      // Every thread adds every shared blob, each starting at a different place.
      for (int i = 0; i < kShared; ++i) add(shared[(i + t * kShared / kThreads) % kShared]);
      for (int i = 0; i < kOwn; ++i) add(random_data(64, 100000 + t * kOwn + i));
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(writer.flush().is_ok());
  const uint64_t distinct = kShared + kThreads * kOwn;
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_EQ(stored.load(), distinct);
  EXPECT_EQ(writer.blobs_added(), distinct);
  std::map<BlobId, int> copies = indexed_copies();
  EXPECT_EQ(copies.size(), distinct);
  for (const auto& [id, n] : copies) EXPECT_EQ(n, 1) << id.hex();
  for (const auto& data : shared) EXPECT_EQ(*repo_->read_blob(repo_->hasher().id(data)), data);
}

class SmallPackTest : public BlobWriterTest {
 protected:
  static constexpr uint32_t kPackSize = 1024 * 1024;  // the smallest the config allows
  void SetUp() override {
    InitOptions options = fast_init_options();
    options.pack_size = kPackSize;
    ASSERT_NO_FATAL_FAILURE(create_repository(options));
  }
};

TEST_F(SmallPackTest, PacksRollOverAtThePackSize) {
  constexpr size_t kBlob = 256 * 1024;  // four (sealed, a little more) fill a pack
  std::vector<std::pair<BlobType, Bytes>> blobs;
  for (int i = 0; i < 12; ++i) blobs.emplace_back(BlobType::kData, random_data(kBlob, i));
  BlobWriter writer(*repo_);
  std::vector<BlobId> ids;
  for (const auto& [type, data] : blobs) {
    ids.push_back(repo_->hasher().id(data));
    ASSERT_TRUE(writer.add(type, ids.back(), data).is_ok());
  }
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_EQ(writer.packs_written(), 3u);
  EXPECT_EQ(pack_files(), 3u);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.file("data"))) {
    if (!entry.is_regular_file()) continue;
    EXPECT_GE(entry.file_size(), kPackSize);
    EXPECT_LT(entry.file_size(), kPackSize + kBlob + 4096);
  }
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(*repo_->read_blob(ids[i]), blobs[i].second) << i;
}

TEST_F(SmallPackTest, PartlyFilledLastPackIsWrittenAtFlush) {
  BlobWriter writer(*repo_);
  for (int i = 0; i < 5; ++i) {
    const Bytes data = random_data(256 * 1024, i);
    ASSERT_TRUE(writer.add(BlobType::kData, repo_->hasher().id(data), data).is_ok());
  }
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_EQ(writer.packs_written(), 2u);
  EXPECT_EQ(pack_files(), 2u);
  EXPECT_EQ(indexed_copies().size(), 5u);
}

// Tiny blobs (one per empty or small file) make packs whose header is as
// large as their data: the header counts toward the pack size.
TEST_F(SmallPackTest, PackOfTinyBlobsStaysNearThePackSizeHeaderIncluded) {
  BlobWriter writer(*repo_);
  for (int i = 0; i < 30000; ++i) {
    const Bytes data = random_data(16, 5000 + i);
    ASSERT_TRUE(writer.add(BlobType::kData, repo_->hasher().id(data), data).is_ok());
  }
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_GE(pack_files(), 3u);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.file("data"))) {
    if (entry.is_regular_file()) {
      EXPECT_LT(entry.file_size(), kPackSize + 4096) << entry.path();
    }
  }
  EXPECT_EQ(indexed_copies().size(), 30000u);
}

// The entries waiting for an index stay bounded by blobs, not only by packs:
// a backup of a million tiny files fills few packs but needs its index
// written as it goes.
TEST_F(SmallPackTest, IndexIsWrittenEveryHundredThousandBlobsEvenWithFewPacks) {
  const size_t count = BlobWriter::kIndexEveryBlobs + 5000;
  BlobWriter writer(*repo_);
  for (size_t i = 0; i < count; ++i) {
    const Bytes data = random_data(8, 100000 + i);
    ASSERT_TRUE(writer.add(BlobType::kData, repo_->hasher().id(data), data).is_ok());
  }
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_LT(writer.packs_written(), BlobWriter::kIndexEveryPacks);
  EXPECT_EQ(object_names(*backend_, ObjectKind::kIndex).size(), 2u);
  std::map<BlobId, int> copies = indexed_copies();
  EXPECT_EQ(copies.size(), count);
  for (const auto& [id, n] : copies) ASSERT_EQ(n, 1) << id.hex();
}

// A repository whose storage fails on command.
class FailingStorageTest : public SmallPackTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SmallPackTest::SetUp());
    fault_ = std::make_shared<FaultInjectingBackend>(backend_);
    Result<std::unique_ptr<Repository>> repo = Repository::open(fault_, kPassword);
    ASSERT_TRUE(repo.is_ok()) << repo.status().message();
    faulty_ = std::move(*repo);
  }

  // Adds count distinct 256 KiB blobs, then flushes; the first error wins.
  Status add_and_flush(int count) {
    BlobWriter writer(*faulty_);
    for (int i = 0; i < count; ++i) {
      const Bytes data = random_data(256 * 1024, 1000 + i);
      Result<bool> r = writer.add(BlobType::kData, faulty_->hasher().id(data), data);
      if (!r.is_ok()) {
        Status flushed = writer.flush();
        EXPECT_FALSE(flushed.is_ok()) << "flush succeeded after add failed";
        return r.status();
      }
    }
    return writer.flush();
  }

  std::shared_ptr<FaultInjectingBackend> fault_;
  std::unique_ptr<Repository> faulty_;
};

TEST_F(FailingStorageTest, FailedPackUploadAtFlushMakesFlushFail) {
  fault_->fail_nth(FaultOp::kPut, 1);
  Status s = add_and_flush(1);
  EXPECT_EQ(s.code(), ErrorCode::kIoError) << s.message();
  EXPECT_TRUE(object_names(*backend_, ObjectKind::kIndex).empty())
      << "an index names a pack that was never stored";
}

TEST_F(FailingStorageTest, FailedPackUploadDuringAddsIsReportedAndNothingIsIndexed) {
  fault_->fail_nth(FaultOp::kPut, 1);  // the first full pack
  Status s = add_and_flush(40);
  EXPECT_EQ(s.code(), ErrorCode::kIoError) << s.message();
  EXPECT_TRUE(object_names(*backend_, ObjectKind::kIndex).empty());
}

TEST_F(FailingStorageTest, FailedLaterPackUploadFailsTheWriter) {
  fault_->fail_nth(FaultOp::kPut, 3);
  Status s = add_and_flush(40);
  EXPECT_EQ(s.code(), ErrorCode::kIoError) << s.message();
}

TEST_F(FailingStorageTest, FailedIndexUploadMakesFlushFail) {
  fault_->fail_every(FaultOp::kPut, ObjectKind::kIndex);
  Status s = add_and_flush(6);
  EXPECT_EQ(s.code(), ErrorCode::kIoError) << s.message();
  EXPECT_GE(fault_->counts().puts, 2u) << "the packs should have been stored before the index";
}

TEST_F(FailingStorageTest, FullDiskIsNoSpace) {
  fault_->fail_puts_after_bytes(2 * 1024 * 1024);
  Status s = add_and_flush(20);
  EXPECT_EQ(s.code(), ErrorCode::kNoSpace) << s.message();
}

// The memory bound: the open pack plus the one being uploaded. While the
// upload is slow, a second full pack stays the open one and holds back
// further adds instead of waiting in a queue while a third pack fills.
TEST_F(FailingStorageTest, FullPackWaitsForTheUploaderInsteadOfStartingAThirdPack) {
  FaultRule slow_upload;
  slow_upload.op = FaultOp::kPut;
  slow_upload.kind = ObjectKind::kPack;
  slow_upload.action = FaultAction::kStall;
  slow_upload.stall_ms = 3000;
  fault_->add_rule(slow_upload);  // the first pack only
  std::vector<Bytes> blobs;
  for (int i = 0; i < 9; ++i) blobs.push_back(random_data(256 * 1024, 2000 + i));  // 4 fill a pack
  BlobWriter writer(*faulty_);
  std::atomic<int> added{0};
  std::thread adder([&] {
    for (const Bytes& data : blobs) {
      ASSERT_TRUE(writer.add(BlobType::kData, faulty_->hasher().id(data), data).is_ok());
      added++;
    }
  });
  // The first pack is full after 4 adds and uploads for 3 s; the second is
  // full after 8, so the 8th add waits for the upload (the 9th never starts).
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(added.load(), 7) << "a full pack should wait for the busy uploader";
  adder.join();
  EXPECT_EQ(added.load(), 9);
  ASSERT_TRUE(writer.flush().is_ok());
  EXPECT_EQ(writer.packs_written(), 3u);
  for (const Bytes& data : blobs) EXPECT_EQ(*faulty_->read_blob(faulty_->hasher().id(data)), data);
}

TEST_F(FailingStorageTest, UploadThatReportsFailureAfterStoringStillFails) {
  FaultRule lost_reply;
  lost_reply.op = FaultOp::kPut;
  lost_reply.kind = ObjectKind::kPack;
  lost_reply.action = FaultAction::kFailAfter;
  fault_->add_rule(lost_reply);
  Status s = add_and_flush(2);
  EXPECT_FALSE(s.is_ok());
}

}  // namespace
}  // namespace cairn
