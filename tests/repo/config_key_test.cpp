// The config object and key files: the config survives encoding and is
// refused when out of range or from a newer format; a key file gives back
// the master key for its password only, keeps no readable copy of it, and
// a tampered one is an error, never a crash or a hang.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "repo/config.h"
#include "repo_test_util.h"

namespace cairn {
namespace {

using nlohmann::json;

RepoConfig sample_config() {
  RepoConfig c;
  c.id = std::string(32, 'a') + std::string(32, '7');
  c.chunker.min_size = 4096;
  c.chunker.avg_size = 16384;
  c.chunker.max_size = 65536;
  c.chunker.seed = std::numeric_limits<uint64_t>::max();
  c.compression_level = 19;
  c.pack_size = 16u * 1024 * 1024;
  c.created = 1'700'000'000'123'456'789;
  return c;
}

// The sample config as JSON with one change applied.
std::string config_with(const std::function<void(json&)>& change) {
  json j = json::parse(encode_config(sample_config()));
  change(j);
  return j.dump();
}

TEST(Config, RoundTripsEveryField) {
  const RepoConfig c = sample_config();
  Result<RepoConfig> d = decode_config(encode_config(c));
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_EQ(d->version, 1);
  EXPECT_EQ(d->id, c.id);
  EXPECT_EQ(d->chunker.min_size, c.chunker.min_size);
  EXPECT_EQ(d->chunker.avg_size, c.chunker.avg_size);
  EXPECT_EQ(d->chunker.max_size, c.chunker.max_size);
  EXPECT_EQ(d->chunker.seed, c.chunker.seed);
  EXPECT_EQ(d->compression_level, c.compression_level);
  EXPECT_EQ(d->pack_size, c.pack_size);
  EXPECT_EQ(d->created, c.created);
}

TEST(Config, NewerFormatVersionIsUnsupported) {
  Result<RepoConfig> d = decode_config(config_with([](json& j) { j["version"] = 2; }));
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kUnsupported) << d.status().message();
}

// No cairn ever wrote a version below 1; reading one as version 1 would be a guess.
TEST(Config, VersionBelowOneIsRejected) {
  for (int version : {0, -1}) {
    Result<RepoConfig> d = decode_config(config_with([&](json& j) { j["version"] = version; }));
    EXPECT_FALSE(d.is_ok()) << "version " << version << " accepted";
  }
}

TEST(Config, ParametersOutOfRangeAreInvalidArgument) {
  const std::vector<std::pair<const char*, std::function<void(json&)>>> cases = {
      {"min_size below 64", [](json& j) { j["chunker"]["min_size"] = 32; }},
      {"avg_size not a power of two", [](json& j) { j["chunker"]["avg_size"] = 20000; }},
      {"min_size not below avg_size", [](json& j) { j["chunker"]["min_size"] = 16384; }},
      {"avg_size not below max_size", [](json& j) { j["chunker"]["max_size"] = 16384; }},
      {"max_size above 64 MiB", [](json& j) { j["chunker"]["max_size"] = 128u * 1024 * 1024; }},
      {"compression level -1", [](json& j) { j["compression"]["level"] = -1; }},
      {"compression level 23", [](json& j) { j["compression"]["level"] = 23; }},
      {"pack size below 1 MiB", [](json& j) { j["pack_size"] = 1024 * 1024 - 1; }},
      {"pack size above 1 GiB", [](json& j) { j["pack_size"] = 1024u * 1024 * 1024 + 1; }},
      {"short id", [](json& j) { j["id"] = "abcd"; }},
      {"id not hex", [](json& j) { j["id"] = std::string(64, 'g'); }},
  };
  for (const auto& [what, change] : cases) {
    Result<RepoConfig> d = decode_config(config_with(change));
    ASSERT_FALSE(d.is_ok()) << what << " accepted";
    EXPECT_EQ(d.status().code(), ErrorCode::kInvalidArgument) << what << ": " << d.status().message();
  }
}

TEST(Config, LimitsOfTheRangesAreAccepted) {
  Result<RepoConfig> d = decode_config(config_with([](json& j) {
    j["pack_size"] = 1024 * 1024;
    j["compression"]["level"] = 0;
    j["chunker"]["min_size"] = 64;
  }));
  EXPECT_TRUE(d.is_ok()) << d.status().message();
}

TEST(Config, UnknownAlgorithmsAreUnsupported) {
  for (auto change :
       std::vector<std::function<void(json&)>>{[](json& j) { j["chunker"]["algorithm"] = "rabin"; },
                                               [](json& j) { j["compression"]["algorithm"] = "lz4"; }}) {
    Result<RepoConfig> d = decode_config(config_with(change));
    ASSERT_FALSE(d.is_ok());
    EXPECT_EQ(d.status().code(), ErrorCode::kUnsupported) << d.status().message();
  }
}

TEST(Config, MalformedJsonOrMissingFieldsAreCorruption) {
  const std::string good = encode_config(sample_config());
  const std::vector<std::string> inputs = {
      "",
      "[]",
      good.substr(0, good.size() / 2),
      config_with([](json& j) { j.erase("pack_size"); }),
      config_with([](json& j) { j["chunker"] = 5; }),
      config_with([](json& j) { j["id"] = 12; }),
  };
  for (const auto& input : inputs) {
    Result<RepoConfig> d = decode_config(input);
    ASSERT_FALSE(d.is_ok()) << input;
    EXPECT_EQ(d.status().code(), ErrorCode::kCorruption) << input << ": " << d.status().message();
  }
}

MasterKey sample_master() {
  MasterKey m;
  random_bytes(m.encryption.data(), m.encryption.size());
  random_bytes(m.id.data(), m.id.size());
  return m;
}

KeyFileInfo sample_info() {
  return KeyFileInfo{"", "host.example", "alice", 1'700'000'000'000'000'000, cheap_kdf()};
}

TEST(KeyFile, RightPasswordGivesBackTheMasterKey) {
  const MasterKey master = sample_master();
  const std::string file = make_key_file(master, "pw", cheap_kdf(), sample_info());
  Result<MasterKey> opened = open_key_file(file, "pw");
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  EXPECT_EQ(opened->encryption, master.encryption);
  EXPECT_EQ(opened->id, master.id);
}

TEST(KeyFile, WrongPasswordIsWrongPassword) {
  const std::string file = make_key_file(sample_master(), "pw", cheap_kdf(), sample_info());
  for (std::string_view wrong : {"pW", "pw ", "", "p"}) {
    Result<MasterKey> opened = open_key_file(file, wrong);
    ASSERT_FALSE(opened.is_ok()) << "\"" << wrong << "\" opened the key file";
    EXPECT_EQ(opened.status().code(), ErrorCode::kWrongPassword) << opened.status().message();
  }
}

TEST(KeyFile, InfoRecordsHostUserTimeAndKdf) {
  const std::string file = make_key_file(sample_master(), "pw", cheap_kdf(), sample_info());
  Result<KeyFileInfo> info = read_key_file_info(file);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_EQ(info->hostname, "host.example");
  EXPECT_EQ(info->username, "alice");
  EXPECT_EQ(info->created, sample_info().created);
  EXPECT_EQ(info->kdf.memory_kib, cheap_kdf().memory_kib);
  EXPECT_EQ(info->kdf.iterations, cheap_kdf().iterations);
  EXPECT_EQ(info->kdf.parallelism, cheap_kdf().parallelism);
}

TEST(KeyFile, TwoKeyFilesOfOneKeyShareNoSaltOrCiphertext) {
  const MasterKey master = sample_master();
  json a = json::parse(make_key_file(master, "pw", cheap_kdf(), sample_info()));
  json b = json::parse(make_key_file(master, "pw", cheap_kdf(), sample_info()));
  EXPECT_NE(a["kdf"]["salt"], b["kdf"]["salt"]);
  EXPECT_NE(a["data"], b["data"]);
}

// Every encoding of the raw key that could leak into a JSON file.
std::vector<std::string> spellings_of(const MasterKey& m) {
  Bytes both(m.encryption.begin(), m.encryption.end());
  both.insert(both.end(), m.id.begin(), m.id.end());
  std::vector<std::string> out;
  for (ByteView b : {ByteView(m.encryption), ByteView(m.id), ByteView(both)}) {
    std::string hex = to_hex(b), upper = hex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(hex);
    out.push_back(upper);
    out.push_back(base64_encode(b));
  }
  return out;
}

bool holds_key_material(const std::string& text, const MasterKey& m) {
  for (const auto& s : spellings_of(m))
    if (text.find(s) != std::string::npos) return true;
  return false;
}

TEST(KeyFile, HoldsNoCopyOfTheMasterKey) {
  const MasterKey master = sample_master();
  const std::string file = make_key_file(master, "pw", cheap_kdf(), sample_info());
  EXPECT_FALSE(holds_key_material(file, master)) << file;
  // The detector itself must see a key that is there.
  EXPECT_TRUE(holds_key_material(file + base64_encode(ByteView(master.id)), master));
}

// Key files are read before anything is authenticated: whatever an attacker
// (or bit rot) does to one must end in an error, quickly.
TEST(KeyFile, TamperedFieldsAreErrorsNeverCrashes) {
  const std::string good = make_key_file(sample_master(), "pw", cheap_kdf(), sample_info());
  auto tampered = [&](const std::function<void(json&)>& change) {
    json j = json::parse(good);
    change(j);
    return j.dump();
  };
  auto flip_base64 = [](json& field) {
    Bytes b;
    ASSERT_TRUE(base64_decode(field.get<std::string>(), b));
    b[b.size() / 2] ^= 0x01;
    field = base64_encode(b);
  };
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"other salt", tampered([](json& j) { j["kdf"]["salt"] = base64_encode(random_bytes(32)); })},
      {"flipped salt", tampered([&](json& j) { flip_base64(j["kdf"]["salt"]); })},
      {"short salt", tampered([](json& j) { j["kdf"]["salt"] = base64_encode(random_bytes(4)); })},
      {"empty salt", tampered([](json& j) { j["kdf"]["salt"] = ""; })},
      {"salt not base64", tampered([](json& j) { j["kdf"]["salt"] = "!!!not base64!!!"; })},
      {"salt a number", tampered([](json& j) { j["kdf"]["salt"] = 7; })},
      {"flipped data", tampered([&](json& j) { flip_base64(j["data"]); })},
      {"empty data", tampered([](json& j) { j["data"] = ""; })},
      {"truncated data", tampered([](json& j) { j["data"] = j["data"].get<std::string>().substr(0, 20); })},
      {"data not base64", tampered([](json& j) { j["data"] = "%%%"; })},
      {"data missing", tampered([](json& j) { j.erase("data"); })},
      {"memory 0", tampered([](json& j) { j["kdf"]["memory_kib"] = 0; })},
      {"memory 4 TiB",
       tampered([](json& j) { j["kdf"]["memory_kib"] = std::numeric_limits<uint32_t>::max(); })},
      {"memory negative", tampered([](json& j) { j["kdf"]["memory_kib"] = -1; })},
      {"memory 1e300", tampered([](json& j) { j["kdf"]["memory_kib"] = 1e300; })},
      {"memory a string", tampered([](json& j) { j["kdf"]["memory_kib"] = "8192"; })},
      {"iterations 0", tampered([](json& j) { j["kdf"]["iterations"] = 0; })},
      {"iterations 2^32-1",
       tampered([](json& j) { j["kdf"]["iterations"] = std::numeric_limits<uint32_t>::max(); })},
      {"iterations 2^40", tampered([](json& j) { j["kdf"]["iterations"] = uint64_t{1} << 40; })},
      {"parallelism 0", tampered([](json& j) { j["kdf"]["parallelism"] = 0; })},
      {"parallelism 2^32-1",
       tampered([](json& j) { j["kdf"]["parallelism"] = std::numeric_limits<uint32_t>::max(); })},
      {"parallelism 1.5", tampered([](json& j) { j["kdf"]["parallelism"] = 1.5; })},
      {"other kdf", tampered([](json& j) { j["kdf"]["algorithm"] = "scrypt"; })},
      {"kdf an array", tampered([](json& j) { j["kdf"] = json::array(); })},
      {"other cipher", tampered([](json& j) { j["cipher"] = "chacha20"; })},
      {"version 2", tampered([](json& j) { j["version"] = 2; })},
      {"hostname a number", tampered([](json& j) { j["hostname"] = 5; })},
      {"cut in half", good.substr(0, good.size() / 2)},
      {"not an object", "\"key\""},
      {"empty", ""},
  };
  for (const auto& [what, file] : cases) {
    Result<MasterKey> opened = open_key_file(file, "pw");
    EXPECT_FALSE(opened.is_ok()) << what << " opened";
  }
}

// 1.5 parallel lanes is not a parameter any cairn wrote; rounding it to 1
// (and opening the key) would accept a file that was changed.
TEST(KeyFile, NonIntegerKdfParametersAreCorruption) {
  const std::string good = make_key_file(sample_master(), "pw", cheap_kdf(), sample_info());
  for (const char* field : {"memory_kib", "iterations", "parallelism"}) {
    json j = json::parse(good);
    j["kdf"][field] = j["kdf"][field].get<double>() + 0.5;
    Result<MasterKey> opened = open_key_file(j.dump(), "pw");
    ASSERT_FALSE(opened.is_ok()) << field;
    EXPECT_EQ(opened.status().code(), ErrorCode::kCorruption) << field << ": " << opened.status().message();
  }
}

}  // namespace
}  // namespace cairn
