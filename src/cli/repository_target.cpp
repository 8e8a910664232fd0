// Finding a command's repository and building its backend stack.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cli/cli.h"
#include "cli/context.h"
#include "common/log.h"
#include "storage/access_mode_backend.h"
#include "storage/cache_backend.h"
#include "storage/counting_backend.h"
#include "storage/limit_backend.h"
#include "storage/local_backend.h"
#include "storage/retry_backend.h"
#include "storage/s3/s3_backend.h"

namespace cairn {

namespace {
// The stack of the repository a command opened, for log_storage_requests.
std::shared_ptr<CountingBackend> g_last_counter;

// Requests one S3 repository may have in flight at once.
constexpr int kS3MaxInFlight = 16;

// A --repo value: a folder, or "s3:http://host:port/bucket/prefix" (the
// credentials then come from the AWS_* variables).
RepositoryTarget path_target(const std::string& path) {
  RepositoryTarget t;
  if (path.rfind("s3:", 0) != 0) {
    t.location.path = path;
    return t;
  }
  Result<S3Config> s3 = parse_s3_url(path);
  if (!s3.is_ok()) {
    std::fprintf(stderr, "error: %s.\n", s3.status().message().c_str());
    throw CommandExit{kExitUsage};
  }
  t.location.provider = Provider::kS3;
  t.location.endpoint = s3->endpoint;
  t.location.bucket = s3->bucket;
  t.location.prefix = s3->prefix;
  t.location.path_style = s3->path_style;
  t.url = path;
  return t;
}

// The S3 settings of a location, with its credentials: from its credentials
// file, else from the AWS_* variables. The region, when the location has
// none: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
Result<S3Config> s3_config(const Location& l) {
  S3Config c;
  c.endpoint = l.endpoint;
  c.bucket = l.bucket;
  c.prefix = l.prefix;
  c.path_style = l.path_style;
  c.ca_bundle = l.ca_bundle;
  c.region = l.region;
  for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    const char* v = std::getenv(var);
    if (c.region.empty() && v && *v) c.region = v;
  }
  if (c.region.empty()) c.region = "us-east-1";
  if (c.endpoint.empty()) c.endpoint = "https://s3." + c.region + ".amazonaws.com";
  // Write-only credentials cannot read what they wrote; the bucket owner must.
  if (l.access_mode == AccessMode::kAppendOnly) c.canned_acl = "bucket-owner-full-control";
  Result<AwsCredentials> creds = l.credentials_file.empty()
                                     ? aws_credentials_from_env()
                                     : load_aws_credentials(l.credentials_file, l.profile);
  if (!creds.is_ok()) return creds.status();
  c.access_key_id = creds->access_key_id;
  c.secret_access_key = creds->secret_access_key;
  c.session_token = creds->session_token;
  return c;
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "error: %s.\n", message.c_str());
  throw CommandExit{kExitUsage};
}

LocationConfig load_config_or_exit() {
  Result<std::string> dir = location_config_dir();
  exit_on_error(dir.status());
  Result<LocationConfig> config = load_locations(*dir);
  exit_on_error(config.status());
  return std::move(*config);
}

RepositoryTarget named_target(const Location& l) {
  RepositoryTarget t;
  t.location = l;
  t.named = true;
  return t;
}

Result<std::shared_ptr<Backend>> open_base(const Location& l, bool create) {
  Result<std::unique_ptr<Backend>> b = Status(ErrorCode::kUnsupported, "unknown provider");
  if (l.provider == Provider::kS3) {
    CAIRN_ASSIGN_OR_RETURN(S3Config config, s3_config(l));
    b = create ? create_s3_backend(config) : open_s3_backend(config);
  } else {
    b = create ? create_local_backend(l.path) : open_local_backend(l.path);
  }
  if (!b.is_ok()) return b.status();
  return std::shared_ptr<Backend>(std::move(*b));
}
}  // namespace

std::string RepositoryTarget::describe() const {
  if (!named) return location.provider == Provider::kS3 ? url : location.path;
  return "location " + location.name + " (" + location.where() + ")";
}

RepositoryTarget resolve_target(const GlobalOptions& g) {
  if (!g.repo.empty() && !g.location.empty()) usage_error("give either --repo or --location, not both");
  if (!g.repo.empty()) return path_target(g.repo);
  if (!g.location.empty()) {
    LocationConfig config = load_config_or_exit();
    const Location* l = config.find(g.location);
    if (!l) usage_error("there is no location named \"" + g.location + "\"; see 'cairn location get'");
    return named_target(*l);
  }
  if (const char* env = std::getenv("CAIRN_REPO"); env && *env) return path_target(env);
  LocationConfig config = load_config_or_exit();
  if (const Location* l = config.default_location()) return named_target(*l);
  usage_error(
      "no repository given: pass --repo PATH or --location NAME, set CAIRN_REPO, or make a location the "
      "default with 'cairn location set NAME --default'");
}

Result<std::shared_ptr<Backend>> open_backend_stack(const Location& location, bool create,
                                                    bool with_retries) {
  CAIRN_ASSIGN_OR_RETURN(std::shared_ptr<Backend> base, open_base(location, create));
  auto counter = std::make_shared<CountingBackend>(base);
  g_last_counter = counter;
  std::shared_ptr<Backend> stack =
      std::make_shared<AccessModeBackend>(counter, location.access_mode, location.name);
  if (location.provider == Provider::kS3)
    stack = std::make_shared<ConcurrencyLimitBackend>(stack, kS3MaxInFlight);
  if (with_retries) {
    // A local disk rarely recovers from an I/O error; an object store often does.
    RetryPolicy policy;
    if (location.provider == Provider::kLocal)
      policy = RetryPolicy{.max_attempts = 3, .budget = std::chrono::seconds(10)};
    stack = std::make_shared<RetryingBackend>(stack, policy);
  }
  if (location.access_mode != AccessMode::kAppendOnly) return stack;
  // AppendOnly credentials may be allowed to write and nothing else: keep a
  // local copy of what this client writes, to open and deduplicate with.
  const std::string where =
      location.provider == Provider::kS3
          ? "s3|" + location.endpoint + "|" + location.where()
          : "local|" + std::filesystem::absolute(location.path).lexically_normal().string();
  CAIRN_ASSIGN_OR_RETURN(std::string folder, cache_folder_for(where));
  Result<std::unique_ptr<Backend>> cache = open_local_cache_backend(folder);
  if (!cache.is_ok())
    return cache.status().with_context("opening the local cache of an AppendOnly location (CAIRN_CACHE_DIR)");
  return std::shared_ptr<Backend>(
      std::make_shared<WriteThroughCacheBackend>(stack, std::shared_ptr<Backend>(std::move(*cache))));
}

void log_storage_requests() {
  if (g_last_counter) log_debug("storage requests: " + g_last_counter->counts().to_string());
}

}  // namespace cairn
