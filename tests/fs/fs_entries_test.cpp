// restore_symlink, ensure_directory, apply_directory_metadata,
// restore_hardlink and sync_filesystem.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "restore/fs_writer.h"
#include "support/temp_dir.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

struct stat lstat_or_fail(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

std::string link_target(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

size_t entry_count(const std::string& dir) {
  size_t n = 0;
  DIR* d = opendir(dir.c_str());
  while (struct dirent* e = d ? readdir(d) : nullptr)
    n += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
  if (d) closedir(d);
  return n;
}

Node symlink_node(const std::string& target, int64_t mtime_ns) {
  Node node;
  node.type = NodeType::kSymlink;
  node.link_target = target;
  node.size = target.size();
  node.mtime_ns = mtime_ns;
  node.uid = 1234;
  node.gid = 5678;
  return node;
}

RestoreOwnership as_root() { return RestoreOwnership{geteuid() == 0}; }

TEST(RestoreSymlinkTest, CreatesLinkWithTimesAndOwner) {
  TempDir tmp;
  Status st =
      restore_symlink(tmp.file("l"), symlink_node("../dangling/target", 1600000000000000042), as_root());
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(link_target(tmp.file("l")), "../dangling/target");
  struct stat s = lstat_or_fail(tmp.file("l"));
  EXPECT_TRUE(S_ISLNK(s.st_mode));
  EXPECT_EQ(s.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(s.st_mtim.tv_nsec, 42);
  if (geteuid() == 0) {
    EXPECT_EQ(s.st_uid, 1234u);
  }
  EXPECT_EQ(entry_count(tmp.path()), 1u);
}

TEST(RestoreSymlinkTest, ReplacesAFileAndAnotherLink) {
  TempDir tmp;
  make_random_file(tmp.file("f"), 10, 1);
  ASSERT_TRUE(restore_symlink(tmp.file("f"), symlink_node("one", 0), {}).is_ok());
  ASSERT_TRUE(restore_symlink(tmp.file("f"), symlink_node("two", 0), {}).is_ok());
  EXPECT_EQ(link_target(tmp.file("f")), "two");
  EXPECT_EQ(entry_count(tmp.path()), 1u);
}

TEST(RestoreSymlinkTest, AFolderInTheWayIsAnErrorAndLeavesNoTemp) {
  TempDir tmp;
  ASSERT_EQ(mkdir(tmp.file("d").c_str(), 0755), 0);
  Status st = restore_symlink(tmp.file("d"), symlink_node("x", 0), {});
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(tmp.file("d")), std::string::npos) << st.message();
  EXPECT_EQ(entry_count(tmp.path()), 1u);
}

TEST(EnsureDirectoryTest, CreatesKeepsOrReplaces) {
  TempDir tmp;
  ASSERT_TRUE(ensure_directory(tmp.file("d")).is_ok());
  EXPECT_TRUE(S_ISDIR(lstat_or_fail(tmp.file("d")).st_mode));
  make_random_file(tmp.file("d/kept"), 3, 1);
  ASSERT_TRUE(ensure_directory(tmp.file("d")).is_ok()) << "an existing folder is fine";
  EXPECT_EQ(entry_count(tmp.file("d")), 1u) << "and keeps its content";

  make_random_file(tmp.file("f"), 3, 1);
  ASSERT_TRUE(ensure_directory(tmp.file("f")).is_ok());
  EXPECT_TRUE(S_ISDIR(lstat_or_fail(tmp.file("f")).st_mode)) << "a file in the way is replaced";

  ASSERT_EQ(symlink("d", tmp.file("l").c_str()), 0);
  ASSERT_TRUE(ensure_directory(tmp.file("l")).is_ok());
  EXPECT_TRUE(S_ISDIR(lstat_or_fail(tmp.file("l")).st_mode)) << "a symlink to a folder is not followed";
  EXPECT_EQ(entry_count(tmp.file("d")), 1u);
}

TEST(EnsureDirectoryTest, MissingParentIsNotFound) {
  TempDir tmp;
  Status st = ensure_directory(tmp.file("no/such"));
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_NE(st.message().find(tmp.file("no/such")), std::string::npos);
}

TEST(ApplyDirectoryMetadataTest, SetsModeTimesAndOwner) {
  TempDir tmp;
  ASSERT_TRUE(ensure_directory(tmp.file("d")).is_ok());
  Node node;
  node.type = NodeType::kDirectory;
  node.mode = 02750 | 01000;
  node.mtime_ns = 1500000000987654321;
  node.uid = 1234;
  node.gid = 5678;
  ASSERT_TRUE(apply_directory_metadata(tmp.file("d"), node, as_root()).is_ok());
  struct stat s = lstat_or_fail(tmp.file("d"));
  EXPECT_EQ(s.st_mode & 07777, 03750u);
  EXPECT_EQ(s.st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(s.st_mtim.tv_nsec, 987654321);
  if (geteuid() == 0) {
    EXPECT_EQ(s.st_gid, 5678u);
  }

  make_random_file(tmp.file("f"), 1, 1);
  EXPECT_FALSE(apply_directory_metadata(tmp.file("f"), node, {}).is_ok()) << "not a folder";
}

TEST(RestoreHardlinkTest, LinksAndReplacesNewPath) {
  TempDir tmp;
  make_random_file(tmp.file("a"), 100, 1);
  make_random_file(tmp.file("b"), 5, 2);
  ASSERT_TRUE(restore_hardlink(tmp.file("a"), tmp.file("b")).is_ok());
  EXPECT_EQ(lstat_or_fail(tmp.file("a")).st_ino, lstat_or_fail(tmp.file("b")).st_ino);
  EXPECT_EQ(lstat_or_fail(tmp.file("a")).st_nlink, 2u);
  // Again: both names are already one file; nothing changes, no temp is left.
  ASSERT_TRUE(restore_hardlink(tmp.file("a"), tmp.file("b")).is_ok());
  EXPECT_EQ(lstat_or_fail(tmp.file("a")).st_nlink, 2u);
  EXPECT_EQ(entry_count(tmp.path()), 2u);
}

TEST(RestoreHardlinkTest, MissingSourceIsNotFound) {
  TempDir tmp;
  Status st = restore_hardlink(tmp.file("none"), tmp.file("b"));
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(entry_count(tmp.path()), 0u);
}

TEST(SyncFilesystemTest, SyncsAFolderAndReportsAMissingOne) {
  TempDir tmp;
  EXPECT_TRUE(sync_filesystem(tmp.path()).is_ok());
  EXPECT_EQ(sync_filesystem(tmp.file("none")).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn
