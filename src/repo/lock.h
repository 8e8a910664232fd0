// Repository locks: who is using the repository, for what.
//
// Backups take a shared lock, so any number of them run at once; operations
// that delete (prune, later) take an exclusive one. A lock is a sealed
// object in locks/; it is refreshed (a new object written, the old one
// removed) every kRefreshSeconds and is stale once older than kStaleSeconds
// or, on the same host, once its process is gone. Listings of in-progress
// backups come from backup locks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "repo/repository.h"

namespace cairn {

struct LockInfo {
  std::string name;  // object name
  bool exclusive = false;
  std::string operation;  // "backup", "check", ...
  std::string subject;    // e.g. the backup name
  std::string hostname;
  int64_t pid = 0;
  TimeNs created = 0;
};

constexpr int64_t kLockRefreshSeconds = 5 * 60;
constexpr int64_t kLockStaleSeconds = 30 * 60;

bool lock_is_stale(const LockInfo& lock, TimeNs now);
// Parses a lock object's JSON (already unsealed); Corruption when malformed.
Result<LockInfo> decode_lock(const std::string& name, std::string_view text);
// Every readable lock (unreadable ones are skipped: they may be half gone).
Result<std::vector<LockInfo>> list_locks(Repository& repo);

class RepositoryLock {
 public:
  // Locked when a conflicting lock that is not stale exists.
  static Result<std::unique_ptr<RepositoryLock>> acquire(Repository& repo, bool exclusive,
                                                         const std::string& operation,
                                                         const std::string& subject);
  ~RepositoryLock();  // stops refreshing and removes the lock object

  // The lock object's current name (each refresh writes a new one).
  std::string name();

 private:
  RepositoryLock(Repository& repo, LockInfo info);
  void refresh_loop();
  Repository& repo_;
  LockInfo info_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace cairn
