// What only the S3 backend does: its key layout, multipart uploads, and one
// plain sentence for each way of pointing it at the wrong place. Runs
// against the RGW of scripts/ceph-rgw.sh (see s3_test_util.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "s3_test_util.h"
#include "storage_test_util.h"

namespace cairn {
namespace {

class S3Backend : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<S3Config> config = s3_test_config();
    if (config.status().code() == ErrorCode::kUnsupported) GTEST_SKIP() << config.status().message();
    ASSERT_TRUE(config.is_ok()) << config.status().message();
    config_ = *config;
    config_.prefix = unique_s3_prefix();
    cleanup_ = std::make_unique<S3PrefixCleanup>(S3PrefixCleanup{config_});
  }

  std::unique_ptr<Backend> create(const S3Config& config) {
    Result<std::unique_ptr<Backend>> b = create_s3_backend(config);
    EXPECT_TRUE(b.is_ok()) << b.status().message();
    return b.is_ok() ? std::move(*b) : nullptr;
  }

  std::vector<std::string> stored_keys() {
    Result<std::vector<std::string>> keys = s3_keys_under_prefix(config_);
    EXPECT_TRUE(keys.is_ok()) << keys.status().message();
    std::vector<std::string> out = keys.is_ok() ? *keys : std::vector<std::string>{};
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> unfinished_uploads() {
    Result<std::vector<std::string>> uploads = s3_uploads_under_prefix(config_);
    EXPECT_TRUE(uploads.is_ok()) << uploads.status().message();
    return uploads.is_ok() ? *uploads : std::vector<std::string>{};
  }

  S3Config config_;
  std::unique_ptr<S3PrefixCleanup> cleanup_;
};

// A clock that is one hour ahead on exactly one reading (the Nth request
// signed): a way to make one chosen request fail.
class SkewOnceClock final : public Clock {
 public:
  explicit SkewOnceClock(int skewed_call) : skewed_call_(skewed_call) {}
  TimeNs now() const override {
    const TimeNs t = system_clock().now();
    return calls_++ == skewed_call_ ? t + 3600 * 1000000000LL : t;
  }

 private:
  const int skewed_call_;
  mutable std::atomic<int> calls_{0};
};

// A loopback port nothing listens on (bound, then released).
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(S3Backend, ObjectsFollowTheLocalLayoutUnderThePrefix) {
  std::unique_ptr<Backend> b = create(config_);
  ASSERT_TRUE(b);
  const std::string name = test_name(1);  // starts with its two-digit pack folder
  const ObjectKey keys[] = {{ObjectKind::kConfig, "config"}, {ObjectKind::kKey, name},
                            {ObjectKind::kPack, name},       {ObjectKind::kIndex, name},
                            {ObjectKind::kSnapshot, name},   {ObjectKind::kLock, name}};
  for (const ObjectKey& key : keys) ASSERT_TRUE(b->put(key, pattern_bytes(10)).is_ok()) << key.to_string();
  const std::string p = config_.prefix + "/";
  EXPECT_EQ(stored_keys(),
            (std::vector<std::string>{p + "config", p + "data/" + name.substr(0, 2) + "/" + name,
                                      p + "index/" + name, p + "keys/" + name, p + "locks/" + name,
                                      p + "snapshots/" + name}));
  EXPECT_EQ(b->properties().location, "s3:" + config_.endpoint + "/" + config_.bucket + "/" + config_.prefix);
}

TEST_F(S3Backend, OpenWithoutConfigIsNotFoundAndCreateOverConfigIsAlreadyExists) {
  Result<std::unique_ptr<Backend>> opened = open_s3_backend(config_);
  EXPECT_EQ(opened.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(opened.status().message().find("no repository at s3:" + config_.endpoint), std::string::npos)
      << opened.status().message();
  std::unique_ptr<Backend> b = create(config_);
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->put({ObjectKind::kConfig, "config"}, pattern_bytes(10)).is_ok());
  EXPECT_TRUE(open_s3_backend(config_).is_ok());
  EXPECT_EQ(create_s3_backend(config_).status().code(), ErrorCode::kAlreadyExists);
}

TEST_F(S3Backend, WrongSecretIsPermissionDeniedNamingTheSecretKey) {
  S3Config wrong = config_;
  wrong.secret_access_key += "x";
  const Status st = create_s3_backend(wrong).status();
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "the S3 server rejected the signature: check the secret key");
}

TEST_F(S3Backend, UnknownAccessKeyIsPermissionDeniedNamingTheKey) {
  S3Config wrong = config_;
  wrong.access_key_id = "NOSUCHKEY";
  const Status st = create_s3_backend(wrong).status();
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(st.message().find("\"NOSUCHKEY\""), std::string::npos) << st.message();
}

TEST_F(S3Backend, UnreachableEndpointIsIoErrorNamingTheEndpoint) {
  S3Config nowhere = config_;
  nowhere.endpoint = "http://127.0.0.1:" + std::to_string(unused_port());
  const Status st = open_s3_backend(nowhere).status();
  EXPECT_EQ(st.code(), ErrorCode::kIoError);
  EXPECT_TRUE(st.message().starts_with("cannot reach " + nowhere.endpoint + ":")) << st.message();
}

TEST_F(S3Backend, MissingBucketIsInvalidArgumentNamingTheBucket) {
  S3Config missing = config_;
  missing.bucket = "cairn-no-such-bucket";
  const Status st = open_s3_backend(missing).status();
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "the S3 bucket \"cairn-no-such-bucket\" does not exist at " + config_.endpoint);
}

TEST_F(S3Backend, SkewedClockIsRefusedWithAClockMessage) {
  SkewOnceClock clock(0);
  S3Config skewed = config_;
  skewed.clock = &clock;
  const Status st = open_s3_backend(skewed).status();
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(st.message().find("clock"), std::string::npos) << st.message();
}

TEST_F(S3Backend, MultipartUploadOf40MiBRoundTrips) {
  S3Config multipart = config_;
  multipart.multipart_threshold = 16 << 20;
  multipart.part_size = 16 << 20;  // three parts, the last 8 MiB
  std::unique_ptr<Backend> b = create(multipart);
  ASSERT_TRUE(b);
  const ObjectKey key{ObjectKind::kPack, test_name(2)};
  const Bytes data = pattern_bytes(40 << 20, 3);
  ASSERT_TRUE(b->put(key, data).is_ok());
  EXPECT_EQ(b->stat(key)->size, data.size());
  Result<Bytes> whole = b->get(key);
  ASSERT_TRUE(whole.is_ok()) << whole.status().message();
  EXPECT_TRUE(*whole == data);
  const uint64_t across = (16 << 20) - 100;  // a range spanning parts 1 and 2
  EXPECT_TRUE(*b->get(key, across, 200) == Bytes(data.begin() + across, data.begin() + across + 200));
  EXPECT_TRUE(unfinished_uploads().empty());
  EXPECT_EQ(b->put(key, data).code(), ErrorCode::kAlreadyExists);
}

TEST_F(S3Backend, FailedMultipartUploadLeavesNothingVisible) {
  // Requests: probe (0), stat (1), initiate (2), part 1 (3), part 2 (4,
  // refused for its skewed clock), abort (5).
  SkewOnceClock clock(4);
  S3Config failing = config_;
  failing.multipart_threshold = 8 << 20;
  failing.part_size = 5 << 20;
  failing.clock = &clock;
  std::unique_ptr<Backend> b = create(failing);
  ASSERT_TRUE(b);
  const ObjectKey key{ObjectKind::kPack, test_name(3)};
  const Status st = b->put(key, pattern_bytes(12 << 20));
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied) << st.message();
  EXPECT_NE(st.message().find("clock"), std::string::npos) << st.message();
  EXPECT_EQ(b->stat(key).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(stored_keys().empty());
  EXPECT_TRUE(unfinished_uploads().empty()) << "the upload was not aborted";
  EXPECT_TRUE(b->put(key, pattern_bytes(12 << 20)).is_ok()) << "a later put of the same key";
}

TEST_F(S3Backend, PayloadNotMatchingItsSignedHashIsRefusedAndStoresNothing) {
  // The hash put signs is checked by the server: damaged bytes never land.
  Result<s3::S3Client> client = s3::S3Client::create(config_);
  ASSERT_TRUE(client.is_ok());
  const std::string key = client->full_key("index/ab");
  const std::string host = config_.endpoint.substr(config_.endpoint.find("://") + 3);
  s3::SigV4Request r{
      "PUT", "/" + config_.bucket + "/" + key, {}, {{"Host", host}}, s3::sha256_hex(as_bytes("good"))};
  s3::SigV4Options options;
  options.content_sha256_header = true;
  const s3::SigV4Signature sig =
      s3::sign_request(r,
                       {config_.access_key_id, config_.secret_access_key, "", config_.region, "s3",
                        s3::format_amz_date(system_clock().now() / 1000000000)},
                       options);
  s3::HttpRequest http{"PUT", config_.endpoint + r.path, r.headers, as_bytes("evil")};
  http.headers.insert(http.headers.end(), sig.added_headers.begin(), sig.added_headers.end());
  Result<s3::HttpResponse> answer = s3::http_perform(http, {}, config_.endpoint);
  ASSERT_TRUE(answer.is_ok()) << answer.status().message();
  EXPECT_EQ(answer->status, 400) << as_string_view(answer->body);
  EXPECT_TRUE(stored_keys().empty());
}

}  // namespace
}  // namespace cairn
