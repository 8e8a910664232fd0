#include <gtest/gtest.h>

#include "source/fs/fs_entry.h"

namespace cairn {
namespace {

// The last component of path, as the backup walker passes it.
bool excluded(const ExcludeRules& rules, const std::string& path) {
  return rules.excluded(path, path.substr(path.find_last_of('/') + 1));
}

TEST(ExcludeRulesTest, NoRulesExcludeNothing) {
  ExcludeRules rules;
  EXPECT_FALSE(excluded(rules, "/data/a.log"));
}

TEST(ExcludeRulesTest, NameGlobMatchesAtAnyDepth) {
  ExcludeRules rules;
  rules.add_glob("*.log");
  rules.add_glob(".cache");
  EXPECT_TRUE(excluded(rules, "/data/a.log"));
  EXPECT_TRUE(excluded(rules, "/data/x/y/z/b.log"));
  EXPECT_TRUE(excluded(rules, "/home/u/.cache"));
  EXPECT_FALSE(excluded(rules, "/data/a.log.gz"));
  EXPECT_FALSE(excluded(rules, "/home/u/.cache-not"));
  // Only the name is matched, never the folders above it.
  EXPECT_FALSE(excluded(rules, "/home/u/.cache/kept"));
}

TEST(ExcludeRulesTest, AbsoluteGlobMatchesTheWholePath) {
  ExcludeRules rules;
  rules.add_glob("/data/tmp/*");
  EXPECT_TRUE(excluded(rules, "/data/tmp/x"));
  EXPECT_FALSE(excluded(rules, "/data/tmp"));
  EXPECT_FALSE(excluded(rules, "/data/tmp/x/y"));  // '*' does not cross '/' (x itself is excluded)
  EXPECT_FALSE(excluded(rules, "/other/data/tmp/x"));
}

TEST(ExcludeRulesTest, RelativeGlobWithSlashMatchesThePathTail) {
  ExcludeRules rules;
  rules.add_glob("build/*.o");
  EXPECT_TRUE(excluded(rules, "/home/u/proj/build/main.o"));
  EXPECT_TRUE(excluded(rules, "/build/main.o"));
  EXPECT_FALSE(excluded(rules, "/home/u/proj/src/main.o"));
  EXPECT_FALSE(excluded(rules, "/home/u/build/sub/main.o"));
  EXPECT_FALSE(excluded(rules, "main.o"));
}

TEST(ExcludeRulesTest, TrailingSlashIsDropped) {
  ExcludeRules rules;
  rules.add_glob("node_modules/");
  rules.add_glob("/var/cache/");
  EXPECT_TRUE(excluded(rules, "/src/app/node_modules"));
  EXPECT_TRUE(excluded(rules, "/var/cache"));
  EXPECT_FALSE(excluded(rules, "/var/cache2"));
}

TEST(ExcludeRulesTest, NonUtf8NamesMatchBytewise) {
  ExcludeRules rules;
  rules.add_glob("*\xe9");
  EXPECT_TRUE(excluded(rules, "/d/caf\xe9"));
  EXPECT_FALSE(excluded(rules, "/d/cafe"));
}

TEST(ExcludeRulesTest, MarkerFileIsKept) {
  ExcludeRules rules;
  EXPECT_EQ(rules.marker_file(), "");
  rules.set_marker_file(".nobackup");
  EXPECT_EQ(rules.marker_file(), ".nobackup");
}

}  // namespace
}  // namespace cairn
