// The repository holds no plaintext of what was backed up: not file
// contents, not names, not symlink targets.
#include <dirent.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backup/backup_fixture.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

constexpr char kMarker[] = "CAIRN-PLAINTEXT-MARKER-7f3a9c";

// Every file under root whose bytes contain needle.
std::vector<std::string> files_containing(const std::string& root, const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    if (content.find(needle) != std::string::npos) hits.push_back(e.path().string());
  }
  return hits;
}

TEST_F(BackupTest, RepositoryFilesHoldNoPlaintextOfTheSource) {
  std::string src = tmp_.file("src");
  std::filesystem::create_directories(src);
  std::string repeated;
  for (int i = 0; i < 2000; ++i) repeated += kMarker;  // compressible
  {
    std::ofstream(src + "/compressible.txt") << repeated;
    std::ofstream(src + "/small.txt") << kMarker;
    std::ofstream(src + "/" + kMarker + ".name") << "x";
    std::ofstream(src + "/random-with-marker") << random_bytes(100000, 1) << kMarker << random_bytes(1000, 2);
  }
  ASSERT_EQ(symlink((std::string("/") + kMarker).c_str(), (src + "/link").c_str()), 0);
  FsBackupOptions o;
  o.labels = {{"team", "platform"}};
  SnapshotManifest m = backup("private", {src}, o);
  ASSERT_EQ(m.status, BackupStatus::kCompleted);
  // Sanity: the marker is findable where it is plain.
  ASSERT_FALSE(files_containing(src, kMarker).empty());
  EXPECT_EQ(files_containing(repo_path_, kMarker), std::vector<std::string>{});
  // Nor does the backup name or the source path show.
  EXPECT_EQ(files_containing(repo_path_, "private"), std::vector<std::string>{});
  EXPECT_EQ(files_containing(repo_path_, src), std::vector<std::string>{});
}

}  // namespace
}  // namespace cairn
