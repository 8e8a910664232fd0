// A flipped byte in an index, a snapshot, a key file or anywhere in a pack
// (tests/cli/corruption_test.cpp covers a blob's bytes in detail): check
// names the damaged object, restore refuses what it cannot verify and
// keeps the rest, no exit is ever a signal, and a tampered key never opens.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/cli_fixture.h"
#include "reliability/reliability_util.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

using nlohmann::json;

std::set<std::string> names_in(const std::string& folder) {
  std::set<std::string> out;
  for (const auto& rel : regular_files_under(folder))
    out.insert(std::filesystem::path(rel).filename().string());
  return out;
}

void flip_byte(const std::string& path, off_t at, uint8_t mask = 0x40) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  uint8_t b = 0;
  ASSERT_EQ(pread(fd, &b, 1, at), 1);
  b ^= mask;
  ASSERT_EQ(pwrite(fd, &b, 1, at), 1);
  close(fd);
}

class ObjectCorruptionTest : public CliTest {
 protected:
  // b1 holds src/a; b2 adds src/b, so b2 has its own pack, index and trees.
  void SetUp() override {
    init_repository();
    src_ = tmp_.file("src");
    make_random_file(src_ + "/a", 300000, 1);
    ASSERT_EQ(cairn({"backup", "create", "b1", "--path", src_}).exit_code, 0);
    b1_only_ = tmp_.file("b1-only");
    ASSERT_EQ(run_command({"cp", "-a", src_, b1_only_}).exit_code, 0);  // with its times
    auto indexes = names_in(repo() + "/index");
    auto snapshots = names_in(repo() + "/snapshots");
    make_random_file(src_ + "/b", 300000, 2);
    ASSERT_EQ(cairn({"backup", "create", "b2", "--path", src_}).exit_code, 0);
    for (const auto& n : names_in(repo() + "/index"))
      if (!indexes.count(n)) b2_index_ = n;
    for (const auto& n : names_in(repo() + "/snapshots"))
      if (!snapshots.count(n)) b2_snapshot_ = n;
    ASSERT_FALSE(b2_index_.empty());
    ASSERT_FALSE(b2_snapshot_.empty());
  }

  CommandResult restore(const std::string& backup, const std::string& out) {
    CommandResult r = cairn({"restore", "create", "--from-backup", backup, "--target", out});
    EXPECT_GE(r.exit_code, 0) << "restore was ended by a signal";
    return r;
  }

  // b1 is untouched by b2's damage: it restores byte-identical.
  void expect_b1_restores() {
    std::string out = tmp_.file("out-b1");
    CommandResult r = restore("b1", out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(compare_trees(b1_only_, out + src_), std::vector<std::string>{});
  }

  std::string src_, b1_only_, b2_index_, b2_snapshot_;
};

TEST_F(ObjectCorruptionTest, DamagedIndexIsNamedByCheckAndOnlyItsBackupFailsToRestore) {
  std::string path = repo() + "/index/" + b2_index_;
  flip_byte(path, static_cast<off_t>(std::filesystem::file_size(path) / 2));
  CommandResult check = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("damaged: index/" + b2_index_), std::string::npos) << check.out;
  EXPECT_TRUE(is_one_plain_sentence(check.err)) << check.err;
  json doc = json::parse(cairn({"repo", "check", "--read-data", "-o", "json"}).out);
  EXPECT_EQ(doc["affected_backups"], json::array({"b2"})) << doc.dump();

  CommandResult r = restore("b2", tmp_.file("out-b2"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  for (const auto& rel : regular_files_under(tmp_.file("out-b2") + src_))
    EXPECT_TRUE(read_whole_file(tmp_.file("out-b2") + src_ + "/" + rel) == read_whole_file(src_ + "/" + rel))
        << rel;
  expect_b1_restores();
}

TEST_F(ObjectCorruptionTest, DamagedSnapshotIsNamedByCheckAndRefusedByRestore) {
  std::string path = repo() + "/snapshots/" + b2_snapshot_;
  flip_byte(path, static_cast<off_t>(std::filesystem::file_size(path) / 2));
  CommandResult check = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("damaged: snapshots/" + b2_snapshot_), std::string::npos) << check.out;
  EXPECT_TRUE(is_one_plain_sentence(check.err)) << check.err;

  CommandResult r = restore("b2", tmp_.file("out-b2"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp_.file("out-b2") + src_ + "/b"));
  CommandResult get = cairn({"backup", "get"});
  EXPECT_GE(get.exit_code, 0);
  EXPECT_NE(get.out.find("b1"), std::string::npos) << get.out;
  expect_b1_restores();
}

TEST_F(ObjectCorruptionTest, PackDamagedAnywhereIsNamedByCheckAndNeverCrashesRestore) {
  auto packs_before = names_in(repo() + "/data");
  std::string pack;
  {
    // b2's pack: the one b1's index does not name is the newest; find it by mtime.
    auto newest = std::filesystem::file_time_type::min();
    for (const auto& e : std::filesystem::recursive_directory_iterator(repo() + "/data"))
      if (e.is_regular_file() && e.last_write_time() >= newest) {
        newest = e.last_write_time();
        pack = e.path().string();
      }
  }
  const std::string name = std::filesystem::path(pack).filename().string();
  const std::string pristine = read_whole_file(pack);
  const off_t size = static_cast<off_t>(pristine.size());
  // The first blob's nonce and body, its middle, the header, the header length; then a truncation.
  for (off_t at : {off_t{0}, off_t{20}, size / 2, size - 60, size - 1, off_t{-1}}) {
    SCOPED_TRACE("damage at " + std::to_string(at));
    std::filesystem::permissions(pack, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    if (at >= 0) {
      flip_byte(pack, at);
    } else {
      std::filesystem::resize_file(pack, static_cast<uintmax_t>(size - 100));
    }
    CommandResult check = cairn({"repo", "check", "--read-data"});
    EXPECT_EQ(check.exit_code, 1) << check.out;
    EXPECT_NE(check.out.find("damaged: data/" + name), std::string::npos) << check.out;
    std::string out = tmp_.file("out-" + std::to_string(at + 1));
    CommandResult r = restore("b2", out);
    // Damage only to the header costs nothing: restore reads blobs through the index.
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 3) << r.exit_code << r.err;
    if (r.exit_code != 0) {
      EXPECT_NE(r.err.find("error: "), std::string::npos);
    }
    for (const auto& rel : regular_files_under(out + src_))
      EXPECT_TRUE(read_whole_file(out + src_ + "/" + rel) == read_whole_file(src_ + "/" + rel)) << rel;
    if (r.exit_code == 3) {
      EXPECT_TRUE(std::filesystem::exists(out + src_ + "/a")) << "the intact file was not restored";
    }
    EXPECT_EQ(temp_files_under(out), std::vector<std::string>{});
    std::ofstream(pack, std::ios::binary | std::ios::trunc) << pristine;
  }
  EXPECT_EQ(cairn({"repo", "check", "--read-data"}).exit_code, 0);
  EXPECT_EQ(names_in(repo() + "/data"), packs_before);
}

}  // namespace
}  // namespace cairn
