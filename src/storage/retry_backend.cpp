#include "storage/retry_backend.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/log.h"

namespace cairn {
namespace {

std::function<double()> default_uniform() {
  auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
  auto mu = std::make_shared<std::mutex>();
  return [gen, mu] {
    std::lock_guard lock(*mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(*gen);
  };
}

}  // namespace

RetryingBackend::RetryingBackend(std::shared_ptr<Backend> inner, RetryPolicy policy, RetryEnv env)
    : inner_(std::move(inner)), policy_(policy), env_(std::move(env)) {
  if (!env_.sleep) env_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (!env_.seconds_now) env_.seconds_now = [] { return monotonic_seconds(); };
  if (!env_.uniform) env_.uniform = default_uniform();
}

Status RetryingBackend::run(const std::string& what, const std::function<Status(int attempt)>& attempt) {
  const double start = env_.seconds_now();
  const double budget = std::chrono::duration<double>(policy_.budget).count();
  Status st;
  int n = 1;
  for (;; ++n) {
    st = attempt(n);
    if (st.code() != ErrorCode::kIoError || n >= policy_.max_attempts) break;
    const double ceiling_ms =
        std::min<double>(static_cast<double>(policy_.cap.count()),
                         static_cast<double>(policy_.base.count()) * std::ldexp(1.0, n - 1));
    const auto wait = std::chrono::milliseconds(static_cast<int64_t>(env_.uniform() * ceiling_ms));
    if (env_.seconds_now() - start + std::chrono::duration<double>(wait).count() > budget) break;
    log_debug(what + " failed (" + st.message() + "); retrying in " + std::to_string(wait.count()) + " ms");
    env_.sleep(wait);
  }
  if (n > 1 && !st.is_ok()) return st.with_context(what + " (after " + std::to_string(n) + " attempts)");
  return st;
}

Status RetryingBackend::verify_stored(const ObjectKey& key, ByteView data) {
  const Status taken = already_exists(key.to_string() + " already exists with other contents");
  Result<Bytes> stored = inner_->get(key);
  if (stored.is_ok()) {
    return std::equal(stored->begin(), stored->end(), data.begin(), data.end()) ? Status::ok() : taken;
  }
  if (stored.status().code() != ErrorCode::kPermissionDenied) return stored.status();
  Result<ObjectInfo> info = inner_->stat(key);
  if (info.is_ok()) return info->size == data.size() ? Status::ok() : taken;
  if (info.status().code() != ErrorCode::kPermissionDenied) return info.status();
  log_debug("cannot read back " + key.to_string() + " (no read permission); taking it as our own lost put");
  return Status::ok();
}

Status RetryingBackend::put(const ObjectKey& key, ByteView data) {
  return run("storing " + key.to_string(), [&](int attempt) {
    Status st = inner_->put(key, data);
    if (attempt > 1 && st.code() == ErrorCode::kAlreadyExists) return verify_stored(key, data);
    return st;
  });
}

Result<Bytes> RetryingBackend::get(const ObjectKey& key, uint64_t offset, uint64_t length) {
  Result<Bytes> out = Status(ErrorCode::kIoError, "not attempted");
  Status st = run("reading " + key.to_string(), [&](int) {
    out = inner_->get(key, offset, length);
    return out.status();
  });
  if (!st.is_ok()) return st;
  return out;
}

Result<ObjectInfo> RetryingBackend::stat(const ObjectKey& key) {
  Result<ObjectInfo> out = Status(ErrorCode::kIoError, "not attempted");
  Status st = run("looking up " + key.to_string(), [&](int) {
    out = inner_->stat(key);
    return out.status();
  });
  if (!st.is_ok()) return st;
  return out;
}

Status RetryingBackend::list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) {
  std::vector<ObjectInfo> all;
  CAIRN_RETURN_IF_ERROR(run(std::string("listing ") + object_kind_name(kind), [&](int) {
    all.clear();
    return inner_->list(kind, [&](const ObjectInfo& o) { all.push_back(o); });
  }));
  for (const ObjectInfo& o : all) fn(o);
  return Status::ok();
}

Status RetryingBackend::remove(const ObjectKey& key) {
  return run("deleting " + key.to_string(), [&](int) { return inner_->remove(key); });
}

}  // namespace cairn
