#include "support/forgetful_backend.h"

#include <utility>

namespace cairn {

ForgetfulBackend::ForgetfulBackend(std::shared_ptr<Backend> inner, uint64_t survive)
    : inner_(std::move(inner)), survive_(survive) {}

bool ForgetfulBackend::crashed() const { return is_crashed(); }

uint64_t ForgetfulBackend::changes() const {
  std::lock_guard lock(mu_);
  return changes_;
}

std::vector<std::string> ForgetfulBackend::log() const {
  std::lock_guard lock(mu_);
  return log_;
}

bool ForgetfulBackend::is_crashed() const {
  std::lock_guard lock(mu_);
  return crashed_;
}

bool ForgetfulBackend::admit_change(const std::string& what) {
  std::lock_guard lock(mu_);
  if (crashed_ || changes_ >= survive_) {
    crashed_ = true;
    return false;
  }
  ++changes_;
  log_.push_back(what);
  return true;
}

Status ForgetfulBackend::crash_error(const std::string& what) const {
  return Status(ErrorCode::kIoError, "simulated crash: " + what + " never happened");
}

Status ForgetfulBackend::put(const ObjectKey& key, ByteView data) {
  std::string what = "put " + key.to_string();
  if (!admit_change(what)) return crash_error(what);
  return inner_->put(key, data);
}

Status ForgetfulBackend::remove(const ObjectKey& key) {
  std::string what = "remove " + key.to_string();
  if (!admit_change(what)) return crash_error(what);
  return inner_->remove(key);
}

Result<Bytes> ForgetfulBackend::get(const ObjectKey& key, uint64_t offset, uint64_t length) {
  if (is_crashed()) return crash_error("get " + key.to_string());
  return inner_->get(key, offset, length);
}

Result<ObjectInfo> ForgetfulBackend::stat(const ObjectKey& key) {
  if (is_crashed()) return crash_error("stat " + key.to_string());
  return inner_->stat(key);
}

Status ForgetfulBackend::list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) {
  if (is_crashed()) return crash_error(std::string("list ") + object_kind_name(kind));
  return inner_->list(kind, fn);
}

}  // namespace cairn
