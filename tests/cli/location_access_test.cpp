// Access modes end to end: a ReadOnly location refuses backups and deletes
// with one sentence and sends no write at all, while list, describe, check
// and restore work; AppendOnly adds backups but deletes nothing.
#include <filesystem>

#include "cli/location_fixture.h"

namespace cairn {
namespace {

constexpr char kReadOnlyRefusal[] =
    "error: the location disk is ReadOnly: backups, deletes and prunes are refused; set it back with 'cairn "
    "location set disk --access-mode ReadWrite'.\n";

class LocationAccessTest : public LocationCliTest {
 protected:
  void SetUp() override {
    LocationCliTest::SetUp();
    ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
    CommandResult b = at({"backup", "create", "b1", "--path", src_});
    ASSERT_EQ(b.exit_code, 0) << b.err;
  }

  void set_mode(const std::string& mode) {
    ASSERT_EQ(at({"location", "set", "disk", "--access-mode", mode}).exit_code, 0);
  }

  // A copy of the repository with every time stamp, to prove nothing changed.
  std::string copy_repository() {
    const std::string copy = tmp_.file("repo-before");
    CommandResult cp = run_command({"cp", "-a", repo(), copy});
    EXPECT_EQ(cp.exit_code, 0) << cp.err;
    return copy;
  }

  // The storage requests a -v run reports: "puts=0 gets=12 ...".
  static std::string requests(const CommandResult& r) {
    const std::string tag = "debug: storage requests: ";
    size_t at = r.err.find(tag);
    if (at == std::string::npos) return "<none>";
    return r.err.substr(at + tag.size(), r.err.find('\n', at) - at - tag.size());
  }
};

TEST_F(LocationAccessTest, ReadOnlyRefusesBackupCreateAndDeleteAndChangesNothing) {
  const std::string before = copy_repository();
  set_mode("ReadOnly");
  CommandResult create = at({"backup", "create", "b2", "--path", src_});
  EXPECT_EQ(create.exit_code, 1);
  EXPECT_EQ(create.err, kReadOnlyRefusal);
  CommandResult del = at({"backup", "delete", "b1"});
  EXPECT_EQ(del.exit_code, 1);
  EXPECT_EQ(del.err, kReadOnlyRefusal);
  EXPECT_EQ(at({"key", "add"}, {{"CAIRN_NEW_PASSWORD", "second"}}).exit_code, 1);
  EXPECT_EQ(at({"repo", "init"}).exit_code, 1);
  EXPECT_TRUE(compare_trees(before, repo()).empty());
}

TEST_F(LocationAccessTest, ReadOnlyListsDescribesChecksAndRestoresWithoutAnyWrite) {
  const std::string before = copy_repository();
  set_mode("ReadOnly");
  const std::string target = tmp_.file("restored");
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"backup", "get"},
        {"backup", "describe", "b1", "--details"},
        {"repo", "check", "--read-data"},
        {"restore", "create", "--from-backup", "b1", "--target", target}}) {
    std::vector<std::string> args = {"-v"};
    args.insert(args.end(), cmd.begin(), cmd.end());
    CommandResult r = at(args);
    EXPECT_EQ(r.exit_code, 0) << cmd[0] << " " << cmd[1] << ": " << r.err;
    const std::string counts = requests(r);
    EXPECT_EQ(counts.rfind("puts=0 ", 0), 0u) << cmd[0] << " " << cmd[1] << ": " << counts;
    EXPECT_NE(counts.find(" removes=0 "), std::string::npos) << counts;
    EXPECT_NE(counts.find(" gets="), std::string::npos) << counts;
  }
  EXPECT_TRUE(compare_trees(src_, target + src_).empty());
  EXPECT_TRUE(compare_trees(before, repo()).empty());
}

TEST_F(LocationAccessTest, SetBackToReadWriteAllowsBackupsAgain) {
  set_mode("ReadOnly");
  EXPECT_EQ(at({"backup", "create", "b2", "--path", src_}).exit_code, 1);
  set_mode("ReadWrite");
  CommandResult b = at({"-v", "backup", "create", "b2", "--path", src_});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(requests(b).rfind("puts=0 ", 0), std::string::npos) << requests(b);
  EXPECT_NE(at({"backup", "get"}).out.find("b2"), std::string::npos);
}

TEST_F(LocationAccessTest, AppendOnlyAddsBackupsButDeletesNothing) {
  set_mode("AppendOnly");
  CommandResult b = at({"backup", "create", "b2", "--path", src_});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  CommandResult del = at({"backup", "delete", "b1"});
  EXPECT_EQ(del.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(del.err)) << del.err;
  EXPECT_NE(del.err.find("the location disk is AppendOnly"), std::string::npos) << del.err;
  const std::string list = at({"backup", "get"}).out;
  EXPECT_NE(list.find("b1"), std::string::npos);
  EXPECT_NE(list.find("b2"), std::string::npos);
  // The backup's lock was released all the same.
  EXPECT_TRUE(std::filesystem::is_empty(repo() + "/locks"));
  EXPECT_EQ(at({"repo", "check"}).exit_code, 0);
}

}  // namespace
}  // namespace cairn
