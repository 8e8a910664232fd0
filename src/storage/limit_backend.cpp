#include "storage/limit_backend.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace cairn {

class ConcurrencyLimitBackend::Slot {
 public:
  explicit Slot(ConcurrencyLimitBackend& b) : b_(b) {
    std::unique_lock lock(b_.mu_);
    b_.freed_.wait(lock, [&] { return b_.in_flight_ < b_.max_in_flight_; });
    ++b_.in_flight_;
  }
  ~Slot() {
    {
      std::lock_guard lock(b_.mu_);
      --b_.in_flight_;
    }
    b_.freed_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  ConcurrencyLimitBackend& b_;
};

ConcurrencyLimitBackend::ConcurrencyLimitBackend(std::shared_ptr<Backend> inner, int max_in_flight)
    : inner_(std::move(inner)), max_in_flight_(std::max(1, max_in_flight)) {}

Status ConcurrencyLimitBackend::put(const ObjectKey& key, ByteView data) {
  Slot slot(*this);
  return inner_->put(key, data);
}

Result<Bytes> ConcurrencyLimitBackend::get(const ObjectKey& key, uint64_t offset, uint64_t length) {
  Slot slot(*this);
  return inner_->get(key, offset, length);
}

Result<ObjectInfo> ConcurrencyLimitBackend::stat(const ObjectKey& key) {
  Slot slot(*this);
  return inner_->stat(key);
}

Status ConcurrencyLimitBackend::list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) {
  std::vector<ObjectInfo> all;
  {
    Slot slot(*this);
    CAIRN_RETURN_IF_ERROR(inner_->list(kind, [&](const ObjectInfo& o) { all.push_back(o); }));
  }
  for (const ObjectInfo& o : all) fn(o);
  return Status::ok();
}

Status ConcurrencyLimitBackend::remove(const ObjectKey& key) {
  Slot slot(*this);
  return inner_->remove(key);
}

}  // namespace cairn
