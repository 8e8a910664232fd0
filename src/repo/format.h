// Constants and small types of the repository format (docs/format.md).
// Internal to src/repo except for the types that repository.h re-exports.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/crypto.h"

namespace cairn {

constexpr int kRepositoryVersion = 1;

enum class BlobType : uint8_t {
  kData = 1,  // a chunk of file (or stream) content
  kTree = 2,  // an encoded Tree
};

// Packs are named by 32 random bytes; kept as bytes in memory.
using PackId = BlobId;

// Where a blob lives: a byte range of a pack, and how to turn it back into
// plaintext.
struct BlobLocation {
  uint32_t pack = 0;        // index into the in-memory pack id table
  uint32_t offset = 0;      // of the sealed blob in the pack
  uint32_t length = 0;      // sealed length (nonce + ciphertext + tag)
  uint32_t raw_length = 0;  // plaintext length
  BlobType type = BlobType::kData;
  bool compressed = false;
  bool delta = false;  // compressed against a base blob (MasterIndex::delta_base)
};

// Associated data of sealed objects: binds each ciphertext to what it claims
// to be, so one object (or blob) cannot be swapped for another.
std::string object_associated_data(const char* kind, const std::string& name);
Bytes blob_associated_data(const BlobId& id, BlobType type);

}  // namespace cairn
