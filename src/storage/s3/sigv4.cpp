#include "storage/s3/sigv4.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

namespace cairn::s3 {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

std::string to_hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const uint8_t*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims and collapses each run of whitespace (folded lines included) to one space.
std::string canonical_header_value(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// RFC 3986 section 5.2.4 plus collapsing empty segments; keeps a trailing slash.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out;
  for (std::string_view seg : segments) out.append("/").append(seg);
  if (out.empty()) return "/";
  if (path.ends_with('/')) out += '/';
  return out;
}

struct Canonical {
  std::string headers;         // "name:value\n" lines
  std::string signed_headers;  // "host;x-amz-date"
};

Canonical canonical_headers(const HttpHeaders& headers) {
  std::map<std::string, std::string> merged;  // sorted by lowercase name
  for (const auto& [name, value] : headers) {
    std::string& v = merged[lower(name)];
    if (!v.empty()) v += ',';
    v += canonical_header_value(value);
  }
  Canonical c;
  for (const auto& [name, value] : merged) {
    c.headers += name + ":" + value + "\n";
    if (!c.signed_headers.empty()) c.signed_headers += ';';
    c.signed_headers += name;
  }
  return c;
}

std::string credential_scope(const SigV4Scope& scope) {
  return scope.amz_date.substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

// Fills canonical_request, string_to_sign and signature.
void compute(SigV4Signature& sig, const SigV4Request& request, const QueryParams& query,
             const HttpHeaders& headers, const SigV4Scope& scope, const SigV4Options& options,
             std::string* signed_headers) {
  const Canonical c = canonical_headers(headers);
  *signed_headers = c.signed_headers;
  sig.canonical_request = request.method + "\n" + canonical_path(request.path, options.normalize_path) +
                          "\n" + canonical_query_string(query) + "\n" + c.headers + "\n" + c.signed_headers +
                          "\n" + request.payload_sha256;
  sig.string_to_sign = std::string(kAlgorithm) + "\n" + scope.amz_date + "\n" + credential_scope(scope) +
                       "\n" + sha256_hex(as_bytes(sig.canonical_request));
  std::string key = hmac("AWS4" + scope.secret_access_key, scope.amz_date.substr(0, 8));
  key = hmac(key, scope.region);
  key = hmac(key, scope.service);
  key = hmac(key, "aws4_request");
  const std::string mac = hmac(key, sig.string_to_sign);
  sig.signature = to_hex(reinterpret_cast<const uint8_t*>(mac.data()), mac.size());
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string canonical_path(std::string_view decoded_path, bool normalize) {
  if (decoded_path.empty()) return "/";
  return uri_encode(normalize ? normalize_path(decoded_path) : std::string(decoded_path), true);
}

std::string canonical_query_string(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

std::string sha256_hex(ByteView data) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  return to_hex(digest, sizeof digest);
}

std::string format_amz_date(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SigV4Signature sign_request(const SigV4Request& request, const SigV4Scope& scope,
                            const SigV4Options& options) {
  SigV4Signature sig;
  sig.added_headers.emplace_back("X-Amz-Date", scope.amz_date);
  if (options.content_sha256_header)
    sig.added_headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  const bool sign_token = !scope.session_token.empty() && !options.omit_session_token;
  if (sign_token) sig.added_headers.emplace_back("X-Amz-Security-Token", scope.session_token);

  HttpHeaders headers = request.headers;
  headers.insert(headers.end(), sig.added_headers.begin(), sig.added_headers.end());
  std::string signed_headers;
  compute(sig, request, request.query, headers, scope, options, &signed_headers);
  sig.authorization = std::string(kAlgorithm) + " Credential=" + scope.access_key_id + "/" +
                      credential_scope(scope) + ", SignedHeaders=" + signed_headers +
                      ", Signature=" + sig.signature;
  if (!scope.session_token.empty() && !sign_token) {
    sig.added_headers.emplace_back("X-Amz-Security-Token", scope.session_token);
  }
  sig.added_headers.emplace_back("Authorization", sig.authorization);
  return sig;
}

SigV4Signature presign_request(const SigV4Request& request, const SigV4Scope& scope, uint64_t expires_seconds,
                               const SigV4Options& options) {
  SigV4Signature sig;
  const bool sign_token = !scope.session_token.empty() && !options.omit_session_token;
  std::string signed_headers = canonical_headers(request.headers).signed_headers;
  sig.added_query = {{"X-Amz-Algorithm", kAlgorithm},
                     {"X-Amz-Credential", scope.access_key_id + "/" + credential_scope(scope)},
                     {"X-Amz-Date", scope.amz_date},
                     {"X-Amz-Expires", std::to_string(expires_seconds)},
                     {"X-Amz-SignedHeaders", signed_headers}};
  if (sign_token) sig.added_query.emplace_back("X-Amz-Security-Token", scope.session_token);
  QueryParams query = request.query;
  query.insert(query.end(), sig.added_query.begin(), sig.added_query.end());
  compute(sig, request, query, request.headers, scope, options, &signed_headers);
  if (!scope.session_token.empty() && !sign_token) {
    sig.added_query.emplace_back("X-Amz-Security-Token", scope.session_token);
  }
  sig.added_query.emplace_back("X-Amz-Signature", sig.signature);
  return sig;
}

}  // namespace cairn::s3
