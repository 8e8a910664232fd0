// Several processes write to one repository at once without coordination.
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli_fixture.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

TEST_F(CliTest, ConcurrentBackupsFromSeveralProcessesAllCompleteAndRestore) {
  init_repository();
  constexpr int kWriters = 4;
  std::vector<std::string> sources;
  for (int i = 0; i < kWriters; ++i) {
    std::string src = tmp_.file("src" + std::to_string(i));
    // Shared content (deduplicated across writers) and content of its own.
    make_random_file(src + "/shared", 3u << 20, 100);
    make_random_file(src + "/own", 2u << 20, static_cast<uint64_t>(i));
    sources.push_back(src);
  }
  std::vector<CommandResult> results(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i)
    threads.emplace_back([&, i] {
      results[i] = cairn({"backup", "create", "w" + std::to_string(i), "--path", sources[i]});
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kWriters; ++i) EXPECT_EQ(results[i].exit_code, 0) << results[i].err;

  CommandResult check = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto list = nlohmann::json::parse(cairn({"backup", "get", "-o", "json"}).out);
  EXPECT_EQ(list["items"].size(), static_cast<size_t>(kWriters));
  for (int i = 0; i < kWriters; ++i) {
    std::string out = tmp_.file("out" + std::to_string(i));
    ASSERT_EQ(
        cairn({"restore", "create", "--from-backup", "w" + std::to_string(i), "--target", out}).exit_code, 0);
    EXPECT_TRUE(compare_trees(sources[i], out + sources[i]).empty());
  }
}

TEST_F(CliTest, TwoConcurrentBackupsWithTheSameNameLeaveExactlyOne) {
  init_repository();
  std::string src = tmp_.file("src");
  make_random_file(src + "/f", 1u << 20, 1);
  CommandResult a, b;
  std::thread ta([&] { a = cairn({"backup", "create", "same", "--path", src}); });
  std::thread tb([&] { b = cairn({"backup", "create", "same", "--path", src}); });
  ta.join();
  tb.join();
  EXPECT_EQ((a.exit_code == 0) + (b.exit_code == 0), 1) << a.err << b.err;
  auto list = nlohmann::json::parse(cairn({"backup", "get", "-o", "json"}).out);
  EXPECT_EQ(list["items"].size(), 1u);
}

}  // namespace
}  // namespace cairn
