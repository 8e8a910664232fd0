// A full disk on either side: a restore into a small tmpfs and a backup
// into a repository on a full tmpfs fail with a clear message, leave no
// half-written file under a final name and no temp file, and the
// repository stays valid. Needs root for the mount (skips otherwise).
#include <strings.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "reliability/reliability_util.h"
#include "support/tmpfs_mount.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

bool says_no_space(const std::string& err) {
  for (size_t i = 0; i + 13 <= err.size(); ++i)
    if (strncasecmp(err.c_str() + i, "no space left", 13) == 0) return true;
  return false;
}

class DiskFullTest : public CliTest {
 protected:
  CommandResult cairn_at(const std::string& repo, std::vector<std::string> args) {
    std::vector<std::string> argv = {cairn_binary(), "--repo", repo, "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = run_command(argv, {{"CAIRN_PASSWORD", "disk full"}, {"CAIRN_PASSWORD_FILE", ""}});
    EXPECT_GE(r.exit_code, 0) << "cairn was ended by a signal";
    return r;
  }
};

TEST_F(DiskFullTest, RestoreIntoAFullFilesystemFailsClearlyAndLeavesNoHalfWrittenFile) {
  TmpfsMount small(4u << 20);
  if (!small.mounted()) GTEST_SKIP() << small.error();
  std::string src = tmp_.file("src");
  for (int i = 0; i < 6; ++i) make_random_file(src + "/big-" + std::to_string(i), 1500000, i);
  for (int i = 0; i < 20; ++i) make_random_file(src + "/small/" + std::to_string(i), 5000, 100 + i);
  ASSERT_EQ(cairn_at(repo(), {"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code, 0);
  ASSERT_EQ(cairn_at(repo(), {"backup", "create", "b1", "--path", src}).exit_code, 0);

  std::string out = small.path() + "/out";
  CommandResult r = cairn_at(repo(), {"restore", "create", "--from-backup", "b1", "--target", out});
  EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 3) << r.exit_code << r.err;
  EXPECT_TRUE(says_no_space(r.err)) << r.err;
  int whole = 0;
  for (const std::string& rel : regular_files_under(out + src)) {
    EXPECT_TRUE(read_whole_file(out + src + "/" + rel) == read_whole_file(src + "/" + rel))
        << rel << " is under its final name but not whole";
    ++whole;
  }
  EXPECT_LT(whole, 26) << "everything fit: the test did not fill the disk";
  EXPECT_EQ(temp_files_under(out), std::vector<std::string>{});
}

TEST_F(DiskFullTest, BackupIntoAFullRepositoryFailsCleanlyAndTheRepositoryStaysValid) {
  TmpfsMount disk(6u << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.error();
  const std::string repo_path = disk.path() + "/repo";
  std::string small_src = tmp_.file("small"), big_src = tmp_.file("big");
  make_random_file(small_src + "/a", 200000, 1);
  for (int i = 0; i < 4; ++i) make_random_file(big_src + "/f" + std::to_string(i), 3000000, 10 + i);
  ASSERT_EQ(
      cairn_at(repo_path, {"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1", "--pack-size", "4"})
          .exit_code,
      0);
  ASSERT_EQ(cairn_at(repo_path, {"backup", "create", "b1", "--path", small_src}).exit_code, 0);

  CommandResult r = cairn_at(repo_path, {"backup", "create", "b2", "--path", big_src});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_TRUE(says_no_space(r.err)) << r.err;
  auto listed = nlohmann::json::parse(cairn_at(repo_path, {"backup", "get", "-o", "json"}).out);
  ASSERT_EQ(listed["items"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["items"][0]["name"], "b1");
  EXPECT_EQ(temp_files_under(repo_path), std::vector<std::string>{});

  CommandResult check = cairn_at(repo_path, {"repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  std::string out = tmp_.file("out");
  ASSERT_EQ(cairn_at(repo_path, {"restore", "create", "--from-backup", "b1", "--target", out}).exit_code, 0);
  EXPECT_EQ(compare_trees(small_src, out + small_src), std::vector<std::string>{});
}

}  // namespace
}  // namespace cairn
