// CountingBackend: counts the requests that pass through to the storage, so
// that `cairn -v` can say how many were sent (and tests can prove that a
// ReadOnly location sends no put and no remove). Counts every call, failed
// or not. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "storage/backend.h"

namespace cairn {

struct RequestCounts {
  uint64_t puts = 0;
  uint64_t gets = 0;
  uint64_t stats = 0;
  uint64_t lists = 0;
  uint64_t removes = 0;
  uint64_t bytes_put = 0;  // by puts that succeeded
  uint64_t bytes_got = 0;  // by gets that succeeded

  // "puts=3 gets=10 stats=0 lists=4 removes=1 bytes_put=123 bytes_got=456"
  std::string to_string() const;
};

class CountingBackend final : public Backend {
 public:
  explicit CountingBackend(std::shared_ptr<Backend> inner);

  RequestCounts counts() const;

  Status put(const ObjectKey& key, ByteView data) override;
  Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) override;
  Result<ObjectInfo> stat(const ObjectKey& key) override;
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override;
  Status remove(const ObjectKey& key) override;
  BackendProperties properties() const override { return inner_->properties(); }

 private:
  const std::shared_ptr<Backend> inner_;
  std::atomic<uint64_t> puts_{0}, gets_{0}, stats_{0}, lists_{0}, removes_{0}, bytes_put_{0}, bytes_got_{0};
};

}  // namespace cairn
