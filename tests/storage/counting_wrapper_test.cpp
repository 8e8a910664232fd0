// CountingBackend counts every request that reaches the storage.
#include <gtest/gtest.h>

#include "storage/counting_backend.h"
#include "storage/local_backend.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

TEST(CountingWrapper, CountsEachKindOfRequestAndTheBytesMoved) {
  TempDir dir;
  auto inner = create_local_backend(dir.path());
  ASSERT_TRUE(inner.is_ok());
  CountingBackend counting(std::shared_ptr<Backend>(std::move(*inner)));
  const ObjectKey key{ObjectKind::kIndex, test_name(1)};
  ASSERT_TRUE(counting.put(key, pattern_bytes(100)).is_ok());
  EXPECT_EQ(counting.put(key, pattern_bytes(100)).code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(counting.get(key, 10, 20).is_ok());
  ASSERT_TRUE(counting.stat(key).is_ok());
  ASSERT_TRUE(counting.list(ObjectKind::kIndex, [](const ObjectInfo&) {}).is_ok());
  ASSERT_TRUE(counting.remove(key).is_ok());
  EXPECT_EQ(counting.counts().to_string(),
            "puts=2 gets=1 stats=1 lists=1 removes=1 bytes_put=100 bytes_got=20");
}

}  // namespace
}  // namespace cairn
