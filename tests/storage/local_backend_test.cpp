// What only the local backend promises: its layout on disk, file modes,
// create/open rules, and a full disk leaving nothing behind.
#include "storage/local_backend.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "storage_test_util.h"
#include "support/temp_dir.h"
#include "support/tmpfs_mount.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

const ObjectKey kConfig{ObjectKind::kConfig, "config"};

// Every file (not folder) under root, as paths relative to root.
std::set<std::string> files_under(const std::string& root) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_directory()) files.insert(fs::relative(entry.path(), root).string());
  }
  return files;
}

void write_file(const std::string& path, const std::string& contents) { std::ofstream(path) << contents; }

TEST(LocalBackend, CreateFailsWhenRepositoryExists) {
  TempDir dir;
  auto first = create_local_backend(dir.path());
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  ASSERT_TRUE((*first)->put(kConfig, as_bytes("cfg")).is_ok());
  auto second = create_local_backend(dir.path());
  EXPECT_EQ(second.status().code(), ErrorCode::kAlreadyExists) << second.status().message();
}

TEST(LocalBackend, CreateMakesMissingParentFolders) {
  TempDir dir;
  const std::string root = dir.path() + "/a/b/repo";
  ASSERT_TRUE(create_local_backend(root).is_ok());
  for (const char* kind : {"keys", "data", "index", "snapshots", "locks"}) {
    EXPECT_TRUE(fs::is_directory(root + "/" + kind)) << kind;
  }
  EXPECT_EQ(fs::status(root).permissions(), fs::perms::owner_all);
}

TEST(LocalBackend, OpenFailsWithoutConfig) {
  TempDir dir;
  auto missing = open_local_backend(dir.path() + "/nothing-here");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no repository at"), std::string::npos)
      << missing.status().message();

  ASSERT_TRUE(create_local_backend(dir.path()).is_ok());
  EXPECT_EQ(open_local_backend(dir.path()).status().code(), ErrorCode::kNotFound);
}

TEST(LocalBackend, OpenSeesObjectsPutBeforeAndLocationIsAbsolute) {
  TempDir dir;
  const ObjectKey pack{ObjectKind::kPack, test_name(3)};
  {
    auto created = create_local_backend(dir.path() + "/./repo/");
    ASSERT_TRUE(created.is_ok()) << created.status().message();
    ASSERT_TRUE((*created)->put(kConfig, as_bytes("cfg")).is_ok());
    ASSERT_TRUE((*created)->put(pack, pattern_bytes(50)).is_ok());
  }
  auto opened = open_local_backend(dir.path() + "/repo");
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  EXPECT_EQ(*(*opened)->get(pack), pattern_bytes(50));
  EXPECT_EQ((*opened)->properties().location, fs::canonical(dir.path() + "/repo").string());
}

TEST(LocalBackend, ObjectsAreStoredWhereTheLayoutSays) {
  TempDir dir;
  auto b = create_local_backend(dir.path());
  ASSERT_TRUE(b.is_ok());
  const std::string pack = test_name(1), index = test_name(2), snapshot = test_name(3);
  ASSERT_TRUE((*b)->put(kConfig, as_bytes("c")).is_ok());
  ASSERT_TRUE((*b)->put({ObjectKind::kPack, pack}, as_bytes("p")).is_ok());
  ASSERT_TRUE((*b)->put({ObjectKind::kIndex, index}, as_bytes("i")).is_ok());
  ASSERT_TRUE((*b)->put({ObjectKind::kSnapshot, snapshot}, as_bytes("s")).is_ok());
  ASSERT_TRUE((*b)->put({ObjectKind::kKey, "ab"}, as_bytes("k")).is_ok());
  ASSERT_TRUE((*b)->put({ObjectKind::kLock, "cd"}, as_bytes("l")).is_ok());
  EXPECT_EQ(files_under(dir.path()),
            (std::set<std::string>{"config", "data/" + pack.substr(0, 2) + "/" + pack, "index/" + index,
                                   "snapshots/" + snapshot, "keys/ab", "locks/cd"}));
}

TEST(LocalBackend, ObjectFilesAreMode0600) {
  TempDir dir;
  auto b = create_local_backend(dir.path());
  ASSERT_TRUE(b.is_ok());
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    const mode_t old = ::umask(mask);
    const ObjectKey key{ObjectKind::kPack, test_name(mask)};
    Status st = (*b)->put(key, as_bytes("x"));
    ::umask(old);
    ASSERT_TRUE(st.is_ok()) << st.message();
    struct stat s {};
    const std::string path = dir.path() + "/data/" + key.name.substr(0, 2) + "/" + key.name;
    ASSERT_EQ(::stat(path.c_str(), &s), 0) << path;
    EXPECT_EQ(s.st_mode & 07777, 0600u) << "umask " << mask;
  }
}

TEST(LocalBackend, ListSkipsFilesThatAreNotObjects) {
  TempDir dir;
  auto b = create_local_backend(dir.path());
  ASSERT_TRUE(b.is_ok());
  const ObjectKey pack{ObjectKind::kPack, test_name(1)};
  ASSERT_TRUE((*b)->put(pack, as_bytes("p")).is_ok());
  const std::string prefix = pack.name.substr(0, 2);
  write_file(dir.path() + "/data/README", "stray");
  fs::create_directory(dir.path() + "/data/zz");
  write_file(dir.path() + "/data/zz/" + std::string(64, 'f'), "stray");
  write_file(dir.path() + "/data/" + prefix + "/" + std::string(64, prefix[0] == 'e' ? 'd' : 'e'),
             "misfiled");
  write_file(dir.path() + "/data/" + prefix + "/ABCDEF", "uppercase");
  fs::create_directory(dir.path() + "/index/" + test_name(9));
  write_file(dir.path() + "/index/notes.txt", "stray");

  std::vector<std::string> packs, indexes;
  ASSERT_TRUE(
      (*b)->list(ObjectKind::kPack, [&](const ObjectInfo& i) { packs.push_back(i.key.name); }).is_ok());
  ASSERT_TRUE(
      (*b)->list(ObjectKind::kIndex, [&](const ObjectInfo& i) { indexes.push_back(i.key.name); }).is_ok());
  EXPECT_EQ(packs, std::vector<std::string>{pack.name});
  EXPECT_TRUE(indexes.empty());
  // A folder where an object should be is damage, not an object.
  EXPECT_EQ((*b)->stat({ObjectKind::kIndex, test_name(9)}).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ((*b)->get({ObjectKind::kIndex, test_name(9)}).status().code(), ErrorCode::kCorruption);
}

TEST(LocalBackend, AFailedPutLeavesNoTempFile) {
  TmpfsMount tmpfs(1 << 20);
  if (!tmpfs.mounted()) GTEST_SKIP() << tmpfs.error();
  auto b = create_local_backend(tmpfs.path() + "/repo");
  ASSERT_TRUE(b.is_ok()) << b.status().message();
  const ObjectKey pack{ObjectKind::kPack, test_name(1)}, small{ObjectKind::kIndex, test_name(2)};

  Status st = (*b)->put(pack, pattern_bytes(2 << 20));
  EXPECT_EQ(st.code(), ErrorCode::kNoSpace) << st.message();
  EXPECT_NE(st.message().find("No space left on device"), std::string::npos) << st.message();
  EXPECT_TRUE(files_under(tmpfs.path()).empty());
  EXPECT_EQ((*b)->stat(pack).status().code(), ErrorCode::kNotFound);

  // The space the failed put used is free again.
  ASSERT_TRUE((*b)->put(small, pattern_bytes(512 << 10)).is_ok());
  EXPECT_EQ(files_under(tmpfs.path()), (std::set<std::string>{"repo/index/" + small.name}));
}

}  // namespace
}  // namespace cairn
