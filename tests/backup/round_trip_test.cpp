// Backing up a tree and restoring it gives back the same tree: bytes,
// modes, owners, times with nanoseconds, symlinks, hard links and holes.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "backup/backup_fixture.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST_F(BackupTest, RoundTripOfEveryKindOfEntryIsIdentical) {
  std::string src = tmp_.file("src");
  make_every_kind_tree(src);
  SnapshotManifest m = backup("every-kind", {src});
  EXPECT_EQ(m.status, BackupStatus::kCompleted);
  EXPECT_TRUE(m.errors.empty());
  // The socket and the fifo are skipped, each with a warning naming it.
  ASSERT_EQ(m.warnings.size(), 2u);
  EXPECT_NE(m.warnings[0].path.find("special/"), std::string::npos);

  std::string out = tmp_.file("out");
  RestoreResult r = restore("every-kind", out);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front().path << ": " << r.errors.front().message;
  CompareOptions opts;
  opts.compare_owner = geteuid() == 0;
  opts.check_allocated_size = true;
  EXPECT_EQ(joined(compare_trees(src, out + src, opts)), "");
}

TEST_F(BackupTest, RestoreInWindowsOfTwoFilesIsIdenticalIncludingLinksAcrossWindows) {
  std::string src = tmp_.file("src");
  make_every_kind_tree(src);
  for (int i = 0; i < 7; ++i) {
    std::ofstream(src + "/many-" + std::to_string(i)) << std::string(static_cast<size_t>(i) * 1000, 'x');
  }
  ASSERT_EQ(link((src + "/many-3").c_str(), (src + "/many-link").c_str()), 0);
  backup("windows", {src});

  restore_window_ = 2;
  std::string out = tmp_.file("out");
  RestoreResult r = restore("windows", out);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front().path << ": " << r.errors.front().message;
  EXPECT_GE(r.files, 8u);
  CompareOptions opts;
  opts.compare_owner = geteuid() == 0;
  opts.check_allocated_size = true;
  EXPECT_EQ(joined(compare_trees(src, out + src, opts)), "");
}

// Writes the file's pages to disk and drops them from the page cache;
// returns how many of its pages are still cached.
size_t evict_from_page_cache(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return SIZE_MAX;
  fdatasync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  struct stat st;
  fstat(fd, &st);
  void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return SIZE_MAX;
  std::vector<unsigned char> pages((static_cast<size_t>(st.st_size) + 4095) / 4096);
  mincore(map, static_cast<size_t>(st.st_size), pages.data());
  munmap(map, static_cast<size_t>(st.st_size));
  size_t cached = 0;
  for (unsigned char p : pages) cached += p & 1;
  return cached;
}

// Large files not in the page cache are read with O_DIRECT, in aligned
// blocks into a buffer whose leftover is moved to a block boundary between
// reads; sizes around and off the block size and the maximum chunk must
// all come back byte for byte, and exactly their size must be counted read.
TEST_F(BackupTest, UncachedLargeFilesReadDirectlyComeBackIdentical) {
  const std::string src = tmp_.file("src");
  std::filesystem::create_directories(src);
  const std::vector<size_t> sizes = {1u << 20, (1u << 20) + 1, (5u << 20) + 123, 9u << 20, (4u << 20) - 4095};
  uint64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string f = src + "/f" + std::to_string(i);
    make_random_file(f, sizes[i], 900 + i);
    total += sizes[i];
  }
  size_t cached = 0;
  for (size_t i = 0; i < sizes.size(); ++i) cached += evict_from_page_cache(src + "/f" + std::to_string(i));
  if (cached != 0)
    GTEST_SKIP() << "this file system keeps the files cached: the direct path cannot be reached";

  SnapshotManifest m = backup("direct", {src});
  EXPECT_EQ(m.status, BackupStatus::kCompleted);
  EXPECT_TRUE(m.warnings.empty());
  EXPECT_EQ(m.stats.bytes_read, total);
  std::string out = tmp_.file("out");
  RestoreResult r = restore("direct", out);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(joined(compare_trees(src, out + src)), "");
}

TEST_F(BackupTest, RestoreKeepsHolesOfSparseFiles) {
  std::string src = tmp_.file("src");
  make_every_kind_tree(src);
  backup("sparse", {src});
  std::string out = tmp_.file("out");
  restore("sparse", out);
  struct stat st;
  ASSERT_EQ(stat((out + src + "/" + every_kind::kSparseFile).c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), every_kind::kSparseSize);
  // Two 64 KiB extents hold data; the 8 MiB file must not be fully allocated.
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, every_kind::kSparseSize / 2);
}

TEST_F(BackupTest, RestoreOverwritesSameNamesAndLeavesOtherFilesAlone) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/a", 1000, 1);
  make_random_file(src + "/b", 1000, 2);
  backup("b1", {src});
  std::string out = tmp_.file("out");
  std::string restored = out + src;
  ASSERT_EQ(system(("mkdir -p '" + restored + "'").c_str()), 0);
  make_random_file(restored + "/a", 50, 99);      // same name: replaced
  make_random_file(restored + "/other", 10, 98);  // not in the backup: kept
  restore("b1", out);
  std::ifstream a(restored + "/a", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(a)), {});
  EXPECT_EQ(content, random_bytes(1000, 1));
  EXPECT_EQ(access((restored + "/other").c_str(), F_OK), 0);
}

TEST_F(BackupTest, RestoreOfIncludedPathsRestoresOnlyThose) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/keep/one", 5000, 1);
  make_random_file(src + "/keep/sub/two", 5000, 2);
  make_random_file(src + "/skip/three", 5000, 3);
  make_random_file(src + "/single", 100, 4);
  make_random_file(src + "/not-this", 100, 5);
  backup("inc", {src});
  std::string out = tmp_.file("out");
  RestoreResult r = restore("inc", out, {src + "/keep", src + "/single"});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.files, 3u);
  EXPECT_EQ(access((out + src + "/keep/one").c_str(), F_OK), 0);
  EXPECT_EQ(access((out + src + "/keep/sub/two").c_str(), F_OK), 0);
  EXPECT_EQ(access((out + src + "/single").c_str(), F_OK), 0);
  EXPECT_NE(access((out + src + "/skip").c_str(), F_OK), 0);
  EXPECT_NE(access((out + src + "/not-this").c_str(), F_OK), 0);
}

TEST_F(BackupTest, IncludeMatchingNothingIsAnErrorAndRestoresNothing) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/a", 100, 1);
  backup("none", {src});
  reopen();
  auto snap = repo_->load_snapshot("none");
  ASSERT_TRUE(snap.is_ok());
  RestoreOptions o;
  o.target = tmp_.file("out");
  o.includes = {src + "/does-not-exist"};
  auto r = restore_snapshot(*repo_, *snap, o, nullptr);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
}

TEST_F(BackupTest, SeveralPathsShareTheirParentFolders) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/x/one", 100, 1);
  make_random_file(src + "/y/two", 100, 2);
  make_random_file(src + "/z/three", 100, 3);
  SnapshotManifest m = backup("multi", {src + "/x", src + "/y"});
  EXPECT_EQ(m.stats.files, 2u);
  std::string out = tmp_.file("out");
  restore("multi", out);
  EXPECT_EQ(joined(compare_trees(src + "/x", out + src + "/x")), "");
  EXPECT_EQ(joined(compare_trees(src + "/y", out + src + "/y")), "");
  EXPECT_NE(access((out + src + "/z").c_str(), F_OK), 0);
}

TEST_F(BackupTest, BackupOfASingleFileRestoresIt) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/only", 300000, 7);
  backup("file", {src + "/only"});
  std::string out = tmp_.file("out");
  restore("file", out);
  EXPECT_EQ(joined(compare_trees(src, out + src, CompareOptions{.compare_dir_mtime = false})), "");
}

}  // namespace
}  // namespace cairn
