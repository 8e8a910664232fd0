#include "storage/s3/s3_client.h"

#include <openssl/sha.h>

#include <cctype>

#include "storage/s3/xml.h"

namespace cairn::s3 {
namespace {

// S3's rules, loosely: 3 to 63 of a-z 0-9 . - (RGW and MinIO also allow
// some uppercase and '_'; those are accepted too, but never '/').
bool valid_bucket_name(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

Result<S3Client> S3Client::create(const S3Config& config) {
  S3Config c = config;
  if (c.clock == nullptr) c.clock = &system_clock();
  if (!valid_bucket_name(c.bucket)) {
    return invalid_argument("\"" + c.bucket +
                            "\" is not a valid S3 bucket name (3 to 63 of a-z, 0-9, '.', '-')");
  }
  while (c.prefix.starts_with('/')) c.prefix.erase(0, 1);
  while (c.prefix.ends_with('/')) c.prefix.pop_back();
  if (c.part_size < (5u << 20)) return invalid_argument("the S3 part size must be at least 5 MiB");
  S3Client client(c);
  const size_t sep = c.endpoint.find("://");
  if (sep == std::string::npos)
    return invalid_argument("the S3 endpoint \"" + c.endpoint + "\" has no http:// or https://");
  client.scheme_ = c.endpoint.substr(0, sep);
  std::string host = c.endpoint.substr(sep + 3);
  while (host.ends_with('/')) host.pop_back();
  if ((client.scheme_ != "http" && client.scheme_ != "https") || host.empty() ||
      host.find_first_of("/?#@ ") != std::string::npos) {
    return invalid_argument("the S3 endpoint \"" + c.endpoint +
                            "\" is not of the form http(s)://host[:port]");
  }
  client.host_ = c.path_style ? host : c.bucket + "." + host;
  client.http_.ca_bundle = c.ca_bundle;
  client.http_.insecure = c.insecure;
  client.http_.connect_timeout_seconds = c.connect_timeout_seconds;
  client.http_.stall_timeout_seconds = c.stall_timeout_seconds;
  return client;
}

std::string S3Client::full_key(const std::string& relative) const {
  return config_.prefix.empty() ? relative : config_.prefix + "/" + relative;
}

Result<HttpResponse> S3Client::send(const S3Request& request) const {
  SigV4Request r;
  r.method = request.method;
  r.path = config_.path_style ? "/" + config_.bucket : "";
  if (!request.key.empty()) r.path += "/" + request.key;
  if (r.path.empty()) r.path = "/";
  r.query = request.query;
  r.headers = request.headers;
  r.headers.emplace_back("Host", host_);
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(request.body.data(), request.body.size(), digest);
  r.payload_sha256 = cairn::to_hex(ByteView(digest, sizeof digest));
  // A body-carrying PUT also declares its checksum: S3 refuses puts into an
  // Object Lock bucket without one (Content-MD5 or x-amz-checksum-*), and
  // this one costs nothing, the digest is already made for the signature.
  if (request.method == "PUT" && !request.body.empty() && request.query.empty())
    r.headers.emplace_back("x-amz-checksum-sha256", base64_encode(ByteView(digest, sizeof digest)));

  SigV4Scope scope{config_.access_key_id,
                   config_.secret_access_key,
                   config_.session_token,
                   config_.region,
                   "s3",
                   format_amz_date(config_.clock->now() / 1000000000)};
  SigV4Options options;
  options.content_sha256_header = true;
  const SigV4Signature sig = sign_request(r, scope, options);

  HttpRequest http;
  http.method = request.method;
  http.url = scheme_ + "://" + host_ + canonical_path(r.path, false);
  const std::string query = canonical_query_string(r.query);
  if (!query.empty()) http.url += "?" + query;
  http.headers = std::move(r.headers);
  http.headers.insert(http.headers.end(), sig.added_headers.begin(), sig.added_headers.end());
  http.body = request.body;
  return http_perform(http, http_, config_.endpoint);
}

Status S3Client::error_status(const HttpResponse& response, const std::string& what) const {
  const std::string_view body = as_string_view(response.body);
  const std::string code = xml_text(body, "Code").value_or("");
  const std::string message = xml_text(body, "Message").value_or("");
  const long status = response.status;
  const std::string answer = "the S3 server answered " + std::to_string(status) +
                             (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message);
  // Not kNotFound: that would read as "no repository here, create one", which
  // cannot work without the bucket.
  if (code == "NoSuchBucket") {
    return invalid_argument("the S3 bucket \"" + config_.bucket + "\" does not exist at " + config_.endpoint);
  }
  if (code == "SignatureDoesNotMatch") {
    return permission_denied("the S3 server rejected the signature: check the secret key");
  }
  if (code == "InvalidAccessKeyId") {
    return permission_denied("the S3 server does not know the access key \"" + config_.access_key_id +
                             "\": check the access key id");
  }
  if (code == "RequestTimeTooSkewed") {
    return permission_denied(
        "the S3 server says this machine's clock is off by more than 15 minutes: "
        "fix the clock (NTP) and try again");
  }
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" || status == 301) {
    return invalid_argument("the S3 bucket \"" + config_.bucket + "\" is not in region \"" + config_.region +
                            "\" or not at this endpoint: check the region and endpoint (" + answer + ")");
  }
  if (code == "BadDigest" || code == "XAmzContentSHA256Mismatch" || code == "IncompleteBody") {
    return io_error("the S3 server received damaged data for " + what + " (" + answer + ")");
  }
  switch (status) {
    case 404: return not_found(what + " does not exist");
    case 403:
      return permission_denied("access denied by the S3 server: check the credentials / bucket policy (" +
                               what + ")");
    case 412: return already_exists(what + " already exists");
    case 416: return corruption("short read of " + what + ": the range is beyond its end");
    default: break;
  }
  if (status >= 500 || status == 429 || status == 408 || status == 409) return io_error(what + ": " + answer);
  if (status >= 400) return invalid_argument(what + ": " + answer);
  return io_error(what + ": unexpected answer from the S3 server (" + answer + ")");
}

}  // namespace cairn::s3
