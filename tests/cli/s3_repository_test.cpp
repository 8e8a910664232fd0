// The real cairn binary against a repository on a real S3 server (the RGW
// of scripts/ceph-rgw.sh): the same commands and results as on local disk,
// and one plain sentence for each way of pointing at the wrong place.
#include <gtest/gtest.h>

#include "cli/cli_fixture.h"
#include "storage/s3_test_util.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

class S3RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<S3Config> config = s3_test_config();
    if (config.status().code() == ErrorCode::kUnsupported) GTEST_SKIP() << config.status().message();
    ASSERT_TRUE(config.is_ok()) << config.status().message();
    config_ = *config;
    config_.prefix = unique_s3_prefix();
    cleanup_ = std::make_unique<S3PrefixCleanup>(S3PrefixCleanup{config_});
  }

  std::string url(const S3Config& c) const { return s3_location(c); }

  CommandResult cairn(std::vector<std::string> args, const S3Config* c = nullptr) {
    const S3Config& where = c ? *c : config_;
    std::vector<std::string> argv = {cairn_binary(), "--repo", url(where), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {{"CAIRN_PASSWORD", "correct horse"},
                              {"CAIRN_PASSWORD_FILE", ""},
                              {"CAIRN_REPO", ""},
                              {"AWS_ACCESS_KEY_ID", where.access_key_id},
                              {"AWS_SECRET_ACCESS_KEY", where.secret_access_key},
                              {"AWS_DEFAULT_REGION", where.region}});
  }

  S3Config config_;
  std::unique_ptr<S3PrefixCleanup> cleanup_;
  TempDir tmp_;
};

TEST_F(S3RepositoryTest, BackupListDescribeRestoreAndCheckWorkAsOnLocalDisk) {
  const std::string src = tmp_.file("src");
  make_random_file(src + "/a/one", 3000, 1);
  make_random_file(src + "/big", 5 << 20, 2);
  ASSERT_EQ(cairn({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code, 0);
  CommandResult b = cairn({"backup", "create", "b1", "--path", src});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  make_random_file(src + "/a/two", 70000, 3);
  ASSERT_EQ(cairn({"backup", "create", "b2", "--path", src}).exit_code, 0);
  CommandResult get = cairn({"backup", "get"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_NE(get.out.find("b1 "), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("b2 "), std::string::npos) << get.out;
  EXPECT_EQ(cairn({"backup", "describe", "b2", "--details"}).exit_code, 0);
  const std::string out = tmp_.file("out");
  CommandResult r = cairn({"restore", "create", "--from-backup", "b2", "--target", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(src, out + src), std::vector<std::string>{});
  CommandResult check = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(S3RepositoryTest, WrongPlacesEachGiveOnePlainSentence) {
  ASSERT_EQ(cairn({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code, 0);
  S3Config wrong_secret = config_, missing_bucket = config_, nowhere = config_;
  wrong_secret.secret_access_key += "x";
  missing_bucket.bucket = "cairn-no-such-bucket";
  nowhere.endpoint = "http://127.0.0.1:1";
  const std::pair<const S3Config*, std::string> cases[] = {
      {&wrong_secret, "check the secret key"},
      {&missing_bucket, "\"cairn-no-such-bucket\" does not exist"},
      {&nowhere, "cannot reach http://127.0.0.1:1"}};
  for (const auto& [config, expected] : cases) {
    CommandResult g = cairn({"backup", "get"}, config);
    EXPECT_NE(g.exit_code, 0);
    EXPECT_TRUE(is_one_plain_sentence(g.err)) << g.err;
    EXPECT_NE(g.err.find(expected), std::string::npos) << g.err;
  }
}

TEST_F(S3RepositoryTest, ASkewedClockGivesOnePlainSentenceAboutTheClock) {
  ASSERT_EQ(cairn({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code, 0);
  // libfaketime (Debian faketime, installed by install-deps.sh test) moves
  // only this process's clock back an hour: SigV4 dates it.
  std::vector<std::string> argv = {"faketime", "-f",         "-1h",    cairn_binary(),
                                   "--repo",   url(config_), "backup", "get"};
  CommandResult g =
      run_command(argv, {{"CAIRN_PASSWORD", "correct horse"},
                         {"CAIRN_PASSWORD_FILE", ""},
                         {"CAIRN_REPO", ""},
                         {"AWS_ACCESS_KEY_ID", config_.access_key_id},
                         {"AWS_SECRET_ACCESS_KEY", config_.secret_access_key},
                         {"AWS_DEFAULT_REGION", config_.region},
                         // libfaketime preloads ahead of the ASan runtime in the sanitizer build
                         {"ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1"}});
  EXPECT_EQ(g.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(g.err)) << g.err;
  EXPECT_NE(g.err.find("clock is off"), std::string::npos) << g.err;
}

}  // namespace
}  // namespace cairn
