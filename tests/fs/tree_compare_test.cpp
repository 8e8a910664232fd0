// compare_trees must notice every kind of difference a broken restore
// could make, and nothing else.
#include "support/tree_compare.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "support/temp_dir.h"

namespace cairn {
namespace {

using every_kind::kBaseMtimeNs;

std::string quote(const std::string& path) { return "'" + path + "'"; }

// Changes to a copy must not touch any other metadata; these helpers put
// back what the change would otherwise move.
struct timespec mtime_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mtim;
}
void restore_mtime(const std::string& path, struct timespec mtime) {
  struct timespec times[2] = {mtime, mtime};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

class TreeCompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    make_every_kind_tree(expected_);
    // --sparse=always: cp's default (auto) keeps holes too, but say it.
    std::string cmd = "cp -a --sparse=always " + quote(expected_) + " " + quote(actual_);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::string e(const std::string& rel) const { return expected_ + "/" + rel; }
  std::string a(const std::string& rel) const { return actual_ + "/" + rel; }

  // The single difference compare_trees reports, or a failure.
  std::string only_difference() {
    std::vector<std::string> diffs = compare_trees(expected_, actual_);
    EXPECT_EQ(diffs.size(), 1u) << ::testing::PrintToString(diffs);
    return diffs.empty() ? "" : diffs[0];
  }

  TempDir tmp_;
  std::string expected_ = tmp_.file("expected");
  std::string actual_ = tmp_.file("actual");
};

TEST_F(TreeCompareTest, CopyIsIdentical) {
  EXPECT_EQ(compare_trees(expected_, actual_), std::vector<std::string>{});
  CompareOptions strict;
  strict.check_allocated_size = true;
  strict.allocated_slack_bytes = 0;
  EXPECT_EQ(compare_trees(expected_, actual_, strict), std::vector<std::string>{});
}

TEST_F(TreeCompareTest, EveryKindTreeHasWhatItPromises) {
  struct stat st {};
  ASSERT_EQ(lstat(e(every_kind::kSparseFile).c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), every_kind::kSparseSize);
  ASSERT_EQ(lstat(e(every_kind::kHardLinks[2]).c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);
  ASSERT_EQ(lstat(e(every_kind::kSetuidFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  ASSERT_EQ(lstat(e(every_kind::kStickyDir).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  ASSERT_EQ(lstat(e(every_kind::kNonUtf8Name).c_str(), &st), 0);
  ASSERT_EQ(lstat(e(every_kind::kSocket).c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  ASSERT_EQ(lstat(e(every_kind::kFifo).c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_EQ(lstat(e("links/dangling").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_mtim.tv_nsec, mtime_of(e("links/dangling")).tv_nsec);
  ASSERT_EQ(lstat(e("a/b/c/deep.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, kBaseMtimeNs);
  if (geteuid() == 0) {
    ASSERT_EQ(lstat(e(every_kind::kOwnedFile).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
  }
}

TEST_F(TreeCompareTest, DetectsOneChangedByte) {
  auto mtime = mtime_of(a(every_kind::kBigFile));
  int fd = open(a(every_kind::kBigFile).c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char byte = 0;
  ASSERT_EQ(pread(fd, &byte, 1, 2000000), 1);
  byte = static_cast<char>(byte ^ 1);
  ASSERT_EQ(pwrite(fd, &byte, 1, 2000000), 1);
  close(fd);
  restore_mtime(a(every_kind::kBigFile), mtime);
  EXPECT_EQ(only_difference(), std::string(every_kind::kBigFile) + ": content differs at byte 2000000");
}

TEST_F(TreeCompareTest, DetectsSizeChange) {
  auto mtime = mtime_of(a("files/size-1"));
  ASSERT_EQ(truncate(a("files/size-1").c_str(), 2), 0);
  restore_mtime(a("files/size-1"), mtime);
  EXPECT_EQ(only_difference(), "files/size-1: size differs: 1 expected, 2 actual");
}

TEST_F(TreeCompareTest, DetectsModeChange) {
  ASSERT_EQ(chmod(a(every_kind::kSetuidFile).c_str(), 0755), 0);
  EXPECT_EQ(only_difference(),
            std::string(every_kind::kSetuidFile) + ": mode differs: 04755 expected, 0755 actual");
}

TEST_F(TreeCompareTest, DetectsNanosecondMtimeChangeOnFileSymlinkAndFolder) {
  for (const char* rel : {"files/size-0", "links/relative", "a/b"}) {
    struct timespec m = mtime_of(a(rel));
    m.tv_nsec = (m.tv_nsec + 1) % 1000000000;
    restore_mtime(a(rel), m);
    std::string diff = only_difference();
    EXPECT_EQ(diff.rfind(std::string(rel) + ": mtime differs: ", 0), 0u) << diff;
    restore_mtime(a(rel), mtime_of(e(rel)));
  }
  CompareOptions no_dir_mtime;
  no_dir_mtime.compare_dir_mtime = false;
  struct timespec m = mtime_of(a("a/b"));
  m.tv_sec += 1;
  restore_mtime(a("a/b"), m);
  EXPECT_TRUE(compare_trees(expected_, actual_, no_dir_mtime).empty());
}

TEST_F(TreeCompareTest, DetectsOwnerChange) {
  if (geteuid() != 0) GTEST_SKIP() << "chown to another user needs root";
  ASSERT_EQ(lchown(a("links/absolute").c_str(), 4321, 8765), 0);
  EXPECT_EQ(only_difference().rfind("links/absolute: owner differs: ", 0), 0u);
  CompareOptions no_owner;
  no_owner.compare_owner = false;
  EXPECT_TRUE(compare_trees(expected_, actual_, no_owner).empty());
}

TEST_F(TreeCompareTest, DetectsSymlinkTarget) {
  auto dir_mtime = mtime_of(a("links"));
  ASSERT_EQ(unlink(a("links/dangling").c_str()), 0);
  ASSERT_EQ(symlink("elsewhere", a("links/dangling").c_str()), 0);
  restore_mtime(a("links/dangling"), mtime_of(e("links/dangling")));
  restore_mtime(a("links"), dir_mtime);
  EXPECT_EQ(only_difference(),
            "links/dangling: symlink target differs: 'does-not-exist' expected, 'elsewhere' actual");
}

TEST_F(TreeCompareTest, DetectsABrokenHardLink) {
  const std::string rel = every_kind::kHardLinks[2];
  auto dir_mtime = mtime_of(a("a"));
  std::string cmd = "cp -p " + quote(a(rel)) + " " + quote(a(rel) + ".copy") + " && mv " +
                    quote(a(rel) + ".copy") + " " + quote(a(rel));
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  restore_mtime(a("a"), dir_mtime);
  EXPECT_EQ(only_difference(),
            "hard links differ: a/hard-3, files/hard-1, files/hard-2 are one file in expected but 2 files in "
            "actual");
}

TEST_F(TreeCompareTest, DetectsAnExtraHardLink) {
  // Two equal files on both sides; in actual they become one file.
  for (const std::string& root : {expected_, actual_}) {
    auto dir_mtime = mtime_of(root + "/empty");
    for (const char* name : {"/empty/x1", "/empty/x2"}) {
      make_random_file(root + name, 10, 99);
      restore_mtime(root + name, dir_mtime);
    }
    if (root == actual_) {
      ASSERT_EQ(unlink(a("empty/x2").c_str()), 0);
      ASSERT_EQ(link(a("empty/x1").c_str(), a("empty/x2").c_str()), 0);
    }
    restore_mtime(root + "/empty", dir_mtime);
  }
  EXPECT_EQ(only_difference(),
            "hard links differ: empty/x1, empty/x2 are one file in actual but 2 files in expected");
}

TEST_F(TreeCompareTest, DetectsAFilledHole) {
  struct stat st {};
  ASSERT_EQ(lstat(e(every_kind::kSparseFile).c_str(), &st), 0);
  if (static_cast<uint64_t>(st.st_blocks) * 512 >= every_kind::kSparseSize) {
    GTEST_SKIP() << "the file system under " << tmp_.path() << " does not keep holes";
  }
  auto mtime = mtime_of(a(every_kind::kSparseFile));
  std::string zeros(every_kind::kSparseSecondOffset - every_kind::kSparseExtent, '\0');
  int fd = open(a(every_kind::kSparseFile).c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, zeros.data(), zeros.size(), every_kind::kSparseExtent),
            static_cast<ssize_t>(zeros.size()));
  close(fd);
  restore_mtime(a(every_kind::kSparseFile), mtime);
  // Still sparse (the trailing hole is left), so only the allocation check sees it.
  EXPECT_TRUE(compare_trees(expected_, actual_).empty());
  CompareOptions alloc;
  alloc.check_allocated_size = true;
  std::vector<std::string> diffs = compare_trees(expected_, actual_, alloc);
  ASSERT_EQ(diffs.size(), 1u) << ::testing::PrintToString(diffs);
  EXPECT_EQ(diffs[0].rfind(std::string(every_kind::kSparseFile) + ": allocates too much: ", 0), 0u)
      << diffs[0];

  // Filling the trailing hole too leaves no hole at all.
  fd = open(a(every_kind::kSparseFile).c_str(), O_WRONLY | O_CLOEXEC);
  std::string tail(every_kind::kSparseSize - every_kind::kSparseSecondOffset - every_kind::kSparseExtent,
                   '\0');
  ASSERT_EQ(pwrite(fd, tail.data(), tail.size(), every_kind::kSparseSecondOffset + every_kind::kSparseExtent),
            static_cast<ssize_t>(tail.size()));
  close(fd);
  restore_mtime(a(every_kind::kSparseFile), mtime);
  EXPECT_EQ(only_difference().rfind(std::string(every_kind::kSparseFile) + ": holes missing: ", 0), 0u);
}

TEST_F(TreeCompareTest, DetectsMissingExtraAndRetypedEntries) {
  auto names_mtime = mtime_of(a("names"));
  ASSERT_EQ(unlink(a(every_kind::kNonUtf8Name).c_str()), 0);
  restore_mtime(a("names"), names_mtime);
  EXPECT_EQ(only_difference(), "names/\\xff\\xfe-latin1-\\xe9: only in expected (file)");

  auto empty_mtime = mtime_of(a("empty"));
  make_random_file(a("empty/new"), 1, 1);
  restore_mtime(a("empty"), empty_mtime);
  std::vector<std::string> diffs = compare_trees(expected_, actual_);
  EXPECT_EQ(diffs, (std::vector<std::string>{"empty/new: only in actual (file)",
                                             "names/\\xff\\xfe-latin1-\\xe9: only in expected (file)"}));
}

TEST_F(TreeCompareTest, DetectsTypeChange) {
  auto dir_mtime = mtime_of(a("files"));
  ASSERT_EQ(unlink(a("files/size-0").c_str()), 0);
  ASSERT_EQ(mkdir(a("files/size-0").c_str(), 0755), 0);
  restore_mtime(a("files"), dir_mtime);
  EXPECT_EQ(only_difference(), "files/size-0: type differs: file in expected, folder in actual");
}

TEST_F(TreeCompareTest, SpecialFilesAreSkippedUnlessAsked) {
  auto dir_mtime = mtime_of(a("special"));
  ASSERT_EQ(unlink(a(every_kind::kSocket).c_str()), 0);
  ASSERT_EQ(unlink(a(every_kind::kFifo).c_str()), 0);
  restore_mtime(a("special"), dir_mtime);
  EXPECT_TRUE(compare_trees(expected_, actual_).empty());
  CompareOptions all;
  all.ignore_special = false;
  EXPECT_EQ(compare_trees(expected_, actual_, all),
            (std::vector<std::string>{"special/fifo: only in expected (fifo)",
                                      "special/socket: only in expected (socket)"}));
}

}  // namespace
}  // namespace cairn
