// What the fuzzers found in the decoders of stored objects, each pinned by
// name (fuzz/regressions/ keeps the original inputs): numbers of the wrong
// kind or range are Corruption instead of undefined behaviour, a tree name
// is always one path component, and any pair of stored times formats.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/clock.h"
#include "repo/config.h"
#include "repo/lock.h"
#include "repo/snapshot.h"
#include "repo/tree.h"

namespace cairn {
namespace {

using nlohmann::json;

std::string valid_snapshot() {
  SnapshotManifest m;
  m.name = "nightly";
  m.started = 1700000000000000000;
  m.completed = 1700000060000000000;
  return encode_snapshot(m);
}

TEST(StrictDecoding, TreeNodeNamesThatAreNotOnePathComponentAreCorruption) {
  for (const std::string& name :
       std::vector<std::string>{"", ".", "..", "a/b", "/", std::string("a\0b", 3)}) {
    Node n;
    n.name = name;
    n.type = NodeType::kSymlink;
    Result<Tree> t = decode_tree(encode_tree(Tree{{n}}));
    ASSERT_FALSE(t.is_ok()) << "name \"" << name << "\" decoded";
    EXPECT_EQ(t.status().code(), ErrorCode::kCorruption);
  }
}

TEST(StrictDecoding, SnapshotNumbersOfTheWrongKindOrRangeAreCorruption) {
  for (const char* field : {"version", "started", "completed"}) {
    for (json bad : {json(1e300), json(1.5), json(-1e300)}) {
      json j = json::parse(valid_snapshot());
      j[field] = bad;
      Result<SnapshotManifest> m = decode_snapshot(j.dump());
      ASSERT_FALSE(m.is_ok()) << field << " = " << bad.dump();
      EXPECT_EQ(m.status().code(), ErrorCode::kCorruption);
    }
  }
  json j = json::parse(valid_snapshot());
  j["stats"]["files"] = -1;
  EXPECT_EQ(decode_snapshot(j.dump()).status().code(), ErrorCode::kCorruption);
}

TEST(StrictDecoding, ConfigVersionOrSizesOutOfRangeAreCorruption) {
  RepoConfig c;
  c.id = std::string(64, 'a');
  for (auto edit :
       {+[](json& j) { j["version"] = 1e300; }, +[](json& j) { j["pack_size"] = 4294967296.0 * 2; },
        +[](json& j) { j["chunker"]["min_size"] = uint64_t{1} << 32; },
        +[](json& j) { j["compression"]["level"] = 3.5; }}) {
    json j = json::parse(encode_config(c));
    edit(j);
    EXPECT_EQ(decode_config(j.dump()).status().code(), ErrorCode::kCorruption) << j.dump();
  }
}

TEST(StrictDecoding, LockWithAFractionalOrHugePidIsCorruption) {
  for (json pid : {json(1e300), json(2.5)}) {
    json j = {{"exclusive", false}, {"operation", "backup"}, {"subject", "s"}, {"hostname", "h"},
              {"pid", pid},         {"created", 1}};
    EXPECT_EQ(decode_lock("name", j.dump()).status().code(), ErrorCode::kCorruption);
  }
}

TEST(StrictDecoding, AnyPairOfStoredTimesGivesAFiniteDurationThatFormats) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  SnapshotManifest m;
  for (auto [started, completed] :
       {std::pair{kMin, kMax}, std::pair{kMax, kMin}, std::pair{int64_t{5}, int64_t{1}}}) {
    m.started = started;
    m.completed = completed;
    EXPECT_TRUE(std::isfinite(m.duration_seconds()));
    EXPECT_FALSE(format_duration(m.duration_seconds()).empty());
  }
  EXPECT_EQ(format_duration(-3), "0ms");
  EXPECT_EQ(format_duration(std::nan("")), "0ms");
  EXPECT_EQ(format_duration(90), "1m30s");
}

}  // namespace
}  // namespace cairn
