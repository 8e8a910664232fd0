// Writes a few valid inputs for every fuzz target, so the fuzzers start
// from the real formats: fuzz_seed_corpus DIR writes DIR/<target>/<name>.
// The output is committed as fuzz/corpus/; re-run after a format change.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "repo/compress.h"
#include "repo/config.h"
#include "repo/index.h"
#include "repo/snapshot.h"
#include "repo/tree.h"

using namespace cairn;

namespace {

std::filesystem::path g_root;

void write(const std::string& target, const std::string& name, ByteView bytes) {
  std::filesystem::create_directories(g_root / target);
  std::ofstream(g_root / target / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
void write(const std::string& target, const std::string& name, std::string_view text) {
  write(target, name, as_bytes(text));
}

BlobId id_of(uint8_t seed) {
  BlobId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(seed + i * 7);
  return id;
}

std::vector<PackEntry> sample_entries() {
  std::vector<PackEntry> entries;
  uint32_t offset = 0;
  for (uint8_t i = 0; i < 3; ++i) {
    PackEntry e{id_of(i), i == 2 ? BlobType::kTree : BlobType::kData, i == 1, offset, 100u + i, 90u + i};
    offset += e.length;
    entries.push_back(e);
  }
  return entries;
}

void pack_header_seeds() {
  Bytes b;
  ByteWriter w(b);
  w.u32(400);
  for (const PackEntry& e : sample_entries()) {
    w.u8(static_cast<uint8_t>(e.type));
    w.u8(e.compressed ? 1 : 0);
    w.raw(e.id.bytes);
    w.u32(e.offset);
    w.u32(e.length);
    w.u32(e.raw_length);
  }
  write("pack_header", "three-entries", b);
}

void index_and_metadata_seeds() {
  Bytes index = encode_index({IndexPack{id_of(40), sample_entries()}, IndexPack{id_of(80), {}}});
  write("index", "two-packs", index);
  write("index", "empty", encode_index({}));
  // Metadata objects are compressed only when that helps: many similar entries.
  std::vector<PackEntry> many;
  for (int i = 0; i < 8; ++i)
    for (const PackEntry& e : sample_entries()) many.push_back(e);
  Bytes frame;
  if (zstd_compress(encode_index({IndexPack{id_of(40), many}}), 3, frame)) {
    Bytes body{0};
    body.insert(body.end(), frame.begin(), frame.end());
    write("metadata", "index-frame", body);
  }
  std::string text(600, 'a');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = 'b';
  if (zstd_compress(as_bytes(text), 3, frame)) {
    Bytes body{1, static_cast<uint8_t>(text.size()), static_cast<uint8_t>(text.size() >> 8)};
    body.insert(body.end(), frame.begin(), frame.end());
    write("metadata", "blob-frame", body);
  }
}

void tree_seeds() {
  Tree tree;
  Node dir;
  dir.name = "etc";
  dir.type = NodeType::kDirectory;
  dir.mode = 0755;
  dir.mtime_ns = 1700000000123456789;
  dir.subtree = id_of(9);
  Node file;
  file.name = "file.txt";
  file.mode = 0644;
  file.uid = 1000;
  file.size = 300;
  file.inode = 42;
  file.links = 2;
  file.mtime_ns = -5;
  file.content = {{id_of(1), 100}, {id_of(2), 200}};
  Node link;
  link.name = "link";
  link.type = NodeType::kSymlink;
  link.link_target = "../target";
  link.size = link.link_target.size();
  tree.nodes = {dir, file, link};
  write("tree", "three-nodes", encode_tree(tree));
  write("tree", "empty", encode_tree(Tree{}));
}

void json_seeds() {
  SnapshotManifest m;
  m.name = "nightly";
  m.labels = {{"app", "db"}};
  m.hostname = "node-1";
  m.username = "root";
  m.paths = {"/var/lib/data"};
  m.excludes = {"*.tmp"};
  m.parent = "previous";
  m.started = 1700000000000000000;
  m.completed = 1700000060000000000;
  m.tree = id_of(3);
  m.stats.files = 10;
  m.stats.bytes = 12345;
  m.errors = {{"/var/lib/data/x", "permission denied"}};
  m.warnings = {{"", "a warning"}};
  write("snapshot", "completed", encode_snapshot(m));

  RepoConfig c;
  c.id = id_of(5).hex();
  c.chunker.seed = 12345;
  c.created = 1700000000000000000;
  write("config", "default", encode_config(c));

  write("lock", "backup",
        R"({"created":1700000000000000000,"exclusive":false,"hostname":"node-1","operation":"backup",)"
        R"("pid":4242,"subject":"nightly"})");

  MasterKey master;
  master.encryption = id_of(7).bytes;
  master.id = id_of(8).bytes;
  KeyFileInfo info;
  info.hostname = "node-1";
  info.username = "root";
  info.created = 1700000000000000000;
  write("key_file", "cheap-kdf", make_key_file(master, "fuzz-password", KdfParams{8, 1, 1}, info));
  write("key_file", "other-password", make_key_file(master, "another", KdfParams{16, 2, 1}, info));
}

void text_seeds() {
  write("encoding", "hex", id_of(1).hex());
  write("encoding", "base64", base64_encode(as_bytes("hello, cairn")));
  write("encoding", "base64-padded", "aGk=");
  write("exclude", "globs", "*.log\n/data/tmp/*\ntmp/*.o\ncache/\n/home/u/tmp/a.o");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seed_corpus DIR\n";
    return 2;
  }
  g_root = argv[1];
  pack_header_seeds();
  index_and_metadata_seeds();
  tree_seeds();
  json_seeds();
  text_seeds();
  return 0;
}
