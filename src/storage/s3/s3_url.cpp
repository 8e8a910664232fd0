// Repository URLs ("s3:http://host:port/bucket/prefix") and credentials
// from the standard AWS environment variables.
#include <cstdlib>

#include "storage/s3/s3_backend.h"

namespace cairn {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

Result<S3Config> parse_s3_url(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return invalid_argument("\"" + url + "\" is not an S3 repository URL (" + why +
                            "); expected s3:http(s)://host[:port]/bucket[/prefix]");
  };
  if (!url.starts_with("s3:")) return bad("no s3: in front");
  std::string rest = url.substr(3);
  std::string scheme = "https";
  if (const size_t sep = rest.find("://"); sep != std::string::npos) {
    scheme = rest.substr(0, sep);
    rest = rest.substr(sep + 3);
  }
  if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string::npos) return bad("no host and bucket");
  S3Config config;
  config.endpoint = scheme + "://" + rest.substr(0, slash);
  std::string path = rest.substr(slash + 1);
  while (path.ends_with('/')) path.pop_back();
  const size_t bucket_end = path.find('/');
  config.bucket = path.substr(0, bucket_end);
  if (config.bucket.empty()) return bad("no bucket");
  if (bucket_end != std::string::npos) config.prefix = path.substr(bucket_end + 1);
  if (config.prefix.find("//") != std::string::npos) return bad("an empty folder in the prefix");
  return config;
}

Status load_s3_credentials_from_env(S3Config& config) {
  config.access_key_id = env("AWS_ACCESS_KEY_ID");
  config.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  config.session_token = env("AWS_SESSION_TOKEN");
  std::string region = env("AWS_DEFAULT_REGION");
  if (region.empty()) region = env("AWS_REGION");
  if (!region.empty()) config.region = region;
  if (config.access_key_id.empty() || config.secret_access_key.empty()) {
    return invalid_argument("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  return Status::ok();
}

}  // namespace cairn
