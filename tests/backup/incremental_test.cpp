// A second backup reuses the first: unchanged files are not read, only
// changed chunks are stored.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "backup/backup_fixture.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

void make_small_file_tree(const std::string& root, int files) {
  for (int i = 0; i < files; ++i) {
    std::string dir = root + "/d" + std::to_string(i / 100);
    make_random_file(dir + "/f" + std::to_string(i), 1000 + (i * 37) % 3000, static_cast<uint64_t>(i));
  }
}

TEST_F(BackupTest, SecondBackupOfUnchangedTenThousandFilesReadsNoContentAndAddsUnderOnePercent) {
  std::string src = tmp_.file("src");
  make_small_file_tree(src, 10000);
  SnapshotManifest first = backup("first", {src});
  ASSERT_EQ(first.stats.files, 10000u);
  ASSERT_GT(first.stats.bytes_read, 0u);
  SnapshotManifest second = backup("second", {src});
  EXPECT_EQ(second.parent, "first");
  EXPECT_EQ(second.stats.bytes_read, 0u);
  EXPECT_EQ(second.stats.files_unchanged, 10000u);
  EXPECT_LT(second.stats.bytes_added * 100, first.stats.bytes_added);
}

TEST_F(BackupTest, ChangedFileWithSameSizeAndMtimeIsReadAgain) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/db", 100000, 1);
  struct stat before;
  ASSERT_EQ(stat((src + "/db").c_str(), &before), 0);
  backup("first", {src});
  // Rewrite one byte and put the mtime back: only ctime tells.
  int fd = open((src + "/db").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "X", 1, 5000), 1);
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(futimens(fd, times), 0);
  close(fd);
  SnapshotManifest second = backup("second", {src});
  EXPECT_EQ(second.stats.files_unchanged, 0u);
  EXPECT_EQ(second.stats.bytes_read, 100000u);
  std::string out = tmp_.file("out");
  restore("second", out);
  std::ifstream in(out + src + "/db", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(content.size(), 100000u);
  EXPECT_EQ(content[5000], 'X');
}

TEST_F(BackupTest, InsertNearStartOfLargeFileStoresOnlyTheChunksAroundIt) {
  std::string src = tmp_.file("src");
  std::string data = make_random_file(src + "/big", 24u << 20, 3);
  SnapshotManifest first = backup("first", {src});
  data.insert(4096, std::string(100, 'i'));
  {
    std::ofstream out(src + "/big", std::ios::binary | std::ios::trunc);
    out << data;
  }
  SnapshotManifest second = backup("second", {src});
  EXPECT_EQ(second.stats.bytes_read, data.size());
  // Chunks average 512 KiB and are at most 2 MiB: a local change costs at
  // most two chunks plus the tree, far less than the 24 MiB file.
  EXPECT_LT(second.stats.bytes_added, 4u << 20);
  EXPECT_GT(first.stats.bytes_added, 20u << 20);
}

TEST_F(BackupTest, FullBackupReadsEveryFileAgain) {
  std::string src = tmp_.file("src");
  make_small_file_tree(src, 50);
  SnapshotManifest first = backup("first", {src});
  FsBackupOptions o;
  o.use_parent = false;
  SnapshotManifest full = backup("full", {src}, o);
  EXPECT_EQ(full.parent, "");
  EXPECT_EQ(full.stats.files_unchanged, 0u);
  EXPECT_EQ(full.stats.bytes_read, first.stats.bytes_read);
  // File contents all deduplicate; only folder trees above the source may
  // be new (their mtimes change as other tests use the temp folder).
  EXPECT_LT(full.stats.bytes_added * 20, first.stats.bytes_added);
}

TEST_F(BackupTest, ExcludeGlobsAndMarkerFilesLeaveEntriesOut) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/keep.txt", 10, 1);
  make_random_file(src + "/drop.log", 10, 2);
  make_random_file(src + "/cache/blob", 10, 3);
  make_random_file(src + "/cache/.cairn-exclude", 0, 4);
  make_random_file(src + "/tmp/x", 10, 5);
  FsBackupOptions o;
  o.exclude_globs = {"*.log", src + "/tmp"};
  SnapshotManifest m = backup("ex", {src}, o);
  EXPECT_EQ(m.stats.files, 1u);
  std::string out = tmp_.file("out");
  restore("ex", out);
  EXPECT_EQ(access((out + src + "/keep.txt").c_str(), F_OK), 0);
  EXPECT_NE(access((out + src + "/drop.log").c_str(), F_OK), 0);
  EXPECT_NE(access((out + src + "/cache").c_str(), F_OK), 0);
  EXPECT_NE(access((out + src + "/tmp").c_str(), F_OK), 0);
}

TEST_F(BackupTest, DuplicateBackupNameIsRefusedBeforeReadingAnything) {
  std::string src = tmp_.file("src");
  make_random_file(src + "/a", 10, 1);
  backup("same", {src});
  reopen();
  FsBackupOptions o;
  o.name = "same";
  o.paths = {src};
  auto r = run_fs_backup(*repo_, o, nullptr);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kAlreadyExists);
}

}  // namespace
}  // namespace cairn
