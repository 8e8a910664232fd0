// Randomness, algorithm handles and small helpers of the crypto module.
#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "crypto/internal.h"

namespace cairn {

namespace crypto_internal {

void fatal_openssl(const char* what) {
  std::fprintf(stderr, "cairn: fatal OpenSSL failure in %s\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

const EVP_MD* sha256_md() {
  // Never freed: it lives as long as the process, like OpenSSL's own tables.
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) fatal_openssl("EVP_MD_fetch(SHA256)");
    return m;
  }();
  return md;
}

const EVP_CIPHER* aes256gcm_cipher() {
  static const EVP_CIPHER* cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (c == nullptr) fatal_openssl("EVP_CIPHER_fetch(AES-256-GCM)");
    return c;
  }();
  return cipher;
}

}  // namespace crypto_internal

void random_bytes(uint8_t* out, size_t n) {
  // RAND_bytes takes an int; keys and nonces are small, but stay correct anyway.
  while (n > 0) {
    size_t piece = n < crypto_internal::kMaxUpdate ? n : crypto_internal::kMaxUpdate;
    if (RAND_bytes(out, static_cast<int>(piece)) != 1) crypto_internal::fatal_openssl("RAND_bytes");
    out += piece;
    n -= piece;
  }
}

Bytes random_bytes(size_t n) {
  Bytes b(n);
  random_bytes(b.data(), n);
  return b;
}

std::string random_object_name() {
  std::array<uint8_t, 32> b;
  random_bytes(b.data(), b.size());
  return to_hex(b);
}

bool constant_time_equal(ByteView a, ByteView b) {
  // Lengths are not secret (MACs and keys have fixed sizes); contents are.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Only the canonical form that hex() produces (64 lowercase digits) is
// accepted, so one id has exactly one spelling as an object name.
bool BlobId::from_hex(std::string_view s, BlobId& out) {
  if (s.size() != 2 * out.bytes.size()) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  BlobId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) {
    int hi = digit(s[2 * i]), lo = digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    id.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  out = id;
  return true;
}

}  // namespace cairn
