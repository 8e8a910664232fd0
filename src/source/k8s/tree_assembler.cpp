#include "source/k8s/tree_assembler.h"

#include <unistd.h>

namespace cairn {

TreeAssembler::TreeAssembler(Repository& repo, BlobWriter& writer, TimeNs mtime)
    : repo_(repo), writer_(writer), mtime_(mtime) {}

Status TreeAssembler::add_file(const std::string& path, std::string_view content) {
  Dir* dir = &root_;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    if (slash == std::string::npos) break;
    dir = &dir->dirs[path.substr(start, slash - start)];
    start = slash + 1;
  }
  const std::string name = path.substr(start);
  if (name.empty() || dir->dirs.count(name)) return invalid_argument("cannot store a file at " + path);
  // An object is at most a few MiB (etcd's limit is 1.5 MiB), so one blob.
  const ByteView data = as_bytes(content);
  const BlobId id = repo_.hasher().id(data);
  CAIRN_ASSIGN_OR_RETURN(bool added, writer_.add(BlobType::kData, id, data));
  (void)added;
  Node node;
  node.name = name;
  node.type = NodeType::kFile;
  node.mode = 0644;
  node.uid = static_cast<uint32_t>(geteuid());
  node.gid = static_cast<uint32_t>(getegid());
  node.mtime_ns = mtime_;
  node.ctime_ns = mtime_;
  node.size = content.size();
  if (!content.empty()) node.content.push_back({id, static_cast<uint32_t>(content.size())});
  if (!dir->files.count(name)) files_++;
  bytes_ += content.size();
  dir->files[name] = std::move(node);
  return Status::ok();
}

Result<BlobId> TreeAssembler::store(const Dir& dir) {
  // Names are unique across folders and files (add_file refuses a clash one
  // way; a folder created over a file is refused below).
  Tree tree;
  auto d = dir.dirs.begin();
  auto f = dir.files.begin();
  while (d != dir.dirs.end() || f != dir.files.end()) {
    if (f == dir.files.end() || (d != dir.dirs.end() && d->first < f->first)) {
      CAIRN_ASSIGN_OR_RETURN(BlobId sub, store(d->second));
      Node node;
      node.name = d->first;
      node.type = NodeType::kDirectory;
      node.mode = 0755;
      node.uid = static_cast<uint32_t>(geteuid());
      node.gid = static_cast<uint32_t>(getegid());
      node.mtime_ns = mtime_;
      node.ctime_ns = mtime_;
      node.subtree = sub;
      tree.nodes.push_back(std::move(node));
      ++d;
    } else {
      if (d != dir.dirs.end() && d->first == f->first) {
        return invalid_argument("\"" + f->first + "\" is both a file and a folder in the backup tree");
      }
      tree.nodes.push_back(f->second);
      ++f;
    }
  }
  const Bytes encoded = encode_tree(tree);
  const BlobId id = repo_.hasher().id(encoded);
  CAIRN_ASSIGN_OR_RETURN(bool added, writer_.add(BlobType::kTree, id, encoded));
  (void)added;
  return id;
}

Result<BlobId> TreeAssembler::finish() { return store(root_); }

}  // namespace cairn
