// Prune on real repositories in temp folders: what it deletes, what it
// repacks, and the races with backups it must survive, provoked at each
// step through PruneOptions::hook. Each "backup" here is a snapshot whose
// root tree holds one file made of numbered 128 KiB chunks, so a test can
// say exactly which data each backup holds and check every byte of it.
#include "repo/prune.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "repo/check.h"
#include "repo/lock.h"
#include "repo/prune_record.h"
#include "repo/repo_test_util.h"
#include "storage/fault_backend.h"

namespace cairn {
namespace {

constexpr size_t kChunk = 128 * 1024;

Bytes chunk_data(int n) { return random_data(kChunk, 1000 + static_cast<uint64_t>(n)); }

// A one-shot latch a hook can wait on and another thread open.
class Latch {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class PruneTest : public RepoTest {
 protected:
  void SetUp() override {
    InitOptions options = fast_init_options();
    options.pack_size = 1024 * 1024;  // 8 chunks a pack
    options.compression_level = 0;
    ASSERT_NO_FATAL_FAILURE(create_repository(options));
  }

  // Stores the chunks through writer and returns a tree naming them.
  static Tree file_tree(Repository& repo, BlobWriter& writer, const std::vector<int>& chunks) {
    Node file;
    file.name = "data";
    file.type = NodeType::kFile;
    file.mode = 0600;
    for (int n : chunks) {
      Bytes data = chunk_data(n);
      BlobId id = repo.hasher().id(data);
      EXPECT_TRUE(writer.add(BlobType::kData, id, data).is_ok());
      file.content.push_back({id, static_cast<uint32_t>(data.size())});
      file.size += data.size();
    }
    Tree tree;
    tree.nodes.push_back(file);
    return tree;
  }

  static Status save(Repository& repo, BlobWriter& writer, const std::string& name, const Tree& tree) {
    Bytes encoded = encode_tree(tree);
    BlobId root = repo.hasher().id(encoded);
    CAIRN_RETURN_IF_ERROR(writer.add(BlobType::kTree, root, encoded).status());
    CAIRN_RETURN_IF_ERROR(writer.flush());
    SnapshotManifest m;
    m.name = name;
    m.status = BackupStatus::kCompleted;
    m.started = m.completed = system_clock().now();
    m.tree = root;
    return repo.save_snapshot(m);
  }

  // A whole backup in one go, as `backup create` would (lock, index, data, snapshot).
  void backup(const std::string& name, const std::vector<int>& chunks) {
    std::unique_ptr<Repository> repo = open_again();
    auto lock = RepositoryLock::acquire(*repo, false, "backup", name);
    ASSERT_TRUE(lock.is_ok()) << lock.status().message();
    ASSERT_TRUE(repo->load_index().is_ok());
    BlobWriter writer(*repo);
    Tree tree = file_tree(*repo, writer, chunks);
    Status s = save(*repo, writer, name, tree);
    ASSERT_TRUE(s.is_ok()) << s.message();
    expected_[name] = chunks;
  }

  void forget(const std::string& name) {
    ASSERT_TRUE(repo_->delete_snapshot(name).is_ok());
    expected_.erase(name);
  }

  // Every remaining backup reads back byte for byte, as a restore (a
  // reader, in a fresh process) would see the repository.
  void expect_backups_intact() {
    std::unique_ptr<Repository> reader = open_again();
    ASSERT_TRUE(reader->load_index(nullptr, Repository::PendingPacks::kInclude).is_ok());
    for (const auto& [name, chunks] : expected_) {
      SCOPED_TRACE("backup " + name);
      Result<SnapshotManifest> m = reader->load_snapshot(name);
      ASSERT_TRUE(m.is_ok()) << m.status().message();
      Result<Tree> tree = reader->read_tree(m->tree);
      ASSERT_TRUE(tree.is_ok()) << tree.status().message();
      ASSERT_EQ(tree->nodes.at(0).content.size(), chunks.size());
      for (size_t i = 0; i < chunks.size(); ++i) {
        Result<Bytes> data = reader->read_blob(tree->nodes[0].content[i].id);
        ASSERT_TRUE(data.is_ok()) << data.status().message();
        EXPECT_TRUE(*data == chunk_data(chunks[i])) << "chunk " << chunks[i];
      }
    }
  }

  void expect_check_passes(bool read_data = true) {
    std::unique_ptr<Repository> checker = open_again();
    CheckOptions options;
    options.read_data = read_data;
    Result<CheckReport> report = check_repository(*checker, options, nullptr);
    ASSERT_TRUE(report.is_ok()) << report.status().message();
    for (const auto& p : report->problems) ADD_FAILURE() << p.object << ": " << p.message;
  }

  Result<PruneReport> prune(PruneOptions options = {}) {
    options.lock_poll_seconds = 0.02;
    std::unique_ptr<Repository> repo = open_again();
    return prune_repository(*repo, options);
  }

  bool pack_exists(const std::string& name) { return backend_->stat({ObjectKind::kPack, name}).is_ok(); }

  uint64_t stored_pack_bytes() {
    uint64_t total = 0;
    EXPECT_TRUE(backend_->list(ObjectKind::kPack, [&](const ObjectInfo& o) { total += o.size; }).is_ok());
    return total;
  }

  // Packs holding any of the backup's blobs (through a fresh writer's view).
  std::set<std::string> packs_of(const std::vector<int>& chunks) {
    std::unique_ptr<Repository> repo = open_again();
    EXPECT_TRUE(repo->load_index().is_ok());
    std::set<std::string> out;
    for (int n : chunks) {
      auto loc = repo->index().find(repo->hasher().id(chunk_data(n)));
      if (loc) out.insert(repo->index().pack_id(loc->pack).hex());
    }
    return out;
  }

  bool no_prune_records() {
    return !backend_->stat({ObjectKind::kLock, pending_deletion_name(*repo_)}).is_ok() &&
           !backend_->stat({ObjectKind::kLock, deletion_list_name(*repo_)}).is_ok();
  }

  static std::vector<int> range(int from, int to) {
    std::vector<int> out;
    for (int i = from; i < to; ++i) out.push_back(i);
    return out;
  }

  std::map<std::string, std::vector<int>> expected_;
};

TEST_F(PruneTest, DeletesThePacksOnlyDeletedBackupsUsedAndKeepsTheRest) {
  backup("a", range(0, 16));
  backup("b", range(100, 116));
  std::set<std::string> b_packs = packs_of(range(100, 116));
  std::set<std::string> a_packs = packs_of(range(0, 16));
  uint64_t before = stored_pack_bytes();
  forget("b");

  Result<PruneReport> r = prune();
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_GE(r->packs_deleted, b_packs.size());
  EXPECT_EQ(r->snapshots, 1u);
  for (const auto& p : b_packs) EXPECT_FALSE(pack_exists(p)) << p;
  for (const auto& p : a_packs) EXPECT_TRUE(pack_exists(p)) << p;
  EXPECT_GE(before - stored_pack_bytes(), 16 * kChunk);
  EXPECT_TRUE(no_prune_records());
  expect_backups_intact();
  expect_check_passes();

  // Nothing left to do: a second prune changes nothing.
  Result<PruneReport> again = prune();
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->packs_deleted + again->packs_repacked, 0u);
}

TEST_F(PruneTest, RepacksMostlyGarbagePacksByCopyingTheirLiveBlobs) {
  // One writer interleaves the two backups' chunks, so every pack is half
  // "keep" and half "drop".
  {
    BlobWriter writer(*repo_);
    std::vector<int> keep, drop;
    for (int i = 0; i < 24; ++i) (i % 2 ? drop : keep).push_back(i);
    file_tree(*repo_, writer, range(0, 24));  // stores them interleaved
    Tree kt = file_tree(*repo_, writer, keep);
    Tree dt = file_tree(*repo_, writer, drop);
    ASSERT_TRUE(save(*repo_, writer, "keep", kt).is_ok());
    SnapshotManifest m;
    m.name = "drop";
    m.status = BackupStatus::kCompleted;
    Bytes enc = encode_tree(dt);
    m.tree = repo_->hasher().id(enc);
    BlobWriter w2(*repo_);
    ASSERT_TRUE(w2.add(BlobType::kTree, m.tree, enc).is_ok());
    ASSERT_TRUE(w2.flush().is_ok());
    ASSERT_TRUE(repo_->save_snapshot(m).is_ok());
    expected_["keep"] = keep;
  }
  std::set<std::string> mixed = packs_of(range(0, 24));
  ASSERT_GE(mixed.size(), 3u);
  ASSERT_TRUE(repo_->delete_snapshot("drop").is_ok());
  uint64_t before = stored_pack_bytes();

  PruneOptions keep_mixed;
  keep_mixed.max_repack_ratio = 0.6;  // half garbage is below the bar
  Result<PruneReport> r = prune(keep_mixed);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->packs_repacked, 0u);
  for (const auto& p : mixed) EXPECT_TRUE(pack_exists(p));

  PruneOptions options;
  options.max_repack_ratio = 0.3;
  r = prune(options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_GE(r->packs_repacked, mixed.size() - 1);
  EXPECT_GT(r->bytes_copied, 0u);
  for (const auto& p : r->repacked_packs)
    EXPECT_FALSE(pack_exists(p)) << "repacked pack " << p << " is still there";
  uint64_t after = stored_pack_bytes();
  EXPECT_LT(after, before);
  EXPECT_GE(before - after, 10 * kChunk) << "12 dropped chunks should mostly be reclaimed";
  expect_backups_intact();
  expect_check_passes();
}

TEST_F(PruneTest, DryRunReportsThePlanAndChangesNothing) {
  backup("a", range(0, 8));
  backup("b", range(50, 66));
  forget("b");
  auto list_all = [&] {
    std::vector<std::string> all;
    for (ObjectKind k : {ObjectKind::kPack, ObjectKind::kIndex, ObjectKind::kSnapshot, ObjectKind::kLock})
      for (auto& n : object_names(*backend_, k)) all.push_back(n);
    return all;
  };
  std::vector<std::string> before = list_all();
  PruneOptions options;
  options.dry_run = true;
  Result<PruneReport> r = prune(options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->dry_run);
  EXPECT_GE(r->packs_deleted, packs_of(range(50, 66)).size());
  EXPECT_EQ(r->deleted_packs.size(), r->packs_deleted);
  EXPECT_GE(r->reclaimed_bytes, 16 * kChunk);
  EXPECT_EQ(list_all(), before);
}

// A backup that loaded the index before the prune rewrote it deduplicates
// against a blob only a deleted backup used, and writes its snapshot after
// prune phase 1: the prune waits for its lock and keeps that pack.
TEST_F(PruneTest, BackupThatDeduplicatedAgainstGarbageDuringThePruneKeepsItsData) {
  backup("a", range(0, 8));
  backup("old", range(200, 216));
  forget("old");
  std::set<std::string> old_packs = packs_of(range(200, 216));

  Latch loaded, index_rewritten;
  std::atomic<bool> snapshot_saved{false};
  std::thread concurrent;
  PruneOptions options;
  options.hook = [&](PruneStage s) -> bool {
    if (s == PruneStage::kPlanned) {
      concurrent = std::thread([&] {
        std::unique_ptr<Repository> repo = open_again();
        auto lock = RepositoryLock::acquire(*repo, false, "backup", "late");
        ASSERT_TRUE(lock.is_ok());
        ASSERT_TRUE(repo->load_index().is_ok());
        BlobWriter writer(*repo);
        // Chunks 200..203 are deduplicated against the garbage; 300.. are new.
        Tree tree = file_tree(*repo, writer, {200, 201, 202, 203, 300, 301});
        loaded.open();
        index_rewritten.wait();
        ASSERT_TRUE(save(*repo, writer, "late", tree).is_ok());
        snapshot_saved = true;
      });
      loaded.wait();
    }
    if (s == PruneStage::kOldIndexesRemoved) index_rewritten.open();
    if (s == PruneStage::kLocksGone) {
      EXPECT_TRUE(snapshot_saved) << "prune did not wait for the backup";
    }
    return true;
  };
  Result<PruneReport> r = prune(options);
  concurrent.join();
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  expected_["late"] = {200, 201, 202, 203, 300, 301};
  EXPECT_GE(r->locks_waited, 1u);
  EXPECT_GE(r->packs_rescued, 1u);
  EXPECT_TRUE(pack_exists(*packs_of({200}).begin()));
  EXPECT_TRUE(no_prune_records());
  expect_backups_intact();
  expect_check_passes();
  // The rest of the old backup's packs went.
  std::set<std::string> still;
  for (const auto& p : old_packs)
    if (pack_exists(p)) still.insert(p);
  EXPECT_LT(still.size(), old_packs.size());
}

// A running backup's packs are indexed (every 64 packs, and at flush)
// before its snapshot exists, so phase 1 sees them as garbage; they must
// survive because the backup's lock predates the index rewrite.
TEST_F(PruneTest, RunningBackupsIndexedPacksSurviveUntilItsSnapshotIsWritten) {
  backup("a", range(0, 8));
  std::unique_ptr<Repository> repo = open_again();
  auto lock = RepositoryLock::acquire(*repo, false, "backup", "running");
  ASSERT_TRUE(lock.is_ok());
  ASSERT_TRUE(repo->load_index().is_ok());
  BlobWriter writer(*repo);
  Tree tree = file_tree(*repo, writer, range(400, 420));
  Bytes encoded = encode_tree(tree);
  BlobId root = repo->hasher().id(encoded);
  ASSERT_TRUE(writer.add(BlobType::kTree, root, encoded).is_ok());
  ASSERT_TRUE(writer.flush().is_ok());  // packs and index durable, no snapshot yet

  std::thread finisher;
  PruneOptions options;
  options.hook = [&](PruneStage s) -> bool {
    if (s == PruneStage::kOldIndexesRemoved) {
      // The backup's packs are set aside now; a restore of the backup
      // written right now must still work (readers see set-aside packs).
      finisher = std::thread([&] {
        SnapshotManifest m;
        m.name = "running";
        m.status = BackupStatus::kCompleted;
        m.tree = root;
        ASSERT_TRUE(repo->save_snapshot(m).is_ok());
        expected_["running"] = range(400, 420);
        expect_backups_intact();
        lock->reset();
      });
    }
    return true;
  };
  Result<PruneReport> r = prune(options);
  finisher.join();
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_GE(r->packs_rescued, 2u);
  expect_backups_intact();
  expect_check_passes();
}

// Once the old index objects are gone, a backup that starts loads none of
// the set-aside packs, so it stores such a blob anew instead of
// deduplicating against it; readers still see the set-aside copy.
TEST_F(PruneTest, BackupStartingAfterTheIndexRewriteCannotDeduplicateAgainstSetAsidePacks) {
  backup("a", range(0, 8));
  backup("old", range(500, 508));
  forget("old");
  BlobId garbage = repo_->hasher().id(chunk_data(500));
  PruneOptions options;
  options.hook = [&](PruneStage s) -> bool {
    if (s != PruneStage::kOldIndexesRemoved) return true;
    std::unique_ptr<Repository> writer_view = open_again();
    EXPECT_TRUE(writer_view->load_index().is_ok());
    EXPECT_FALSE(writer_view->index().contains(garbage));
    EXPECT_TRUE(writer_view->index().contains(repo_->hasher().id(chunk_data(0))));
    std::unique_ptr<Repository> reader_view = open_again();
    EXPECT_TRUE(reader_view->load_index(nullptr, Repository::PendingPacks::kInclude).is_ok());
    EXPECT_TRUE(reader_view->index().contains(garbage));
    return true;
  };
  Result<PruneReport> r = prune(options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->packs_rescued, 0u);
  std::unique_ptr<Repository> after = open_again();
  ASSERT_TRUE(after->load_index(nullptr, Repository::PendingPacks::kInclude).is_ok());
  EXPECT_FALSE(after->index().contains(garbage));
}

// Backups that begin and end while phase 2 runs (after the locks were
// listed) neither stop the prune nor lose anything, whichever step they
// land on.
TEST_F(PruneTest, BackupsCompletedDuringPhaseTwoAreUntouched) {
  backup("a", range(0, 8));
  backup("old", range(1200, 1216));
  forget("old");
  int n = 0;
  PruneOptions options;
  options.hook = [&](PruneStage s) -> bool {
    if (s == PruneStage::kLocksGone || s == PruneStage::kRescueListed || s == PruneStage::kRescued ||
        s == PruneStage::kDeletionListed) {
      int first = 1300 + 10 * n++;
      backup("during" + std::to_string(n), {0, 1, first, first + 1, first + 2});
    }
    return true;
  };
  Result<PruneReport> r = prune(options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(n, 4);
  expect_backups_intact();
  expect_check_passes();
}

TEST_F(PruneTest, OnlyOnePruneRunsAtATime) {
  backup("a", range(0, 8));
  backup("b", range(600, 608));
  forget("b");
  Status inner;
  PruneOptions options;
  options.hook = [&](PruneStage s) -> bool {
    if (s == PruneStage::kPlanned) inner = prune().status();
    return true;
  };
  ASSERT_TRUE(prune(options).is_ok());
  EXPECT_EQ(inner.code(), ErrorCode::kLocked) << inner.message();
}

TEST_F(PruneTest, RefusesWhenABackupCannotBeReadAndDeletesNothing) {
  backup("a", range(0, 8));
  backup("b", range(700, 708));
  forget("b");
  // Damage a's root tree: what it references is then unknown.
  Result<SnapshotManifest> m = repo_->load_snapshot("a");
  ASSERT_TRUE(m.is_ok());
  ASSERT_TRUE(repo_->load_index().is_ok());
  auto loc = repo_->index().find(m->tree);
  ASSERT_TRUE(loc.has_value());
  flip_byte_in_file(object_path(ObjectKind::kPack, repo_->index().pack_id(loc->pack).hex()),
                    loc->offset + 20);
  std::vector<std::string> packs = object_names(*backend_, ObjectKind::kPack);
  Result<PruneReport> r = prune();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("backup \"a\""), std::string::npos) << r.status().message();
  EXPECT_EQ(object_names(*backend_, ObjectKind::kPack), packs);
}

// A prune stopped after any step leaves every backup readable and the
// repository checking clean; the next prune finishes the job.
class InterruptedPruneTest : public PruneTest, public ::testing::WithParamInterface<PruneStage> {};

TEST_P(InterruptedPruneTest, LeavesAValidRepositoryAndTheNextPruneFinishes) {
  backup("a", range(0, 12));
  {
    BlobWriter writer(*repo_);  // packs half a's, half garbage: repacked
    Tree t = file_tree(*repo_, writer, {900, 12, 901, 13, 902, 14, 903, 15});
    ASSERT_TRUE(save(*repo_, writer, "mix", t).is_ok());
  }
  backup("b", range(800, 816));
  backup("mixkeep", {12, 13, 14, 15});
  ASSERT_TRUE(repo_->delete_snapshot("mix").is_ok());
  forget("b");

  PruneOptions options;
  options.max_repack_ratio = 0.3;
  const PruneStage stop = GetParam();
  bool stopped = false;
  options.hook = [&](PruneStage s) -> bool {
    if (s == stop) {
      stopped = true;
      return false;
    }
    return true;
  };
  EXPECT_EQ(prune(options).status().code(), ErrorCode::kCancelled);
  ASSERT_TRUE(stopped);
  expect_backups_intact();
  expect_check_passes();
  const bool recorded = stop != PruneStage::kPlanned && stop != PruneStage::kRepacked;
  PruneOptions dry;
  dry.dry_run = true;
  Result<PruneReport> plan = prune(dry);
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  EXPECT_EQ(plan->previous_unfinished, recorded);

  PruneOptions finish;
  finish.max_repack_ratio = 0.3;
  Result<PruneReport> r = prune(finish);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->finished_previous, recorded);
  EXPECT_TRUE(no_prune_records());
  expect_backups_intact();
  expect_check_passes();
  for (int n : {800, 900, 901}) {
    std::unique_ptr<Repository> reader = open_again();
    ASSERT_TRUE(reader->load_index(nullptr, Repository::PendingPacks::kInclude).is_ok());
    EXPECT_FALSE(reader->index().contains(reader->hasher().id(chunk_data(n)))) << "chunk " << n;
  }
  std::set<std::string> indexed;
  {
    std::unique_ptr<Repository> reader = open_again();
    ASSERT_TRUE(reader->load_index().is_ok());
    for (uint32_t i = 0; i < reader->index().pack_count(); ++i)
      indexed.insert(reader->index().pack_id(i).hex());
  }
  // The only packs left are indexed ones: nothing set aside was forgotten.
  for (const auto& p : object_names(*backend_, ObjectKind::kPack)) EXPECT_TRUE(indexed.count(p)) << p;
}

INSTANTIATE_TEST_SUITE_P(EveryStep, InterruptedPruneTest,
                         ::testing::Values(PruneStage::kPlanned, PruneStage::kRepacked,
                                           PruneStage::kPendingRecorded, PruneStage::kOldIndexesRemoved,
                                           PruneStage::kLocksGone, PruneStage::kRescueListed,
                                           PruneStage::kRescued, PruneStage::kDeletionListed));

// A damaged PendingDeletion costs only space: readers still open the
// repository, and the next prune drops the record and prunes anew
// without deleting anything the record named.
TEST_F(PruneTest, DamagedRecordOfAnInterruptedPruneIsDroppedAndNothingIsLost) {
  backup("a", range(0, 8));
  backup("b", range(1100, 1116));
  forget("b");
  PruneOptions options;
  options.hook = [&](PruneStage s) -> bool {
    if (s == PruneStage::kOldIndexesRemoved) return false;
    return true;
  };
  EXPECT_EQ(prune(options).status().code(), ErrorCode::kCancelled);
  std::vector<std::string> packs_before = object_names(*backend_, ObjectKind::kPack);
  flip_byte_in_file(object_path(ObjectKind::kLock, pending_deletion_name(*repo_)), 30);
  expect_backups_intact();
  expect_check_passes();
  PruneOptions dry;
  dry.dry_run = true;
  Result<PruneReport> plan = prune(dry);
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  EXPECT_TRUE(plan->previous_unfinished);
  Result<PruneReport> r = prune();
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(no_prune_records());
  EXPECT_EQ(r->packs_deleted, 0u) << "the set-aside packs are unindexed now and must be left alone";
  expect_backups_intact();
  expect_check_passes();
  EXPECT_EQ(object_names(*backend_, ObjectKind::kPack).size(), packs_before.size());
}

// A storage failure at any write or delete of a prune (a put that fails,
// a put whose reply is lost, a remove that fails) stops it with an error
// and loses nothing; the next prune finishes the job.
struct StorageFault {
  const char* what;
  FaultRule rule;
};

class PruneStorageFaultTest : public PruneTest, public ::testing::WithParamInterface<StorageFault> {};

TEST_P(PruneStorageFaultTest, FailsCleanlyAndTheNextPruneFinishes) {
  backup("a", range(0, 12));
  {
    BlobWriter writer(*repo_);
    Tree t = file_tree(*repo_, writer, {1400, 12, 1401, 13, 1402, 14, 1403, 15});
    ASSERT_TRUE(save(*repo_, writer, "mix", t).is_ok());
  }
  backup("b", range(1500, 1516));
  backup("mixkeep", {12, 13, 14, 15});
  ASSERT_TRUE(repo_->delete_snapshot("mix").is_ok());
  forget("b");

  auto faulty = std::make_shared<FaultInjectingBackend>(backend_);
  faulty->add_rule(GetParam().rule);
  Result<std::unique_ptr<Repository>> repo = Repository::open(faulty, kPassword);
  ASSERT_TRUE(repo.is_ok());
  PruneOptions options;
  options.max_repack_ratio = 0.3;
  options.lock_poll_seconds = 0.02;
  Result<PruneReport> failed = prune_repository(**repo, options);
  EXPECT_FALSE(failed.is_ok()) << "the fault did not hit";
  expect_backups_intact();
  expect_check_passes();

  Result<PruneReport> r = prune(options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(no_prune_records());
  expect_backups_intact();
  expect_check_passes();
  std::unique_ptr<Repository> reader = open_again();
  ASSERT_TRUE(reader->load_index().is_ok());
  for (int n : {1500, 1400, 1401}) EXPECT_FALSE(reader->index().contains(reader->hasher().id(chunk_data(n))));
}

FaultRule rule(FaultOp op, ObjectKind kind, uint64_t skip, FaultAction action) {
  FaultRule r;
  r.op = op;
  r.kind = kind;
  r.skip = skip;
  r.action = action;
  return r;
}

INSTANTIATE_TEST_SUITE_P(
    EveryWrite, PruneStorageFaultTest,
    ::testing::Values(
        StorageFault{"RepackedPackPutFails", rule(FaultOp::kPut, ObjectKind::kPack, 0, FaultAction::kFail)},
        StorageFault{"IndexPutReplyLost",
                     rule(FaultOp::kPut, ObjectKind::kIndex, 1, FaultAction::kFailAfter)},
        StorageFault{"RecordPutFails", rule(FaultOp::kPut, ObjectKind::kLock, 1, FaultAction::kFail)},
        StorageFault{"RecordPutReplyLost",
                     rule(FaultOp::kPut, ObjectKind::kLock, 1, FaultAction::kFailAfter)},
        StorageFault{"OldIndexRemoveFails",
                     rule(FaultOp::kRemove, ObjectKind::kIndex, 1, FaultAction::kFail)},
        StorageFault{"DeletionListPutFails", rule(FaultOp::kPut, ObjectKind::kLock, 2, FaultAction::kFail)},
        StorageFault{"PackRemoveFails", rule(FaultOp::kRemove, ObjectKind::kPack, 1, FaultAction::kFail)},
        StorageFault{"PackRemoveReplyLost",
                     rule(FaultOp::kRemove, ObjectKind::kPack, 0, FaultAction::kFailAfter)}),
    [](const ::testing::TestParamInfo<StorageFault>& info) { return std::string(info.param.what); });

TEST(PruneRecordTest, RecordsRoundTripAndRejectDamage) {
  PendingDeletion p;
  p.old_indexes = {std::string(64, 'a'), std::string(64, 'b')};
  p.snapshots = {std::string(64, 'c')};
  IndexPack pack;
  pack.id.bytes.fill(7);
  PackEntry e;
  e.id.bytes.fill(9);
  e.length = 100;
  e.raw_length = 80;
  pack.blobs.push_back(e);
  p.packs.push_back(pack);
  Bytes enc = encode_pending_deletion(p);
  Result<PendingDeletion> back = decode_pending_deletion(enc);
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->old_indexes, p.old_indexes);
  EXPECT_EQ(back->snapshots, p.snapshots);
  ASSERT_EQ(back->packs.size(), 1u);
  EXPECT_EQ(back->packs[0].id, pack.id);
  EXPECT_EQ(back->packs[0].blobs.at(0).length, 100u);
  for (size_t cut = 0; cut < enc.size(); ++cut)
    EXPECT_FALSE(decode_pending_deletion(ByteView(enc).first(cut)).is_ok()) << "cut at " << cut;

  DeletionList list;
  list.packs = {pack.id, e.id};
  Bytes lenc = encode_deletion_list(list);
  Result<DeletionList> lback = decode_deletion_list(lenc);
  ASSERT_TRUE(lback.is_ok());
  EXPECT_EQ(lback->packs, list.packs);
  for (size_t cut = 0; cut < lenc.size(); ++cut)
    EXPECT_FALSE(decode_deletion_list(ByteView(lenc).first(cut)).is_ok()) << "cut at " << cut;
  lenc.push_back(0);
  EXPECT_FALSE(decode_deletion_list(lenc).is_ok());
}

}  // namespace
}  // namespace cairn
