// The fault-injecting wrapper does exactly what its rules say, and nothing else.
#include "storage/fault_backend.h"

#include <gtest/gtest.h>

#include "storage/local_backend.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

class FaultBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inner = create_local_backend(dir_.path());
    ASSERT_TRUE(inner.is_ok()) << inner.status().message();
    inner_ = std::move(*inner);
    fault_ = std::make_shared<FaultInjectingBackend>(inner_);
  }

  static ObjectKey pack(uint64_t i) { return {ObjectKind::kPack, test_name(i)}; }
  bool stored(const ObjectKey& key) { return inner_->stat(key).is_ok(); }

  TempDir dir_;
  std::shared_ptr<Backend> inner_;
  std::shared_ptr<FaultInjectingBackend> fault_;
};

TEST_F(FaultBackendTest, FailsExactlyTheNthPut) {
  fault_->fail_nth(FaultOp::kPut, 3);
  for (uint64_t i = 1; i <= 5; ++i) {
    Status st = fault_->put(pack(i), pattern_bytes(10, i));
    if (i == 3) {
      EXPECT_EQ(st.code(), ErrorCode::kIoError);
      EXPECT_FALSE(stored(pack(i)));
    } else {
      EXPECT_TRUE(st.is_ok()) << i << ": " << st.message();
      EXPECT_TRUE(stored(pack(i)));
    }
  }
  EXPECT_EQ(fault_->counts().puts, 5u);
  EXPECT_EQ(fault_->counts().bytes_put, 40u);
}

TEST_F(FaultBackendTest, FailEveryGetOfAKindLeavesOtherKindsAlone) {
  const ObjectKey index{ObjectKind::kIndex, test_name(2)};
  ASSERT_TRUE(fault_->put(pack(1), pattern_bytes(10)).is_ok());
  ASSERT_TRUE(fault_->put(index, pattern_bytes(10)).is_ok());
  fault_->fail_every(FaultOp::kGet, ObjectKind::kPack, ErrorCode::kPermissionDenied);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fault_->get(pack(1)).status().code(), ErrorCode::kPermissionDenied);
    EXPECT_TRUE(fault_->get(index).is_ok());
  }
  fault_->clear_rules();
  EXPECT_TRUE(fault_->get(pack(1)).is_ok());
}

TEST_F(FaultBackendTest, FlippedByteAppearsInTheNextGetOnly) {
  const Bytes data = pattern_bytes(100);
  ASSERT_TRUE(fault_->put(pack(1), data).is_ok());
  fault_->flip_byte_of_next_get(42);
  Bytes damaged = *fault_->get(pack(1));
  ASSERT_EQ(damaged.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(damaged[i], i == 42 ? static_cast<uint8_t>(~data[i]) : data[i]) << i;
  }
  EXPECT_EQ(*fault_->get(pack(1)), data);
  EXPECT_EQ(*inner_->get(pack(1)), data);
}

TEST_F(FaultBackendTest, TruncatedGetReturnsAPrefix) {
  const Bytes data = pattern_bytes(100);
  ASSERT_TRUE(fault_->put(pack(1), data).is_ok());
  fault_->truncate_next_get(30);
  EXPECT_EQ(*fault_->get(pack(1), 10, 50), Bytes(data.begin() + 10, data.begin() + 40));
  EXPECT_EQ(fault_->get(pack(1))->size(), 100u);
}

TEST_F(FaultBackendTest, PutsBeyondTheSpaceLeftFailWithNoSpaceAndStoreNothing) {
  fault_->fail_puts_after_bytes(100);
  EXPECT_TRUE(fault_->put(pack(1), pattern_bytes(60)).is_ok());
  EXPECT_EQ(fault_->put(pack(2), pattern_bytes(50)).code(), ErrorCode::kNoSpace);
  EXPECT_FALSE(stored(pack(2)));
  // A put that fails for another reason gives its space back.
  EXPECT_EQ(fault_->put(pack(1), pattern_bytes(40)).code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(fault_->put(pack(3), pattern_bytes(40)).is_ok());
  EXPECT_EQ(fault_->put(pack(4), pattern_bytes(1)).code(), ErrorCode::kNoSpace);
}

TEST_F(FaultBackendTest, FailAfterStoresTheObjectButReportsFailure) {
  fault_->add_rule({.op = FaultOp::kPut, .action = FaultAction::kFailAfter});
  EXPECT_EQ(fault_->put(pack(1), pattern_bytes(10)).code(), ErrorCode::kIoError);
  EXPECT_TRUE(stored(pack(1)));
  EXPECT_EQ(fault_->put(pack(1), pattern_bytes(10)).code(), ErrorCode::kAlreadyExists);
}

TEST_F(FaultBackendTest, SkipCountsOnlyCallsOfTheRulesKind) {
  const ObjectKey snapshot{ObjectKind::kSnapshot, test_name(9)};
  fault_->add_rule({.op = FaultOp::kPut, .kind = ObjectKind::kSnapshot, .skip = 1});
  EXPECT_TRUE(fault_->put(pack(1), pattern_bytes(1)).is_ok());
  EXPECT_TRUE(fault_->put(pack(2), pattern_bytes(1)).is_ok());
  EXPECT_TRUE(fault_->put({ObjectKind::kSnapshot, test_name(8)}, pattern_bytes(1)).is_ok());
  EXPECT_EQ(fault_->put(snapshot, pattern_bytes(1)).code(), ErrorCode::kIoError);
  EXPECT_TRUE(fault_->put(snapshot, pattern_bytes(1)).is_ok());
}

TEST_F(FaultBackendTest, CountsEveryCallWhetherOrNotItFails) {
  fault_->fail_every(FaultOp::kList, ObjectKind::kIndex);
  ASSERT_TRUE(fault_->put(pack(1), pattern_bytes(1)).is_ok());
  (void)fault_->get(pack(1));
  (void)fault_->get(pack(2));
  (void)fault_->stat(pack(1));
  EXPECT_TRUE(fault_->list(ObjectKind::kPack, [](const ObjectInfo&) {}).is_ok());
  EXPECT_FALSE(fault_->list(ObjectKind::kIndex, [](const ObjectInfo&) {}).is_ok());
  EXPECT_TRUE(fault_->remove(pack(1)).is_ok());
  const FaultCounts c = fault_->counts();
  EXPECT_EQ(c.puts, 1u);
  EXPECT_EQ(c.gets, 2u);
  EXPECT_EQ(c.stats, 1u);
  EXPECT_EQ(c.lists, 2u);
  EXPECT_EQ(c.removes, 1u);
}

}  // namespace
}  // namespace cairn
