// AccessModeBackend refuses, before the storage sees it, every request the
// location's access mode forbids, and passes everything else through.
#include <gtest/gtest.h>

#include "storage/access_mode_backend.h"
#include "storage/fault_backend.h"
#include "storage/local_backend.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

class AccessModeWrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inner = create_local_backend(dir_.path());
    ASSERT_TRUE(inner.is_ok()) << inner.status().message();
    inner_ = std::move(*inner);
    ASSERT_TRUE(inner_->put(pack(1), pattern_bytes(10)).is_ok());
    ASSERT_TRUE(inner_->put(lock(1), pattern_bytes(10)).is_ok());
    counter_ = std::make_shared<FaultInjectingBackend>(inner_);
  }
  AccessModeBackend wrap(AccessMode mode) { return AccessModeBackend(counter_, mode, "prod-s3"); }

  static ObjectKey pack(uint64_t i) { return {ObjectKind::kPack, test_name(i)}; }
  static ObjectKey lock(uint64_t i) { return {ObjectKind::kLock, test_name(i)}; }

  TempDir dir_;
  std::shared_ptr<Backend> inner_;
  std::shared_ptr<FaultInjectingBackend> counter_;  // counts what reaches the storage
};

TEST_F(AccessModeWrapperTest, ReadOnlySendsNoPutAndNoRemoveToTheStorage) {
  AccessModeBackend ro = wrap(AccessMode::kReadOnly);
  Status put = ro.put(pack(2), pattern_bytes(10));
  EXPECT_EQ(put.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(put.message(),
            "the location prod-s3 is ReadOnly: backups, deletes and prunes are refused; set it back with "
            "'cairn location set prod-s3 --access-mode ReadWrite'");
  EXPECT_EQ(ro.remove(pack(1)).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(ro.remove(lock(1)).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(counter_->counts().puts, 0u);
  EXPECT_EQ(counter_->counts().removes, 0u);
  EXPECT_TRUE(inner_->stat(pack(1)).is_ok());
  EXPECT_EQ(inner_->stat(pack(2)).status().code(), ErrorCode::kNotFound);
}

TEST_F(AccessModeWrapperTest, ReadOnlyStillReadsStatsAndLists) {
  AccessModeBackend ro = wrap(AccessMode::kReadOnly);
  EXPECT_EQ(*ro.get(pack(1)), pattern_bytes(10));
  EXPECT_EQ(ro.stat(pack(1))->size, 10u);
  int n = 0;
  EXPECT_TRUE(ro.list(ObjectKind::kPack, [&](const ObjectInfo&) { ++n; }).is_ok());
  EXPECT_EQ(n, 1);
}

TEST_F(AccessModeWrapperTest, AppendOnlyStoresButNeverDeletesData) {
  AccessModeBackend ao = wrap(AccessMode::kAppendOnly);
  EXPECT_TRUE(ao.put(pack(2), pattern_bytes(10)).is_ok());
  EXPECT_EQ(ao.put(pack(2), pattern_bytes(10, 2)).code(), ErrorCode::kAlreadyExists);
  Status rm = ao.remove(pack(1));
  EXPECT_EQ(rm.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(rm.message().find("is AppendOnly"), std::string::npos) << rm.message();
  EXPECT_EQ(counter_->counts().removes, 0u);
  EXPECT_TRUE(inner_->stat(pack(1)).is_ok());
}

TEST_F(AccessModeWrapperTest, AppendOnlyReleasesItsLocks) {
  AccessModeBackend ao = wrap(AccessMode::kAppendOnly);
  EXPECT_TRUE(ao.remove(lock(1)).is_ok());
  EXPECT_EQ(inner_->stat(lock(1)).status().code(), ErrorCode::kNotFound);
}

TEST_F(AccessModeWrapperTest, ReadWritePassesEverythingThrough) {
  AccessModeBackend rw = wrap(AccessMode::kReadWrite);
  EXPECT_TRUE(rw.put(pack(2), pattern_bytes(10)).is_ok());
  EXPECT_TRUE(rw.remove(pack(1)).is_ok());
  EXPECT_EQ(counter_->counts().puts, 1u);
  EXPECT_EQ(counter_->counts().removes, 1u);
}

TEST(AccessModeNames, ParseAcceptsExactlyVelerosSpelling) {
  for (AccessMode m : {AccessMode::kReadWrite, AccessMode::kReadOnly, AccessMode::kAppendOnly})
    EXPECT_EQ(*parse_access_mode(access_mode_name(m)), m);
  EXPECT_EQ(parse_access_mode("readonly").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_access_mode("").status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn
