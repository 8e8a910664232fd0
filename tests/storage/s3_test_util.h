// The S3 server the tests use: a Ceph RGW started by scripts/ceph-rgw.sh,
// found through CAIRN_TEST_S3_* variables. Without them the S3 tests fail
// and say how to start it; CAIRN_TEST_S3=skip skips them on purpose (for a
// developer without Ceph; CI never sets it).
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <string>

#include "storage/s3/multipart.h"
#include "storage/s3/s3_backend.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/xml.h"

namespace cairn {

// kUnsupported means "skip on purpose"; any other error fails the test.
inline Result<S3Config> s3_test_config() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? "" : v;
  };
  if (env("CAIRN_TEST_S3") == "skip") return unsupported("S3 tests skipped: CAIRN_TEST_S3=skip");
  S3Config c;
  c.endpoint = env("CAIRN_TEST_S3_ENDPOINT");
  c.bucket = env("CAIRN_TEST_S3_BUCKET");
  c.access_key_id = env("CAIRN_TEST_S3_ACCESS_KEY");
  c.secret_access_key = env("CAIRN_TEST_S3_SECRET_KEY");
  if (!env("CAIRN_TEST_S3_REGION").empty()) c.region = env("CAIRN_TEST_S3_REGION");
  if (c.endpoint.empty() || c.bucket.empty() || c.access_key_id.empty() || c.secret_access_key.empty()) {
    return invalid_argument(
        "the S3 tests need a real S3 server and CAIRN_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and "
        "_SECRET_KEY: "
        "run `scripts/ceph-rgw.sh up && eval \"$(scripts/ceph-rgw.sh env)\"` (scripts/test.sh does this), "
        "or set CAIRN_TEST_S3=skip to skip them");
  }
  return c;
}

// A prefix no other test (or test run) uses: "t/<pid>-<n>-<random>".
inline std::string unique_s3_prefix() {
  static std::atomic<int> counter{0};
  static const uint64_t run = std::random_device{}();
  return "t/" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(run % 1000000);
}

enum class S3Listing { kObjects, kUnfinishedUploads };

// Full keys of every object under config.prefix, or of every unfinished
// multipart upload there (as "key?uploadId=id"); raw, not through a backend.
inline Result<std::vector<std::string>> s3_list_prefix(const S3Config& config, S3Listing what) {
  CAIRN_ASSIGN_OR_RETURN(s3::S3Client client, s3::S3Client::create(config));
  const bool uploads = what == S3Listing::kUnfinishedUploads;
  std::vector<std::string> keys;
  std::string token;
  do {
    s3::QueryParams q{{"prefix", config.prefix + "/"}};
    if (uploads) {
      q.emplace_back("uploads", "");
    } else {
      q.emplace_back("list-type", "2");
      if (!token.empty()) q.emplace_back("continuation-token", token);
    }
    CAIRN_ASSIGN_OR_RETURN(s3::HttpResponse r, client.send({"GET", "", q, {}, {}}));
    if (r.status != 200) return client.error_status(r, "listing " + config.prefix);
    const std::string_view xml = as_string_view(r.body);
    s3::xml_for_each(xml, uploads ? "Upload" : "Contents", [&](std::string_view item) {
      std::string key = s3::xml_text(item, "Key").value_or("");
      if (uploads) key += "?uploadId=" + s3::xml_text(item, "UploadId").value_or("");
      keys.push_back(key);
    });
    token = uploads ? "" : s3::xml_text(xml, "NextContinuationToken").value_or("");
  } while (!token.empty());
  return keys;
}

inline Result<std::vector<std::string>> s3_keys_under_prefix(const S3Config& config) {
  return s3_list_prefix(config, S3Listing::kObjects);
}
inline Result<std::vector<std::string>> s3_uploads_under_prefix(const S3Config& config) {
  return s3_list_prefix(config, S3Listing::kUnfinishedUploads);
}

// Deletes every object and unfinished upload under config.prefix.
inline void delete_s3_prefix(const S3Config& config) {
  Result<s3::S3Client> client = s3::S3Client::create(config);
  if (!client.is_ok()) return;
  if (Result<std::vector<std::string>> keys = s3_keys_under_prefix(config); keys.is_ok()) {
    for (const std::string& key : *keys) client->send({"DELETE", key, {}, {}, {}}).status().ignore();
  }
  if (Result<std::vector<std::string>> uploads = s3_uploads_under_prefix(config); uploads.is_ok()) {
    for (const std::string& u : *uploads) {
      const size_t q = u.find("?uploadId=");
      s3::abort_upload(*client, u.substr(0, q), u.substr(q + 10)).ignore();
    }
  }
}

// Deletes what a test stored under its prefix when it goes out of scope.
struct S3PrefixCleanup {
  S3Config config;
  ~S3PrefixCleanup() { delete_s3_prefix(config); }
};

}  // namespace cairn
