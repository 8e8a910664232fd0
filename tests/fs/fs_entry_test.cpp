#include "source/fs/fs_entry.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/temp_dir.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

void set_mtime_ns(const std::string& path, int64_t sec, long nsec) {
  struct timespec times[2] = {{sec, nsec}, {sec, nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

class FsEntryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_fd_ = open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd_, 0);
  }
  void TearDown() override { close(dir_fd_); }

  Node stat_node(const std::string& name) {
    auto st = lstat_at(dir_fd_, name, tmp_.file(name));
    EXPECT_TRUE(st.is_ok()) << st.status().message();
    return st.is_ok() ? node_from_stat(name, *st) : Node{};
  }

  TempDir tmp_;
  int dir_fd_ = -1;
};

TEST_F(FsEntryTest, NodeFromStatFillsFileFields) {
  make_random_file(tmp_.file("f"), 5000, 1);
  if (geteuid() == 0) {
    ASSERT_EQ(chown(tmp_.file("f").c_str(), 1234, 5678), 0);
  }
  ASSERT_EQ(chmod(tmp_.file("f").c_str(), 04751), 0);  // after chown, which clears setuid
  set_mtime_ns(tmp_.file("f"), 1600000000, 123456789);
  ASSERT_EQ(link(tmp_.file("f").c_str(), tmp_.file("g").c_str()), 0);

  struct stat st {};
  ASSERT_EQ(lstat(tmp_.file("f").c_str(), &st), 0);
  Node node = stat_node("f");
  EXPECT_EQ(node.name, "f");
  EXPECT_EQ(node.type, NodeType::kFile);
  EXPECT_EQ(node.mode, 04751u);
  EXPECT_EQ(node.uid, st.st_uid);
  EXPECT_EQ(node.gid, st.st_gid);
  if (geteuid() == 0) {
    EXPECT_EQ(node.uid, 1234u);
  }
  EXPECT_EQ(node.mtime_ns, 1600000000123456789);
  EXPECT_EQ(node.ctime_ns, st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec);
  EXPECT_EQ(node.size, 5000u);
  EXPECT_EQ(node.inode, st.st_ino);
  EXPECT_EQ(node.device, st.st_dev);
  EXPECT_EQ(node.links, 2u);
  EXPECT_FALSE(node.sparse);
  EXPECT_EQ(entry_kind(st), EntryKind::kFile);
}

TEST_F(FsEntryTest, NodeFromStatFillsDirectoryFieldsWithZeroSize) {
  ASSERT_EQ(mkdir(tmp_.file("d").c_str(), 01750), 0);
  ASSERT_EQ(chmod(tmp_.file("d").c_str(), 01750), 0);  // mkdir's mode is masked by the umask
  set_mtime_ns(tmp_.file("d"), 1500000000, 5);
  Node node = stat_node("d");
  EXPECT_EQ(node.type, NodeType::kDirectory);
  EXPECT_EQ(node.mode, 01750u);
  EXPECT_EQ(node.mtime_ns, 1500000000000000005);
  EXPECT_EQ(node.size, 0u);
  EXPECT_FALSE(node.sparse);
}

TEST_F(FsEntryTest, NodeFromStatOfSymlinkDoesNotFollowAndReadLinkGivesTarget) {
  std::string target = "../some/where/" + std::string(600, 'x');  // longer than the first buffer
  ASSERT_EQ(symlink(target.c_str(), tmp_.file("l").c_str()), 0);
  set_mtime_ns(tmp_.file("l"), 1400000000, 999999999);
  Node node = stat_node("l");
  EXPECT_EQ(node.type, NodeType::kSymlink);
  EXPECT_EQ(node.size, target.size());
  EXPECT_EQ(node.mtime_ns, 1400000000999999999);
  auto read = read_link_at(dir_fd_, "l", tmp_.file("l"));
  ASSERT_TRUE(read.is_ok()) << read.status().message();
  EXPECT_EQ(*read, target);
}

TEST_F(FsEntryTest, SpecialFilesAreKindOther) {
  ASSERT_EQ(mkfifo(tmp_.file("fifo").c_str(), 0600), 0);
  auto st = lstat_at(dir_fd_, "fifo", tmp_.file("fifo"));
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(entry_kind(*st), EntryKind::kOther);
}

TEST_F(FsEntryTest, MissingEntryIsNotFoundAndNamesThePath) {
  auto st = lstat_at(dir_fd_, "nope", tmp_.file("nope"));
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(st.status().message().find(tmp_.file("nope")), std::string::npos);
  auto link = read_link_at(dir_fd_, "nope", tmp_.file("nope"));
  EXPECT_EQ(link.status().code(), ErrorCode::kNotFound);
}

TEST_F(FsEntryTest, ListDirectorySortsBytewiseAndKeepsNonUtf8Names) {
  const std::vector<std::string> names = {"b",         "a",      "\xff\xfe-latin1-\xe9", "B", "with space",
                                          "new\nline", ".hidden"};
  for (const std::string& n : names) make_random_file(tmp_.file(n), 1, 1);
  ASSERT_EQ(mkdir(tmp_.file("z-dir").c_str(), 0755), 0);
  // Reading dir_fd_ first must not make the listing miss entries.
  auto first = list_directory(dir_fd_, tmp_.path());
  auto listed = list_directory(dir_fd_, tmp_.path());
  ASSERT_TRUE(listed.is_ok()) << listed.status().message();
  std::vector<std::string> expected = {".hidden",   "B",          "a",     "b",
                                       "new\nline", "with space", "z-dir", "\xff\xfe-latin1-\xe9"};
  EXPECT_EQ(*listed, expected);
  EXPECT_EQ(*first, expected);
  // The fd stays usable: it was not consumed.
  EXPECT_TRUE(lstat_at(dir_fd_, "a", "a").is_ok());
}

TEST_F(FsEntryTest, LooksSparse) {
  struct stat st {};
  st.st_size = 0;
  st.st_blocks = 0;
  EXPECT_FALSE(looks_sparse(st));
  st.st_size = 8192;
  st.st_blocks = 8;  // 4096 bytes
  EXPECT_TRUE(looks_sparse(st));
  st.st_blocks = 16;
  EXPECT_FALSE(looks_sparse(st));
}

TEST_F(FsEntryTest, DataRangesOfFileWithoutHolesIsOneRange) {
  make_random_file(tmp_.file("f"), 100000, 2);
  int fd = open(tmp_.file("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto ranges = data_ranges(fd, 100000);
  close(fd);
  ASSERT_TRUE(ranges.is_ok()) << ranges.status().message();
  ASSERT_EQ(ranges->size(), 1u);
  EXPECT_EQ((*ranges)[0].offset, 0u);
  EXPECT_EQ((*ranges)[0].length, 100000u);
}

TEST_F(FsEntryTest, DataRangesOfEmptyFileIsEmpty) {
  make_random_file(tmp_.file("f"), 0, 2);
  int fd = open(tmp_.file("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto ranges = data_ranges(fd, 0);
  close(fd);
  ASSERT_TRUE(ranges.is_ok());
  EXPECT_TRUE(ranges->empty());
}

TEST_F(FsEntryTest, DataRangesFindTheTwoExtentsOfTheSparseFile) {
  make_every_kind_tree(tmp_.file("tree"));
  std::string path = tmp_.file("tree") + "/" + every_kind::kSparseFile;
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  if (!looks_sparse(st)) GTEST_SKIP() << "the file system under " << tmp_.path() << " does not keep holes";
  EXPECT_TRUE(node_from_stat("sparse.bin", st).sparse);

  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto ranges = data_ranges(fd, static_cast<uint64_t>(st.st_size), path);
  close(fd);
  ASSERT_TRUE(ranges.is_ok()) << ranges.status().message();
  // File systems may round an extent up to their allocation unit, but the
  // two extents stay apart and cover the data that was written.
  ASSERT_EQ(ranges->size(), 2u);
  const DataRange& a = (*ranges)[0];
  const DataRange& b = (*ranges)[1];
  EXPECT_EQ(a.offset, 0u);
  EXPECT_GE(a.length, every_kind::kSparseExtent);
  EXPECT_LT(a.length, every_kind::kSparseSecondOffset);
  EXPECT_LE(b.offset, every_kind::kSparseSecondOffset);
  EXPECT_GE(b.offset + b.length, every_kind::kSparseSecondOffset + every_kind::kSparseExtent);
  EXPECT_LT(b.offset + b.length, every_kind::kSparseSize);  // the trailing hole is not data
}

TEST_F(FsEntryTest, DataRangesOfAllHoleFileIsEmpty) {
  int fd = open(tmp_.file("h").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 1 << 20), 0);
  auto ranges = data_ranges(fd, 1 << 20);
  close(fd);
  ASSERT_TRUE(ranges.is_ok());
  struct stat st {};
  ASSERT_EQ(stat(tmp_.file("h").c_str(), &st), 0);
  if (!looks_sparse(st)) GTEST_SKIP() << "the file system does not keep holes";
  EXPECT_TRUE(ranges->empty());
}

}  // namespace
}  // namespace cairn
