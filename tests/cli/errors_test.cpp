// Bad input gets one plain sentence, a documented exit code, and loses nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "cli/cli_fixture.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

TEST_F(CliTest, InitOfAnExistingRepositoryFailsAndChangesNothing) {
  init_repository();
  auto before = compare_trees(repo(), repo());
  CommandResult r = cairn({"repo", "init"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("already exists"), std::string::npos);
  // The original password still opens it.
  EXPECT_EQ(cairn({"backup", "get"}).exit_code, 0);
}

TEST_F(CliTest, WrongPasswordExitsTwelveWithOneSentence) {
  init_repository();
  CommandResult r = cairn({"backup", "get"}, {{"CAIRN_PASSWORD", "wrong"}});
  EXPECT_EQ(r.exit_code, 12);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("wrong password"), std::string::npos);
}

TEST_F(CliTest, MissingRepositoryExitsTenAndSaysHowToCreateOne) {
  CommandResult r = cairn({"backup", "get"});
  EXPECT_EQ(r.exit_code, 10);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("repo init"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(repo()));
}

TEST_F(CliTest, NoPasswordAndNoTerminalIsAUsageError) {
  init_repository();
  CommandResult r = cairn({"backup", "get"}, {{"CAIRN_PASSWORD", ""}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("CAIRN_PASSWORD_FILE"), std::string::npos);
}

TEST_F(CliTest, PasswordFileIsReadWithoutItsTrailingNewline) {
  std::string pwfile = tmp_.file("pw");
  ASSERT_EQ(system(("printf 'from file\\n' > " + pwfile).c_str()), 0);
  CommandResult init = cairn({"repo", "init", "--kdf-memory", "8"}, {{"CAIRN_PASSWORD_FILE", pwfile}});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(cairn({"backup", "get"}, {{"CAIRN_PASSWORD", "from file"}}).exit_code, 0);
}

TEST_F(CliTest, PasswordIsNotAcceptedAsAnArgument) {
  init_repository();
  CommandResult r = cairn({"backup", "get", "--password", "correct horse"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliTest, UnknownFlagIsAUsageErrorPointingAtHelp) {
  CommandResult r = cairn({"backup", "create", "x", "--path", "/tmp", "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--help"), std::string::npos);
}

TEST_F(CliTest, BackupOfAMissingPathFailsBeforeTouchingTheRepository) {
  init_repository();
  CommandResult r = cairn({"backup", "create", "b1", "--path", tmp_.file("nope")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("nope"), std::string::npos);
  EXPECT_EQ(cairn({"backup", "get", "-o", "json"}).out.find("b1"), std::string::npos);
}

TEST_F(CliTest, InvalidBackupNameIsRefused) {
  init_repository();
  CommandResult r = cairn({"backup", "create", "bad/name", "--path", tmp_.path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
}

TEST_F(CliTest, DescribeOfAMissingBackupSaysHowToList) {
  init_repository();
  CommandResult r = cairn({"backup", "describe", "ghost"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
  EXPECT_NE(r.err.find("backup get"), std::string::npos);
}

TEST_F(CliTest, HelpListsTheExitCodes) {
  CommandResult r = run_command({cairn_binary(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  EXPECT_NE(r.out.find("12  wrong password"), std::string::npos);
}

TEST_F(CliTest, UnreadableSourceFileMakesThePartiallyFailedBackupNameItAndKeepsTheRest) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run cairn as another user";
  if (run_command({"setpriv", "--version"}).exit_code != 0) GTEST_SKIP() << "setpriv is not installed";
  init_repository();
  std::string src = tmp_.file("src");
  make_random_file(src + "/readable", 5000, 1);
  make_random_file(src + "/secret", 5000, 2);
  ASSERT_EQ(chmod((src + "/secret").c_str(), 0600), 0);  // root's; nobody cannot read it
  ASSERT_EQ(chmod(tmp_.path().c_str(), 0755), 0);
  ASSERT_EQ(system(("chown -R 65534:65534 " + repo()).c_str()), 0);
  std::vector<std::string> argv = {
      "setpriv",       "--reuid=65534", "--regid=65534", "--clear-groups", cairn_binary(), "--repo", repo(),
      "--no-progress", "backup",        "create",        "partial",        "--path",       src};
  CommandResult r = run_command(argv, {{"CAIRN_PASSWORD", "correct horse"}, {"CAIRN_PASSWORD_FILE", ""}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(src + "/secret"), std::string::npos) << r.err;
  CommandResult get = cairn({"backup", "get", "partial"});
  EXPECT_NE(get.out.find("PartiallyFailed"), std::string::npos) << get.out;
  CommandResult describe = cairn({"backup", "describe", "partial"});
  EXPECT_NE(describe.out.find(src + "/secret: cannot read"), std::string::npos) << describe.out;
  CommandResult restore =
      cairn({"restore", "create", "--from-backup", "partial", "--target", tmp_.file("out")});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_TRUE(std::filesystem::exists(tmp_.file("out") + src + "/readable"));
  EXPECT_FALSE(std::filesystem::exists(tmp_.file("out") + src + "/secret"));
}

}  // namespace
}  // namespace cairn
