// An S3 location end to end against the test S3 server (scripts/ceph-rgw.sh):
// probe, backup, and the access modes, with credentials from a file that
// never shows up in any output. Like every S3 test it fails without a server
// unless CAIRN_TEST_S3=skip says to skip it on purpose.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "cli/location_fixture.h"

namespace cairn {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class LocationS3Test : public LocationCliTest {
 protected:
  void SetUp() override {
    if (env("CAIRN_TEST_S3") == "skip") GTEST_SKIP() << "CAIRN_TEST_S3=skip";
    secret_ = env("CAIRN_TEST_S3_SECRET_KEY");
    ASSERT_FALSE(env("CAIRN_TEST_S3_ENDPOINT").empty() || env("CAIRN_TEST_S3_BUCKET").empty() ||
                 env("CAIRN_TEST_S3_ACCESS_KEY").empty() || secret_.empty())
        << "the S3 tests need CAIRN_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and _SECRET_KEY: run "
           "`scripts/ceph-rgw.sh up && eval \"$(scripts/ceph-rgw.sh env)\"`, or set CAIRN_TEST_S3=skip";
    LocationCliTest::SetUp();
    {
      std::ofstream(tmp_.file("aws"))
          << "# test credentials\n[cairn]\naws_access_key_id = " << env("CAIRN_TEST_S3_ACCESS_KEY")
          << "\naws_secret_access_key = " << secret_ << "\n";
    }
    const std::string prefix =
        "cli-location/" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}() % 1000000);
    std::vector<std::string> create = {"location", "create", "rgw", "--provider", "s3", "--default"};
    for (const auto& [flag, value] :
         std::vector<std::pair<std::string, std::string>>{{"--bucket", env("CAIRN_TEST_S3_BUCKET")},
                                                          {"--prefix", prefix},
                                                          {"--endpoint", env("CAIRN_TEST_S3_ENDPOINT")},
                                                          {"--region", env("CAIRN_TEST_S3_REGION")},
                                                          {"--credentials-file", tmp_.file("aws")},
                                                          {"--profile", "cairn"}}) {
      if (value.empty()) continue;
      create.push_back(flag);
      create.push_back(value);
    }
    ASSERT_EQ(run(create).exit_code, 0);
  }

  // at(), remembering everything printed, to look for the secret at the end.
  CommandResult run(const std::vector<std::string>& args) {
    CommandResult r = at(args, {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
    printed_ += r.out + r.err;
    return r;
  }

  void TearDown() override {
    if (!secret_.empty()) {
      EXPECT_EQ(printed_.find(secret_), std::string::npos) << "a secret was printed";
    }
  }

  std::string secret_;
  std::string printed_;
};

TEST_F(LocationS3Test, ReadOnlyS3LocationSendsNoWriteWhileRestoreAndCheckWork) {
  EXPECT_NE(run({"location", "get"}).out.find("Unavailable"), std::string::npos);  // no repository yet
  ASSERT_EQ(run({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code, 0);
  EXPECT_NE(run({"location", "get", "rgw"}).out.find("Available"), std::string::npos);
  CommandResult b = run({"backup", "create", "b1", "--path", src_});
  ASSERT_EQ(b.exit_code, 0) << b.err;

  ASSERT_EQ(run({"location", "set", "rgw", "--access-mode", "ReadOnly"}).exit_code, 0);
  CommandResult refused = run({"backup", "create", "b2", "--path", src_});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(refused.err)) << refused.err;
  EXPECT_NE(refused.err.find("is ReadOnly"), std::string::npos) << refused.err;
  EXPECT_EQ(run({"backup", "delete", "b1"}).exit_code, 1);
  const std::string target = tmp_.file("restored");
  CommandResult r = run({"-v", "restore", "create", "--from-backup", "b1", "--target", target});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("debug: storage requests: puts=0 "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" removes=0 "), std::string::npos) << r.err;
  EXPECT_TRUE(compare_trees(src_, target + src_).empty());
  EXPECT_EQ(run({"repo", "check", "--read-data"}).exit_code, 0);

  ASSERT_EQ(run({"location", "set", "rgw", "--access-mode", "AppendOnly"}).exit_code, 0);
  EXPECT_EQ(run({"backup", "create", "b2", "--path", src_}).exit_code, 0);
  EXPECT_EQ(run({"backup", "delete", "b1"}).exit_code, 1);
  ASSERT_EQ(run({"location", "set", "rgw", "--access-mode", "ReadWrite"}).exit_code, 0);
  EXPECT_EQ(run({"backup", "delete", "b1"}).exit_code, 0);
  const std::string list = run({"backup", "get"}).out;
  EXPECT_EQ(list.find("b1"), std::string::npos) << list;
  EXPECT_NE(list.find("b2"), std::string::npos) << list;
}

}  // namespace
}  // namespace cairn
