// A flipped byte in a pack: check names the pack, the backup and the file;
// restore refuses that file, restores the others and exits 3.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "repo/repository.h"
#include "storage/local_backend.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

class CorruptionTest : public CliTest {
 protected:
  void SetUp() override {
    init_repository();
    src_ = tmp_.file("src");
    make_random_file(src_ + "/good", 200000, 1);
    make_random_file(src_ + "/bad", 200000, 2);
    CommandResult r = cairn({"backup", "create", "b1", "--path", src_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Flips one byte inside the sealed blob holding the first chunk of file.
  void flip_byte_of(const std::string& file_name) {
    auto backend = open_local_backend(repo());
    ASSERT_TRUE(backend.is_ok());
    auto opened = Repository::open(std::shared_ptr<Backend>(std::move(*backend)), "correct horse");
    ASSERT_TRUE(opened.is_ok());
    ASSERT_TRUE((*opened)->load_index().is_ok());
    auto snap = (*opened)->load_snapshot("b1");
    ASSERT_TRUE(snap.is_ok());
    BlobId tree_id = snap->tree;
    for (const auto& part : std::filesystem::path(src_).relative_path()) {
      auto tree = (*opened)->read_tree(tree_id);
      ASSERT_TRUE(tree.is_ok());
      for (const Node& n : tree->nodes)
        if (n.name == part.string()) tree_id = n.subtree;
    }
    auto tree = (*opened)->read_tree(tree_id);
    ASSERT_TRUE(tree.is_ok());
    const Node* node = nullptr;
    for (const Node& n : tree->nodes)
      if (n.name == file_name) node = &n;
    ASSERT_NE(node, nullptr);
    auto loc = (*opened)->index().find(node->content.at(0).id);
    ASSERT_TRUE(loc.has_value());
    std::string pack = (*opened)->index().pack_id(loc->pack).hex();
    std::string path = this->repo() + "/data/" + pack.substr(0, 2) + "/" + pack;
    int fd = open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    uint8_t b;
    off_t at = loc->offset + loc->length / 2;
    ASSERT_EQ(pread(fd, &b, 1, at), 1);
    b ^= 0x40;
    ASSERT_EQ(pwrite(fd, &b, 1, at), 1);
    close(fd);
    pack_ = pack;
  }

  std::string src_;
  std::string pack_;
};

TEST_F(CorruptionTest, CheckReadDataNamesTheDamagedPackBackupAndFile) {
  flip_byte_of("bad");
  CommandResult r = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("damaged: data/" + pack_), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("affected: backup \"b1\" file " + src_ + "/bad"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(src_ + "/good"), std::string::npos) << r.out;
  EXPECT_TRUE(is_one_plain_sentence(r.err)) << r.err;

  CommandResult j = cairn({"repo", "check", "--read-data", "-o", "json"});
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_FALSE(doc["ok"].get<bool>());
  EXPECT_EQ(doc["affected_backups"], nlohmann::json::array({"b1"}));
  EXPECT_EQ(doc["affected_files"][0]["path"], src_ + "/bad");
}

TEST_F(CorruptionTest, CheckWithoutDamagePasses) {
  CommandResult r = cairn({"repo", "check", "--read-data"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no errors were found"), std::string::npos);
}

TEST_F(CorruptionTest, RestoreRefusesTheDamagedFileAndRestoresTheOthers) {
  flip_byte_of("bad");
  std::string out = tmp_.file("out");
  CommandResult r = cairn({"restore", "create", "--from-backup", "b1", "--target", out});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(out + src_ + "/bad: not restored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fails authentication"), std::string::npos) << r.err;
  EXPECT_EQ(random_bytes(200000, 1), [&] {
    std::string s;
    FILE* f = fopen((out + src_ + "/good").c_str(), "rb");
    if (!f) return s;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    fclose(f);
    return s;
  }());
  // Nothing half-written is left under the damaged file's name or a temp name.
  EXPECT_FALSE(std::filesystem::exists(out + src_ + "/bad"));
  for (const auto& e : std::filesystem::directory_iterator(out + src_))
    EXPECT_EQ(e.path().filename().string().find("cairn-tmp"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace cairn
