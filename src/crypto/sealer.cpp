// AES-256-GCM sealing: nonce(12) || ciphertext || tag(16).
//
// Two per-thread costs dominate small seals and are avoided here:
//  - keying: each thread keeps one encrypting and one decrypting
//    EVP_CIPHER_CTX and re-keys it only when the Sealer's key differs from
//    the one it holds; otherwise only the nonce is set.
//  - randomness: RAND_bytes costs ~0.6 us per call whatever the size up to
//    a few hundred bytes, as much as sealing 4 KiB. Each thread draws 64
//    nonces at once from RAND_bytes and hands them out one by one. Nonces are
//    public, so holding them in memory is harmless; a forked child discards
//    the pool inherited from its parent so two processes never use the same
//    nonce under one key.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "crypto/crypto.h"
#include "crypto/internal.h"

namespace cairn {

using crypto_internal::fatal_openssl;
using crypto_internal::kMaxUpdate;

namespace {

std::atomic<uint64_t> g_fork_generation{0};

void on_fork_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

class NoncePool {
 public:
  void next(uint8_t* nonce) {
    static std::once_flag registered;
    std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
    uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
    if (used_ == kCount || generation != generation_) {
      random_bytes(pool_, sizeof(pool_));
      used_ = 0;
      generation_ = generation;
    }
    std::memcpy(nonce, pool_ + used_ * kNonceSize, kNonceSize);
    ++used_;
  }

 private:
  static constexpr size_t kCount = 64;
  uint8_t pool_[kCount * kNonceSize];
  size_t used_ = kCount;
  uint64_t generation_ = 0;
};

// A cipher context and the key it was last initialised with. The key copy
// lets a thread serve several Sealers (several repositories) correctly.
class CipherCtx {
 public:
  explicit CipherCtx(bool encrypt) : encrypt_(encrypt), ctx_(EVP_CIPHER_CTX_new()) {
    if (ctx_ == nullptr) fatal_openssl("EVP_CIPHER_CTX_new");
  }
  ~CipherCtx() {
    EVP_CIPHER_CTX_free(ctx_);
    OPENSSL_cleanse(key_.data(), key_.size());
  }
  CipherCtx(const CipherCtx&) = delete;
  CipherCtx& operator=(const CipherCtx&) = delete;

  // Ready for a new message under key with the given nonce.
  EVP_CIPHER_CTX* start(const Key& key, const uint8_t* nonce) {
    const bool same_key = keyed_ && CRYPTO_memcmp(key_.data(), key.data(), key.size()) == 0;
    const EVP_CIPHER* cipher = same_key ? nullptr : crypto_internal::aes256gcm_cipher();
    const uint8_t* k = same_key ? nullptr : key.data();
    if (EVP_CipherInit_ex2(ctx_, cipher, k, nonce, encrypt_ ? 1 : 0, nullptr) != 1) {
      keyed_ = false;
      fatal_openssl("EVP_CipherInit_ex2");
    }
    if (!same_key) {
      key_ = key;
      keyed_ = true;
    }
    return ctx_;
  }

 private:
  bool encrypt_;
  EVP_CIPHER_CTX* ctx_;
  Key key_{};
  bool keyed_ = false;
};

// Feeds in to the cipher in int-sized pieces; out == nullptr for associated data.
// Returns false only on a failure of the library.
bool cipher_update(EVP_CIPHER_CTX* ctx, uint8_t* out, ByteView in) {
  size_t done = 0;
  while (done < in.size()) {
    size_t piece = in.size() - done < kMaxUpdate ? in.size() - done : kMaxUpdate;
    int written = 0;
    if (EVP_CipherUpdate(ctx, out ? out + done : nullptr, &written, in.data() + done,
                         static_cast<int>(piece)) != 1) {
      return false;
    }
    done += piece;
  }
  return true;
}

}  // namespace

Sealer::Sealer(const Key& key) : key_(key) {}

Sealer::~Sealer() { OPENSSL_cleanse(key_.data(), key_.size()); }

void Sealer::seal(ByteView plaintext, ByteView associated_data, Bytes& out) const {
  thread_local NoncePool nonces;
  thread_local CipherCtx encryptor(true);

  const size_t start = out.size();
  out.resize(start + kNonceSize + plaintext.size() + kTagSize);
  uint8_t* nonce = out.data() + start;
  uint8_t* body = nonce + kNonceSize;
  uint8_t* tag = body + plaintext.size();
  nonces.next(nonce);

  EVP_CIPHER_CTX* ctx = encryptor.start(key_, nonce);
  uint8_t unused[kTagSize];  // GCM's final step outputs nothing, but wants a buffer
  int tail = 0;
  if (!cipher_update(ctx, nullptr, associated_data) || !cipher_update(ctx, body, plaintext) ||
      EVP_EncryptFinal_ex(ctx, unused, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize), tag) != 1) {
    fatal_openssl("AES-256-GCM seal");
  }
}

Bytes Sealer::seal(ByteView plaintext, ByteView associated_data) const {
  Bytes out;
  out.reserve(plaintext.size() + kSealOverhead);
  seal(plaintext, associated_data, out);
  return out;
}

Result<Bytes> Sealer::open(ByteView sealed, ByteView associated_data) const {
  if (sealed.size() < kSealOverhead) {
    return corruption("sealed object of " + std::to_string(sealed.size()) +
                      " bytes is shorter than its nonce and tag");
  }
  thread_local CipherCtx decryptor(false);
  ByteView nonce = sealed.first(kNonceSize);
  ByteView body = sealed.subspan(kNonceSize, sealed.size() - kSealOverhead);
  ByteView tag = sealed.last(kTagSize);

  // Decrypts before the tag is checked; the plaintext is dropped on failure.
  Bytes plaintext(body.size());
  EVP_CIPHER_CTX* ctx = decryptor.start(key_, nonce.data());
  // The tag is an input to decryption; OpenSSL wants it non-const.
  uint8_t expected_tag[kTagSize];
  std::memcpy(expected_tag, tag.data(), kTagSize);
  if (!cipher_update(ctx, nullptr, associated_data) || !cipher_update(ctx, plaintext.data(), body) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize), expected_tag) != 1) {
    fatal_openssl("AES-256-GCM open");
  }
  uint8_t unused[kTagSize];
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx, unused, &tail) != 1) {
    return corruption("sealed object failed authentication (wrong key, wrong context or damaged data)");
  }
  return plaintext;
}

}  // namespace cairn
