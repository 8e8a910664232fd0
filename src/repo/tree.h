// The snapshot tree: one Tree blob per directory, listing its entries.
//
// Nouns:
//   Node          one directory entry with its metadata; a file's content is
//                 a list of chunks (blob ids with their plaintext sizes), a
//                 directory's content is the blob id of its own Tree.
//   Tree          the entries of one directory, sorted by name (bytewise).
//
// Trees are stored as blobs of type tree, so an unchanged directory encodes
// to the same bytes, gets the same id and is stored once. For that reason
// the encoding holds no access times and nothing else that changes when a
// file is only read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace cairn {

enum class NodeType : uint8_t {
  kFile = 1,
  kDirectory = 2,
  kSymlink = 3,
};

struct ContentChunk {
  BlobId id;
  uint32_t size = 0;  // plaintext bytes
  bool operator==(const ContentChunk&) const = default;
};

struct Node {
  std::string name;  // raw bytes of the name; need not be UTF-8
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // permission bits, including setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;  // nanoseconds since the epoch
  int64_t ctime_ns = 0;  // used only to detect change, never restored
  uint64_t size = 0;     // file: bytes; symlink: length of target
  uint64_t inode = 0;    // with device, identifies hard links and unchanged files
  uint64_t device = 0;
  uint32_t links = 1;                 // hard link count at backup time
  bool sparse = false;                // the file had holes: restore all-zero chunks as holes
  std::string link_target;            // symlink only
  std::vector<ContentChunk> content;  // file only, in order
  BlobId subtree;                     // directory only

  bool operator==(const Node&) const = default;
};

struct Tree {
  std::vector<Node> nodes;  // sorted by name, names unique
};

Bytes encode_tree(const Tree& tree);
// Corruption on any malformed input; never reads out of bounds.
Result<Tree> decode_tree(ByteView data);

}  // namespace cairn
