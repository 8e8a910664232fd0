// ForgetfulBackend: a storage that crashes, for proving the write order.
//
// The model (as LevelDB's fault_injection_test, simplified by the Backend
// contract): a put or remove is durable once it returns, so a crash keeps
// exactly the changes that completed before it and loses the rest. The
// backend passes the first `survive` changes (puts and removes, counted in
// the order they start) to the inner backend; at the next one it "crashes":
// that change and every later call of any kind fail with kIoError and reach
// nothing. What the inner backend holds afterwards is what a process killed
// right after its `survive`-th change leaves behind; reopen it with a plain
// backend to see what the next process finds.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/backend.h"

namespace cairn {

class ForgetfulBackend final : public Backend {
 public:
  // kNever: never crashes (counts changes only).
  static constexpr uint64_t kNever = UINT64_MAX;

  ForgetfulBackend(std::shared_ptr<Backend> inner, uint64_t survive);

  bool crashed() const;
  uint64_t changes() const;              // changes that reached the inner backend
  std::vector<std::string> log() const;  // "put data/ab..", "remove locks/..", in order

  Status put(const ObjectKey& key, ByteView data) override;
  Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) override;
  Result<ObjectInfo> stat(const ObjectKey& key) override;
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override;
  Status remove(const ObjectKey& key) override;
  BackendProperties properties() const override { return inner_->properties(); }

 private:
  // True if a change may go ahead; false once the crash has happened.
  bool admit_change(const std::string& what);
  Status crash_error(const std::string& what) const;
  bool is_crashed() const;

  const std::shared_ptr<Backend> inner_;
  const uint64_t survive_;
  mutable std::mutex mu_;
  uint64_t changes_ = 0;          // guarded by mu_
  bool crashed_ = false;          // guarded by mu_
  std::vector<std::string> log_;  // guarded by mu_
};

}  // namespace cairn
