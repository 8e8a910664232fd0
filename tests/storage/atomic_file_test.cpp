#include "storage/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t entries_in(const std::string& folder) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

TEST(AtomicFile, WritesNewFileWithExactlyTheModeAskedFor) {
  TempDir dir;
  const mode_t old = ::umask(077);
  Status st = write_file_atomic(dir.file("a"), as_bytes("hello"), ReplaceMode::kFailIfExists, 0644);
  ::umask(old);
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(read_file(dir.file("a")), "hello");
  struct stat s {};
  ASSERT_EQ(::stat(dir.file("a").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 07777, 0644u);
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(AtomicFile, FailIfExistsKeepsTheOriginalAndLeavesNoTempFile) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.file("a"), as_bytes("first"), ReplaceMode::kFailIfExists).is_ok());
  Status st = write_file_atomic(dir.file("a"), as_bytes("second"), ReplaceMode::kFailIfExists);
  EXPECT_EQ(st.code(), ErrorCode::kAlreadyExists) << st.message();
  EXPECT_EQ(read_file(dir.file("a")), "first");
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(AtomicFile, ReplaceOverwritesTheOldContents) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.file("a"), as_bytes("first, longer"), ReplaceMode::kReplace).is_ok());
  ASSERT_TRUE(write_file_atomic(dir.file("a"), as_bytes("second"), ReplaceMode::kReplace, 0600).is_ok());
  EXPECT_EQ(read_file(dir.file("a")), "second");
  EXPECT_EQ(fs::status(dir.file("a")).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(AtomicFile, MissingFolderIsNotFound) {
  TempDir dir;
  Status st = write_file_atomic(dir.file("no/such/a"), as_bytes("x"), ReplaceMode::kReplace);
  EXPECT_EQ(st.code(), ErrorCode::kNotFound) << st.message();
  EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(AtomicFile, SyncDirectoryOfMissingFolderFails) {
  TempDir dir;
  EXPECT_TRUE(sync_directory(dir.path()).is_ok());
  EXPECT_EQ(sync_directory(dir.file("missing")).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn
