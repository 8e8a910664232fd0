// Backups of files changed in place (PostgreSQL's way): fixed-size chunks,
// changed chunks stored as deltas against the parent backup's, restores of
// every backup byte for byte, and prune keeping the bases deltas need.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "backup/backup_fixture.h"
#include "repo/check.h"
#include "repo/prune.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

constexpr uint32_t kChunk = 1u << 20;

FsBackupOptions in_place_options() {
  FsBackupOptions options;
  options.fixed_chunk_size = kChunk;
  options.delta_against_parent = true;
  return options;
}

// Rewrites bytes at each offset in place and puts size and mtime back, the
// way PostgreSQL rewriting pages within one second looks.
void rewrite_in_place(const std::string& path, const std::vector<uint64_t>& offsets) {
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  for (uint64_t offset : offsets) ASSERT_EQ(pwrite(fd, "page-rewrite", 12, static_cast<off_t>(offset)), 12);
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(futimens(fd, times), 0);
  close(fd);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(BackupTest, FixedChunksAreExactlyTheGivenSizeWhateverTheContent) {
  const std::string src = tmp_.file("src");
  make_random_file(src + "/table", 5 * kChunk + 1234, 1);
  SnapshotManifest m = backup("first", {src}, in_place_options());
  Result<Tree> root = repo_->read_tree(m.tree);
  ASSERT_TRUE(root.is_ok());
  // Walk down to the file: the tree mirrors the absolute path.
  Tree t = *root;
  for (const auto& part : std::filesystem::path(src + "/table").relative_path()) {
    auto it =
        std::find_if(t.nodes.begin(), t.nodes.end(), [&](const Node& n) { return n.name == part.string(); });
    ASSERT_NE(it, t.nodes.end()) << part;
    if (it->type == NodeType::kFile) {
      ASSERT_EQ(it->content.size(), 6u);
      for (size_t i = 0; i < 5; ++i) EXPECT_EQ(it->content[i].size, kChunk) << "chunk " << i;
      EXPECT_EQ(it->content[5].size, 1234u);
      return;
    }
    Result<Tree> sub = repo_->read_tree(it->subtree);
    ASSERT_TRUE(sub.is_ok());
    t = *sub;
  }
  FAIL() << "the file is not in the backup";
}

TEST_F(BackupTest, InPlaceRewritesKeepingSizeAndMtimeAreStoredAsSmallDeltasAndRestoreExactly) {
  const std::string src = tmp_.file("src");
  const std::string original = make_random_file(src + "/table", 8 * kChunk, 2);
  SnapshotManifest first = backup("first", {src}, in_place_options());
  ASSERT_GT(first.stats.bytes_added, 8u * kChunk);
  // A page rewritten in every chunk: without deltas the whole 8 MiB again.
  std::vector<uint64_t> offsets;
  for (uint64_t i = 0; i < 8; ++i) offsets.push_back(i * kChunk + 8192 * (i + 1));
  ASSERT_NO_FATAL_FAILURE(rewrite_in_place(src + "/table", offsets));
  const std::string changed = file_bytes(src + "/table");
  SnapshotManifest second = backup("second", {src}, in_place_options());
  EXPECT_EQ(second.stats.bytes_read, 8u * kChunk) << "the rewrite must be noticed (ctime)";
  EXPECT_LT(second.stats.bytes_added, 64u * 1024) << "8 rewritten 12-byte runs should cost bytes, not MiB";
  // And a third on top: stored against the first backup's chunks.
  ASSERT_NO_FATAL_FAILURE(rewrite_in_place(src + "/table", {100, 3 * kChunk + 5}));
  const std::string third_bytes = file_bytes(src + "/table");
  SnapshotManifest third = backup("third", {src}, in_place_options());
  EXPECT_LT(third.stats.bytes_added, 64u * 1024);

  const std::pair<const char*, const std::string*> expected[] = {
      {"first", &original}, {"second", &changed}, {"third", &third_bytes}};
  for (const auto& [name, bytes] : expected) {
    const std::string out = tmp_.file(std::string("out-") + name);
    restore(name, out);
    EXPECT_TRUE(file_bytes(out + src + "/table") == *bytes) << name << " restored different bytes";
  }
}

// The restore fetches deltas first, then reads their bases along with the
// whole blobs around them: a base the restore also needs as it is (an
// unchanged copy of the file) serves both, and both come out exact.
TEST_F(BackupTest, ABaseThatIsAlsoRestoredWholeServesBothItsFileAndTheDeltasBuiltOnIt) {
  const std::string src = tmp_.file("src");
  const std::string original = make_random_file(src + "/table", 6 * kChunk, 4);
  {
    std::ofstream copy(src + "/copy", std::ios::binary);
    copy << original;
  }
  backup("first", {src}, in_place_options());
  ASSERT_NO_FATAL_FAILURE(rewrite_in_place(src + "/table", {10, 2 * kChunk + 10, 5 * kChunk + 4096}));
  const std::string changed = file_bytes(src + "/table");
  SnapshotManifest second = backup("second", {src}, in_place_options());
  ASSERT_LT(second.stats.bytes_added, 64u * 1024) << "the rewritten chunks must be stored as deltas";

  reopen();
  const std::string out = tmp_.file("out");
  restore("second", out);
  EXPECT_TRUE(file_bytes(out + src + "/table") == changed) << "the rebuilt deltas differ";
  EXPECT_TRUE(file_bytes(out + src + "/copy") == original) << "the bases restored whole differ";
}

// Pack files under the repository's data/ folder.
std::set<std::string> pack_files(const std::string& repo) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(repo + "/data"))
    if (e.is_regular_file()) out.insert(e.path().string());
  return out;
}

TEST_F(BackupTest, DeltasWhoseBasesAreLostFailTheirFileWithTheReasonAndTheOtherFilesStillRestore) {
  const std::string src = tmp_.file("src");
  make_random_file(src + "/table", 3 * kChunk, 5);
  backup("first", {src}, in_place_options());
  const std::set<std::string> first_packs = pack_files(repo_path_);
  ASSERT_NO_FATAL_FAILURE(rewrite_in_place(src + "/table", {10, kChunk + 10, 2 * kChunk + 10}));
  const std::string other = make_random_file(src + "/other", 100 * 1024, 6);
  SnapshotManifest second = backup("second", {src}, in_place_options());
  ASSERT_LT(second.stats.bytes_added, 200u * 1024) << "every chunk of table must be a delta";
  for (const std::string& pack : first_packs) ASSERT_TRUE(std::filesystem::remove(pack)) << pack;

  const std::string out = tmp_.file("out");
  RestoreResult r = restore("second", out);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].path.find("table"), std::string::npos) << r.errors[0].path;
  EXPECT_NE(r.errors[0].message.find("cannot be rebuilt from its base"), std::string::npos)
      << r.errors[0].message;
  EXPECT_NE(r.errors[0].message.find("missing"), std::string::npos) << r.errors[0].message;
  EXPECT_FALSE(std::filesystem::exists(out + src + "/table"))
      << "a file that failed must not be left half written";
  EXPECT_TRUE(file_bytes(out + src + "/other") == other);
}

TEST_F(BackupTest, PruneAfterForgettingTheFirstBackupKeepsTheBasesLaterDeltasNeed) {
  const std::string src = tmp_.file("src");
  make_random_file(src + "/table", 4 * kChunk, 3);
  backup("first", {src}, in_place_options());
  ASSERT_NO_FATAL_FAILURE(
      rewrite_in_place(src + "/table", {10, kChunk + 10, 2 * kChunk + 10, 3 * kChunk + 10}));
  const std::string changed = file_bytes(src + "/table");
  SnapshotManifest second = backup("second", {src}, in_place_options());
  ASSERT_LT(second.stats.bytes_added, 64u * 1024);

  reopen();
  ASSERT_TRUE(repo_->delete_snapshot("first").is_ok());
  PruneOptions prune;
  prune.max_repack_ratio = 0;  // repack every pack with garbage: the bases' packs must survive that too
  Result<PruneReport> report = prune_repository(*repo_, prune, nullptr);
  ASSERT_TRUE(report.is_ok()) << report.status().message();

  reopen();
  Result<CheckReport> check = check_repository(*repo_, CheckOptions{true, 1}, nullptr);
  ASSERT_TRUE(check.is_ok()) << check.status().message();
  EXPECT_TRUE(check->ok()) << check->problems[0].object << ": " << check->problems[0].message;
  const std::string out = tmp_.file("out");
  restore("second", out);
  EXPECT_TRUE(file_bytes(out + src + "/table") == changed);
}

}  // namespace
}  // namespace cairn
