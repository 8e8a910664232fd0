// Argon2id key derivation from a password (libargon2).
#include <argon2.h>
#include <openssl/crypto.h>

#include <string>

#include "crypto/crypto.h"

namespace cairn {

namespace {

// The parameters come from a key file that an attacker may have altered, so
// they are bounded to what a legitimate key file could hold rather than to
// what libargon2 would attempt (a 4 TiB allocation, a year of iterations).
constexpr uint32_t kMinMemoryKib = 8;
constexpr uint32_t kMaxMemoryKib = 4u * 1024 * 1024;  // 4 GiB
constexpr uint32_t kMaxIterations = 100;
constexpr uint32_t kMaxParallelism = 64;
constexpr size_t kMinSaltSize = ARGON2_MIN_SALT_LENGTH;  // 8
constexpr size_t kMaxInputSize = UINT32_MAX;             // libargon2 takes 32-bit lengths

Status check_params(std::string_view password, ByteView salt, const KdfParams& p) {
  if (p.memory_kib < kMinMemoryKib || p.memory_kib > kMaxMemoryKib) {
    return invalid_argument("key derivation memory of " + std::to_string(p.memory_kib) +
                            " KiB is outside 8 KiB to 4 GiB");
  }
  if (p.iterations == 0 || p.iterations > kMaxIterations) {
    return invalid_argument("key derivation iterations " + std::to_string(p.iterations) +
                            " is outside 1 to 100");
  }
  if (p.parallelism == 0 || p.parallelism > kMaxParallelism) {
    return invalid_argument("key derivation parallelism " + std::to_string(p.parallelism) +
                            " is outside 1 to 64");
  }
  // Argon2 needs at least 8 KiB per lane.
  if (p.memory_kib < 8 * p.parallelism) {
    return invalid_argument("key derivation memory of " + std::to_string(p.memory_kib) +
                            " KiB is below 8 KiB per lane");
  }
  if (salt.size() < kMinSaltSize || salt.size() > kMaxInputSize) {
    return invalid_argument("key derivation salt of " + std::to_string(salt.size()) +
                            " bytes is outside 8 bytes to 4 GiB");
  }
  if (password.size() > kMaxInputSize) return invalid_argument("password is longer than 4 GiB");
  return Status::ok();
}

}  // namespace

Result<Key> derive_key(std::string_view password, ByteView salt, const KdfParams& params) {
  CAIRN_RETURN_IF_ERROR(check_params(password, salt, params));
  Key key;
  int rc = argon2id_hash_raw(params.iterations, params.memory_kib, params.parallelism, password.data(),
                             password.size(), salt.data(), salt.size(), key.data(), key.size());
  if (rc == ARGON2_OK) return key;
  OPENSSL_cleanse(key.data(), key.size());
  // Failures of this machine, not of the parameters: another machine may succeed.
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return io_error("key derivation needs " + std::to_string(params.memory_kib / 1024) +
                    " MiB of memory and could not allocate it");
  }
  if (rc == ARGON2_THREAD_FAIL) return io_error("key derivation could not start its threads");
  return invalid_argument(std::string("key derivation failed: ") + argon2_error_message(rc));
}

}  // namespace cairn
