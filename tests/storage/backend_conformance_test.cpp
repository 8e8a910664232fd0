// The Backend contract (storage/backend.h), checked against every backend.
// To add a backend, write a factory below and add it to all_backends().
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "s3_test_util.h"
#include "storage/backend.h"
#include "storage/fault_backend.h"
#include "storage/local_backend.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

// A fresh, empty backend for one test, and what keeps it alive.
struct TestBackend {
  std::shared_ptr<void> resources;  // a temp folder, a bucket; released after backend
  std::shared_ptr<Backend> backend;
  // Leaves behind what a put of key interrupted by a crash leaves (a temp
  // file, an unfinished multipart upload), holding data.
  std::function<void(const ObjectKey& key, ByteView data)> interrupted_put;
};

struct BackendFactory {
  std::string name;  // becomes part of the test name: letters, digits, '_'
  std::function<Result<TestBackend>()> make;
};

// Test names show the factory's name, not its bytes.
void PrintTo(const BackendFactory& factory, std::ostream* os) { *os << factory.name; }

Result<TestBackend> make_local() {
  auto dir = std::make_shared<TempDir>();
  const std::string root = dir->path() + "/repo";
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, create_local_backend(root));
  TestBackend t{dir, std::move(backend), nullptr};
  t.interrupted_put = [root](const ObjectKey& key, ByteView data) {
    std::string folder = root + "/" + object_kind_name(key.kind);
    if (key.kind == ObjectKind::kConfig) folder = root;
    if (key.kind == ObjectKind::kPack) {
      folder += "/" + key.name.substr(0, 2);
      ::mkdir(folder.c_str(), 0700);
    }
    std::ofstream(folder + "/.tmp-0123456789abcdef", std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  };
  return t;
}

// The fault wrapper without rules must be invisible.
Result<TestBackend> make_local_behind_fault_wrapper() {
  CAIRN_ASSIGN_OR_RETURN(TestBackend t, make_local());
  t.backend = std::make_shared<FaultInjectingBackend>(t.backend);
  return t;
}

// A fresh prefix in the test bucket of a real S3 server (scripts/ceph-rgw.sh).
// Small parts and list pages, so that every test also exercises multipart
// uploads (LargeObjectRoundTrips) and continuation tokens (ListShows...).
Result<TestBackend> make_s3() {
  CAIRN_ASSIGN_OR_RETURN(S3Config config, s3_test_config());
  config.prefix = unique_s3_prefix();
  config.multipart_threshold = 8 << 20;
  config.part_size = 5 << 20;
  config.list_page_size = 7;
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, create_s3_backend(config));
  TestBackend t{std::make_shared<S3PrefixCleanup>(S3PrefixCleanup{config}), std::move(backend), nullptr};
  // A crash during a put leaves an unfinished multipart upload.
  t.interrupted_put = [config](const ObjectKey& key, ByteView data) {
    std::string relative = key.to_string();
    if (key.kind == ObjectKind::kPack) relative = "data/" + key.name.substr(0, 2) + "/" + key.name;
    Result<s3::S3Client> client = s3::S3Client::create(config);
    ASSERT_TRUE(client.is_ok()) << client.status().message();
    Result<std::string> upload = s3::start_unfinished_upload(*client, client->full_key(relative), data);
    ASSERT_TRUE(upload.is_ok()) << upload.status().message();
  };
  return t;
}

std::vector<BackendFactory> all_backends() {
  return {
      {"local", make_local},
      {"local_behind_fault_wrapper", make_local_behind_fault_wrapper},
      {"s3", make_s3},
  };
}

class BackendConformance : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    Result<TestBackend> made = GetParam().make();
    // Only an explicit opt-out skips (CAIRN_TEST_S3=skip); CI never sets one.
    if (made.status().code() == ErrorCode::kUnsupported) GTEST_SKIP() << made.status().message();
    ASSERT_TRUE(made.is_ok()) << made.status().message();
    t_ = std::move(*made);
    b_ = t_.backend.get();
  }

  std::map<std::string, uint64_t> listed(ObjectKind kind) {
    std::map<std::string, uint64_t> seen;
    Status st = b_->list(kind, [&](const ObjectInfo& info) {
      EXPECT_EQ(info.key.kind, kind);
      EXPECT_TRUE(seen.emplace(info.key.name, info.size).second) << "listed twice: " << info.key.to_string();
    });
    EXPECT_TRUE(st.is_ok()) << st.message();
    return seen;
  }

  TestBackend t_;
  Backend* b_ = nullptr;
};

const ObjectKey kPack{ObjectKind::kPack, test_name(1)};

TEST_P(BackendConformance, PutThenGetReturnsSameBytes) {
  const Bytes data = pattern_bytes(10000);
  ASSERT_TRUE(b_->put(kPack, data).is_ok());
  Result<Bytes> got = b_->get(kPack);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  EXPECT_EQ(*got, data);
}

TEST_P(BackendConformance, GetRangeReturnsExactSlice) {
  const Bytes data = pattern_bytes(4096);
  ASSERT_TRUE(b_->put(kPack, data).is_ok());
  const std::pair<uint64_t, uint64_t> ranges[] = {{0, 1},    {0, 4096}, {100, 1000},
                                                  {4095, 1}, {1234, 0}, {4096, 0}};
  for (auto [offset, length] : ranges) {
    Result<Bytes> got = b_->get(kPack, offset, length);
    ASSERT_TRUE(got.is_ok()) << offset << "+" << length << ": " << got.status().message();
    const uint64_t end = length == 0 ? data.size() : offset + length;
    EXPECT_EQ(*got, Bytes(data.begin() + offset, data.begin() + end)) << offset << "+" << length;
  }
}

TEST_P(BackendConformance, GetOfMissingKeyIsNotFound) {
  const ObjectKey missing[] = {kPack,
                               {ObjectKind::kConfig, "config"},
                               {ObjectKind::kKey, "ab"},
                               {ObjectKind::kIndex, test_name(2)},
                               {ObjectKind::kSnapshot, test_name(3)},
                               {ObjectKind::kLock, test_name(4)}};
  for (const ObjectKey& key : missing) {
    EXPECT_EQ(b_->get(key).status().code(), ErrorCode::kNotFound) << key.to_string();
    EXPECT_EQ(b_->get(key, 10, 10).status().code(), ErrorCode::kNotFound) << key.to_string();
    EXPECT_EQ(b_->stat(key).status().code(), ErrorCode::kNotFound) << key.to_string();
  }
}

TEST_P(BackendConformance, PutOfExistingKeyFailsAndKeepsOriginal) {
  const Bytes original = pattern_bytes(300, 1);
  ASSERT_TRUE(b_->put(kPack, original).is_ok());
  EXPECT_EQ(b_->put(kPack, pattern_bytes(500, 2)).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(b_->put(kPack, original).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(*b_->get(kPack), original);
  EXPECT_EQ(listed(ObjectKind::kPack).size(), 1u);
}

TEST_P(BackendConformance, ListShowsEveryPutObjectOnce) {
  std::map<ObjectKind, std::map<std::string, uint64_t>> expected;
  const ObjectKind kinds[] = {ObjectKind::kKey, ObjectKind::kPack, ObjectKind::kIndex, ObjectKind::kSnapshot,
                              ObjectKind::kLock};
  uint64_t i = 0;
  for (ObjectKind kind : kinds) {
    const int count = kind == ObjectKind::kPack ? 100 : 5;
    for (int j = 0; j < count; ++j, ++i) {
      const ObjectKey key{kind, test_name(i)};
      ASSERT_TRUE(b_->put(key, pattern_bytes(i % 50, i)).is_ok()) << key.to_string();
      expected[kind][key.name] = i % 50;
    }
  }
  ASSERT_TRUE(b_->put({ObjectKind::kConfig, "config"}, pattern_bytes(77)).is_ok());
  expected[ObjectKind::kConfig]["config"] = 77;

  for (ObjectKind kind : kinds) EXPECT_EQ(listed(kind), expected[kind]) << object_kind_name(kind);
  EXPECT_EQ(listed(ObjectKind::kConfig), expected[ObjectKind::kConfig]);
}

TEST_P(BackendConformance, ListOfEmptyKindCallsNothing) {
  EXPECT_TRUE(listed(ObjectKind::kPack).empty());
  EXPECT_TRUE(listed(ObjectKind::kConfig).empty());
  EXPECT_TRUE(listed(ObjectKind::kSnapshot).empty());
}

TEST_P(BackendConformance, ListIgnoresTempFiles) {
  ASSERT_TRUE(t_.interrupted_put) << "the factory must say what an interrupted put leaves behind";
  const ObjectKey snapshot{ObjectKind::kSnapshot, test_name(5)};
  ASSERT_TRUE(b_->put(kPack, pattern_bytes(10)).is_ok());
  t_.interrupted_put(kPack, pattern_bytes(5));
  t_.interrupted_put({ObjectKind::kPack, test_name(6)}, pattern_bytes(5));
  t_.interrupted_put(snapshot, pattern_bytes(5));
  t_.interrupted_put({ObjectKind::kConfig, "config"}, pattern_bytes(5));

  EXPECT_EQ(listed(ObjectKind::kPack), (std::map<std::string, uint64_t>{{kPack.name, 10}}));
  EXPECT_TRUE(listed(ObjectKind::kSnapshot).empty());
  EXPECT_TRUE(listed(ObjectKind::kConfig).empty());
  EXPECT_EQ(b_->stat(snapshot).status().code(), ErrorCode::kNotFound);
  // An interrupted write does not block a later put of the same key.
  EXPECT_TRUE(b_->put(snapshot, pattern_bytes(7)).is_ok());
}

TEST_P(BackendConformance, RemoveMakesObjectInvisible) {
  ASSERT_TRUE(b_->put(kPack, pattern_bytes(10)).is_ok());
  ASSERT_TRUE(b_->remove(kPack).is_ok());
  EXPECT_EQ(b_->get(kPack).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(b_->stat(kPack).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(listed(ObjectKind::kPack).empty());
}

TEST_P(BackendConformance, RemoveOfMissingKeyIsOk) {
  EXPECT_TRUE(b_->remove(kPack).is_ok());
  EXPECT_TRUE(b_->remove({ObjectKind::kLock, test_name(9)}).is_ok());
  ASSERT_TRUE(b_->put(kPack, pattern_bytes(10)).is_ok());
  ASSERT_TRUE(b_->remove(kPack).is_ok());
  EXPECT_TRUE(b_->remove(kPack).is_ok());
}

TEST_P(BackendConformance, StatReportsSize) {
  ASSERT_TRUE(b_->put(kPack, pattern_bytes(12345)).is_ok());
  Result<ObjectInfo> info = b_->stat(kPack);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_EQ(info->key, kPack);
  EXPECT_EQ(info->size, 12345u);
}

TEST_P(BackendConformance, RangeBeyondEndIsCorruption) {
  ASSERT_TRUE(b_->put(kPack, pattern_bytes(100)).is_ok());
  const std::pair<uint64_t, uint64_t> ranges[] = {
      {100, 1}, {101, 0}, {0, 101}, {99, 2}, {1, UINT64_MAX}, {UINT64_MAX - 1, 5}, {UINT64_MAX, 0}};
  for (auto [offset, length] : ranges) {
    EXPECT_EQ(b_->get(kPack, offset, length).status().code(), ErrorCode::kCorruption)
        << offset << "+" << length;
  }
}

TEST_P(BackendConformance, EmptyObjectRoundTrips) {
  ASSERT_TRUE(b_->put(kPack, Bytes{}).is_ok());
  Result<Bytes> got = b_->get(kPack);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(b_->stat(kPack)->size, 0u);
  EXPECT_EQ(listed(ObjectKind::kPack), (std::map<std::string, uint64_t>{{kPack.name, 0}}));
  EXPECT_EQ(b_->get(kPack, 0, 1).status().code(), ErrorCode::kCorruption);
}

TEST_P(BackendConformance, LargeObjectRoundTrips) {
  const Bytes data = pattern_bytes(32 << 20, 7);
  ASSERT_TRUE(b_->put(kPack, data).is_ok());
  Result<Bytes> whole = b_->get(kPack);
  ASSERT_TRUE(whole.is_ok()) << whole.status().message();
  EXPECT_TRUE(*whole == data);  // not EXPECT_EQ: a failure would print 32 MiB
  const uint64_t offset = (20 << 20) + 3, length = 512 << 10;
  Result<Bytes> slice = b_->get(kPack, offset, length);
  ASSERT_TRUE(slice.is_ok()) << slice.status().message();
  EXPECT_TRUE(*slice == Bytes(data.begin() + offset, data.begin() + offset + length));
}

TEST_P(BackendConformance, InvalidNamesAreRejected) {
  const ObjectKey invalid[] = {
      {ObjectKind::kPack, "../x"},     {ObjectKind::kPack, "AB"},
      {ObjectKind::kPack, ""},         {ObjectKind::kPack, "a"},
      {ObjectKind::kIndex, "ab/cd"},   {ObjectKind::kSnapshot, "../../config"},
      {ObjectKind::kKey, "config"},    {ObjectKind::kLock, std::string("ab\0cd", 5)},
      {ObjectKind::kConfig, "ab"},     {ObjectKind::kConfig, "../config"},
      {ObjectKind::kIndex, ".tmp-ab"}, {ObjectKind::kIndex, std::string(129, 'a')},
  };
  for (const ObjectKey& key : invalid) {
    EXPECT_EQ(b_->put(key, pattern_bytes(3)).code(), ErrorCode::kInvalidArgument) << key.to_string();
    EXPECT_EQ(b_->get(key).status().code(), ErrorCode::kInvalidArgument) << key.to_string();
    EXPECT_EQ(b_->stat(key).status().code(), ErrorCode::kInvalidArgument) << key.to_string();
    EXPECT_EQ(b_->remove(key).code(), ErrorCode::kInvalidArgument) << key.to_string();
  }
  EXPECT_TRUE(listed(ObjectKind::kConfig).empty());
}

TEST_P(BackendConformance, ConcurrentPutsOfDistinctKeysAllLand) {
  constexpr int kThreads = 8, kPerThread = 10;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const uint64_t id = static_cast<uint64_t>(t * kPerThread + i);
        EXPECT_TRUE(b_->put({ObjectKind::kPack, test_name(id)}, pattern_bytes(1000, id)).is_ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(listed(ObjectKind::kPack).size(), static_cast<size_t>(kThreads * kPerThread));
  for (uint64_t id = 0; id < kThreads * kPerThread; ++id) {
    EXPECT_EQ(*b_->get({ObjectKind::kPack, test_name(id)}), pattern_bytes(1000, id)) << id;
  }
}

TEST_P(BackendConformance, ConcurrentPutsOfSameKeyExactlyOneWins) {
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      results[t] = b_->put(kPack, pattern_bytes(64 << 10, t));
    });
  }
  for (auto& th : threads) th.join();
  int winner = -1;
  for (int t = 0; t < kThreads; ++t) {
    if (results[t].is_ok()) {
      EXPECT_EQ(winner, -1) << "two puts of one key both succeeded";
      winner = t;
    } else {
      EXPECT_EQ(results[t].code(), ErrorCode::kAlreadyExists) << results[t].message();
    }
  }
  ASSERT_NE(winner, -1);
  EXPECT_TRUE(*b_->get(kPack) == pattern_bytes(64 << 10, winner));
  EXPECT_EQ(listed(ObjectKind::kPack).size(), 1u);
}

TEST_P(BackendConformance, PropertiesNameALocation) { EXPECT_FALSE(b_->properties().location.empty()); }

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendConformance, ::testing::ValuesIn(all_backends()),
                         [](const ::testing::TestParamInfo<BackendFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace cairn
