// RetryingBackend retries only what may succeed again, waits with capped,
// jittered exponential backoff, respects its budget, and turns a retried put
// whose first reply was lost into a success only when the object is ours.
#include <gtest/gtest.h>

#include <vector>

#include "storage/fault_backend.h"
#include "storage/local_backend.h"
#include "storage/retry_backend.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

using std::chrono::milliseconds;

class RetryWrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inner = create_local_backend(dir_.path());
    ASSERT_TRUE(inner.is_ok()) << inner.status().message();
    inner_ = std::move(*inner);
    fault_ = std::make_shared<FaultInjectingBackend>(inner_);
  }

  // A wrapper whose sleeps are recorded and advance a fake clock.
  std::unique_ptr<RetryingBackend> wrap(RetryPolicy policy = {}, double jitter = 1.0) {
    RetryEnv env;
    env.sleep = [this](milliseconds d) {
      sleeps_.push_back(d.count());
      now_ += static_cast<double>(d.count()) / 1000;
    };
    env.seconds_now = [this] { return now_; };
    env.uniform = [jitter] { return jitter; };
    return std::make_unique<RetryingBackend>(fault_, policy, env);
  }

  static ObjectKey pack(uint64_t i) { return {ObjectKind::kPack, test_name(i)}; }

  TempDir dir_;
  std::shared_ptr<Backend> inner_;
  std::shared_ptr<FaultInjectingBackend> fault_;
  std::vector<int64_t> sleeps_;
  double now_ = 0;
};

TEST_F(RetryWrapperTest, RetriesIoErrorsUntilTheCallSucceeds) {
  auto retry = wrap();
  fault_->add_rule(FaultRule{.op = FaultOp::kPut, .times = 2});
  ASSERT_TRUE(retry->put(pack(1), pattern_bytes(100)).is_ok());
  EXPECT_EQ(fault_->counts().puts, 3u);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{100, 200}));
  EXPECT_TRUE(inner_->stat(pack(1)).is_ok());
}

TEST_F(RetryWrapperTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  auto retry = wrap(RetryPolicy{.max_attempts = 4});
  fault_->fail_every(FaultOp::kGet, ObjectKind::kPack);
  ASSERT_TRUE(inner_->put(pack(1), pattern_bytes(10)).is_ok());
  Result<Bytes> got = retry->get(pack(1));
  EXPECT_EQ(got.status().code(), ErrorCode::kIoError);
  EXPECT_NE(got.status().message().find("after 4 attempts"), std::string::npos) << got.status().message();
  EXPECT_EQ(fault_->counts().gets, 4u);
  EXPECT_EQ(sleeps_.size(), 3u);
}

TEST_F(RetryWrapperTest, NeverRetriesCodesThatCannotSucceedAgain) {
  auto retry = wrap();
  for (ErrorCode code : {ErrorCode::kNotFound, ErrorCode::kAlreadyExists, ErrorCode::kPermissionDenied,
                         ErrorCode::kCorruption, ErrorCode::kNoSpace}) {
    fault_->clear_rules();
    fault_->fail_nth(FaultOp::kStat, 1, code);
    const uint64_t before = fault_->counts().stats;
    EXPECT_EQ(retry->stat(pack(1)).status().code(), code);
    EXPECT_EQ(fault_->counts().stats, before + 1) << error_code_name(code);
  }
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RetryWrapperTest, BackoffDoublesFromTheBaseUpToTheCap) {
  auto retry = wrap(RetryPolicy{.max_attempts = 10, .budget = milliseconds(3600000)});
  fault_->fail_every(FaultOp::kRemove, ObjectKind::kPack);
  EXPECT_EQ(retry->remove(pack(1)).code(), ErrorCode::kIoError);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000}));
}

TEST_F(RetryWrapperTest, FullJitterScalesEveryWaitByTheRandomDraw) {
  auto retry = wrap(RetryPolicy{.max_attempts = 4}, 0.25);
  fault_->fail_every(FaultOp::kRemove, ObjectKind::kPack);
  EXPECT_EQ(retry->remove(pack(1)).code(), ErrorCode::kIoError);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{25, 50, 100}));
}

TEST_F(RetryWrapperTest, StopsBeforeAWaitThatWouldOverrunTheBudget) {
  auto retry = wrap(RetryPolicy{.max_attempts = 20, .budget = milliseconds(1000)});
  fault_->fail_every(FaultOp::kRemove, ObjectKind::kPack);
  EXPECT_EQ(retry->remove(pack(1)).code(), ErrorCode::kIoError);
  // 100 + 200 + 400 = 700 ms; the next wait (800) would end at 1.5 s.
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{100, 200, 400}));
  EXPECT_EQ(fault_->counts().removes, 4u);
}

TEST_F(RetryWrapperTest, LostReplyPutIsOkWhenTheStoredObjectHasOurBytes) {
  auto retry = wrap();
  fault_->add_rule(FaultRule{.op = FaultOp::kPut, .action = FaultAction::kFailAfter});
  EXPECT_TRUE(retry->put(pack(1), pattern_bytes(1000, 7)).is_ok());
  EXPECT_EQ(fault_->counts().puts, 2u);
  EXPECT_EQ(*inner_->get(pack(1)), pattern_bytes(1000, 7));
}

TEST_F(RetryWrapperTest, RetriedPutOverSomeoneElsesObjectStillFails) {
  auto retry = wrap();
  ASSERT_TRUE(inner_->put(pack(1), pattern_bytes(1000, 1)).is_ok());
  fault_->fail_nth(FaultOp::kPut, 1);
  EXPECT_EQ(retry->put(pack(1), pattern_bytes(1000, 2)).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(*inner_->get(pack(1)), pattern_bytes(1000, 1));
}

TEST_F(RetryWrapperTest, FirstPutOfAnExistingKeyFailsWithoutReadingIt) {
  auto retry = wrap();
  ASSERT_TRUE(inner_->put(pack(1), pattern_bytes(10, 1)).is_ok());
  EXPECT_EQ(retry->put(pack(1), pattern_bytes(10, 1)).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(fault_->counts().gets, 0u);
}

TEST_F(RetryWrapperTest, LostReplyWithWriteOnlyCredentialsFallsBackToTheSize) {
  auto retry = wrap();
  fault_->add_rule(FaultRule{.op = FaultOp::kPut, .action = FaultAction::kFailAfter});
  fault_->fail_every(FaultOp::kGet, ObjectKind::kPack, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(retry->put(pack(1), pattern_bytes(500)).is_ok());
  EXPECT_EQ(fault_->counts().stats, 1u);

  ASSERT_TRUE(inner_->put(pack(2), pattern_bytes(400)).is_ok());
  fault_->fail_nth(FaultOp::kPut, 1);
  EXPECT_EQ(retry->put(pack(2), pattern_bytes(500)).code(), ErrorCode::kAlreadyExists);
}

TEST_F(RetryWrapperTest, ListRetriedHalfwayReportsEachObjectOnce) {
  auto retry = wrap();
  for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE(inner_->put(pack(i), pattern_bytes(10, i)).is_ok());
  fault_->add_rule(FaultRule{.op = FaultOp::kList, .action = FaultAction::kFailAfter});
  int seen = 0;
  ASSERT_TRUE(retry->list(ObjectKind::kPack, [&](const ObjectInfo&) { ++seen; }).is_ok());
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(fault_->counts().lists, 2u);
}

}  // namespace
}  // namespace cairn
