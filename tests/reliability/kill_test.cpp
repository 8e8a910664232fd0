// SIGKILL of the real binary at a random moment of a backup or a restore
// never costs a Completed backup: afterwards `repo check --read-data`
// passes, earlier backups restore byte-identical, the killed backup is not
// listed unless its snapshot was committed (and then it restores too), and
// the next backup completes.
//
// Trials: $CAIRN_KILL_TRIALS, else CAIRN_KILL_TRIALS_DEFAULT (30 in
// release, fewer under sanitizers); seed: $CAIRN_KILL_SEED, else random
// (printed). scripts/kill-trials.sh runs any number.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "reliability/reliability_util.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/tree_compare.h"

#ifndef CAIRN_KILL_TRIALS_DEFAULT
#define CAIRN_KILL_TRIALS_DEFAULT 30
#endif

namespace cairn {
namespace {

constexpr int kStableDirs = 16;
constexpr int kFilesPerDir = 40;
constexpr int kChurnFiles = 3;
constexpr size_t kChurnFileSize = 2u << 20;
constexpr size_t kBigFileSize = 36u << 20;
constexpr const char* kChurnDir = "d08-churn";  // sorts among the dNN folders: mid-walk

std::string stable_dir(int i) { return (i < 10 ? "d0" : "d") + std::to_string(i); }

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string churn_bytes(int generation, int file) {
  return random_bytes(kChurnFileSize, 7000000 + static_cast<uint64_t>(generation) * 16 + file);
}

class KillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = tmp_.file("src");
    repo_ = tmp_.file("repo");
    build_tree();
    write_churn(0);
  }

  // About 200 MB, deterministic: 16 folders of 40 files from 1 byte to
  // 1 MiB (log-uniform) and a folder of four 36 MiB files, which the
  // per-trial restores skip to stay cheap (the first and last restores and
  // every killed restore cover them).
  void build_tree() {
    std::mt19937_64 rng(42);
    for (int d = 0; d < kStableDirs; ++d) {
      for (int f = 0; f < kFilesPerDir; ++f) {
        size_t size = static_cast<size_t>(std::exp2(std::uniform_real_distribution<double>(0, 20)(rng)));
        make_random_file(src_ + "/" + stable_dir(d) + "/f" + std::to_string(f), size, d * 1000 + f);
      }
    }

    for (int b = 0; b < 4; ++b) make_random_file(src_ + "/big/" + std::to_string(b), kBigFileSize, 900 + b);
  }

  void write_churn(int generation) {
    for (int f = 0; f < kChurnFiles; ++f) {
      std::string path = src_ + "/" + kChurnDir + "/c" + std::to_string(f);
      std::filesystem::create_directories(src_ + "/" + kChurnDir);
      std::ofstream(path, std::ios::binary | std::ios::trunc) << churn_bytes(generation, f);
    }
  }

  CommandResult cairn(std::vector<std::string> args) {
    std::vector<std::string> argv = {cairn_binary(), "--repo", repo_, "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = run_command(argv, env());
    EXPECT_GE(r.exit_code, 0) << "cairn was ended by a signal: " << args[0] << " " << args[1];
    return r;
  }

  std::map<std::string, std::string> env() const {
    return {{"CAIRN_PASSWORD", "kill-test"}, {"CAIRN_PASSWORD_FILE", ""}, {"CAIRN_REPO", ""}};
  }

  // name -> status, from `backup get -o json`.
  std::map<std::string, std::string> listed_backups() {
    CommandResult r = cairn({"backup", "get", "-o", "json"});
    std::map<std::string, std::string> out;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out << r.err;
    if (doc.is_discarded()) return out;
    for (const auto& item : doc["items"]) out[item["name"]] = item["status"];
    return out;
  }

  // Every regular file under restored (final names only) holds the bytes
  // the backup of churn generation `generation` holds. Returns files checked.
  int expect_restored_files_match(const std::string& restored, int generation) {
    int checked = 0;
    for (const std::string& rel : regular_files_under(restored)) {
      if (is_temp_name(std::filesystem::path(rel).filename().string())) continue;
      std::string got = read_whole_file(restored + "/" + rel);
      std::string want;
      if (rel.rfind(std::string(kChurnDir) + "/c", 0) == 0) {
        want = churn_bytes(generation, std::stoi(rel.substr(std::strlen(kChurnDir) + 2)));
      } else {
        want = read_whole_file(src_ + "/" + rel);
      }
      EXPECT_TRUE(got == want) << rel << " differs from what was backed up (" << got.size() << " bytes)";
      ++checked;
    }
    return checked;
  }

  // Restores one stable folder and the churn folder of backup `name` and
  // compares them with what was backed up.
  void expect_backup_restores(const std::string& name, int generation, int stable) {
    SCOPED_TRACE("restoring backup " + name);
    std::string out = tmp_.file("verify");
    std::string dir = src_ + "/" + stable_dir(stable);
    CommandResult r = cairn({"restore", "create", "--from-backup", name, "--target", out, "--include", dir,
                             "--include", src_ + "/" + kChurnDir});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(compare_trees(dir, out + dir), std::vector<std::string>{});
    EXPECT_EQ(expect_restored_files_match(out + src_, generation), kFilesPerDir + kChurnFiles);
    std::filesystem::remove_all(out);
  }

  TempDir tmp_;
  std::string src_, repo_;
};

TEST_F(KillTest, SigkillDuringBackupOrRestoreNeverLosesACompletedBackup) {
  const uint64_t trials = env_or("CAIRN_KILL_TRIALS", CAIRN_KILL_TRIALS_DEFAULT);
  const uint64_t seed = env_or("CAIRN_KILL_SEED", std::random_device{}());
  std::printf("kill trials: %llu, seed %llu (rerun: CAIRN_KILL_SEED=%llu)\n",
              static_cast<unsigned long long>(trials), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  RecordProperty("kill_seed", std::to_string(seed));
  std::mt19937_64 rng(seed);

  ASSERT_EQ(
      cairn({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1", "--pack-size", "4"}).exit_code, 0);
  KilledRun first =
      run_and_kill({cairn_binary(), "--repo", repo_, "backup", "create", "b0", "--path", src_}, env(), 1e9);
  ASSERT_EQ(first.exit_code, 0);
  KilledRun full = run_and_kill({cairn_binary(), "--repo", repo_, "restore", "create", "--from-backup", "b0",
                                 "--target", tmp_.file("full")},
                                env(), 1e9);
  ASSERT_EQ(full.exit_code, 0);
  ASSERT_EQ(compare_trees(src_, tmp_.file("full") + src_), std::vector<std::string>{});
  std::filesystem::remove_all(tmp_.file("full"));
  // The killed backups read every file (--full) and store the churn: time one.
  KilledRun reread = run_and_kill(
      {cairn_binary(), "--repo", repo_, "backup", "create", "b0-full", "--path", src_, "--full"}, env(), 1e9);
  ASSERT_EQ(reread.exit_code, 0);
  std::printf("the first backup takes %.2f s, a --full one %.2f s, a full restore %.2f s\n", first.seconds,
              reread.seconds, full.seconds);

  std::map<std::string, int> completed = {{"b0", 0}, {"b0-full", 0}};  // backup -> churn generation it holds
  std::vector<std::string> order = {"b0", "b0-full"};
  int generation = 0, before_commit = 0, after_commit = 0, finished = 0;
  for (uint64_t t = 0; t < trials && !HasFatalFailure(); ++t) {
    const bool kill_restore = t % 2 == 1;
    const double limit = (kill_restore ? 0.8 * full.seconds : reread.seconds);
    const double delay = std::uniform_real_distribution<double>(0, limit)(rng);
    const std::string killed_name = "k" + std::to_string(t);
    SCOPED_TRACE("trial " + std::to_string(t) + (kill_restore ? " (restore)" : " (backup)") +
                 ", kill after " + std::to_string(delay) + " s, seed " + std::to_string(seed));
    std::string scratch = tmp_.file("scratch");
    std::vector<std::string> argv = {cairn_binary(), "--repo", repo_, "--no-progress"};
    std::vector<std::string> rest =
        kill_restore ? std::vector<std::string>{"restore",    "create",   "--from-backup",
                                                order.back(), "--target", scratch}
                     : std::vector<std::string>{"backup", "create", killed_name, "--path", src_, "--full"};
    argv.insert(argv.end(), rest.begin(), rest.end());
    KilledRun run = run_and_kill(argv, env(), delay);
    ASSERT_TRUE(run.killed || run.exit_code == 0) << "exit " << run.exit_code;
    if (!run.killed) ++finished;

    auto t0 = std::chrono::steady_clock::now();
    CommandResult check = cairn({"repo", "check", "--read-data"});
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

    std::map<std::string, std::string> listed = listed_backups();
    for (const auto& [name, gen] : completed) EXPECT_EQ(listed[name], "Completed") << name << " was lost";
    if (kill_restore) {
      expect_restored_files_match(scratch + src_, completed[order.back()]);
      std::filesystem::remove_all(scratch);
    } else if (listed.count(killed_name)) {
      // Killed after its snapshot was stored: it must be whole.
      EXPECT_EQ(listed[killed_name], "Completed");
      if (run.killed) ++after_commit;
      completed[killed_name] = generation;
      order.push_back(killed_name);
    } else {
      EXPECT_TRUE(run.killed) << "a backup that exited 0 is not listed";
      ++before_commit;
    }

    auto t2 = std::chrono::steady_clock::now();
    std::uniform_int_distribution<size_t> pick(0, order.size() - 1);
    std::uniform_int_distribution<int> dir(0, kStableDirs - 1);
    expect_backup_restores(order.back(), completed[order.back()], dir(rng));
    std::string earlier = order[pick(rng)];
    expect_backup_restores(earlier, completed[earlier], dir(rng));

    const std::string next = "n" + std::to_string(t);
    auto t3 = std::chrono::steady_clock::now();
    CommandResult b = cairn({"backup", "create", next, "--path", src_});
    auto t4 = std::chrono::steady_clock::now();
    auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    std::printf(
        "trial %llu: %s %s after %.2f s; check %.2f s, verify %.2f s, restores %.2f s, next backup %.2f s\n",
        static_cast<unsigned long long>(t), kill_restore ? "restore" : "backup",
        run.killed ? "killed" : "finished", run.seconds, secs(t0, t1), secs(t1, t2), secs(t2, t3),
        secs(t3, t4));
    ASSERT_EQ(b.exit_code, 0) << b.err;
    completed[next] = generation;
    order.push_back(next);
    write_churn(++generation);
  }
  std::printf(
      "kill trials passed: %llu (killed before commit %d, after commit %d, finished before the kill %d)\n",
      static_cast<unsigned long long>(trials), before_commit, after_commit, finished);
}

}  // namespace
}  // namespace cairn
