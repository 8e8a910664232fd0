// A slow (stalling) storage only slows backups and restores down; a remove
// that fails, before or after reaching storage, leaves a valid repository.
#include "reliability/repo_fixture.h"
#include "storage/fault_backend.h"

namespace cairn {
namespace {

class StallRemoveTest : public PristineRepoTest {};

FaultRule stall_every(FaultOp op, uint32_t ms) {
  return FaultRule{.op = op, .times = FaultRule::kForever, .action = FaultAction::kStall, .stall_ms = ms};
}

TEST_F(StallRemoveTest, BackupThroughAStallingStorageCompletesWhole) {
  std::string path = fresh_copy();
  auto slow = std::make_shared<FaultInjectingBackend>(local(path));
  slow->add_rule(stall_every(FaultOp::kPut, 150));
  slow->add_rule(stall_every(FaultOp::kGet, 20));
  slow->add_rule(stall_every(FaultOp::kList, 20));
  double start = monotonic_seconds();
  Result<SnapshotManifest> r = backup(slow, "b2", src2_);
  double took = monotonic_seconds() - start;
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->status, BackupStatus::kCompleted);
  // The stalls really happened: every put waited.
  EXPECT_GE(took, 0.15 * static_cast<double>(slow->counts().puts));
  expect_restores(path, "b2", src2_);
  expect_check_passes(path);
}

TEST_F(StallRemoveTest, RestoreThroughAStallingStorageIsByteIdentical) {
  auto slow = std::make_shared<FaultInjectingBackend>(local(pristine_));
  auto repo = Repository::open(slow, kPassword);
  ASSERT_TRUE(repo.is_ok());
  ASSERT_TRUE((*repo)->load_index().is_ok());
  auto snap = (*repo)->load_snapshot("b1");
  ASSERT_TRUE(snap.is_ok());
  slow->add_rule(stall_every(FaultOp::kGet, 100));
  std::string out = tmp_.file("out");
  auto restored = restore_snapshot(**repo, *snap, RestoreOptions{.target = out, .threads = 4}, nullptr);
  ASSERT_TRUE(restored.is_ok()) << restored.status().message();
  EXPECT_TRUE(restored->errors.empty());
  EXPECT_EQ(compare_trees(src1_, out + src1_), std::vector<std::string>{});
}

TEST_F(StallRemoveTest, DeleteWhoseRemoveFailsKeepsTheBackupAndReportsIt) {
  std::string path = fresh_copy();
  auto faulty = std::make_shared<FaultInjectingBackend>(local(path));
  faulty->add_rule(FaultRule{.op = FaultOp::kRemove});
  auto repo = Repository::open(faulty, kPassword);
  ASSERT_TRUE(repo.is_ok());
  Status s = (*repo)->delete_snapshot("b1");
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("injected fault"), std::string::npos) << s.message();
  EXPECT_EQ(faulty->counts().removes, 1u);
  expect_restores(path, "b1", src1_);
  expect_check_passes(path);
}

TEST_F(StallRemoveTest, DeleteWhoseReplyIsLostLeavesTheBackupGoneAndTheRepositoryValid) {
  std::string path = fresh_copy();
  auto faulty = std::make_shared<FaultInjectingBackend>(local(path));
  faulty->add_rule(FaultRule{.op = FaultOp::kRemove, .action = FaultAction::kFailAfter});
  auto repo = Repository::open(faulty, kPassword);
  ASSERT_TRUE(repo.is_ok());
  EXPECT_FALSE((*repo)->delete_snapshot("b1").is_ok());
  bool present = true;
  expect_absent_or_whole(path, "b1", src1_, &present);
  EXPECT_FALSE(present);
  expect_check_passes(path);
  // Deleting again is a clear "no such backup", not a crash or a hang.
  auto again = Repository::open(local(path), kPassword);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ((*again)->delete_snapshot("b1").code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn
