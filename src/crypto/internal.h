// Private to src/crypto: helpers shared by the OpenSSL-backed files.
#pragma once

#include <openssl/evp.h>

#include <cstddef>

namespace cairn::crypto_internal {

// An OpenSSL call that cannot fail short of memory exhaustion or a broken
// library failed. There is no safe way to go on (a seal without a nonce, an
// id that is not a MAC), so the process stops with the OpenSSL error queue.
[[noreturn]] void fatal_openssl(const char* what);

// Algorithms fetched once per process: an implicit fetch per call
// (EVP_sha256() and friends) costs a lock and a lookup in OpenSSL 3.
const EVP_MD* sha256_md();
const EVP_CIPHER* aes256gcm_cipher();

// OpenSSL takes int lengths; larger buffers are fed in pieces of this size.
constexpr size_t kMaxUpdate = size_t{1} << 30;

}  // namespace cairn::crypto_internal
