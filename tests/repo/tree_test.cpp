// Tree encoding: lossless for every node type and every value a field can
// hold, canonical (equal trees, equal bytes: that is what deduplicates
// unchanged folders), and a decoder that answers every malformed input with
// Corruption instead of reading out of bounds.
#include "repo/tree.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <random>

namespace cairn {
namespace {

BlobId id_from(uint8_t seed) {
  BlobId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(seed + 7 * i);
  return id;
}

// Every field set, most of them to the extreme values of their type.
Node node_with_every_field(std::string name, NodeType type) {
  Node n;
  n.name = std::move(name);
  n.type = type;
  n.mode = 07777;
  n.uid = std::numeric_limits<uint32_t>::max();
  n.gid = 65534;
  n.mtime_ns = std::numeric_limits<int64_t>::min();
  n.ctime_ns = -1;
  n.size = std::numeric_limits<uint64_t>::max();
  n.inode = std::numeric_limits<uint64_t>::max() - 1;
  n.device = uint64_t{1} << 63;
  n.links = std::numeric_limits<uint32_t>::max();
  n.sparse = true;
  return n;
}

// One node of each type, names that are not UTF-8, sorted bytewise.
Tree tree_with_every_node_type() {
  Tree t;
  Node file =
      node_with_every_field(std::string("caf\xe9-\xff\xfe.txt"), NodeType::kFile);  // Latin-1, invalid UTF-8
  file.content = {
      {id_from(1), 0}, {id_from(2), std::numeric_limits<uint32_t>::max()}, {id_from(3), 512 * 1024}};
  Node dir = node_with_every_field("dir", NodeType::kDirectory);
  dir.mtime_ns = std::numeric_limits<int64_t>::max();
  dir.ctime_ns = -1'000'000'000'123;  // before 1970
  dir.sparse = false;
  dir.subtree = id_from(9);
  Node link = node_with_every_field(std::string("link\x80\xc3\x28"), NodeType::kSymlink);
  link.link_target = std::string("../t\xc3\x28rg\xe9t");
  link.size = link.link_target.size();
  Node empty_file;  // every field at its default: no chunks, time zero
  empty_file.name = "zz-empty";
  t.nodes = {file, dir, link, empty_file};
  return t;
}

void expect_corruption(const Result<Tree>& r, const std::string& what) {
  ASSERT_FALSE(r.is_ok()) << what << ": decoded " << r->nodes.size() << " nodes from malformed input";
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption) << what << ": " << r.status().message();
}

TEST(TreeEncoding, RoundTripsEveryNodeTypeWithEveryFieldSet) {
  const Tree tree = tree_with_every_node_type();
  Result<Tree> decoded = decode_tree(encode_tree(tree));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  ASSERT_EQ(decoded->nodes.size(), tree.nodes.size());
  for (size_t i = 0; i < tree.nodes.size(); ++i) EXPECT_EQ(decoded->nodes[i], tree.nodes[i]) << "node " << i;
}

TEST(TreeEncoding, RoundTripsAnEmptyTree) {
  Result<Tree> decoded = decode_tree(encode_tree(Tree{}));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_TRUE(decoded->nodes.empty());
}

TEST(TreeEncoding, EqualTreesEncodeToEqualBytes) {
  const Bytes a = encode_tree(tree_with_every_node_type());
  const Bytes b = encode_tree(tree_with_every_node_type());
  EXPECT_EQ(a, b);
  Result<Tree> decoded = decode_tree(a);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_EQ(encode_tree(*decoded), a) << "re-encoding a decoded tree changed its bytes";
}

// The other half of canonical: a change to any encoded field must change the
// bytes, or a changed file would be mistaken for an unchanged one.
TEST(TreeEncoding, ChangingAnyEncodedFieldChangesTheBytes) {
  const Bytes original = encode_tree(tree_with_every_node_type());
  const std::vector<std::pair<const char*, std::function<void(Tree&)>>> changes = {
      {"name", [](Tree& t) { t.nodes[0].name += "x"; }},
      {"type", [](Tree& t) { t.nodes[3].type = NodeType::kSymlink; }},
      {"mode", [](Tree& t) { t.nodes[0].mode = 0644; }},
      {"uid", [](Tree& t) { t.nodes[0].uid = 0; }},
      {"gid", [](Tree& t) { t.nodes[0].gid = 0; }},
      {"mtime", [](Tree& t) { t.nodes[0].mtime_ns += 1; }},
      {"ctime", [](Tree& t) { t.nodes[0].ctime_ns += 1; }},
      {"size", [](Tree& t) { t.nodes[0].size -= 1; }},
      {"inode", [](Tree& t) { t.nodes[0].inode += 1; }},
      {"device", [](Tree& t) { t.nodes[0].device += 1; }},
      {"links", [](Tree& t) { t.nodes[0].links = 2; }},
      {"sparse", [](Tree& t) { t.nodes[0].sparse = false; }},
      {"chunk id", [](Tree& t) { t.nodes[0].content[1].id.bytes[31] ^= 1; }},
      {"chunk size", [](Tree& t) { t.nodes[0].content[2].size += 1; }},
      {"chunk count", [](Tree& t) { t.nodes[0].content.pop_back(); }},
      {"subtree", [](Tree& t) { t.nodes[1].subtree.bytes[0] ^= 1; }},
      {"link target", [](Tree& t) { t.nodes[2].link_target += "/"; }},
  };
  for (const auto& [field, change] : changes) {
    Tree t = tree_with_every_node_type();
    change(t);
    EXPECT_NE(encode_tree(t), original) << "changing the " << field << " left the encoding unchanged";
  }
}

TEST(TreeDecoding, EveryTruncationOfAValidEncodingIsCorruption) {
  const Bytes full = encode_tree(tree_with_every_node_type());
  for (size_t n = 0; n < full.size(); ++n) {
    ASSERT_NO_FATAL_FAILURE(
        expect_corruption(decode_tree(ByteView(full).first(n)), "prefix of " + std::to_string(n)));
  }
}

TEST(TreeDecoding, TrailingBytesAreCorruption) {
  Bytes data = encode_tree(tree_with_every_node_type());
  data.push_back(0);
  expect_corruption(decode_tree(data), "one trailing byte");
}

TEST(TreeDecoding, UnknownVersionIsCorruption) {
  Bytes data = encode_tree(tree_with_every_node_type());
  data[0] = 2;
  expect_corruption(decode_tree(data), "version 2");
}

TEST(TreeDecoding, UnknownNodeTypeIsCorruption) {
  Tree t;
  t.nodes.resize(1);
  t.nodes[0].name = "a";
  Bytes data = encode_tree(t);
  // version, count, name length, name, then the type byte.
  ASSERT_EQ(data[4], static_cast<uint8_t>(NodeType::kFile));
  for (uint8_t type : {0, 4, 255}) {
    data[4] = type;
    expect_corruption(decode_tree(data), "node type " + std::to_string(type));
  }
}

// Counts come first in the encoding; a huge one must be refused before it
// turns into a huge allocation.
TEST(TreeDecoding, CountsLargerThanTheInputAreCorruption) {
  Bytes nodes = {1};
  ByteWriter(nodes).varint(uint64_t{1} << 40);
  expect_corruption(decode_tree(nodes), "2^40 nodes");

  Tree t;
  t.nodes.resize(1);
  t.nodes[0].name = "f";
  Bytes chunks = encode_tree(t);
  ASSERT_EQ(chunks.back(), 0) << "the last byte should be the file's chunk count";
  chunks.pop_back();
  ByteWriter(chunks).varint(uint64_t{1} << 40);
  expect_corruption(decode_tree(chunks), "2^40 chunks");
}

TEST(TreeDecoding, RandomGarbageIsCorruption) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    Bytes data(rng() % 300);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    // Half the inputs get a valid version byte and a small count, so the
    // node parser sees them too.
    if (i % 2 == 0 && data.size() >= 2) {
      data[0] = 1;
      data[1] = static_cast<uint8_t>(rng() % 4);
    }
    ASSERT_NO_FATAL_FAILURE(expect_corruption(decode_tree(data), "garbage input " + std::to_string(i)));
  }
}

// A damaged byte may still leave a well-formed tree (a byte of a name, of a
// time); otherwise the answer must be Corruption, and decoding must never
// read out of bounds (the sanitizer build checks that).
TEST(TreeDecoding, FlippedBytesGiveATreeOrCorruptionNeverACrash) {
  const Bytes full = encode_tree(tree_with_every_node_type());
  for (size_t pos = 0; pos < full.size(); ++pos) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      Bytes data = full;
      data[pos] ^= mask;
      Result<Tree> r = decode_tree(data);
      if (r.is_ok()) continue;
      EXPECT_EQ(r.status().code(), ErrorCode::kCorruption) << "byte " << pos << ": " << r.status().message();
    }
  }
}

}  // namespace
}  // namespace cairn
