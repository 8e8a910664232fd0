// pg archive-push without the index (docs/pg-archive-push.md): a chunk the
// repository already holds is stored a second time, and check, prune and
// archive-get must all stay right about it. The stanza's "data directory"
// is two files (stanza create reads only those); history files need no
// segment header, so no server is needed.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_fixture.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

class ArchivePushTest : public CliTest {
 protected:
  void SetUp() override {
    init_repository();
    write_file(tmp_.file("pgdata/global/pg_control"), std::string("\x2a\0\0\0\0\0\0\0", 8) + "control");
    write_file(tmp_.file("pgdata/PG_VERSION"), "15\n");
    CommandResult s = cairn({"pg", "stanza", "create", "main", "--pg-path", tmp_.file("pgdata")});
    ASSERT_EQ(s.exit_code, 0) << s.err;
  }
  CommandResult push(const std::string& file) {
    return cairn({"pg", "archive-push", "--stanza", "main", file}, {{"CAIRN_KEY_CACHE", "0"}});
  }
  CommandResult get(const std::string& name, const std::string& dest) {
    return cairn({"pg", "archive-get", "--stanza", "main", name, dest}, {{"CAIRN_KEY_CACHE", "0"}});
  }
};

TEST_F(ArchivePushTest, TheSameBytesPushedUnderTwoNamesStayReadableThroughCheckAndPrune) {
  std::string bytes;
  for (int i = 0; i < 20000; ++i) bytes += "timeline " + std::to_string(i) + " history line\n";
  write_file(tmp_.file("in/00000002.history"), bytes);
  write_file(tmp_.file("in/00000003.history"), bytes);
  ASSERT_EQ(push(tmp_.file("in/00000002.history")).exit_code, 0);
  CommandResult second = push(tmp_.file("in/00000003.history"));
  ASSERT_EQ(second.exit_code, 0) << second.err;

  CommandResult check = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  CommandResult prune = cairn({"repo", "prune"});
  EXPECT_EQ(prune.exit_code, 0) << prune.out << prune.err;
  CommandResult after = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  for (const char* name : {"00000002.history", "00000003.history"}) {
    const std::string dest = tmp_.file(std::string("out/") + name);
    fs::create_directories(tmp_.file("out"));
    CommandResult r = get(name, dest);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(dest), bytes) << name;
  }
}

TEST_F(ArchivePushTest, PushingTheSameFileAgainSucceedsAndDifferentBytesUnderItsNameAreRefused) {
  write_file(tmp_.file("in/00000002.history"), "1\t0/3000000\tno recovery target specified\n");
  ASSERT_EQ(push(tmp_.file("in/00000002.history")).exit_code, 0);
  EXPECT_EQ(push(tmp_.file("in/00000002.history")).exit_code, 0);
  write_file(tmp_.file("other/00000002.history"), "1\t0/4000000\tsomething else\n");
  CommandResult r = push(tmp_.file("other/00000002.history"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
}

TEST_F(ArchivePushTest, AMissingFileIsOnePlainSentence) {
  CommandResult r = push(tmp_.file("in/00000009.history"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
}

TEST_F(ArchivePushTest, ADirectoryIsRefusedWithOnePlainSentence) {
  fs::create_directories(tmp_.file("in/00000004.history"));
  CommandResult r = push(tmp_.file("in/00000004.history"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
}

}  // namespace
}  // namespace cairn
