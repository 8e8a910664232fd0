// The repository: the public face of src/repo.
//
// A Repository is opened with a password (any key file will do), loads the
// index, reads blobs (verified: decrypted, decompressed and re-hashed) and
// reads and writes the sealed metadata objects. New blobs go in through a
// BlobWriter (blob_writer.h), snapshots last through save_snapshot.
//
// Write order (docs/format.md): packs, then the index objects naming them,
// then the snapshot. A reader sees a backup only once its snapshot exists,
// and by then everything it references is durable.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunker/chunker.h"
#include "repo/config.h"
#include "repo/format.h"
#include "repo/index.h"
#include "repo/snapshot.h"
#include "repo/tree.h"
#include "storage/backend.h"

namespace cairn {

struct InitOptions {
  KdfParams kdf;
  int compression_level = 3;
  uint32_t pack_size = 16u * 1024 * 1024;
  ChunkerParams chunker;  // the seed is always made fresh
};

struct KeyListing {
  KeyFileInfo info;
  bool current = false;  // the key this session was opened with
};

class Repository {
 public:
  // Writes a new key file and config into an empty backend.
  static Status init(std::shared_ptr<Backend> backend, std::string_view password, const InitOptions& options);
  // Tries every key file with the password: WrongPassword if none opens.
  static Result<std::unique_ptr<Repository>> open(std::shared_ptr<Backend> backend,
                                                  std::string_view password);

  // Opens with a master key already unwrapped from key file key_name (the
  // key cache, src/cli/key_cache.h), without Argon2id. kCorruption when the
  // config does not open with it.
  static Result<std::unique_ptr<Repository>> open_with_master_key(std::shared_ptr<Backend> backend,
                                                                  const MasterKey& master,
                                                                  const std::string& key_name);
  // The key file this session was opened with, and the key it unwrapped.
  const std::string& key_name() const { return key_name_; }
  const MasterKey& master_key() const { return master_; }

  const RepoConfig& config() const { return config_; }
  Backend& backend() { return *backend_; }
  std::shared_ptr<Backend> backend_ptr() { return backend_; }
  const BlobHasher& hasher() const { return *hasher_; }
  const Sealer& sealer() const { return *sealer_; }
  const Chunker& chunker() const { return *chunker_; }
  MasterIndex& index() { return index_; }

  // Reads every index object into index(). Damaged index objects are
  // skipped and reported (check names them); other errors fail. An index
  // object removed while we list (by a prune) is skipped.
  //
  // Packs a prune has set aside for deletion (docs/format.md, "Prune") are
  // left out unless pending is kInclude. Writers (backups) must leave them
  // out, so they never deduplicate against a blob about to be deleted;
  // readers (restore, check) include them, so a backup that was running
  // when the prune began stays readable until the prune finishes.
  enum class PendingPacks { kExclude, kInclude };
  Status load_index(std::vector<std::string>* damaged = nullptr,
                    PendingPacks pending = PendingPacks::kExclude);

  // Reads a blob and verifies it. Corruption names the blob and its pack.
  Result<Bytes> read_blob(const BlobId& id);
  Result<Tree> read_tree(const BlobId& id);
  // Opens a sealed blob already fetched from its pack. A delta blob is
  // rebuilt from base, the plaintext of index().delta_base(id), when the
  // caller has it; otherwise its base is read here, one request per delta.
  Result<Bytes> open_blob(const BlobId& id, const BlobLocation& loc, ByteView sealed,
                          const Bytes* base = nullptr);
  // Opens a whole (non-delta) blob fetched only to rebuild deltas from it:
  // authenticated and decompressed, but not re-hashed, since every delta
  // rebuilt from it is re-hashed and a wrong base cannot pass that.
  Result<Bytes> open_delta_base(const BlobId& id, const BlobLocation& loc, ByteView sealed);

  // Sealed metadata objects (config, index, snapshots, locks).
  Status put_sealed(ObjectKind kind, const std::string& name, ByteView plaintext);
  Result<Bytes> get_sealed(ObjectKind kind, const std::string& name);

  // Snapshots, by backup name.
  std::string snapshot_object_name(const std::string& backup_name) const;
  Status save_snapshot(const SnapshotManifest& manifest);
  Result<SnapshotManifest> load_snapshot(const std::string& backup_name);
  // All snapshots, oldest first; damaged ones are skipped and listed in damaged.
  Result<std::vector<SnapshotManifest>> list_snapshots(std::vector<std::string>* damaged = nullptr);
  Status delete_snapshot(const std::string& backup_name);

  // Key management: another password for the same master key.
  Status add_key(std::string_view new_password, const KdfParams& kdf);
  Result<std::vector<KeyListing>> list_keys();
  // Refuses to remove the key in use or the last key.
  Status remove_key(const std::string& name);

 private:
  Repository(std::shared_ptr<Backend> backend, const MasterKey& key, std::string key_name);
  // "blob <id> in pack <id>", for corruption messages.
  std::string describe_blob(const BlobId& id, const BlobLocation& loc) const;
  std::shared_ptr<Backend> backend_;
  MasterKey master_;
  std::string key_name_;
  RepoConfig config_;
  std::unique_ptr<BlobHasher> hasher_;
  std::unique_ptr<Sealer> sealer_;
  std::unique_ptr<Chunker> chunker_;
  MasterIndex index_;
};

// The host and user recorded in key files, locks and snapshots.
std::string current_hostname();
std::string current_username();

}  // namespace cairn
