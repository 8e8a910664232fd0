// Faults injected under a Repository (FaultInjectingBackend), one per case:
// the Nth put, get, stat or list fails (before or after reaching storage),
// or the Nth get returns a flipped byte or too few bytes. A backup either
// fails with a Status that says what went wrong or completes and restores
// byte-identical; a restore never writes a wrong byte under a final name;
// the repository always checks clean afterwards.
#include <cstdio>
#include <map>

#include "reliability/repo_fixture.h"
#include "storage/fault_backend.h"

namespace cairn {
namespace {

struct Fault {
  std::string kind;  // for the tally: "put-fail", "get-flip", ...
  FaultRule rule;
};

// Every fault of each kind for the first `calls` calls of its op.
std::vector<Fault> faults_for(FaultOp op, uint64_t calls) {
  std::vector<Fault> out;
  const char* op_name = op == FaultOp::kPut    ? "put"
                        : op == FaultOp::kGet  ? "get"
                        : op == FaultOp::kStat ? "stat"
                                               : "list";
  for (uint64_t n = 0; n < calls; ++n) {
    out.push_back({std::string(op_name) + "-fail", FaultRule{.op = op, .skip = n}});
    if (op == FaultOp::kPut || op == FaultOp::kGet)
      out.push_back({std::string(op_name) + "-fail-after",
                     FaultRule{.op = op, .skip = n, .action = FaultAction::kFailAfter}});
    if (op == FaultOp::kGet) {
      out.push_back(
          {"get-flip-byte", FaultRule{.op = op, .skip = n, .action = FaultAction::kFlipByte, .offset = 20}});
      out.push_back(
          {"get-truncate", FaultRule{.op = op, .skip = n, .action = FaultAction::kTruncate, .offset = 7}});
    }
  }
  return out;
}

uint64_t calls_of(const FaultCounts& c, FaultOp op) {
  switch (op) {
    case FaultOp::kPut: return c.puts;
    case FaultOp::kGet: return c.gets;
    case FaultOp::kStat: return c.stats;
    case FaultOp::kList: return c.lists;
    case FaultOp::kRemove: return c.removes;
  }
  return 0;
}

class FaultTest : public PristineRepoTest {
 protected:
  void print_tally(const char* what) {
    std::string line;
    for (const auto& [kind, n] : injected_) line += " " + kind + "=" + std::to_string(n);
    std::printf("faults injected into %s:%s\n", what, line.c_str());
  }
  std::map<std::string, int> injected_;
};

TEST_F(FaultTest, BackupWithAFaultyStorageFailsClearlyOrCompletesWhole) {
  auto counter = std::make_shared<FaultInjectingBackend>(local(fresh_copy()));
  ASSERT_TRUE(backup(counter, "b2", src2_).is_ok());
  const FaultCounts calls = counter->counts();
  int failed = 0, completed = 0;
  for (FaultOp op : {FaultOp::kPut, FaultOp::kGet, FaultOp::kStat, FaultOp::kList}) {
    for (const Fault& fault : faults_for(op, calls_of(calls, op))) {
      SCOPED_TRACE(fault.kind + " at call " + std::to_string(fault.rule.skip + 1));
      std::string path = fresh_copy();
      auto faulty = std::make_shared<FaultInjectingBackend>(local(path));
      faulty->add_rule(fault.rule);
      Result<SnapshotManifest> r = backup(faulty, "b2", src2_);
      if (calls_of(faulty->counts(), op) > fault.rule.skip) ++injected_[fault.kind];
      if (r.is_ok()) {
        ++completed;
        EXPECT_EQ(r->status, BackupStatus::kCompleted);
        expect_restores(path, "b2", src2_);
      } else {
        ++failed;
        EXPECT_FALSE(r.status().message().empty());
        // Not Completed for data it did not store: absent, or whole if only the reply was lost.
        expect_absent_or_whole(path, "b2", src2_);
      }
      expect_check_passes(path);
      expect_restores(path, "b1", src1_);
      std::filesystem::remove_all(path);
    }
  }
  std::printf("faulty backups: %d failed cleanly, %d completed and restored\n", failed, completed);
  print_tally("backups");
}

TEST_F(FaultTest, RestoreWithAFaultyStorageNeverWritesAWrongByte) {
  auto counter = std::make_shared<FaultInjectingBackend>(local(pristine_));
  auto repo = Repository::open(counter, kPassword);
  ASSERT_TRUE(repo.is_ok());
  ASSERT_TRUE((*repo)->load_index().is_ok());
  auto snap = (*repo)->load_snapshot("b1");
  ASSERT_TRUE(snap.is_ok());
  const uint64_t before = counter->counts().gets;
  std::string probe = tmp_.file("probe");
  ASSERT_TRUE(restore_snapshot(**repo, *snap, RestoreOptions{.target = probe}, nullptr).is_ok());
  const uint64_t gets = counter->counts().gets - before;
  ASSERT_GE(gets, 2u);
  int refused = 0, failed = 0;
  for (const Fault& fault : faults_for(FaultOp::kGet, gets)) {
    SCOPED_TRACE(fault.kind + " at get " + std::to_string(fault.rule.skip + 1));
    auto faulty = std::make_shared<FaultInjectingBackend>(local(pristine_));
    auto opened = Repository::open(faulty, kPassword);
    ASSERT_TRUE(opened.is_ok());
    ASSERT_TRUE((*opened)->load_index().is_ok());
    const uint64_t opened_gets = faulty->counts().gets;
    faulty->add_rule(fault.rule);  // from the restore's first get on
    std::string out = tmp_.file("out-" + std::to_string(++cases_));
    auto r = restore_snapshot(**opened, *snap, RestoreOptions{.target = out, .threads = 2}, nullptr);
    if (faulty->counts().gets - opened_gets > fault.rule.skip) ++injected_[fault.kind];
    if (!r.is_ok()) {
      ++failed;
      EXPECT_FALSE(r.status().message().empty());
    } else {
      refused += static_cast<int>(r->errors.size());
      for (const auto& e : r->errors) {
        EXPECT_FALSE(std::filesystem::exists(e.path)) << e.path << " was reported but written";
        EXPECT_FALSE(e.message.empty());
      }
      if (r->errors.empty()) {
        EXPECT_EQ(compare_trees(src1_, out + src1_), std::vector<std::string>{});
      }
    }
    // Whatever is under a final name is exactly what was backed up.
    for (const std::string& rel : regular_files_under(out + src1_)) {
      EXPECT_FALSE(is_temp_name(std::filesystem::path(rel).filename().string())) << rel << " left behind";
      EXPECT_TRUE(read_whole_file(out + src1_ + "/" + rel) == read_whole_file(src1_ + "/" + rel)) << rel;
    }
    std::filesystem::remove_all(out);
  }
  std::printf("faulty restores: %d failed before writing, %d files refused\n", failed, refused);
  print_tally("restores");
  expect_check_passes(pristine_);
}

}  // namespace
}  // namespace cairn
