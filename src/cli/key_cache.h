// The key cache: master keys already unwrapped, kept on tmpfs for an hour,
// so that the commands PostgreSQL runs once per WAL file (pg archive-push,
// pg archive-get) pay the Argon2id of the password (about 0.4 s, 64 MiB)
// once an hour instead of on every call. pg backup and pg restore use it
// too: a restore is followed by recovery's archive-get calls.
// docs/pg-archive-push.md weighs the trade-off.
//
// Nouns:
//   folder  $XDG_RUNTIME_DIR/cairn, else /dev/shm/cairn-<uid>: on tmpfs
//           (never written to a disk), owned by us, mode 0700. A folder
//           that is not all of that is not used, and nothing is written.
//   entry   one file (0600, ours) per repository and key file, holding the
//           master key that key file wraps, the SHA-256 of the key file's
//           bytes, a salted SHA-256 of the password and an expiry time. An
//           entry serves only the same password, the same unchanged key file
//           and only until it expires; a file that is not ours, has wider
//           permissions or does not parse is ignored.
// CAIRN_KEY_CACHE=0 turns the cache off (neither read nor written).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/crypto.h"
#include "repo/repository.h"

namespace cairn {

// How long an entry serves after the Argon2id run that made it.
inline constexpr int64_t kKeyCacheLifetimeSeconds = 3600;

class KeyCache {
 public:
  // The cache at its usual folder (made when missing), or nullopt when
  // CAIRN_KEY_CACHE=0 or no safe folder exists (the reason at debug level).
  static std::optional<KeyCache> open_default();
  // The cache in folder, which must already be safe (see above); nullopt if not.
  static std::optional<KeyCache> open_folder(const std::string& folder);

  const std::string& folder() const { return folder_; }

  // The master key cached for key_name of repository, when the entry is
  // safe, unexpired at now, made with password, and key_file is still the
  // bytes it was made from.
  std::optional<MasterKey> find(const std::string& repository, const std::string& key_name, ByteView key_file,
                                std::string_view password, TimeNs now) const;
  // Writes (or replaces, atomically) the entry, and removes expired ones.
  Status store(const std::string& repository, const std::string& key_name, ByteView key_file,
               std::string_view password, const MasterKey& master, TimeNs now) const;

  // The entry's file (it may not exist).
  std::string entry_path(const std::string& repository, const std::string& key_name) const;

 private:
  explicit KeyCache(std::string folder) : folder_(std::move(folder)) {}
  void remove_expired(TimeNs now) const;
  std::string folder_;
};

// Repository::open through the cache: a cached key for one of the
// repository's key files skips Argon2id; otherwise Repository::open, and
// the key it unwrapped is cached. Errors are Repository::open's (a wrong
// password is refused as always). repository names the repository (its
// backend's location), cache may be nullopt (then this is Repository::open).
Result<std::unique_ptr<Repository>> open_with_key_cache(std::shared_ptr<Backend> backend,
                                                        std::string_view password,
                                                        const std::optional<KeyCache>& cache);

}  // namespace cairn
