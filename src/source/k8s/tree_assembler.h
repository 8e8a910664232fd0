// TreeAssembler: builds a snapshot tree from files given by path and
// content, for sources that are not a file system (the Kubernetes API).
// Internal to source/k8s.
#pragma once

#include <map>
#include <string>

#include "repo/blob_writer.h"
#include "repo/repository.h"
#include "repo/tree.h"

namespace cairn {

class TreeAssembler {
 public:
  // Files and folders get `mtime` (the backup's start) and modes 0644/0755.
  TreeAssembler(Repository& repo, BlobWriter& writer, TimeNs mtime);

  // Stores `content` as one blob and records it at `path` ("a/b/c.json").
  // A path given twice keeps the last content.
  Status add_file(const std::string& path, std::string_view content);

  // Stores every folder's Tree, deepest first; returns the root's id.
  Result<BlobId> finish();

  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Dir {
    std::map<std::string, Dir> dirs;
    std::map<std::string, Node> files;
  };
  Result<BlobId> store(const Dir& dir);

  Repository& repo_;
  BlobWriter& writer_;
  TimeNs mtime_;
  Dir root_;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace cairn
