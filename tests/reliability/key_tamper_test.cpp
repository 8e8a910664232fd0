// A key file with any security-relevant byte changed (salt, wrapped key,
// KDF parameters, cipher, version) or broken JSON never opens the
// repository: the password it held fails closed with one sentence, while
// a second key still opens, and check names a key file it cannot parse.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "reliability/reliability_util.h"

namespace cairn {
namespace {

using nlohmann::json;

constexpr char kSecondPassword[] = "second key";

class KeyTamperTest : public CliTest {
 protected:
  void SetUp() override {
    init_repository();
    key_path_ = repo() + "/keys/" + regular_files_under(repo() + "/keys").at(0);
    CommandResult add = cairn({"key", "add"}, {{"CAIRN_NEW_PASSWORD", kSecondPassword}});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    original_ = read_whole_file(key_path_);
  }

  // The first password must not open; the second must.
  void expect_fails_closed(const std::string& tampered, const std::string& what) {
    SCOPED_TRACE(what);
    std::filesystem::permissions(key_path_, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    std::ofstream(key_path_, std::ios::binary | std::ios::trunc) << tampered;
    CommandResult first = cairn({"backup", "get"});
    EXPECT_NE(first.exit_code, 0) << "a tampered key file opened the repository";
    EXPECT_GE(first.exit_code, 0) << "cairn was ended by a signal";
    EXPECT_TRUE(is_one_plain_sentence(first.err)) << first.err;
    EXPECT_TRUE(first.err.find("password") != std::string::npos ||
                first.err.find("damaged") != std::string::npos)
        << first.err;
    EXPECT_EQ(cairn({"backup", "get"}, {{"CAIRN_PASSWORD", kSecondPassword}}).exit_code, 0);
    ++variants_;
    std::ofstream(key_path_, std::ios::binary | std::ios::trunc) << original_;
  }

  std::string with(const std::function<void(json&)>& change) {
    json j = json::parse(original_);
    change(j);
    return j.dump(2) + "\n";
  }

  // Every fifth character of a base64 field swapped for another base64
  // character (not the last one before the padding, whose low bits may be
  // padding that a decoder ignores).
  void tamper_base64(const std::function<json&(json&)>& field, const std::string& name) {
    json j = json::parse(original_);
    std::string value = field(j).get<std::string>();
    size_t last = value.find_last_not_of('=');
    for (size_t i = 0; i < last; i += 5) {
      std::string changed = value;
      changed[i] = changed[i] == 'A' ? 'B' : 'A';
      expect_fails_closed(with([&](json& k) { field(k) = changed; }),
                          name + " character " + std::to_string(i));
    }
  }

  std::string key_path_, original_;
  int variants_ = 0;
};

TEST_F(KeyTamperTest, TamperedWrappedKeyOrSaltFailsClosed) {
  tamper_base64([](json& j) -> json& { return j["data"]; }, "data");
  tamper_base64([](json& j) -> json& { return j["kdf"]["salt"]; }, "salt");
  std::printf("tampered key files tried: %d (wrapped key and salt)\n", variants_);
}

TEST_F(KeyTamperTest, TamperedParametersFailClosed) {
  expect_fails_closed(with([](json& j) { j["kdf"]["memory_kib"] = 8193; }), "memory + 1");
  expect_fails_closed(with([](json& j) { j["kdf"]["memory_kib"] = 1ull << 31; }), "memory 2 TiB");
  expect_fails_closed(with([](json& j) { j["kdf"]["memory_kib"] = 0; }), "memory 0");
  expect_fails_closed(with([](json& j) { j["kdf"]["iterations"] = 2; }), "iterations 2");
  expect_fails_closed(with([](json& j) { j["kdf"]["iterations"] = 0; }), "iterations 0");
  expect_fails_closed(with([](json& j) { j["kdf"]["iterations"] = 1u << 30; }), "iterations 2^30");
  expect_fails_closed(with([](json& j) { j["kdf"]["parallelism"] = 0; }), "parallelism 0");
  expect_fails_closed(with([](json& j) { j["kdf"]["parallelism"] = -1; }), "parallelism -1");
  expect_fails_closed(with([](json& j) { j["kdf"]["algorithm"] = "argon2i"; }), "algorithm");
  expect_fails_closed(with([](json& j) { j["cipher"] = "none"; }), "cipher");
  expect_fails_closed(with([](json& j) { j["version"] = 2; }), "version");
  expect_fails_closed(with([](json& j) { j["data"] = ""; }), "empty data");
  expect_fails_closed(with([](json& j) { j["kdf"]["salt"] = "AAAA"; }), "short salt");
  expect_fails_closed(with([](json& j) { j.erase("data"); }), "no data");
  expect_fails_closed("", "empty file");
  expect_fails_closed(original_.substr(0, original_.size() / 2), "truncated");
  std::printf("tampered key files tried: %d (parameters and structure)\n", variants_);
}

TEST_F(KeyTamperTest, CheckNamesAKeyFileThatIsNotValidJson) {
  std::string broken = original_;
  broken[0] = 'X';
  std::ofstream(key_path_, std::ios::binary | std::ios::trunc) << broken;
  CommandResult check = cairn({"repo", "check"}, {{"CAIRN_PASSWORD", kSecondPassword}});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("damaged: keys/" + std::filesystem::path(key_path_).filename().string()),
            std::string::npos)
      << check.out;
  EXPECT_EQ(cairn({"backup", "get"}).exit_code, 12);
}

}  // namespace
}  // namespace cairn
