#include "storage/s3/s3_backend.h"

#include "storage/s3/multipart.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/xml.h"

namespace cairn {
namespace {

using s3::HttpResponse;
using s3::S3Client;

bool ok_status(long status) { return status >= 200 && status < 300; }

// "<kind folder>/" (packs: "data/"), under which list finds a kind's objects.
std::string kind_folder(ObjectKind kind) { return std::string(object_kind_name(kind)) + "/"; }

std::string relative_key(const ObjectKey& key) {
  switch (key.kind) {
    case ObjectKind::kConfig: return "config";
    case ObjectKind::kPack: return "data/" + key.name.substr(0, 2) + "/" + key.name;
    default: return kind_folder(key.kind) + key.name;
  }
}

Status short_read(const ObjectKey& key, uint64_t offset, uint64_t length, uint64_t size) {
  return corruption("short read of " + key.to_string() + ": asked for " + std::to_string(length) +
                    " bytes at " + std::to_string(offset) + ", object has " + std::to_string(size));
}

class S3Backend final : public Backend {
 public:
  explicit S3Backend(S3Client client) : client_(std::move(client)) {}

  Status put(const ObjectKey& key, ByteView data) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    const std::string what = key.to_string();
    s3::HttpHeaders headers;
    if (!client_.config().canned_acl.empty()) headers.emplace_back("x-amz-acl", client_.config().canned_acl);
    if (data.size() > client_.config().multipart_threshold) {
      // No conditional completion on every server: check first. Packs, the
      // only objects this large, have random names, so the race is moot.
      // Write-only credentials may not look (kPermissionDenied): then the
      // conditional completion is the only check there is.
      Result<ObjectInfo> existing = stat(key);
      if (existing.is_ok()) return already_exists(what + " already exists");
      const ErrorCode code = existing.status().code();
      if (code != ErrorCode::kNotFound && code != ErrorCode::kPermissionDenied) return existing.status();
      return s3::multipart_put(client_, object_key(key), data, headers, what);
    }
    headers.emplace_back("If-None-Match", "*");
    CAIRN_ASSIGN_OR_RETURN(HttpResponse r, client_.send({"PUT", object_key(key), {}, headers, data}));
    if (ok_status(r.status)) return Status::ok();
    return client_.error_status(r, what);
  }

  Result<Bytes> get(const ObjectKey& key, uint64_t offset, uint64_t length) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    if (length > 0 && offset > UINT64_MAX - length) return short_read(key, offset, length, 0);
    if (length == 0 && offset > 0) {
      // "bytes=N-" at N == size is a 416, yet asks for the (empty) rest: stat first.
      CAIRN_ASSIGN_OR_RETURN(ObjectInfo info, stat(key));
      if (offset > info.size) return short_read(key, offset, length, info.size);
      if (offset == info.size) return Bytes{};
      length = info.size - offset;
    }
    s3::HttpHeaders headers;
    if (length > 0)
      headers.emplace_back("Range",
                           "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
    CAIRN_ASSIGN_OR_RETURN(HttpResponse r, client_.send({"GET", object_key(key), {}, headers, {}}));
    if (!ok_status(r.status)) return client_.error_status(r, key.to_string());
    if (length == 0) return std::move(r.body);
    if (r.status == 200) {
      // The server ignored the range and sent everything: cut it here.
      if (r.body.size() < offset + length) return short_read(key, offset, length, r.body.size());
      return Bytes(r.body.begin() + static_cast<ptrdiff_t>(offset),
                   r.body.begin() + static_cast<ptrdiff_t>(offset + length));
    }
    if (r.body.size() != length) return short_read(key, offset, length, offset + r.body.size());
    return std::move(r.body);
  }

  Result<ObjectInfo> stat(const ObjectKey& key) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    CAIRN_ASSIGN_OR_RETURN(HttpResponse r, client_.send({"HEAD", object_key(key), {}, {}, {}}));
    if (!ok_status(r.status)) return client_.error_status(r, key.to_string());
    const std::string length = r.header("content-length");
    uint64_t size = 0;
    try {
      size = std::stoull(length);
    } catch (const std::exception&) {
      return io_error("the S3 server answered a HEAD of " + key.to_string() +
                      " without a valid Content-Length");
    }
    return ObjectInfo{key, size};
  }

  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override {
    const std::string folder = kind == ObjectKind::kConfig ? "config" : kind_folder(kind);
    const std::string list_prefix = client_.full_key(folder);
    std::string token;
    do {
      s3::QueryParams query{{"list-type", "2"}, {"prefix", list_prefix}};
      if (!token.empty()) query.emplace_back("continuation-token", token);
      if (client_.config().list_page_size > 0) {
        query.emplace_back("max-keys", std::to_string(client_.config().list_page_size));
      }
      CAIRN_ASSIGN_OR_RETURN(HttpResponse r, client_.send({"GET", "", query, {}, {}}));
      if (!ok_status(r.status)) return client_.error_status(r, "listing " + list_prefix);
      const std::string_view xml = as_string_view(r.body);
      Status bad;
      s3::xml_for_each(xml, "Contents", [&](std::string_view contents) {
        const std::optional<std::string> full = s3::xml_text(contents, "Key");
        const std::optional<std::string> size = s3::xml_text(contents, "Size");
        if (!full || !size || !full->starts_with(list_prefix)) return;
        std::optional<ObjectKey> key = key_from_listing(kind, full->substr(list_prefix.size()));
        if (!key) return;
        char* end = nullptr;
        const uint64_t n = std::strtoull(size->c_str(), &end, 10);
        if (size->empty() || *end != '\0') {
          bad = io_error("listing " + list_prefix + ": the S3 server sent an invalid size for " + *full);
          return;
        }
        fn(ObjectInfo{std::move(*key), n});
      });
      CAIRN_RETURN_IF_ERROR(bad);
      token.clear();
      if (s3::xml_text(xml, "IsTruncated").value_or("false") == "true") {
        token = s3::xml_text(xml, "NextContinuationToken").value_or("");
        if (token.empty())
          return io_error("listing " + list_prefix +
                          ": the S3 server cut the listing without a continuation token");
      }
    } while (!token.empty());
    return Status::ok();
  }

  Status remove(const ObjectKey& key) override {
    CAIRN_RETURN_IF_ERROR(validate_object_key(key));
    CAIRN_ASSIGN_OR_RETURN(HttpResponse r, client_.send({"DELETE", object_key(key), {}, {}, {}}));
    if (ok_status(r.status)) return Status::ok();
    // A missing key is fine; a missing bucket is not.
    if (r.status == 404 && s3::xml_text(as_string_view(r.body), "Code").value_or("") != "NoSuchBucket") {
      return Status::ok();
    }
    return client_.error_status(r, key.to_string());
  }

  BackendProperties properties() const override {
    BackendProperties p;
    p.location = s3_location(client_.config());
    p.supports_exclusive_put = true;
    p.preferred_concurrency = 16;
    return p;
  }

 private:
  std::string object_key(const ObjectKey& key) const { return client_.full_key(relative_key(key)); }

  // The key for a listed name below the kind's folder; nullopt for anything
  // that get could not find by name (strays, packs under the wrong folder).
  static std::optional<ObjectKey> key_from_listing(ObjectKind kind, const std::string& rest) {
    ObjectKey key{kind, rest};
    if (kind == ObjectKind::kConfig) {
      if (!rest.empty()) return std::nullopt;
      key.name = "config";
    } else if (kind == ObjectKind::kPack) {
      if (rest.size() < 3 || rest[2] != '/') return std::nullopt;
      key.name = rest.substr(3);
      if (key.name.compare(0, 2, rest, 0, 2) != 0) return std::nullopt;
    }
    if (!validate_object_key(key).is_ok()) return std::nullopt;
    return key;
  }

  const S3Client client_;
};

// Checks the bucket and the credentials; returns whether a config object
// exists, or nullopt when the credentials may not list (write-only).
Result<std::optional<bool>> probe(const S3Client& client) {
  const std::string config_key = client.full_key("config");
  CAIRN_ASSIGN_OR_RETURN(
      HttpResponse r,
      client.send({"GET", "", {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", config_key}}, {}, {}}));
  if (ok_status(r.status)) {
    const std::optional<std::string> key = s3::xml_text(as_string_view(r.body), "Key");
    return std::optional<bool>(key && *key == config_key);
  }
  Status st = client.error_status(r, "bucket " + client.config().bucket);
  if (r.status == 403 && s3::xml_text(as_string_view(r.body), "Code").value_or("") == "AccessDenied") {
    return std::optional<bool>();
  }
  return st;
}

}  // namespace

std::string s3_location(const S3Config& config) {
  std::string location = "s3:" + config.endpoint;
  while (location.ends_with('/')) location.pop_back();
  location += "/" + config.bucket;
  if (!config.prefix.empty()) location += "/" + config.prefix;
  return location;
}

Result<std::unique_ptr<Backend>> create_s3_backend(const S3Config& config) {
  CAIRN_ASSIGN_OR_RETURN(S3Client client, S3Client::create(config));
  CAIRN_ASSIGN_OR_RETURN(std::optional<bool> has_config, probe(client));
  if (has_config.value_or(false))
    return already_exists("a repository already exists at " + s3_location(config));
  return std::unique_ptr<Backend>(std::make_unique<S3Backend>(std::move(client)));
}

Result<std::unique_ptr<Backend>> open_s3_backend(const S3Config& config) {
  CAIRN_ASSIGN_OR_RETURN(S3Client client, S3Client::create(config));
  CAIRN_ASSIGN_OR_RETURN(std::optional<bool> has_config, probe(client));
  if (!has_config.value_or(true)) return not_found("no repository at " + s3_location(config));
  return std::unique_ptr<Backend>(std::make_unique<S3Backend>(std::move(client)));
}

}  // namespace cairn
