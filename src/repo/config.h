// The repository config object and the key files that unlock it.
//
// Nouns:
//   RepoConfig  format version, repository id, chunker, compression and pack
//               parameters; sealed with the master key, stored as "config".
//   KeyFile     a master key wrapped by a key derived (Argon2id) from one
//               password; keys/<random name>, JSON. Several key files let
//               several passwords open one repository.
#pragma once

#include <string>
#include <vector>

#include "chunker/chunker.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "repo/format.h"

namespace cairn {

struct RepoConfig {
  int version = 1;
  std::string id;  // 64 hex, random
  ChunkerParams chunker;
  int compression_level = 3;               // zstd level; 0 stores blobs uncompressed
  uint32_t pack_size = 16u * 1024 * 1024;  // target pack size in bytes
  TimeNs created = 0;
};

std::string encode_config(const RepoConfig& config);  // JSON
// Corruption for malformed JSON, Unsupported for a newer version,
// InvalidArgument for parameters out of range.
Result<RepoConfig> decode_config(std::string_view json);

struct KeyFileInfo {
  std::string name;  // object name
  std::string hostname;
  std::string username;
  TimeNs created = 0;
  KdfParams kdf;
};

// A new key file (JSON) wrapping master under password.
std::string make_key_file(const MasterKey& master, std::string_view password, const KdfParams& kdf,
                          const KeyFileInfo& info);
// Unwraps: WrongPassword if the password does not open it, Corruption if the
// file is malformed or has been tampered with.
Result<MasterKey> open_key_file(std::string_view json, std::string_view password);
Result<KeyFileInfo> read_key_file_info(std::string_view json);

}  // namespace cairn
