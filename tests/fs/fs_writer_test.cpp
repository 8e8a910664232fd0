#include "restore/fs_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"
#include "support/tmpfs_mount.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Node file_node(uint64_t size, uint32_t mode, int64_t mtime_ns) {
  Node node;
  node.type = NodeType::kFile;
  node.size = size;
  node.mode = mode;
  node.mtime_ns = mtime_ns;
  node.uid = 1234;
  node.gid = 5678;
  return node;
}

ByteView view(const std::string& s, size_t offset, size_t length) {
  return as_bytes(s).subspan(offset, length);
}

RestoreOwnership as_root() { return RestoreOwnership{geteuid() == 0}; }

TEST(FileWriterTest, ChunksInAnyOrderCommitWithMetadata) {
  TempDir tmp;
  const std::string data = random_bytes(300000, 7);
  Node node = file_node(data.size(), 04755, 1600000000123456789);
  auto writer = FileWriter::create(tmp.file("out"), node);
  ASSERT_TRUE(writer.is_ok()) << writer.status().message();
  ASSERT_TRUE((*writer)->write_at(200000, view(data, 200000, 100000)).is_ok());
  ASSERT_TRUE((*writer)->write_at(0, view(data, 0, 100000)).is_ok());
  ASSERT_TRUE((*writer)->write_at(100000, view(data, 100000, 100000)).is_ok());
  EXPECT_FALSE(std::ifstream(tmp.file("out")).good()) << "the final name appears only on commit";
  Status st = (*writer)->commit(as_root());
  ASSERT_TRUE(st.is_ok()) << st.message();

  EXPECT_EQ(read_file(tmp.file("out")), data);
  struct stat s {};
  ASSERT_EQ(stat(tmp.file("out").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 07777, 04755u) << "setuid survives because chmod follows chown";
  EXPECT_EQ(s.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(s.st_mtim.tv_nsec, 123456789);
  if (geteuid() == 0) {
    EXPECT_EQ(s.st_uid, 1234u);
    EXPECT_EQ(s.st_gid, 5678u);
  }
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"out"}) << "no temp file left";
  writer->reset();
  EXPECT_EQ(read_file(tmp.file("out")), data) << "the destructor keeps a committed file";
}

TEST(FileWriterTest, ConcurrentWritesOfDisjointChunks) {
  TempDir tmp;
  const std::string data = random_bytes(4 << 20, 11);
  Node node = file_node(data.size(), 0644, 0);
  node.sparse = true;  // the sparse path too must be safe to call from many threads
  auto writer = FileWriter::create(tmp.file("out"), node);
  ASSERT_TRUE(writer.is_ok());
  const size_t chunk = 65536 + 17;
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i * chunk < data.size(); i += 4) {
        size_t off = i * chunk;
        if (!(*writer)->write_at(off, view(data, off, std::min(chunk, data.size() - off))).is_ok())
          ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  ASSERT_TRUE((*writer)->commit(RestoreOwnership{}).is_ok());
  EXPECT_EQ(read_file(tmp.file("out")), data);
}

TEST(FileWriterTest, DestroyedWithoutCommitLeavesNothing) {
  TempDir tmp;
  {
    auto writer = FileWriter::create(tmp.file("out"), file_node(10, 0644, 0));
    ASSERT_TRUE(writer.is_ok());
    ASSERT_TRUE((*writer)->write_at(0, as_bytes("0123456789")).is_ok());
    EXPECT_EQ(names_in(tmp.path()).size(), 1u) << "the temp file exists while writing";
  }
  EXPECT_TRUE(names_in(tmp.path()).empty());
}

TEST(FileWriterTest, CommitReplacesAnExistingFile) {
  TempDir tmp;
  make_random_file(tmp.file("out"), 5000, 1);
  auto writer = FileWriter::create(tmp.file("out"), file_node(3, 0600, 1000000000));
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->write_at(0, as_bytes("new")).is_ok());
  ASSERT_TRUE((*writer)->commit(RestoreOwnership{}).is_ok());
  EXPECT_EQ(read_file(tmp.file("out")), "new");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"out"});
}

TEST(FileWriterTest, CommitOverAFolderFailsNamingItAndLeavesNoTempFile) {
  TempDir tmp;
  ASSERT_EQ(mkdir(tmp.file("out").c_str(), 0755), 0);
  auto writer = FileWriter::create(tmp.file("out"), file_node(1, 0600, 0));
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->write_at(0, as_bytes("x")).is_ok());
  Status st = (*writer)->commit(RestoreOwnership{});
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(tmp.file("out")), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("folder"), std::string::npos) << st.message();
  writer->reset();
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"out"});
}

TEST(FileWriterTest, CommitExtendsToNodeSizeWithZeros) {
  TempDir tmp;
  auto writer = FileWriter::create(tmp.file("out"), file_node(10, 0644, 0));
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->write_at(0, as_bytes("abc")).is_ok());
  ASSERT_TRUE((*writer)->commit(RestoreOwnership{}).is_ok());
  EXPECT_EQ(read_file(tmp.file("out")), std::string("abc") + std::string(7, '\0'));
}

TEST(FileWriterTest, LongNameStillGetsATempFile) {
  TempDir tmp;
  std::string name(255, 'n');
  auto writer = FileWriter::create(tmp.file(name), file_node(1, 0644, 0));
  ASSERT_TRUE(writer.is_ok()) << writer.status().message();
  ASSERT_TRUE((*writer)->write_at(0, as_bytes("x")).is_ok());
  ASSERT_TRUE((*writer)->commit(RestoreOwnership{}).is_ok());
  EXPECT_EQ(read_file(tmp.file(name)), "x");
}

TEST(FileWriterTest, SparseNodeLeavesZeroBlocksAsHoles) {
  TempDir tmp;
  const uint64_t size = 8 << 20;
  Node node = file_node(size, 0644, 0);
  node.sparse = true;
  // Chunks as restore would deliver them: all bytes of the file, zeros included.
  std::string content(size, '\0');
  std::string a = random_bytes(65536, 1), b = random_bytes(65536 + 100, 2);
  content.replace(0, a.size(), a);
  content.replace(4 << 20, b.size(), b);
  auto writer = FileWriter::create(tmp.file("sparse"), node);
  ASSERT_TRUE(writer.is_ok());
  const size_t chunk = 1000003;  // not block-aligned, so blocks straddle chunks
  for (size_t off = 0; off < content.size(); off += chunk) {
    ASSERT_TRUE((*writer)->write_at(off, view(content, off, std::min(chunk, content.size() - off))).is_ok());
  }
  ASSERT_TRUE((*writer)->commit(RestoreOwnership{}).is_ok());
  EXPECT_EQ(read_file(tmp.file("sparse")), content);
  struct stat s {};
  ASSERT_EQ(stat(tmp.file("sparse").c_str(), &s), 0);
  // Data is 2 * 64 KiB + 100 bytes; allow the file system some rounding.
  EXPECT_LT(static_cast<uint64_t>(s.st_blocks) * 512, 1u << 20) << "holes were filled";
}

TEST(FileWriterTest, NonSparseNodeWritesZerosAsData) {
  TempDir tmp;
  const uint64_t size = 1 << 20;
  auto writer = FileWriter::create(tmp.file("dense"), file_node(size, 0644, 0));
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->write_at(0, ByteView(Bytes(size, 0))).is_ok());
  ASSERT_TRUE((*writer)->commit(RestoreOwnership{}).is_ok());
  struct stat s {};
  ASSERT_EQ(stat(tmp.file("dense").c_str(), &s), 0);
  EXPECT_GE(static_cast<uint64_t>(s.st_blocks) * 512, size);
}

TEST(FileWriterTest, FullDiskIsNoSpaceAndLeavesNoFile) {
  TmpfsMount small(512 * 1024);
  if (!small.mounted()) GTEST_SKIP() << small.error();
  const std::string final_path = small.path() + "/big";
  const std::string data = random_bytes(2 << 20, 3);
  auto writer = FileWriter::create(final_path, file_node(data.size(), 0644, 0));
  ASSERT_TRUE(writer.is_ok()) << writer.status().message();
  Status st;
  for (size_t off = 0; off < data.size() && st.is_ok(); off += 65536) {
    st = (*writer)->write_at(off, view(data, off, 65536));
  }
  ASSERT_FALSE(st.is_ok()) << "2 MiB fit into a 512 KiB tmpfs";
  EXPECT_EQ(st.code(), ErrorCode::kNoSpace);
  EXPECT_EQ(st.message(), "no space left on device while writing " + final_path);
  writer->reset();
  EXPECT_TRUE(names_in(small.path()).empty()) << "neither the final name nor the temp file is left";
}

}  // namespace
}  // namespace cairn
