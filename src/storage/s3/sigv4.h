// AWS Signature Version 4 (SigV4) request signing, as pure functions.
//
// Nouns:
//   SigV4Request   what is signed: method, decoded path and query, headers
//                  (Host included) and the hex SHA-256 of the payload (or
//                  "UNSIGNED-PAYLOAD").
//   SigV4Scope     credentials, region and service, and the request time.
//   SigV4Signature the intermediate texts (for tests and debugging) and what
//                  the caller must add to the request: headers (header
//                  signing) or query parameters (presigned URLs).
//
// Paths and query strings are given decoded; the signer encodes them the
// way AWS does (RFC 3986 unreserved characters stay, everything else is
// %XX, '/' stays in paths). A caller must send exactly the encoded forms
// that uri_encode_path() and canonical_query_string() produce, so the
// server computes the same canonical request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"

namespace cairn::s3 {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;  // name, value; order kept
using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded name, value

struct SigV4Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // decoded, starting with '/': "/bucket/data/ab/ab12"
  QueryParams query;
  HttpHeaders headers;  // must include Host
  std::string payload_sha256;
};

struct SigV4Scope {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
  std::string region;         // "us-east-1"
  std::string service;        // "s3"
  std::string amz_date;       // "20150830T123600Z" (UTC)
};

struct SigV4Options {
  // Remove "." and ".." segments and repeated slashes before encoding. Not
  // for S3, whose keys may hold any of them literally.
  bool normalize_path = false;
  // Add and sign "x-amz-content-sha256: <payload_sha256>" (S3 requires it).
  bool content_sha256_header = false;
  // Send the session token unsigned (added after signing): some services
  // (IoT) want that; S3 signs it.
  bool omit_session_token = false;
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // 64 hex digits
  std::string authorization;  // header signing: the Authorization header's value
  HttpHeaders added_headers;  // header signing: X-Amz-Date etc. and Authorization
  QueryParams added_query;    // presigning: X-Amz-Algorithm ... X-Amz-Signature
};

// Signs with an Authorization header.
SigV4Signature sign_request(const SigV4Request& request, const SigV4Scope& scope,
                            const SigV4Options& options);

// Signs into the query string (a presigned URL valid for expires_seconds).
SigV4Signature presign_request(const SigV4Request& request, const SigV4Scope& scope, uint64_t expires_seconds,
                               const SigV4Options& options);

// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - _ . ~ (and '/'
// when keep_slash), uppercase hex.
std::string uri_encode(std::string_view s, bool keep_slash);
// The path as signed and as it must be sent.
std::string canonical_path(std::string_view decoded_path, bool normalize);
// "a=1&b=2": encoded, sorted by name then value; also the query to send.
std::string canonical_query_string(const QueryParams& query);

// Lowercase hex SHA-256 of data.
std::string sha256_hex(ByteView data);
// "20150830T123600Z" for seconds since the Unix epoch.
std::string format_amz_date(int64_t unix_seconds);

}  // namespace cairn::s3
