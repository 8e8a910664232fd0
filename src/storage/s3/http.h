// One HTTP exchange over libcurl, for the S3 client. Internal to storage/s3.
//
// Each thread reuses its own curl handle, so connections are kept alive per
// thread and requests from different threads never share state. Nothing
// here retries or sleeps: a failure is returned as it happened.
#pragma once

#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/s3/sigv4.h"

namespace cairn::s3 {

struct HttpOptions {
  std::string ca_bundle;  // PEM file of trusted CAs; empty: the system's
  bool insecure = false;  // do not verify the server's TLS certificate
  long connect_timeout_seconds = 10;
  // A transfer slower than 1 byte/s for this long is cut (a stalled server).
  long stall_timeout_seconds = 60;
};

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // fully encoded
  HttpHeaders headers;
  ByteView body;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  // names lowercased, of the final response only
  Bytes body;           // empty for HEAD

  // The first header named name (lowercase), or "".
  std::string header(const std::string& name) const;
};

// Performs the request. Transport failures are kIoError naming `endpoint`
// ("cannot reach http://...: Connection refused"); any HTTP status,
// including 4xx and 5xx, is a successful exchange for the caller to judge.
Result<HttpResponse> http_perform(const HttpRequest& request, const HttpOptions& options,
                                  const std::string& endpoint);

}  // namespace cairn::s3
