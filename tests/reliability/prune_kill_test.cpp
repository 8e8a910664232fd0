// SIGKILL of `cairn repo prune` at a random moment never costs a backup:
// afterwards `repo check --read-data` passes and every backup restores
// byte-identical, and the next prune finishes the job (nothing left to
// delete or repack, no prune records left behind).
//
// Trials: $CAIRN_PRUNE_KILL_TRIALS (default 6); seed: $CAIRN_KILL_SEED,
// else random (printed).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "reliability/reliability_util.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

class PruneKillTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> env() const {
    return {{"CAIRN_PASSWORD", "kill-test"}, {"CAIRN_PASSWORD_FILE", ""}, {"CAIRN_REPO", ""}};
  }

  CommandResult cairn(const std::string& repo, std::vector<std::string> args) {
    std::vector<std::string> argv = {cairn_binary(), "--repo", repo, "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, env());
  }

  std::vector<std::string> prune_argv(const std::string& repo) const {
    return {cairn_binary(), "--repo", repo, "--no-progress", "repo", "prune", "--max-repack-ratio", "0.3"};
  }

  TempDir tmp_;
};

TEST_F(PruneKillTest, SigkillDuringPruneLeavesEveryBackupAndTheNextPruneFinishes) {
  const uint64_t trials = env_or("CAIRN_PRUNE_KILL_TRIALS", 6);
  const uint64_t seed = env_or("CAIRN_KILL_SEED", std::random_device{}());
  std::printf("prune kill trials: %llu, seed %llu\n", static_cast<unsigned long long>(trials),
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);

  // A template repository with every kind of prune work: packs to delete
  // (backup "gone"), packs to repack (half of "all"'s small files are no
  // longer referenced), and packs to keep.
  const std::string tmpl = tmp_.file("template");
  ASSERT_EQ(cairn(tmpl, {"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1", "--pack-size", "4"})
                .exit_code,
            0);
  const std::string src = tmp_.file("src"), gone = tmp_.file("gone");
  for (int f = 0; f < 100; ++f) make_random_file(src + "/f" + std::to_string(100 + f), 100 * 1024, f);
  make_random_file(src + "/big", 4u << 20, 77);
  make_random_file(gone + "/g", 6u << 20, 78);
  ASSERT_EQ(cairn(tmpl, {"backup", "create", "all", "--path", src}).exit_code, 0);
  ASSERT_EQ(cairn(tmpl, {"backup", "create", "gone", "--path", gone}).exit_code, 0);
  for (int f = 0; f < 100; f += 2) std::filesystem::remove(src + "/f" + std::to_string(100 + f));
  ASSERT_EQ(cairn(tmpl, {"backup", "create", "half", "--path", src}).exit_code, 0);
  ASSERT_EQ(cairn(tmpl, {"backup", "delete", "all", "gone"}).exit_code, 0);

  // How long an uninterrupted prune takes, on copies: the faster of two
  // runs, so a busy machine during one of them does not make most kills
  // come too late.
  KilledRun full;
  full.seconds = 1e9;
  for (int i = 0; i < 2; ++i) {
    const std::string timing = tmp_.file("timing" + std::to_string(i));
    std::filesystem::copy(tmpl, timing, std::filesystem::copy_options::recursive);
    KilledRun run = run_and_kill(prune_argv(timing), env(), 1e9);
    ASSERT_EQ(run.exit_code, 0);
    if (run.seconds < full.seconds) full = run;
  }
  std::printf("an uninterrupted prune takes %.3f s\n", full.seconds);

  int killed = 0;
  for (uint64_t t = 0; t < trials && !HasFatalFailure(); ++t) {
    const double delay = std::uniform_real_distribution<double>(0, full.seconds)(rng);
    SCOPED_TRACE("trial " + std::to_string(t) + ", kill after " + std::to_string(delay) + " s, seed " +
                 std::to_string(seed));
    const std::string repo = tmp_.file("trial" + std::to_string(t));
    std::filesystem::copy(tmpl, repo, std::filesystem::copy_options::recursive);
    KilledRun run = run_and_kill(prune_argv(repo), env(), delay);
    ASSERT_TRUE(run.killed || run.exit_code == 0) << "exit " << run.exit_code;
    killed += run.killed;

    CommandResult check = cairn(repo, {"repo", "check", "--read-data"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    std::string out = tmp_.file("out" + std::to_string(t));
    CommandResult restore = cairn(repo, {"restore", "create", "--from-backup", "half", "--target", out});
    EXPECT_EQ(restore.exit_code, 0) << restore.err;
    EXPECT_EQ(compare_trees(src, out + src), std::vector<std::string>{});

    CommandResult again = cairn(repo, {"repo", "prune", "--max-repack-ratio", "0.3"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    CommandResult plan =
        cairn(repo, {"repo", "prune", "--dry-run", "--max-repack-ratio", "0.3", "-o", "json"});
    auto j = nlohmann::json::parse(plan.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << plan.out << plan.err;
    EXPECT_EQ(j["packs_deleted"], 0) << "the next prune did not finish the job";
    EXPECT_EQ(j["packs_repacked"], 0);
    // Only the killed prune's own lock may remain (stale: its process is gone).
    // A put killed before its link leaves a ".tmp-" file, which no listing
    // shows; it is not a lock.
    size_t lock_objects = 0;
    for (const auto& e : std::filesystem::directory_iterator(repo + "/locks"))
      lock_objects += e.is_regular_file() && !e.path().filename().string().starts_with(".tmp-");
    EXPECT_LE(lock_objects, run.killed ? 1u : 0u) << "prune records were left behind";
    EXPECT_EQ(cairn(repo, {"repo", "check", "--read-data"}).exit_code, 0);
    std::filesystem::remove_all(repo);
    std::filesystem::remove_all(out);
  }
  std::printf("%d of %llu prunes were killed before they finished\n", killed,
              static_cast<unsigned long long>(trials));
}

}  // namespace
}  // namespace cairn
