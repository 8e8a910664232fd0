// WriteThroughCacheBackend: what a write-only client can still do through
// its local cache, and that the cache never claims more than the storage.
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/cache_backend.h"
#include "storage/counting_backend.h"
#include "storage/local_backend.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

// Storage that takes puts and refuses everything else, like a bucket whose
// policy allows the client only PutObject.
class PutOnlyBackend final : public Backend {
 public:
  explicit PutOnlyBackend(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}
  Status put(const ObjectKey& key, ByteView data) override { return inner_->put(key, data); }
  Result<Bytes> get(const ObjectKey&, uint64_t, uint64_t) override { return refused(); }
  Result<ObjectInfo> stat(const ObjectKey&) override { return refused(); }
  Status list(ObjectKind, const std::function<void(const ObjectInfo&)>&) override { return refused(); }
  Status remove(const ObjectKey&) override { return refused(); }
  BackendProperties properties() const override { return inner_->properties(); }

 private:
  static Status refused() { return permission_denied("access denied by the test storage"); }
  std::shared_ptr<Backend> inner_;
};

class CacheWrapper : public ::testing::Test {
 protected:
  void SetUp() override {
    auto storage = create_local_backend(dir_.file("storage"));
    auto cache = open_local_cache_backend(dir_.file("cache"));
    ASSERT_TRUE(storage.is_ok() && cache.is_ok());
    storage_ = std::shared_ptr<Backend>(std::move(*storage));
    cache_ = std::shared_ptr<Backend>(std::move(*cache));
    counted_ = std::make_shared<CountingBackend>(storage_);
  }

  std::vector<std::string> listed(Backend& b, ObjectKind kind) {
    std::vector<std::string> names;
    EXPECT_TRUE(b.list(kind, [&](const ObjectInfo& o) { names.push_back(o.key.name); }).is_ok());
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir dir_;
  std::shared_ptr<Backend> storage_, cache_;
  std::shared_ptr<CountingBackend> counted_;
};

TEST_F(CacheWrapper, PutSmallObjectsReachStorageAndCacheButPacksOnlyStorage) {
  WriteThroughCacheBackend b(counted_, cache_);
  const ObjectKey index{ObjectKind::kIndex, test_name(1)}, pack{ObjectKind::kPack, test_name(2)};
  ASSERT_TRUE(b.put(index, pattern_bytes(100)).is_ok());
  ASSERT_TRUE(b.put(pack, pattern_bytes(1000)).is_ok());
  EXPECT_TRUE(storage_->stat(index).is_ok());
  EXPECT_TRUE(storage_->stat(pack).is_ok());
  EXPECT_TRUE(cache_->stat(index).is_ok());
  EXPECT_EQ(cache_->stat(pack).status().code(), ErrorCode::kNotFound);
}

TEST_F(CacheWrapper, CachedGetsNeverReachTheStorage) {
  WriteThroughCacheBackend b(counted_, cache_);
  const ObjectKey key{ObjectKind::kSnapshot, test_name(3)};
  ASSERT_TRUE(b.put(key, pattern_bytes(500)).is_ok());
  const uint64_t gets_before = counted_->counts().gets;
  Result<Bytes> got = b.get(key, 10, 20);
  ASSERT_TRUE(got.is_ok());
  const Bytes all = pattern_bytes(500);
  EXPECT_EQ(*got, Bytes(all.begin() + 10, all.begin() + 30));
  EXPECT_EQ(counted_->counts().gets, gets_before);
}

TEST_F(CacheWrapper, AMissReadsTheStorageOnceAndFillsTheCache) {
  WriteThroughCacheBackend b(counted_, cache_);
  const ObjectKey key{ObjectKind::kIndex, test_name(4)};
  ASSERT_TRUE(storage_->put(key, pattern_bytes(300)).is_ok());  // written by another client
  ASSERT_TRUE(b.get(key).is_ok());
  ASSERT_TRUE(b.get(key).is_ok());
  EXPECT_EQ(counted_->counts().gets, 1u);
  EXPECT_TRUE(cache_->stat(key).is_ok());
}

TEST_F(CacheWrapper, AFailedPutLeavesNothingInTheCache) {
  WriteThroughCacheBackend b(counted_, cache_);
  const ObjectKey key{ObjectKind::kSnapshot, test_name(5)};
  ASSERT_TRUE(storage_->put(key, pattern_bytes(10, 1)).is_ok());  // someone else's, already there
  EXPECT_EQ(b.put(key, pattern_bytes(10, 2)).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(cache_->stat(key).status().code(), ErrorCode::kNotFound);
}

TEST_F(CacheWrapper, ListingFollowsTheStorageWhenItMayBeListed) {
  WriteThroughCacheBackend b(counted_, cache_);
  const ObjectKey kept{ObjectKind::kIndex, test_name(6)}, pruned{ObjectKind::kIndex, test_name(7)};
  ASSERT_TRUE(b.put(kept, pattern_bytes(10)).is_ok());
  ASSERT_TRUE(b.put(pruned, pattern_bytes(10)).is_ok());
  ASSERT_TRUE(storage_->remove(pruned).is_ok());  // another client pruned it
  EXPECT_EQ(listed(b, ObjectKind::kIndex), std::vector<std::string>{kept.name});
}

TEST_F(CacheWrapper, PutOnlyStorageIsListedFromTheCacheAndMissesSayWhy) {
  WriteThroughCacheBackend b(std::make_shared<PutOnlyBackend>(storage_), cache_);
  const ObjectKey mine{ObjectKind::kSnapshot, test_name(8)}, theirs{ObjectKind::kSnapshot, test_name(9)};
  ASSERT_TRUE(b.put(mine, pattern_bytes(10)).is_ok());
  ASSERT_TRUE(storage_->put(theirs, pattern_bytes(10)).is_ok());
  EXPECT_EQ(listed(b, ObjectKind::kSnapshot), std::vector<std::string>{mine.name});
  EXPECT_TRUE(b.get(mine).is_ok());
  Status miss = b.get(theirs).status();
  EXPECT_EQ(miss.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(miss.message().find("may only write"), std::string::npos) << miss.message();
  // No key at all in the cache: the repository was never seen here.
  Status keys = b.list(ObjectKind::kKey, [](const ObjectInfo&) {});
  EXPECT_EQ(keys.code(), ErrorCode::kPermissionDenied);
}

TEST_F(CacheWrapper, ARefusedRemoveKeepsTheCachedCopyExceptOfALock) {
  WriteThroughCacheBackend b(std::make_shared<PutOnlyBackend>(storage_), cache_);
  const ObjectKey index{ObjectKind::kIndex, test_name(10)}, lock{ObjectKind::kLock, test_name(11)};
  ASSERT_TRUE(b.put(index, pattern_bytes(10)).is_ok());
  ASSERT_TRUE(b.put(lock, pattern_bytes(10)).is_ok());
  EXPECT_EQ(b.remove(index).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(b.remove(lock).code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(cache_->stat(index).is_ok());
  EXPECT_EQ(cache_->stat(lock).status().code(), ErrorCode::kNotFound);
}

TEST(CacheFolder, TwoLocationsNeverShareAFolderAndTheVariableWins) {
  ::setenv("CAIRN_CACHE_DIR", "/var/cache/x", 1);
  Result<std::string> a = cache_folder_for("s3|http://h|bucket/a"),
                      b = cache_folder_for("s3|http://h|bucket/b");
  ::unsetenv("CAIRN_CACHE_DIR");
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->rfind("/var/cache/x/", 0), 0u) << *a;
}

}  // namespace
}  // namespace cairn
