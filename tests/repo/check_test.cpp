// check: a sound repository is ok; each kind of damage is reported with the
// object that holds it and with the backups and files it costs.
//
// Two levels: without read_data check is structure-only (indexes, pack
// headers, snapshots, trees); it does not read blob contents, so a flipped
// byte inside a data blob is found only with read_data. A missing pack is
// found by both.
#include "repo/check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "repo/index.h"
#include "repo/pack.h"
#include "repo_test_util.h"

namespace cairn {
namespace {

// One backup: a single file whose content is one data blob. The data blob
// and the tree go in separate packs, so losing the data still leaves the
// tree readable and the file can be named.
struct TestBackup {
  std::string name;
  std::string file;  // path in the backup
  Bytes content;
  BlobId data;
  BlobId tree;
};

class CheckTest : public RepoTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RepoTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(make_backup(a_, "monday", "a.txt", random_data(20'000, 1), 1'000));
    ASSERT_NO_FATAL_FAILURE(make_backup(b_, "tuesday", "b.txt", compressible_data(20'000), 2'000));
  }

  void make_backup(TestBackup& backup, std::string name, std::string file, Bytes content, TimeNs started) {
    backup.name = std::move(name);
    backup.file = "/" + file;
    backup.content = std::move(content);
    backup.data = store_blobs(*repo_, {{BlobType::kData, backup.content}})[0];
    Tree tree;
    Node node;
    node.name = std::move(file);
    node.size = backup.content.size();
    node.content = {{backup.data, static_cast<uint32_t>(backup.content.size())}};
    tree.nodes.push_back(node);
    backup.tree = store_blobs(*repo_, {{BlobType::kTree, encode_tree(tree)}})[0];
    SnapshotManifest m;
    m.name = backup.name;
    m.tree = backup.tree;
    m.started = started;
    Status s = repo_->save_snapshot(m);
    ASSERT_TRUE(s.is_ok()) << s.message();
  }

  // Runs check the way the CLI does: from a freshly opened repository.
  CheckReport check(bool read_data, CheckProgress* progress = nullptr) {
    std::unique_ptr<Repository> repo = open_again();
    if (!repo) return {};
    CheckOptions options;
    options.read_data = read_data;
    Result<CheckReport> report = check_repository(*repo, options, progress);
    EXPECT_TRUE(report.is_ok()) << report.status().message();
    return report.is_ok() ? std::move(*report) : CheckReport{};
  }

  std::string pack_of(const BlobId& id) {
    return "data/" + repo_->index().pack_id(repo_->index().find(id)->pack).hex();
  }

  // The index object that names the pack holding id.
  std::string index_naming(const BlobId& id) {
    const PackId pack = repo_->index().pack_id(repo_->index().find(id)->pack);
    for (const auto& name : object_names(*backend_, ObjectKind::kIndex)) {
      Result<std::vector<IndexPack>> packs = decode_index(*repo_->get_sealed(ObjectKind::kIndex, name));
      for (const auto& p : *packs)
        if (p.id == pack) return name;
    }
    ADD_FAILURE() << "no index names the pack of " << id.hex();
    return "";
  }

  // Flips a byte in the middle of a blob's ciphertext, inside its pack file.
  void flip_byte_inside(const BlobId& id) {
    const BlobLocation loc = *repo_->index().find(id);
    flip_byte_in_file(pack_path_of(id), loc.offset + kNonceSize + (loc.length - kSealOverhead) / 2);
  }

  TestBackup a_, b_;
};

std::vector<std::string> problem_objects(const CheckReport& r) {
  std::vector<std::string> out;
  for (const auto& p : r.problems) out.push_back(p.object);
  return out;
}

bool has_problem(const CheckReport& r, const std::string& object, const std::string& words = "") {
  return std::any_of(r.problems.begin(), r.problems.end(), [&](const CheckProblem& p) {
    return p.object == object && p.message.find(words) != std::string::npos;
  });
}

std::string describe(const CheckReport& r) {
  std::string out;
  for (const auto& p : r.problems) out += "\n  " + p.object + ": " + p.message;
  for (const auto& f : r.affected_files) out += "\n  affected " + f.backup + " " + f.path;
  return out;
}

TEST_F(CheckTest, CleanRepositoryWithTwoBackupsIsOk) {
  for (bool read_data : {false, true}) {
    CheckProgress progress;
    CheckReport r = check(read_data, &progress);
    EXPECT_TRUE(r.ok()) << "read_data=" << read_data << describe(r);
    EXPECT_EQ(r.snapshots, 2u);
    EXPECT_EQ(r.trees, 2u);
    EXPECT_EQ(r.packs, 4u);
    EXPECT_EQ(r.blobs, 4u);
    EXPECT_EQ(r.unreferenced_packs, 0u);
    EXPECT_TRUE(r.affected_backups.empty());
    EXPECT_TRUE(r.affected_files.empty());
    EXPECT_EQ(progress.packs_done.load(), 4u);
    EXPECT_EQ(progress.packs_total.load(), 4u);
    if (read_data) {
      EXPECT_GT(r.bytes_read, 20'000u);
    } else {
      EXPECT_EQ(r.bytes_read, 0u);
    }
  }
}

TEST_F(CheckTest, ReadDataFindsAFlippedByteInADataBlobAndNamesItsBackupAndFile) {
  flip_byte_inside(a_.data);
  CheckReport r = check(/*read_data=*/true);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_problem(r, pack_of(a_.data), a_.data.hex().substr(0, 16))) << describe(r);
  EXPECT_EQ(r.affected_backups, std::vector<std::string>{"monday"});
  ASSERT_EQ(r.affected_files.size(), 1u) << describe(r);
  EXPECT_EQ(r.affected_files[0].backup, "monday");
  EXPECT_EQ(r.affected_files[0].path, a_.file);
}

// Structure-only by design: without read_data no blob is read, so damage
// inside a blob that leaves the pack header intact goes unnoticed.
TEST_F(CheckTest, WithoutReadDataAFlippedByteInADataBlobIsNotDetected) {
  flip_byte_inside(a_.data);
  CheckReport r = check(/*read_data=*/false);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.bytes_read, 0u);
  EXPECT_FALSE(repo_->read_blob(a_.data).is_ok()) << "the byte flip should have damaged the blob";
}

TEST_F(CheckTest, MissingPackIsFoundWithoutReadData) {
  const std::string pack = pack_of(a_.data);
  ASSERT_TRUE(std::filesystem::remove(pack_path_of(a_.data)));
  CheckReport r = check(/*read_data=*/false);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_problem(r, pack, "missing")) << describe(r);
  EXPECT_EQ(r.affected_backups, std::vector<std::string>{"monday"});
  ASSERT_EQ(r.affected_files.size(), 1u) << describe(r);
  EXPECT_EQ(r.affected_files[0].path, a_.file);
}

TEST_F(CheckTest, MissingTreePackLosesTheWholeBackup) {
  const std::string pack = pack_of(b_.tree);
  ASSERT_TRUE(std::filesystem::remove(pack_path_of(b_.tree)));
  CheckReport r = check(/*read_data=*/false);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_problem(r, pack, "missing")) << describe(r);
  EXPECT_TRUE(has_problem(r, "tree " + b_.tree.hex().substr(0, 16), "tuesday")) << describe(r);
  EXPECT_EQ(r.affected_backups, std::vector<std::string>{"tuesday"});
}

TEST_F(CheckTest, DamagedPackHeaderIsFoundWithoutReadData) {
  const std::string path = pack_path_of(a_.data);
  const size_t size = read_file(path).size();
  flip_byte_in_file(path, size - 10);  // inside the sealed header
  CheckReport r = check(/*read_data=*/false);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_problem(r, pack_of(a_.data), "header")) << describe(r);
  EXPECT_EQ(r.affected_backups, std::vector<std::string>{"monday"});
}

// With read_data a damaged header does not hide intact blobs: they are
// still verified one by one, so the file is not reported as lost.
TEST_F(CheckTest, ReadDataVerifiesBlobsOfAPackWithADamagedHeader) {
  const std::string path = pack_path_of(a_.data);
  flip_byte_in_file(path, read_file(path).size() - 10);
  CheckReport r = check(/*read_data=*/true);
  EXPECT_TRUE(has_problem(r, pack_of(a_.data), "header")) << describe(r);
  EXPECT_TRUE(r.affected_files.empty()) << describe(r);
}

TEST_F(CheckTest, FlippedByteInAnIndexIsReportedAsADamagedIndex) {
  const std::string index = index_naming(a_.data);
  flip_byte_in_file(object_path(ObjectKind::kIndex, index), 30);
  CheckReport r = check(/*read_data=*/false);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_problem(r, "index/" + index, "damaged")) << describe(r);
  // Its blobs are no longer indexed, so the file that needs them is reported.
  ASSERT_EQ(r.affected_files.size(), 1u) << describe(r);
  EXPECT_EQ(r.affected_files[0].path, a_.file);
}

TEST_F(CheckTest, DamagedSnapshotIsReported) {
  const std::string snapshot = repo_->snapshot_object_name("tuesday");
  flip_byte_in_file(object_path(ObjectKind::kSnapshot, snapshot), 15);
  CheckReport r = check(/*read_data=*/false);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_problem(r, "snapshots/" + snapshot)) << describe(r);
  EXPECT_EQ(r.snapshots, 1u);
}

TEST_F(CheckTest, DamagedKeyFileIsReported) {
  const std::string name(64, 'c');
  ASSERT_TRUE(backend_->put({ObjectKind::kKey, name}, as_bytes("{\"version\": 1, \"kdf\": 3}")).is_ok());
  CheckReport r = check(/*read_data=*/false);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_problem(r, "keys/" + name)) << describe(r);
  EXPECT_TRUE(r.affected_backups.empty());
}

// A pack no index names is what an interrupted backup leaves behind: space
// to reclaim, not damage.
TEST_F(CheckTest, UnindexedPackIsCountedButIsNoProblem) {
  PackBuilder pack;
  const Bytes bytes = pack.finish(repo_->sealer());
  ASSERT_TRUE(backend_->put({ObjectKind::kPack, std::string(64, 'd')}, bytes).is_ok());
  CheckReport r = check(/*read_data=*/true);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.unreferenced_packs, 1u);
  EXPECT_EQ(r.packs, 5u);
}

TEST_F(CheckTest, ProblemsNameOnlyDamagedObjects) {
  flip_byte_inside(b_.data);
  CheckReport r = check(/*read_data=*/true);
  EXPECT_FALSE(r.ok());
  for (const auto& object : problem_objects(r)) EXPECT_EQ(object, pack_of(b_.data)) << describe(r);
  EXPECT_EQ(r.affected_backups, std::vector<std::string>{"tuesday"});
}

}  // namespace
}  // namespace cairn
