// Replays every saved fuzz input through its target, in every ordinary test
// build (no clang or libFuzzer needed): fuzz/regressions/<target>/ holds
// inputs that once crashed or broke a property, fuzz/corpus/<target>/ the
// seed corpus. The targets (fuzz/*_fuzz.cpp) are compiled into this program
// with CAIRN_FUZZ_REPLAY; a target aborts on a violated property, and
// ASan/UBSan (the asan pass) catch what the fuzz build caught.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz_target.h"

namespace cairn::fuzz {
namespace {

namespace fs = std::filesystem;

const fs::path kFuzzDir = CAIRN_FUZZ_DIR;

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Replays every file under dir/<target>/; returns how many.
size_t replay_all(const fs::path& dir) {
  size_t replayed = 0;
  for (const auto& target_dir : fs::directory_iterator(dir)) {
    std::string target = target_dir.path().filename();
    auto it = fuzz_targets().find(target);
    EXPECT_NE(it, fuzz_targets().end()) << dir << " holds inputs for an unknown target " << target;
    if (it == fuzz_targets().end()) continue;
    for (const auto& file : fs::directory_iterator(target_dir.path())) {
      SCOPED_TRACE(file.path().string());
      std::vector<uint8_t> input = read_file(file.path());
      it->second(input.data(), input.size());
      ++replayed;
    }
  }
  return replayed;
}

TEST(FuzzRegressions, EveryTargetHasASeedCorpus) {
  ASSERT_FALSE(fuzz_targets().empty());
  for (const auto& [name, fn] : fuzz_targets()) {
    fs::path dir = kFuzzDir / "corpus" / name;
    EXPECT_TRUE(fs::is_directory(dir) && !fs::is_empty(dir)) << "no seed corpus for target " << name;
  }
}

TEST(FuzzRegressions, SavedCrashInputsNoLongerCrash) { EXPECT_GT(replay_all(kFuzzDir / "regressions"), 0u); }

TEST(FuzzRegressions, SeedCorpusReplaysCleanly) { EXPECT_GT(replay_all(kFuzzDir / "corpus"), 0u); }

}  // namespace
}  // namespace cairn::fuzz
