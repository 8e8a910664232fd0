// The S3 backend: a repository in a bucket of any S3-compatible object store
// (AWS S3, Ceph RGW, MinIO, ...), over libcurl with SigV4 signing.
//
// Nouns:
//   S3Config   where the repository lives (endpoint, region, bucket, prefix,
//              addressing style), the credentials and TLS settings.
//   object key <prefix>/<kind folder>/<name>, the local layout: config,
//              keys/, data/<2 hex>/, index/, snapshots/, locks/.
//
// put sends "If-None-Match: *", so it never replaces an object (412 becomes
// kAlreadyExists), and signs the payload's SHA-256, which the server checks.
// Objects above multipart_threshold go up in parts; a failed multipart
// upload is aborted, and an unfinished one is never visible or listed.
// Nothing here retries or sleeps: 5xx, 429, timeouts and dropped
// connections are kIoError for a retrying wrapper to act on. Every method
// may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "storage/backend.h"

namespace cairn {

struct S3Config {
  std::string endpoint;  // "http://127.0.0.1:7480", "https://s3.eu-north-1.amazonaws.com"
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;      // "" or "team/repo": no leading or trailing '/'
  bool path_style = true;  // endpoint/bucket/key; false: bucket.endpoint/key
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
  std::string ca_bundle;      // PEM file of CAs to trust for https; empty: the system's
  bool insecure = false;      // do not verify TLS certificates (tests, never production)
  // Sent as x-amz-acl on every put when not empty, e.g.
  // "bucket-owner-full-control" for write-only credentials.
  std::string canned_acl;
  uint64_t multipart_threshold = 64ull << 20;  // objects larger than this go up in parts
  uint64_t part_size = 16ull << 20;            // at least 5 MiB (S3's minimum part)
  uint32_t list_page_size = 0;                 // keys per ListObjectsV2 page; 0: the server's (1000)
  long connect_timeout_seconds = 10;
  long stall_timeout_seconds = 60;  // a transfer stalled this long fails
  const Clock* clock = nullptr;     // request times; nullptr: the system clock
};

// Parses "s3:http://host:port/bucket[/prefix...]" (also https, and
// "s3:host/bucket/prefix" meaning https). Credentials are left empty.
Result<S3Config> parse_s3_url(const std::string& url);

// Fills the credentials and region from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_DEFAULT_REGION (or
// AWS_REGION). kInvalidArgument if the key id or the secret is missing.
Status load_s3_credentials_from_env(S3Config& config);

// "s3:http://127.0.0.1:7480/bucket/prefix": what a user is shown.
std::string s3_location(const S3Config& config);

// Both check that the bucket exists and that the credentials work, with one
// plain sentence when not: kPermissionDenied for a wrong secret, an unknown
// key, a skewed clock or a refusal; kInvalidArgument for a missing bucket or
// a wrong region; kIoError for an unreachable endpoint. Credentials that may not list the
// bucket (write-only) cannot be checked and are accepted.
// create: kAlreadyExists if a repository (a config object) is there.
Result<std::unique_ptr<Backend>> create_s3_backend(const S3Config& config);
// open: kNotFound if there is no repository (no config object).
Result<std::unique_ptr<Backend>> open_s3_backend(const S3Config& config);

}  // namespace cairn
