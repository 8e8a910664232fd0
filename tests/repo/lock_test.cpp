// Repository locks: backups share, deleters exclude, and a lock left by a
// process that died (or that stopped refreshing long ago) does not block.
#include "repo/lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "repo_test_util.h"

namespace cairn {
namespace {

class LockTest : public RepoTest {
 protected:
  Result<std::unique_ptr<RepositoryLock>> lock(bool exclusive, const std::string& operation = "backup") {
    return RepositoryLock::acquire(*repo_, exclusive, operation, "nightly");
  }
  size_t lock_objects() { return object_names(*backend_, ObjectKind::kLock).size(); }
};

// The pid of a process that has exited and been reaped: no process has it
// (until the kernel hands it out again, which takes a full lap of pids).
int64_t dead_pid() {
  std::fflush(nullptr);  // or the child may write buffered output a second time
  pid_t child = fork();
  if (child == 0) _exit(0);
  EXPECT_GT(child, 0);
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  return child;
}

LockInfo lock_info(int64_t pid, TimeNs created, std::string hostname = current_hostname()) {
  LockInfo l;
  l.operation = "backup";
  l.hostname = std::move(hostname);
  l.pid = pid;
  l.created = created;
  return l;
}

constexpr TimeNs kMinute = 60'000'000'000;

TEST_F(LockTest, SharedLocksCoexist) {
  auto first = lock(false);
  auto second = lock(false);
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  Result<std::vector<LockInfo>> locks = list_locks(*repo_);
  ASSERT_TRUE(locks.is_ok()) << locks.status().message();
  ASSERT_EQ(locks->size(), 2u);
  for (const auto& l : *locks) {
    EXPECT_FALSE(l.exclusive);
    EXPECT_EQ(l.operation, "backup");
    EXPECT_EQ(l.subject, "nightly");
    EXPECT_EQ(l.hostname, current_hostname());
    EXPECT_EQ(l.pid, getpid());
    EXPECT_FALSE(lock_is_stale(l, system_clock().now()));
  }
}

TEST_F(LockTest, ExclusiveLockIsRefusedWhileASharedLockExists) {
  auto shared = lock(false);
  ASSERT_TRUE(shared.is_ok()) << shared.status().message();
  auto exclusive = lock(true, "prune");
  ASSERT_FALSE(exclusive.is_ok());
  EXPECT_EQ(exclusive.status().code(), ErrorCode::kLocked);
  EXPECT_NE(exclusive.status().message().find("backup"), std::string::npos) << exclusive.status().message();
  EXPECT_EQ(lock_objects(), 1u) << "the refused lock was left behind";
}

TEST_F(LockTest, SharedLockIsRefusedWhileAnExclusiveLockExists) {
  auto exclusive = lock(true, "prune");
  ASSERT_TRUE(exclusive.is_ok()) << exclusive.status().message();
  auto shared = lock(false);
  ASSERT_FALSE(shared.is_ok());
  EXPECT_EQ(shared.status().code(), ErrorCode::kLocked);
  EXPECT_EQ(lock_objects(), 1u);
}

TEST_F(LockTest, ExclusiveLocksExcludeEachOtherAcrossRepositoryInstances) {
  std::unique_ptr<Repository> other = open_again();
  ASSERT_NE(other, nullptr);
  auto first = lock(true, "prune");
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  auto second = RepositoryLock::acquire(*other, true, "prune", "");
  EXPECT_EQ(second.status().code(), ErrorCode::kLocked);
}

TEST_F(LockTest, DestroyingTheLockRemovesItsObject) {
  {
    auto shared = lock(false);
    ASSERT_TRUE(shared.is_ok()) << shared.status().message();
    EXPECT_EQ(lock_objects(), 1u);
  }
  EXPECT_EQ(lock_objects(), 0u);
  auto exclusive = lock(true, "prune");
  EXPECT_TRUE(exclusive.is_ok()) << exclusive.status().message();
}

TEST_F(LockTest, LockOfAProcessThatDiedOnThisHostIsStale) {
  EXPECT_TRUE(lock_is_stale(lock_info(dead_pid(), system_clock().now()), system_clock().now()));
}

TEST_F(LockTest, FreshLockOfALiveProcessIsNotStale) {
  EXPECT_FALSE(lock_is_stale(lock_info(getpid(), system_clock().now()), system_clock().now()));
}

TEST_F(LockTest, LockOlderThanThirtyMinutesIsStaleEvenIfItsProcessLives) {
  const TimeNs now = system_clock().now();
  EXPECT_TRUE(lock_is_stale(lock_info(getpid(), now - 31 * kMinute), now));
  EXPECT_FALSE(lock_is_stale(lock_info(getpid(), now - 29 * kMinute), now));
}

// This host cannot see another host's processes, so only age counts there.
TEST_F(LockTest, LockFromAnotherHostIsJudgedByAgeOnly) {
  const TimeNs now = system_clock().now();
  const int64_t pid = dead_pid();
  EXPECT_FALSE(lock_is_stale(lock_info(pid, now, "some-other-host.invalid"), now));
  EXPECT_TRUE(lock_is_stale(lock_info(pid, now - 31 * kMinute, "some-other-host.invalid"), now));
}

// A process killed while holding an exclusive lock leaves the lock object
// behind; it must not block the next run.
TEST_F(LockTest, ExclusiveLockLeftByADeadProcessDoesNotBlock) {
  std::fflush(nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = RepositoryLock::acquire(*repo_, true, "prune", "");
    _exit(held.is_ok() ? 0 : 1);  // dies holding it: no destructor runs
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child could not take the lock";
  ASSERT_EQ(lock_objects(), 1u);

  auto exclusive = lock(true, "prune");
  EXPECT_TRUE(exclusive.is_ok()) << exclusive.status().message();
}

}  // namespace
}  // namespace cairn
