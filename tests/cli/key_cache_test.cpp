// The key cache of pg archive-push and archive-get (src/cli/key_cache.h),
// through the real binary. The stanza's "data directory" is two files:
// stanza create reads only global/pg_control and PG_VERSION, and a history
// file is pushed without a segment header to check, so no server is needed.
// A cache hit shows at -v as "opened with the cached key" (no Argon2id run).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cli/cli.h"
#include "cli_fixture.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHit = "opened with the cached key";

class KeyCacheTest : public CliTest {
 protected:
  void SetUp() override {
    char folder[] = "/dev/shm/cairn-key-cache-test-XXXXXX";
    ASSERT_NE(::mkdtemp(folder), nullptr);
    runtime_ = folder;
    init_repository();
    write_file(tmp_.file("pgdata/global/pg_control"), std::string("\x2a\0\0\0\0\0\0\0", 8) + "control");
    write_file(tmp_.file("pgdata/PG_VERSION"), "15\n");
    write_file(tmp_.file("00000002.history"), "1\t0/3000000\tno recovery target specified\n");
    CommandResult s = cairn({"pg", "stanza", "create", "main", "--pg-path", tmp_.file("pgdata")});
    ASSERT_EQ(s.exit_code, 0) << s.err;
  }
  void TearDown() override { fs::remove_all(runtime_); }

  // pg archive-push -v of the history file, with the cache folder under runtime_.
  CommandResult push(std::map<std::string, std::string> env = {}) {
    env.try_emplace("XDG_RUNTIME_DIR", runtime_);
    env.try_emplace("CAIRN_KEY_CACHE", "");
    return cairn({"-v", "pg", "archive-push", "--stanza", "main", tmp_.file("00000002.history")}, env);
  }
  CommandResult get(const std::string& dest) {
    return cairn({"-v", "pg", "archive-get", "--stanza", "main", "00000002.history", dest},
                 {{"XDG_RUNTIME_DIR", runtime_}, {"CAIRN_KEY_CACHE", ""}});
  }

  std::string cache_folder() const { return runtime_ + "/cairn"; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    if (!fs::exists(cache_folder())) return out;
    for (const auto& e : fs::directory_iterator(cache_folder())) out.push_back(e.path().string());
    return out;
  }
  // Pushes once to fill the cache and returns its one entry.
  std::string fill_cache() {
    CommandResult first = push();
    EXPECT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(first.err.find(kHit), std::string::npos) << first.err;
    std::vector<std::string> e = entries();
    EXPECT_EQ(e.size(), 1u);
    return e.empty() ? "" : e.front();
  }

  std::string runtime_;
};

TEST_F(KeyCacheTest, TheSecondPushAndAGetUseTheCachedKeyInsteadOfArgon2) {
  const std::string entry = fill_cache();
  struct stat st {};
  ASSERT_EQ(::stat(entry.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(cache_folder().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  CommandResult again = push();
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find(kHit), std::string::npos) << again.err;
  CommandResult fetched = get(tmp_.file("restored.history"));
  EXPECT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_NE(fetched.err.find(kHit), std::string::npos) << fetched.err;
  EXPECT_EQ(read_file(tmp_.file("restored.history")), read_file(tmp_.file("00000002.history")));
}

TEST_F(KeyCacheTest, AWrongPasswordIsRefusedThoughAnEntryIsCached) {
  fill_cache();
  CommandResult wrong = push({{"CAIRN_PASSWORD", "not the password"}});
  EXPECT_EQ(wrong.exit_code, kExitWrongPassword) << wrong.err;
  EXPECT_NE(wrong.err.find("wrong password"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find(kHit), std::string::npos) << wrong.err;
}

TEST_F(KeyCacheTest, KeyCacheZeroNeitherReadsNorWritesTheCache) {
  CommandResult off = push({{"CAIRN_KEY_CACHE", "0"}});
  EXPECT_EQ(off.exit_code, 0) << off.err;
  EXPECT_TRUE(entries().empty());
  fill_cache();
  CommandResult bypass = push({{"CAIRN_KEY_CACHE", "0"}});
  EXPECT_EQ(bypass.exit_code, 0) << bypass.err;
  EXPECT_EQ(bypass.err.find(kHit), std::string::npos) << bypass.err;
}

TEST_F(KeyCacheTest, AnEntryOthersCouldReadIsIgnored) {
  const std::string entry = fill_cache();
  ASSERT_EQ(::chmod(entry.c_str(), 0644), 0);
  CommandResult r = push();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(kHit), std::string::npos) << r.err;
}

TEST_F(KeyCacheTest, AnEntryOfAnotherUserIsIgnored) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the entry to another user";
  const std::string entry = fill_cache();
  ASSERT_EQ(::chown(entry.c_str(), 65534, 65534), 0);
  CommandResult r = push();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(kHit), std::string::npos) << r.err;
}

TEST_F(KeyCacheTest, AFolderOthersCouldEnterIsNeitherReadNorWritten) {
  fill_cache();
  ASSERT_EQ(::chmod(cache_folder().c_str(), 0755), 0);
  CommandResult r = push();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(kHit), std::string::npos) << r.err;
}

TEST_F(KeyCacheTest, AFolderOnDiskIsNeverWritten) {
  CommandResult r = push({{"XDG_RUNTIME_DIR", tmp_.path()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(tmp_.file("cairn")));
}

TEST_F(KeyCacheTest, AnExpiredEntryIsIgnoredAndReplaced) {
  const std::string entry = fill_cache();
  const std::string text = read_file(entry);
  const std::string expired = std::regex_replace(text, std::regex("expires [0-9]+"), "expires 1000");
  ASSERT_NE(expired, text);
  write_file(entry, expired);
  ASSERT_EQ(::chmod(entry.c_str(), 0600), 0);
  CommandResult r = push();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(kHit), std::string::npos) << r.err;
  EXPECT_EQ(push().err.find(kHit) != std::string::npos, true) << "the fresh entry serves again";
}

TEST_F(KeyCacheTest, AChangedKeyFileInvalidatesItsEntry) {
  fill_cache();
  std::string key_file;
  for (const auto& e : fs::directory_iterator(repo() + "/keys")) key_file = e.path().string();
  std::string text = read_file(key_file);
  // The host name is not part of what the password unwraps: the key file
  // still opens, but it is not the file the entry was made from.
  text = std::regex_replace(text, std::regex("\"hostname\": \"[^\"]*\""), "\"hostname\": \"elsewhere\"");
  write_file(key_file, text);
  CommandResult r = push();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find(kHit), std::string::npos) << r.err;
}

TEST_F(KeyCacheTest, ARemovedKeyFileNoLongerOpensTheRepositoryFromTheCache) {
  fill_cache();  // with "correct horse"
  ASSERT_EQ(cairn({"key", "add"}, {{"CAIRN_NEW_PASSWORD", "second one"}}).exit_code, 0);
  // Remove the key file the cached entry was made from, with the other password.
  CommandResult keys = cairn({"key", "list", "-o", "json"}, {{"CAIRN_PASSWORD", "second one"}});
  std::string removable;
  const nlohmann::json listing = nlohmann::json::parse(keys.out);
  for (const auto& k : listing["items"])
    if (!k["current"].get<bool>()) removable = k["id"].get<std::string>();
  ASSERT_FALSE(removable.empty()) << keys.out;
  CommandResult removed = cairn({"key", "remove", removable}, {{"CAIRN_PASSWORD", "second one"}});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  CommandResult r = push();
  EXPECT_EQ(r.exit_code, kExitWrongPassword) << r.err;
  EXPECT_EQ(r.err.find(kHit), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn
