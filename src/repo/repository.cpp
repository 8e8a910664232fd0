#include "repo/repository.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>

#include "common/log.h"
#include "repo/compress.h"
#include "repo/prune_record.h"

namespace cairn {

namespace {
constexpr uint8_t kPlainBody = 0;
constexpr uint8_t kZstdBody = 1;
constexpr size_t kMaxMetadataSize = 1ull << 31;

Status wrap_backend_error(const Status& s, const ObjectKey& key) {
  return s.with_context("reading " + key.to_string());
}
}  // namespace

std::string current_hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string current_username() {
  struct passwd pw, *result = nullptr;
  char buf[1024];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &result) == 0 && result) return pw.pw_name;
  return std::to_string(geteuid());
}

Repository::Repository(std::shared_ptr<Backend> backend, const MasterKey& key, std::string key_name)
    : backend_(std::move(backend)),
      master_(key),
      key_name_(std::move(key_name)),
      hasher_(std::make_unique<BlobHasher>(key.id)),
      sealer_(std::make_unique<Sealer>(key.encryption)) {}

Status Repository::init(std::shared_ptr<Backend> backend, std::string_view password,
                        const InitOptions& options) {
  if (password.empty()) return invalid_argument("the password is empty; choose a non-empty password");
  MasterKey master;
  random_bytes(master.encryption.data(), master.encryption.size());
  random_bytes(master.id.data(), master.id.size());

  RepoConfig config;
  config.id = random_object_name();
  config.chunker = options.chunker;
  random_bytes(reinterpret_cast<uint8_t*>(&config.chunker.seed), sizeof config.chunker.seed);
  config.compression_level = options.compression_level;
  config.pack_size = options.pack_size;
  config.created = system_clock().now();
  // Validate what we are about to write through the same path readers use.
  CAIRN_RETURN_IF_ERROR(decode_config(encode_config(config)).status());

  // A key for another master key in an existing repository would not be
  // harmless: open tries keys in name order and stops at the first one the
  // password opens, so it could make the repository's own key unreachable.
  Result<ObjectInfo> existing = backend->stat({ObjectKind::kConfig, "config"});
  if (existing.is_ok())
    return already_exists("a repository already exists at " + backend->properties().location);
  // Write-only credentials cannot look; the config's put-if-absent then is
  // the check, so it must go first (see below).
  const bool can_look = existing.status().code() != ErrorCode::kPermissionDenied;
  if (can_look && existing.status().code() != ErrorCode::kNotFound) return existing.status();

  KeyFileInfo info{"", current_hostname(), current_username(), config.created, options.kdf};
  std::string key_name = random_object_name();
  std::string key_json = make_key_file(master, password, options.kdf, info);
  Repository repo(backend, master, key_name);
  const ObjectKey key{ObjectKind::kKey, key_name};
  if (!can_look) {
    CAIRN_RETURN_IF_ERROR(repo.put_sealed(ObjectKind::kConfig, "config", as_bytes(encode_config(config))));
    return backend->put(key, as_bytes(key_json));
  }
  // The key goes first: a config without a key could never be opened, a key
  // without a config is harmless and init can simply be retried.
  CAIRN_RETURN_IF_ERROR(backend->put(key, as_bytes(key_json)));
  return repo.put_sealed(ObjectKind::kConfig, "config", as_bytes(encode_config(config)));
}

Result<std::unique_ptr<Repository>> Repository::open(std::shared_ptr<Backend> backend,
                                                     std::string_view password) {
  std::vector<std::string> key_names;
  CAIRN_RETURN_IF_ERROR(
      backend->list(ObjectKind::kKey, [&](const ObjectInfo& o) { key_names.push_back(o.key.name); }));
  if (key_names.empty()) return corruption("the repository has no key files; it cannot be opened");
  std::sort(key_names.begin(), key_names.end());
  Status last =
      Status(ErrorCode::kWrongPassword, "wrong password: no key file of this repository opens with it");
  for (const std::string& name : key_names) {
    Result<Bytes> data = backend->get({ObjectKind::kKey, name});
    if (!data.is_ok()) continue;
    Result<MasterKey> master = open_key_file(as_string_view(*data), password);
    if (!master.is_ok()) continue;
    return open_with_master_key(backend, *master, name);
  }
  return last;
}

Result<std::unique_ptr<Repository>> Repository::open_with_master_key(std::shared_ptr<Backend> backend,
                                                                     const MasterKey& master,
                                                                     const std::string& key_name) {
  std::unique_ptr<Repository> repo(new Repository(std::move(backend), master, key_name));
  CAIRN_ASSIGN_OR_RETURN(Bytes config_bytes, repo->get_sealed(ObjectKind::kConfig, "config"));
  CAIRN_ASSIGN_OR_RETURN(repo->config_, decode_config(as_string_view(config_bytes)));
  repo->chunker_ = std::make_unique<Chunker>(repo->config_.chunker);
  return repo;
}

Status Repository::put_sealed(ObjectKind kind, const std::string& name, ByteView plaintext) {
  Bytes body;
  body.reserve(plaintext.size() / 2 + 16);
  Bytes compressed;
  if (zstd_compress(plaintext, 3, compressed)) {
    body.push_back(kZstdBody);
    body.insert(body.end(), compressed.begin(), compressed.end());
  } else {
    body.push_back(kPlainBody);
    body.insert(body.end(), plaintext.begin(), plaintext.end());
  }
  std::string ad = object_associated_data(object_kind_name(kind), name);
  Bytes sealed = sealer_->seal(body, as_bytes(ad));
  return backend_->put({kind, name}, sealed);
}

Result<Bytes> Repository::get_sealed(ObjectKind kind, const std::string& name) {
  ObjectKey key{kind, name};
  Result<Bytes> sealed = backend_->get(key);
  if (!sealed.is_ok()) return wrap_backend_error(sealed.status(), key);
  std::string ad = object_associated_data(object_kind_name(kind), name);
  Result<Bytes> body = sealer_->open(*sealed, as_bytes(ad));
  if (!body.is_ok()) return corruption(key.to_string() + " is damaged: it fails authentication");
  if (body->empty()) return corruption(key.to_string() + " is damaged: it is empty");
  ByteView rest = ByteView(*body).subspan(1);
  if ((*body)[0] == kPlainBody) return Bytes(rest.begin(), rest.end());
  if ((*body)[0] != kZstdBody) return corruption(key.to_string() + " has an unknown encoding");
  Result<Bytes> plain = zstd_decompress_frame(rest, kMaxMetadataSize);
  if (!plain.is_ok()) return corruption(key.to_string() + " is damaged: " + plain.status().message());
  return plain;
}

Status Repository::load_index(std::vector<std::string>* damaged, PendingPacks pending) {
  std::vector<std::string> names;
  CAIRN_RETURN_IF_ERROR(
      backend_->list(ObjectKind::kIndex, [&](const ObjectInfo& o) { names.push_back(o.key.name); }));
  for (const std::string& name : names) {
    Result<Bytes> plain = get_sealed(ObjectKind::kIndex, name);
    Result<std::vector<IndexPack>> packs =
        plain.is_ok() ? decode_index(*plain) : Result<std::vector<IndexPack>>(plain.status());
    if (!packs.is_ok()) {
      if (packs.status().code() == ErrorCode::kNotFound) continue;  // a prune replaced it meanwhile
      if (packs.status().code() != ErrorCode::kCorruption) return packs.status();
      if (damaged) damaged->push_back(name);
      continue;
    }
    for (const IndexPack& p : *packs) index_.add_pack(p);
  }
  // Added last, so a blob that is also in a surviving pack is read from there.
  if (pending == PendingPacks::kInclude) {
    Result<std::optional<PendingDeletion>> record = load_pending_deletion(*this);
    if (!record.is_ok()) {
      // Damage here only costs backups that straddled a prune; the rest
      // of the repository must stay readable.
      if (record.status().code() != ErrorCode::kCorruption) return record.status();
      log_warning("the record of an unfinished prune is damaged (" + record.status().message() +
                  "); backups written during that prune may be unreadable");
    } else if (*record) {
      for (const IndexPack& p : (*record)->packs) index_.add_pack(p);
    }
  }
  return Status::ok();
}

namespace {
// Authenticates a sealed blob and undoes its compression; a delta blob needs
// the plaintext of its base. The caller re-hashes (or knows why not). Errors
// say what is wrong, not which blob: the caller names it, so that the hot
// path builds no names.
Result<Bytes> unseal_blob(const Sealer& sealer, const BlobId& id, const BlobLocation& loc, ByteView sealed,
                          const Bytes* base) {
  Result<Bytes> plain = sealer.open(sealed, blob_associated_data(id, loc.type));
  if (!plain.is_ok()) return corruption("is damaged: it fails authentication");
  if (loc.delta)
    plain = zstd_decompress_against(*plain, *base, loc.raw_length);
  else if (loc.compressed)
    plain = zstd_decompress(*plain, loc.raw_length);
  if (!plain.is_ok()) return corruption("is damaged: " + plain.status().message());
  if (plain->size() != loc.raw_length) return corruption("has the wrong length");
  return plain;
}
}  // namespace

std::string Repository::describe_blob(const BlobId& id, const BlobLocation& loc) const {
  return "blob " + id.hex().substr(0, 16) + " in pack " + index_.pack_id(loc.pack).hex().substr(0, 16);
}

Result<Bytes> Repository::open_blob(const BlobId& id, const BlobLocation& loc, ByteView sealed,
                                    const Bytes* base) {
  Result<Bytes> fetched_base = Bytes{};
  if (loc.delta && !base) {
    std::optional<BlobId> base_id = index_.delta_base(id);
    std::optional<BlobLocation> base_loc = base_id ? index_.find(*base_id) : std::nullopt;
    if (!base_loc)
      return corruption(describe_blob(id, loc) +
                        " is stored against a base blob that is missing from the index");
    // Bases are always stored whole, so one level of this recursion is all there is.
    if (base_loc->delta)
      return corruption(describe_blob(id, loc) + " is stored against a base that is itself a delta");
    fetched_base = read_blob(*base_id);
    if (!fetched_base.is_ok())
      return fetched_base.status().with_context(describe_blob(id, loc) + " cannot be rebuilt from its base");
    base = &*fetched_base;
  }
  Result<Bytes> plain = unseal_blob(*sealer_, id, loc, sealed, base);
  if (!plain.is_ok()) return corruption(describe_blob(id, loc) + " " + plain.status().message());
  if (hasher_->id(*plain) != id) return corruption(describe_blob(id, loc) + " does not match its id");
  return plain;
}

Result<Bytes> Repository::open_delta_base(const BlobId& id, const BlobLocation& loc, ByteView sealed) {
  if (loc.delta) return corruption(describe_blob(id, loc) + " is used as a delta base but is itself a delta");
  Result<Bytes> plain = unseal_blob(*sealer_, id, loc, sealed, nullptr);
  if (!plain.is_ok()) return corruption(describe_blob(id, loc) + " " + plain.status().message());
  return plain;
}

Result<Bytes> Repository::read_blob(const BlobId& id) {
  std::optional<BlobLocation> loc = index_.find(id);
  if (!loc) return corruption("blob " + id.hex().substr(0, 16) + " is missing from the index");
  ObjectKey key{ObjectKind::kPack, index_.pack_id(loc->pack).hex()};
  Result<Bytes> sealed = backend_->get(key, loc->offset, loc->length);
  if (!sealed.is_ok()) {
    if (sealed.status().code() == ErrorCode::kNotFound)
      return corruption("pack " + key.name.substr(0, 16) + " holding blob " + id.hex().substr(0, 16) +
                        " is missing");
    return wrap_backend_error(sealed.status(), key);
  }
  return open_blob(id, *loc, *sealed);
}

Result<Tree> Repository::read_tree(const BlobId& id) {
  CAIRN_ASSIGN_OR_RETURN(Bytes data, read_blob(id));
  return decode_tree(data);
}

std::string Repository::snapshot_object_name(const std::string& backup_name) const {
  std::string tagged = "snapshot-name:" + backup_name;
  return hasher_->id(as_bytes(tagged)).hex();
}

Status Repository::save_snapshot(const SnapshotManifest& manifest) {
  Status s = put_sealed(ObjectKind::kSnapshot, snapshot_object_name(manifest.name),
                        as_bytes(encode_snapshot(manifest)));
  if (s.code() == ErrorCode::kAlreadyExists)
    return already_exists("a backup named \"" + manifest.name + "\" already exists; choose another name");
  return s;
}

Result<SnapshotManifest> Repository::load_snapshot(const std::string& backup_name) {
  Result<Bytes> plain = get_sealed(ObjectKind::kSnapshot, snapshot_object_name(backup_name));
  if (!plain.is_ok()) {
    if (plain.status().code() == ErrorCode::kNotFound)
      return not_found("no backup named \"" + backup_name + "\"; run 'cairn backup get' to list backups");
    return plain.status();
  }
  return decode_snapshot(as_string_view(*plain));
}

Result<std::vector<SnapshotManifest>> Repository::list_snapshots(std::vector<std::string>* damaged) {
  std::vector<std::string> names;
  CAIRN_RETURN_IF_ERROR(
      backend_->list(ObjectKind::kSnapshot, [&](const ObjectInfo& o) { names.push_back(o.key.name); }));
  std::vector<SnapshotManifest> out;
  for (const std::string& name : names) {
    Result<Bytes> plain = get_sealed(ObjectKind::kSnapshot, name);
    Result<SnapshotManifest> m =
        plain.is_ok() ? decode_snapshot(as_string_view(*plain)) : Result<SnapshotManifest>(plain.status());
    if (!m.is_ok()) {
      if (m.status().code() == ErrorCode::kNotFound) continue;  // deleted meanwhile
      if (m.status().code() != ErrorCode::kCorruption && m.status().code() != ErrorCode::kUnsupported)
        return m.status();
      if (damaged) damaged->push_back(name);
      continue;
    }
    out.push_back(std::move(*m));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.started != b.started ? a.started < b.started : a.name < b.name;
  });
  return out;
}

Status Repository::delete_snapshot(const std::string& backup_name) {
  std::string name = snapshot_object_name(backup_name);
  Result<ObjectInfo> info = backend_->stat({ObjectKind::kSnapshot, name});
  if (!info.is_ok()) {
    if (info.status().code() == ErrorCode::kNotFound)
      return not_found("no backup named \"" + backup_name + "\"");
    return info.status();
  }
  return backend_->remove({ObjectKind::kSnapshot, name});
}

Status Repository::add_key(std::string_view new_password, const KdfParams& kdf) {
  if (new_password.empty()) return invalid_argument("the new password is empty");
  KeyFileInfo info{"", current_hostname(), current_username(), system_clock().now(), kdf};
  std::string json = make_key_file(master_, new_password, kdf, info);
  return backend_->put({ObjectKind::kKey, random_object_name()}, as_bytes(json));
}

Result<std::vector<KeyListing>> Repository::list_keys() {
  std::vector<KeyListing> out;
  std::vector<std::string> names;
  CAIRN_RETURN_IF_ERROR(
      backend_->list(ObjectKind::kKey, [&](const ObjectInfo& o) { names.push_back(o.key.name); }));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    CAIRN_ASSIGN_OR_RETURN(Bytes data, backend_->get({ObjectKind::kKey, name}));
    Result<KeyFileInfo> info = read_key_file_info(as_string_view(data));
    KeyListing l;
    if (info.is_ok()) l.info = *info;
    l.info.name = name;
    l.current = name == key_name_;
    out.push_back(l);
  }
  return out;
}

Status Repository::remove_key(const std::string& name) {
  if (name == key_name_)
    return invalid_argument("key " + name.substr(0, 8) +
                            " is the one in use; open the repository with another password to remove it");
  CAIRN_ASSIGN_OR_RETURN(auto keys, list_keys());
  bool found = false;
  for (const auto& k : keys) found |= k.info.name == name;
  if (!found) return not_found("no key named " + name);
  return backend_->remove({ObjectKind::kKey, name});
}

}  // namespace cairn
