// RetryingBackend: retries what may succeed on a second try, with
// exponential backoff and full jitter, so that no backend needs its own
// retry loop.
//
// Nouns:
//   RetryPolicy  how many attempts, the backoff base and cap, and the total
//                time one call may take (attempts and sleeps together).
//   RetryEnv     the sleep, the monotonic clock and the random source; tests
//                inject all three.
//
// Only kIoError is retried (the storage or the network failed). kNotFound,
// kAlreadyExists, kPermissionDenied, kCorruption, kNoSpace and every other
// code are returned at once. The wait before retry n (n = 1, 2, ...) is
// uniform in [0, min(cap, base * 2^(n-1))] ("full jitter"); a retry whose
// wait would end past the budget is not made. The last error is returned,
// saying how many attempts were made.
//
// A put whose reply was lost may have stored the object. When a retried put
// gets kAlreadyExists, the stored object is read back: the same bytes mean
// our earlier attempt stored it, and the put reports ok; other bytes keep
// kAlreadyExists. If the storage refuses the read (write-only credentials),
// a stat of the size decides; if that is refused too, the put reports ok:
// names are random or content hashes, so only our own attempt can have made it.
//
// list collects a whole listing before calling fn, so a listing retried
// halfway never reports an object twice.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "storage/backend.h"

namespace cairn {

struct RetryPolicy {
  int max_attempts = 8;  // including the first; 1 disables retries
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{10000};
  std::chrono::milliseconds budget{120000};
};

struct RetryEnv {
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: sleep the thread
  std::function<double()> seconds_now;                   // empty: monotonic_seconds()
  std::function<double()> uniform;                       // in [0, 1]; empty: a seeded PRNG
};

class RetryingBackend final : public Backend {
 public:
  RetryingBackend(std::shared_ptr<Backend> inner, RetryPolicy policy = {}, RetryEnv env = {});

  Status put(const ObjectKey& key, ByteView data) override;
  Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) override;
  Result<ObjectInfo> stat(const ObjectKey& key) override;
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override;
  Status remove(const ObjectKey& key) override;
  BackendProperties properties() const override { return inner_->properties(); }

 private:
  // Calls attempt until it returns a status that is ok or not retryable, or
  // the attempts or the budget run out.
  Status run(const std::string& what, const std::function<Status(int attempt)>& attempt);
  Status verify_stored(const ObjectKey& key, ByteView data);

  const std::shared_ptr<Backend> inner_;
  const RetryPolicy policy_;
  RetryEnv env_;
};

}  // namespace cairn
