// ConcurrencyLimitBackend: at most N requests of the wrapped backend in
// flight at once, however many threads call it (an object store throttles,
// and a slow link is better used by a few requests than by many).
//
// A call waits for a free slot, then runs. list collects its listing while
// it holds the slot and calls fn after releasing it, so fn may itself call
// the backend without deadlocking.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include "storage/backend.h"

namespace cairn {

class ConcurrencyLimitBackend final : public Backend {
 public:
  // max_in_flight >= 1 (0 is taken as 1).
  ConcurrencyLimitBackend(std::shared_ptr<Backend> inner, int max_in_flight);

  Status put(const ObjectKey& key, ByteView data) override;
  Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) override;
  Result<ObjectInfo> stat(const ObjectKey& key) override;
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override;
  Status remove(const ObjectKey& key) override;
  BackendProperties properties() const override { return inner_->properties(); }

 private:
  class Slot;  // holds one of the max_in_flight slots for its lifetime

  const std::shared_ptr<Backend> inner_;
  const int max_in_flight_;
  std::mutex mu_;
  std::condition_variable freed_;
  int in_flight_ = 0;  // guarded by mu_
};

}  // namespace cairn
