// The storage contract: a flat store of immutable objects.
//
// Nouns:
//   ObjectKind  which family an object belongs to; a backend maps kinds to
//               its own layout (folders on disk, key prefixes on S3).
//   ObjectKey   {kind, name}. Names are lowercase hex (random ids or keyed
//               hashes) except for the single "config" object.
//   Backend     put / get (with byte range) / stat / list / remove.
//
// Invariants every backend keeps (checked by the conformance suite):
//   - put is atomic: after a crash or a failed put, the object is either
//     absent or complete, never partial.
//   - put is durable: when put returns ok, the object survives a crash
//     (local: temp file, fsync, rename, fsync directory).
//   - put never replaces: putting an existing key fails with
//     kAlreadyExists and leaves the stored object untouched.
//   - Errors are Status values; kNotFound means the key does not exist.
//   - Every method may be called from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace cairn {

enum class ObjectKind {
  kConfig,    // the single repository config object (name "config")
  kKey,       // keys/<name>: a master key wrapped by a password
  kPack,      // data/<name[0:2]>/<name>: packs of encrypted blobs
  kIndex,     // index/<name>: blob id -> pack, offset, length
  kSnapshot,  // snapshots/<name>: one backup's manifest
  kLock,      // locks/<name>: who is using the repository
  kArchive,   // archive/<name>: PostgreSQL stanzas and WAL segments, by keyed name
  kRestore,   // restores/<name>: one restore's outcome, by keyed name (no blobs)
};

const char* object_kind_name(ObjectKind kind);  // "config", "keys", "data", ...

struct ObjectKey {
  ObjectKind kind;
  std::string name;

  std::string to_string() const;  // "data/ab12..." for messages
  bool operator==(const ObjectKey&) const = default;
};

// ok if key is well formed: kind kConfig with name "config", otherwise 1 to
// 128 lowercase hex digits (at least 2 for packs, which are filed under
// their first two). kInvalidArgument otherwise, so that no name can reach
// outside its kind's folder or prefix. Every backend checks keys with this.
Status validate_object_key(const ObjectKey& key);

struct ObjectInfo {
  ObjectKey key;
  uint64_t size = 0;
};

struct BackendProperties {
  std::string location;                // what to show a user: a path or a URL
  bool supports_exclusive_put = true;  // put-if-absent is atomic
  // Requests worth keeping in flight at once (0: no preference): a remote
  // store hides its round trips behind many parallel reads.
  int preferred_concurrency = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Stores data under key, atomically and durably. kAlreadyExists if the key
  // exists (nothing is changed); kNoSpace, kPermissionDenied, kIoError on
  // failure, in which case nothing is visible under key.
  virtual Status put(const ObjectKey& key, ByteView data) = 0;

  // Reads length bytes from offset (length 0: to the end). kNotFound for a
  // missing key; kCorruption if fewer bytes exist than a non-zero length asks for.
  virtual Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) = 0;

  // Size of an object; kNotFound for a missing key.
  virtual Result<ObjectInfo> stat(const ObjectKey& key) = 0;

  // Calls fn for every complete object of a kind, in no particular order.
  // Objects being written (temp files) are never listed.
  virtual Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) = 0;

  // Deletes an object; ok if it did not exist (deletion is idempotent).
  virtual Status remove(const ObjectKey& key) = 0;

  virtual BackendProperties properties() const = 0;
};

}  // namespace cairn
