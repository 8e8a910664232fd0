// Signed requests to one bucket, and what S3 error answers mean. Internal to
// storage/s3 (the tests use it to set up what a backend cannot: unfinished
// uploads, raw listings).
#pragma once

#include <string>

#include "storage/s3/http.h"
#include "storage/s3/s3_backend.h"
#include "storage/s3/sigv4.h"

namespace cairn::s3 {

struct S3Request {
  std::string method;
  std::string key;  // the full object key; empty: the bucket itself
  QueryParams query;
  HttpHeaders headers;  // besides Host, X-Amz-Date, x-amz-content-sha256, Authorization
  ByteView body;
};

class S3Client {
 public:
  // kInvalidArgument for an endpoint that is not scheme://host[:port] or a
  // bucket name S3 cannot have.
  static Result<S3Client> create(const S3Config& config);

  // Signs and sends; any HTTP status is returned as a response.
  Result<HttpResponse> send(const S3Request& request) const;

  // The Status for a non-2xx answer about `what` ("data/ab12", "bucket x").
  Status error_status(const HttpResponse& response, const std::string& what) const;

  // "<prefix>/<relative>", or relative when there is no prefix.
  std::string full_key(const std::string& relative) const;

  const S3Config& config() const { return config_; }

 private:
  explicit S3Client(const S3Config& config) : config_(config) {}

  S3Config config_;
  std::string scheme_;  // "http" or "https"
  std::string host_;    // as sent in Host: "127.0.0.1:7480", "bucket.s3.amazonaws.com"
  HttpOptions http_;
};

}  // namespace cairn::s3
