// Cryptography for the repository, on OpenSSL (SHA-NI, AES-NI) and libargon2.
//
// Nouns:
//   BlobId     32 bytes: HMAC-SHA-256 of a blob's plaintext under the
//              repository's id key, so ids reveal nothing about contents.
//   MasterKey  the two 32-byte secrets of a repository: the AEAD key that
//              seals every object, and the id key that names blobs.
//   Sealed     nonce(12) || ciphertext || tag(16): AES-256-GCM with a random
//              nonce and caller-chosen associated data that binds a sealed
//              object to its identity (its kind, its blob id).
//   KdfParams  Argon2id cost parameters stored in each key file.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace cairn {

constexpr size_t kKeySize = 32;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kSealOverhead = kNonceSize + kTagSize;

using Key = std::array<uint8_t, kKeySize>;

struct BlobId {
  std::array<uint8_t, 32> bytes{};

  std::string hex() const { return to_hex(bytes); }
  // The first 8 bytes as an integer: a good hash, since ids are uniform.
  uint64_t prefix() const {
    uint64_t v;
    std::memcpy(&v, bytes.data(), 8);
    return v;
  }
  bool operator==(const BlobId&) const = default;
  auto operator<=>(const BlobId&) const = default;
  static bool from_hex(std::string_view s, BlobId& out);
};

struct BlobIdHash {
  size_t operator()(const BlobId& id) const { return static_cast<size_t>(id.prefix()); }
};

struct MasterKey {
  Key encryption{};  // AES-256-GCM key for every sealed object
  Key id{};          // HMAC-SHA-256 key naming blobs
};

// Fills with cryptographically secure random bytes (OpenSSL RAND_bytes).
void random_bytes(uint8_t* out, size_t n);
Bytes random_bytes(size_t n);
// 32 random bytes as 64 hex characters: the name of packs, indexes, keys, locks.
std::string random_object_name();

// Plain SHA-256 (content hashes, not secret).
std::array<uint8_t, 32> sha256(ByteView data);

// HMAC-SHA-256 under a fixed key. Thread-safe: id() may be called from many
// threads at once on one BlobHasher.
class BlobHasher {
 public:
  explicit BlobHasher(const Key& id_key);
  ~BlobHasher();
  BlobHasher(const BlobHasher&) = delete;
  BlobHasher& operator=(const BlobHasher&) = delete;

  BlobId id(ByteView plaintext) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// AES-256-GCM under a fixed key. Thread-safe.
class Sealer {
 public:
  explicit Sealer(const Key& key);
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  // Appends nonce || ciphertext || tag to out (out is not cleared).
  void seal(ByteView plaintext, ByteView associated_data, Bytes& out) const;
  Bytes seal(ByteView plaintext, ByteView associated_data) const;
  // Corruption when the input is too short or fails authentication
  // (wrong key, wrong associated data, any flipped bit).
  Result<Bytes> open(ByteView sealed, ByteView associated_data) const;

 private:
  Key key_;
};

struct KdfParams {
  uint32_t memory_kib = 64 * 1024;  // 64 MiB
  uint32_t iterations = 3;
  uint32_t parallelism = 1;
};

// Argon2id(password, salt) -> 32-byte key. InvalidArgument for parameters
// outside what libargon2 accepts (a tampered key file must not crash us).
Result<Key> derive_key(std::string_view password, ByteView salt, const KdfParams& params);

// Compares in constant time.
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace cairn
