#include "repo/tree.h"

namespace cairn {

// Encoding (version 1), all integers varint unless noted:
//   u8 version(=1), count, then per node:
//   name(blob) type(u8) mode uid gid mtime(svarint) ctime(svarint) size inode device links
//   flags(u8: bit0 sparse) then by type:
//     file:      chunk count, then per chunk: id(32 raw bytes) size
//     directory: subtree id (32 raw bytes)
//     symlink:   target(blob)
namespace {
constexpr uint8_t kTreeVersion = 1;
constexpr size_t kMaxNodes = 1u << 26;  // far above any real directory; bounds allocation on bad input

bool read_id(ByteReader& r, BlobId& id) {
  ByteView v;
  if (!r.raw(id.bytes.size(), v)) return false;
  std::copy(v.begin(), v.end(), id.bytes.begin());
  return true;
}

bool read_u32(ByteReader& r, uint32_t& out) {
  uint64_t v;
  if (!r.varint(v) || v > 0xffffffffu) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

// Restore joins names to the target folder: each must be one path component
// (found by fuzz/tree_fuzz: "..", "a/b" and "" used to decode).
bool valid_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

bool decode_node(ByteReader& r, Node& n) {
  uint8_t type, flags;
  if (!r.str(n.name) || !valid_name(n.name) || !r.u8(type)) return false;
  if (type < 1 || type > 3) return false;
  n.type = static_cast<NodeType>(type);
  if (!read_u32(r, n.mode) || !read_u32(r, n.uid) || !read_u32(r, n.gid)) return false;
  if (!r.svarint(n.mtime_ns) || !r.svarint(n.ctime_ns)) return false;
  if (!r.varint(n.size) || !r.varint(n.inode) || !r.varint(n.device)) return false;
  if (!read_u32(r, n.links) || !r.u8(flags)) return false;
  n.sparse = flags & 1;
  switch (n.type) {
    case NodeType::kFile: {
      uint64_t count;
      // Each chunk takes at least 33 bytes, which bounds count by the input.
      if (!r.varint(count) || count > r.remaining() / 33) return false;
      n.content.resize(count);
      for (auto& c : n.content) {
        if (!read_id(r, c.id) || !read_u32(r, c.size)) return false;
      }
      return true;
    }
    case NodeType::kDirectory: return read_id(r, n.subtree);
    case NodeType::kSymlink: return r.str(n.link_target);
  }
  return false;
}
}  // namespace

Bytes encode_tree(const Tree& tree) {
  Bytes out;
  out.reserve(64 + tree.nodes.size() * 96);
  ByteWriter w(out);
  w.u8(kTreeVersion);
  w.varint(tree.nodes.size());
  for (const Node& n : tree.nodes) {
    w.str(n.name);
    w.u8(static_cast<uint8_t>(n.type));
    w.varint(n.mode);
    w.varint(n.uid);
    w.varint(n.gid);
    w.svarint(n.mtime_ns);
    w.svarint(n.ctime_ns);
    w.varint(n.size);
    w.varint(n.inode);
    w.varint(n.device);
    w.varint(n.links);
    w.u8(n.sparse ? 1 : 0);
    switch (n.type) {
      case NodeType::kFile:
        w.varint(n.content.size());
        for (const auto& c : n.content) {
          w.raw(c.id.bytes);
          w.varint(c.size);
        }
        break;
      case NodeType::kDirectory: w.raw(n.subtree.bytes); break;
      case NodeType::kSymlink: w.str(n.link_target); break;
    }
  }
  return out;
}

Result<Tree> decode_tree(ByteView data) {
  ByteReader r(data);
  uint8_t version;
  uint64_t count;
  if (!r.u8(version)) return corruption("tree blob is empty");
  if (version != kTreeVersion) return corruption("tree blob has unknown version " + std::to_string(version));
  if (!r.varint(count) || count > kMaxNodes || count > r.remaining())
    return corruption("tree blob is malformed");
  Tree tree;
  tree.nodes.resize(count);
  for (auto& n : tree.nodes) {
    if (!decode_node(r, n)) return corruption("tree blob is malformed");
  }
  if (!r.at_end()) return corruption("tree blob has trailing bytes");
  return tree;
}

}  // namespace cairn
