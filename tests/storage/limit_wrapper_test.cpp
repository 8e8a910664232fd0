// ConcurrencyLimitBackend never lets more than N requests reach the storage
// at once, and a listing's callback may call the backend again.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "storage/limit_backend.h"
#include "storage/local_backend.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

// Records how many calls are inside it at once; each get takes a while.
class SlowBackend final : public Backend {
 public:
  explicit SlowBackend(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}
  Status put(const ObjectKey& k, ByteView d) override { return inner_->put(k, d); }
  Result<Bytes> get(const ObjectKey& k, uint64_t o, uint64_t l) override {
    int now = ++inside_;
    int seen = max_inside_.load();
    while (now > seen && !max_inside_.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    --inside_;
    return inner_->get(k, o, l);
  }
  Result<ObjectInfo> stat(const ObjectKey& k) override { return inner_->stat(k); }
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override {
    return inner_->list(kind, fn);
  }
  Status remove(const ObjectKey& k) override { return inner_->remove(k); }
  BackendProperties properties() const override { return inner_->properties(); }

  std::atomic<int> inside_{0}, max_inside_{0};

 private:
  std::shared_ptr<Backend> inner_;
};

class LimitWrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto local = create_local_backend(dir_.path());
    ASSERT_TRUE(local.is_ok());
    slow_ = std::make_shared<SlowBackend>(std::shared_ptr<Backend>(std::move(*local)));
    ASSERT_TRUE(slow_->put(key_, pattern_bytes(64)).is_ok());
  }
  TempDir dir_;
  std::shared_ptr<SlowBackend> slow_;
  const ObjectKey key_{ObjectKind::kIndex, test_name(1)};
};

TEST_F(LimitWrapperTest, NoMoreThanTheLimitAreInFlight) {
  ConcurrencyLimitBackend limited(slow_, 2);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { ok += limited.get(key_).is_ok() ? 1 : 0; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_LE(slow_->max_inside_.load(), 2);
  EXPECT_GE(slow_->max_inside_.load(), 1);
}

TEST_F(LimitWrapperTest, WithoutTheLimitTheSameLoadOverlaps) {
  // Shows the test above can fail: unlimited, eight slow gets do overlap.
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { slow_->get(key_, 0, 0).status().ignore(); });
  for (auto& t : threads) t.join();
  EXPECT_GT(slow_->max_inside_.load(), 2);
}

TEST_F(LimitWrapperTest, AListingCallbackMayCallTheBackend) {
  ConcurrencyLimitBackend limited(slow_, 1);
  int read = 0;
  ASSERT_TRUE(
      limited
          .list(ObjectKind::kIndex, [&](const ObjectInfo& o) { read += limited.get(o.key).is_ok() ? 1 : 0; })
          .is_ok());
  EXPECT_EQ(read, 1);
}

}  // namespace
}  // namespace cairn
