#include "repo/lock.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "repo/json_number.h"
#include "repo/prune_record.h"

namespace cairn {

using nlohmann::json;

namespace {
std::string encode_lock(const LockInfo& l) {
  return json{{"exclusive", l.exclusive},
              {"operation", l.operation},
              {"subject", l.subject},
              {"hostname", l.hostname},
              {"pid", l.pid},
              {"created", l.created}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Status write_lock(Repository& repo, LockInfo& info) {
  info.name = random_object_name();
  info.created = system_clock().now();
  return repo.put_sealed(ObjectKind::kLock, info.name, as_bytes(encode_lock(info)));
}
}  // namespace

Result<LockInfo> decode_lock(const std::string& name, std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corruption("lock is not valid JSON");
  LockInfo l;
  l.name = name;
  try {
    l.exclusive = j.at("exclusive").get<bool>();
    l.operation = j.at("operation").get<std::string>();
    l.subject = j.at("subject").get<std::string>();
    l.hostname = j.at("hostname").get<std::string>();
    l.pid = json_integer<int64_t>(j.at("pid"));
    l.created = json_integer<int64_t>(j.at("created"));
  } catch (const json::exception&) {
    return corruption("lock is missing fields");
  }
  return l;
}

bool lock_is_stale(const LockInfo& lock, TimeNs now) {
  if (now - lock.created > kLockStaleSeconds * 1000000000ll) return true;
  if (lock.hostname == current_hostname() && lock.pid > 0) {
    if (kill(static_cast<pid_t>(lock.pid), 0) != 0 && errno == ESRCH) return true;
  }
  return false;
}

Result<std::vector<LockInfo>> list_locks(Repository& repo) {
  std::vector<std::string> names;
  CAIRN_RETURN_IF_ERROR(
      repo.backend().list(ObjectKind::kLock, [&](const ObjectInfo& o) { names.push_back(o.key.name); }));
  std::vector<LockInfo> out;
  // Prune's records live beside the locks but are no locks (and can be large).
  const std::string pending = pending_deletion_name(repo), deletions = deletion_list_name(repo);
  for (const auto& name : names) {
    if (name == pending || name == deletions) continue;
    Result<Bytes> plain = repo.get_sealed(ObjectKind::kLock, name);
    if (!plain.is_ok()) continue;
    Result<LockInfo> l = decode_lock(name, as_string_view(*plain));
    if (l.is_ok()) out.push_back(*l);
  }
  return out;
}

Result<std::unique_ptr<RepositoryLock>> RepositoryLock::acquire(Repository& repo, bool exclusive,
                                                                const std::string& operation,
                                                                const std::string& subject) {
  LockInfo info;
  info.exclusive = exclusive;
  info.operation = operation;
  info.subject = subject;
  info.hostname = current_hostname();
  info.pid = getpid();
  CAIRN_RETURN_IF_ERROR(write_lock(repo, info));
  // Write first, then look: of two racing lockers at least one sees the other.
  Result<std::vector<LockInfo>> locks = list_locks(repo);
  if (!locks.is_ok()) {
    repo.backend().remove({ObjectKind::kLock, info.name}).ignore();
    return locks.status();
  }
  TimeNs now = system_clock().now();
  for (const LockInfo& other : *locks) {
    if (other.name == info.name || lock_is_stale(other, now)) continue;
    if (exclusive || other.exclusive) {
      repo.backend().remove({ObjectKind::kLock, info.name}).ignore();
      return Status(ErrorCode::kLocked,
                    "the repository is locked by " + other.operation + " (pid " + std::to_string(other.pid) +
                        " on " + other.hostname +
                        "); wait for it to finish or, if it died, for its lock to go stale");
    }
  }
  return std::unique_ptr<RepositoryLock>(new RepositoryLock(repo, info));
}

RepositoryLock::RepositoryLock(Repository& repo, LockInfo info) : repo_(repo), info_(std::move(info)) {
  refresher_ = std::thread([this] { refresh_loop(); });
}

RepositoryLock::~RepositoryLock() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  refresher_.join();
  repo_.backend().remove({ObjectKind::kLock, info_.name}).ignore();
}

std::string RepositoryLock::name() {
  std::lock_guard<std::mutex> lock(mu_);
  return info_.name;
}

void RepositoryLock::refresh_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(kLockRefreshSeconds), [&] { return stopping_; })) {
    LockInfo fresh = info_;
    if (write_lock(repo_, fresh).is_ok()) {
      repo_.backend().remove({ObjectKind::kLock, info_.name}).ignore();
      info_ = fresh;
    }
  }
}

}  // namespace cairn
