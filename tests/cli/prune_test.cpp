// `cairn repo prune` end to end, with the real binary on real repositories:
// while other processes back up, after deleting half the backups, on a
// pack-heavy repository, and its refusals.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli/cli_fixture.h"
#include "cli/location_fixture.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

using nlohmann::json;

// Bytes in the repository's data/ folder (the packs).
uint64_t pack_bytes(const std::string& repo) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(repo + "/data"))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

class PruneCliTest : public CliTest {
 protected:
  void init_small_packs() {
    CommandResult r =
        cairn({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1", "--pack-size", "4"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void expect_restores(const std::string& name, const std::string& src) {
    SCOPED_TRACE("restoring " + name);
    std::string out = tmp_.file("restore-" + name);
    CommandResult r = cairn({"restore", "create", "--from-backup", name, "--target", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(compare_trees(src, out + src), std::vector<std::string>{});
    std::filesystem::remove_all(out);
  }

  void expect_check_read_data_passes() {
    CommandResult check = cairn({"repo", "check", "--read-data"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  json prune_json(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"repo", "prune", "-o", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = cairn(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
};

// Each round backs up a tree holding the files of the backup deleted just
// before, so the running backup deduplicates against exactly the data the
// concurrent prune finds garbage.
TEST_F(PruneCliTest, PruneWhileAnotherProcessBacksUpKeepsEveryBackupRestorable) {
  init_small_packs();
  constexpr int kRounds = 4;
  auto own_files = [&](const std::string& dir, int round) {
    for (int f = 0; f < 3; ++f)
      make_random_file(dir + "/own" + std::to_string(round) + "-" + std::to_string(f), 3u << 20,
                       static_cast<uint64_t>(round * 10 + f));
  };
  std::vector<std::string> sources;
  for (int round = 0; round < kRounds + 2; ++round) {
    std::string src = tmp_.file("src" + std::to_string(round));
    for (int f = 0; f < 4; ++f) make_random_file(src + "/shared/" + std::to_string(f), 1u << 20, 500 + f);
    own_files(src, round);
    if (round >= 2) own_files(src, round - 2);
    sources.push_back(src);
  }
  ASSERT_EQ(cairn({"backup", "create", "r0", "--path", sources[0]}).exit_code, 0);
  ASSERT_EQ(cairn({"backup", "create", "r1", "--path", sources[1]}).exit_code, 0);
  std::set<int> live = {0, 1};
  std::mt19937 rng(7);
  uint64_t rescued = 0;
  for (int round = 2; round < kRounds + 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string old = "r" + std::to_string(round - 2);
    ASSERT_EQ(cairn({"backup", "delete", old}).exit_code, 0);
    live.erase(round - 2);
    CommandResult backup;
    std::thread writer([&] {
      backup = cairn({"backup", "create", "r" + std::to_string(round), "--path", sources[round]});
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
    CommandResult prune = cairn({"repo", "prune", "-o", "json"});
    writer.join();
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
    ASSERT_EQ(prune.exit_code, 0) << prune.err;
    rescued += json::parse(prune.out)["packs_rescued"].get<uint64_t>();
    live.insert(round);
    expect_check_read_data_passes();
  }
  std::printf("packs rescued across the rounds: %llu\n", static_cast<unsigned long long>(rescued));
  for (int round : live) expect_restores("r" + std::to_string(round), sources[round]);
  // A last prune with nothing running leaves only what the backups use.
  json last = prune_json();
  expect_check_read_data_passes();
  for (int round : live) expect_restores("r" + std::to_string(round), sources[round]);
  EXPECT_TRUE(std::filesystem::is_empty(repo() + "/locks"));
  (void)last;
}

TEST_F(PruneCliTest, AfterDeletingHalfTheBackupsPruneReclaimsWhatTheyAloneUsed) {
  init_small_packs();
  constexpr int kBackups = 4;
  constexpr size_t kOwnBytes = 6u << 20;
  std::vector<std::string> sources;
  for (int b = 0; b < kBackups; ++b) {
    std::string src = tmp_.file("src" + std::to_string(b));
    make_random_file(src + "/shared", 4u << 20, 1);
    make_random_file(src + "/own-a", kOwnBytes / 2, 100 + b);
    make_random_file(src + "/own-b", kOwnBytes / 2, 200 + b);
    sources.push_back(src);
    ASSERT_EQ(cairn({"backup", "create", "b" + std::to_string(b), "--path", src}).exit_code, 0);
  }
  // The data b1 and b3 alone reference: their own files (random, so
  // stored at full size), nothing of the shared file.
  const uint64_t alone = 2 * kOwnBytes;
  const uint64_t before = pack_bytes(repo());
  ASSERT_EQ(cairn({"backup", "delete", "b1", "b3"}).exit_code, 0);
  json r = prune_json();
  const uint64_t after = pack_bytes(repo());
  std::printf("packs: %llu bytes before, %llu after; the deleted backups alone used %llu\n",
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(after),
              static_cast<unsigned long long>(alone));
  EXPECT_GE(before - after, alone * 9 / 10);
  EXPECT_EQ(r["backups"], 2);
  EXPECT_GE(r["reclaimed_bytes"].get<uint64_t>(), alone * 9 / 10);
  expect_check_read_data_passes();
  expect_restores("b0", sources[0]);
  expect_restores("b2", sources[2]);
}

// Many small files, every other one dropped by the next backup: once the
// first backup is deleted every pack is about half garbage, which only a
// repack reclaims.
TEST_F(PruneCliTest, RepackShrinksAPackHeavyRepositoryAndDryRunChangesNothing) {
  init_small_packs();
  std::string src = tmp_.file("src");
  for (int f = 0; f < 160; ++f) {
    char name[16];
    std::snprintf(name, sizeof name, "f%03d", f);
    make_random_file(src + "/" + name, 100 * 1024, static_cast<uint64_t>(f));
  }
  ASSERT_EQ(cairn({"backup", "create", "all", "--path", src}).exit_code, 0);
  for (int f = 1; f < 160; f += 2) {
    char name[16];
    std::snprintf(name, sizeof name, "f%03d", f);
    std::filesystem::remove(src + "/" + name);
  }
  ASSERT_EQ(cairn({"backup", "create", "half", "--path", src}).exit_code, 0);
  ASSERT_EQ(cairn({"backup", "delete", "all"}).exit_code, 0);

  // Below the default bar: a plain prune only drops the old tree's pack.
  const uint64_t before = pack_bytes(repo());
  json plan = prune_json({"--dry-run", "--max-repack-ratio", "0.3"});
  EXPECT_TRUE(plan["dry_run"].get<bool>());
  EXPECT_GE(plan["packs_repacked"].get<uint64_t>(), 2u);
  EXPECT_EQ(plan["repacked_packs"].size(), plan["packs_repacked"].get<size_t>());
  EXPECT_EQ(pack_bytes(repo()), before);
  CommandResult text = cairn({"repo", "prune", "--dry-run", "--max-repack-ratio", "0.3"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("would repack pack "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("would reclaim about"), std::string::npos) << text.out;
  EXPECT_EQ(pack_bytes(repo()), before);

  json done = prune_json({"--max-repack-ratio", "0.3"});
  const uint64_t after = pack_bytes(repo());
  std::printf("pack bytes %llu -> %llu after repacking %llu packs\n", static_cast<unsigned long long>(before),
              static_cast<unsigned long long>(after),
              static_cast<unsigned long long>(done["packs_repacked"].get<uint64_t>()));
  // 80 dropped files of 100 KiB: most of it is reclaimed.
  EXPECT_GE(before - after, 80u * 100 * 1024 * 8 / 10);
  expect_check_read_data_passes();
  expect_restores("half", src);
  json again = prune_json({"--max-repack-ratio", "0.3"});
  EXPECT_EQ(again["packs_deleted"], 0);
  EXPECT_EQ(again["packs_repacked"], 0);
}

TEST_F(PruneCliTest, BadRepackRatioIsAUsageError) {
  init_repository();
  CommandResult r = cairn({"repo", "prune", "--max-repack-ratio", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

class PruneAccessTest : public LocationCliTest {};

TEST_F(PruneAccessTest, PruneIsRefusedOnReadOnlyAndAppendOnlyLocations) {
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
  ASSERT_EQ(at({"backup", "create", "b1", "--path", src_}).exit_code, 0);
  for (const char* mode : {"ReadOnly", "AppendOnly"}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(at({"location", "set", "disk", "--access-mode", mode}).exit_code, 0);
    CommandResult r = at({"repo", "prune"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;
    EXPECT_NE(r.err.find(std::string("the location disk is ") + mode), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::is_empty(repo() + "/locks"));
  }
}

}  // namespace
}  // namespace cairn
