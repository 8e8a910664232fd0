// The write order of docs/format.md, proved by crashing after every change:
// for each N, a backup (or a delete) whose storage crashes after its N-th
// put or remove leaves a repository that checks clean, where every earlier
// backup restores and the interrupted one is absent or whole.
#include <cstdio>

#include "reliability/repo_fixture.h"
#include "repo/lock.h"
#include "support/forgetful_backend.h"

namespace cairn {
namespace {

class ForgetfulTest : public PristineRepoTest {};

TEST_F(ForgetfulTest, ForgetfulBackendKeepsTheChangesBeforeTheCrashAndNothingAfter) {
  std::string path = fresh_copy();
  auto forgetful = std::make_shared<ForgetfulBackend>(local(path), 1);
  EXPECT_TRUE(forgetful->put({ObjectKind::kIndex, "aa"}, as_bytes("one")).is_ok());
  EXPECT_FALSE(forgetful->put({ObjectKind::kIndex, "bb"}, as_bytes("two")).is_ok());
  EXPECT_TRUE(forgetful->crashed());
  EXPECT_FALSE(forgetful->get({ObjectKind::kIndex, "aa"}).is_ok());  // nothing answers after a crash
  EXPECT_FALSE(forgetful->remove({ObjectKind::kIndex, "aa"}).is_ok());
  auto plain = local(path);
  EXPECT_TRUE(plain->stat({ObjectKind::kIndex, "aa"}).is_ok());
  EXPECT_EQ(plain->stat({ObjectKind::kIndex, "bb"}).status().code(), ErrorCode::kNotFound);
}

TEST_F(ForgetfulTest, BackupCrashedAfterAnyNumberOfPutsLeavesAValidRepository) {
  // How many changes a whole backup makes, and in which order.
  std::string counting = fresh_copy();
  auto counter = std::make_shared<ForgetfulBackend>(local(counting), ForgetfulBackend::kNever);
  ASSERT_TRUE(backup(counter, "b2", src2_).is_ok());
  const uint64_t total = counter->changes();
  const std::vector<std::string> log = counter->log();
  ASSERT_GE(total, 4u);  // packs, an index, the snapshot
  EXPECT_EQ(log.back().rfind("put snapshots/", 0), 0u) << "the snapshot is not the last write";

  int absent = 0, whole = 0;
  for (uint64_t n = 0; n <= total; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " of " + std::to_string(total) + " puts");
    std::string path = fresh_copy();
    auto forgetful = std::make_shared<ForgetfulBackend>(local(path), n);
    Result<SnapshotManifest> crashed = backup(forgetful, "b2", src2_);
    // Success is reported exactly when no change was lost.
    EXPECT_EQ(crashed.is_ok(), !forgetful->crashed()) << crashed.status().message();
    expect_check_passes(path);
    expect_restores(path, "b1", src1_);
    bool present = false;
    expect_absent_or_whole(path, "b2", src2_, &present);
    present ? ++whole : ++absent;
    // The next backup of the same data completes.
    if (!present) {
      ASSERT_TRUE(backup(local(path), "b2", src2_).is_ok());
      expect_restores(path, "b2", src2_);
    }
    std::filesystem::remove_all(path);
  }
  std::printf("forgetful backup: %llu crash points, interrupted backup absent %d, whole %d\n",
              static_cast<unsigned long long>(total + 1), absent, whole);
  EXPECT_GE(whole, 1);  // at least the run that lost nothing
}

// backup delete, as the CLI does it: a lock, the snapshot removed, the lock released.
Status delete_backup(std::shared_ptr<Backend> backend, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo, Repository::open(backend, kPassword));
  CAIRN_ASSIGN_OR_RETURN(auto lock, RepositoryLock::acquire(*repo, false, "delete", ""));
  return repo->delete_snapshot(name);
}

TEST_F(ForgetfulTest, DeleteCrashedAfterAnyNumberOfChangesLeavesAValidRepository) {
  ASSERT_TRUE(backup(local(pristine_), "b2", src2_).is_ok());
  std::string counting = fresh_copy();
  auto counter = std::make_shared<ForgetfulBackend>(local(counting), ForgetfulBackend::kNever);
  ASSERT_TRUE(delete_backup(counter, "b1").is_ok());
  const uint64_t total = counter->changes();
  ASSERT_GE(total, 1u);
  for (uint64_t n = 0; n <= total; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " of " + std::to_string(total) + " changes");
    std::string path = fresh_copy();
    auto forgetful = std::make_shared<ForgetfulBackend>(local(path), n);
    Status st = delete_backup(forgetful, "b1");
    expect_check_passes(path);
    expect_restores(path, "b2", src2_);
    bool present = false;
    expect_absent_or_whole(path, "b1", src1_, &present);
    if (st.is_ok()) {
      EXPECT_FALSE(present) << "delete reported success but the backup is still there";
    }
    // Deleting again finishes the job.
    if (present) {
      ASSERT_TRUE(delete_backup(local(path), "b1").is_ok());
    }
    std::filesystem::remove_all(path);
  }
  std::printf("forgetful delete: %llu crash points\n", static_cast<unsigned long long>(total + 1));
}

}  // namespace
}  // namespace cairn
