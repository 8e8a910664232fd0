// Writing restored entries to the file system.
//
// A file is written to a temp name beside its final name and renamed into
// place only when complete, so a failure (a damaged blob, a full disk)
// never leaves a half-written file under the final name. Like Velero's
// volume restore, an existing entry with the same name is replaced and
// other entries in the target are left alone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "repo/tree.h"

namespace cairn {

struct RestoreOwnership {
  bool restore_owner = false;  // chown to the backed-up uid/gid (true when running as root)
};

class FileWriter {
 public:
  // Opens a temp file beside final_path for the file node (node.size
  // bytes will follow). The parent folder must exist.
  static Result<std::unique_ptr<FileWriter>> create(const std::string& final_path, const Node& node);
  ~FileWriter();  // removes the temp file unless commit() succeeded

  // Writes data at offset. Thread-safe (pwrite); chunks may come in any order.
  // For a sparse node, an all-zero data block is skipped and left as a hole.
  Status write_at(uint64_t offset, ByteView data);

  // Sets the size (so trailing holes exist), applies metadata, renames into
  // place (replacing an existing file of that name). No fsync: restore
  // syncs the whole file system once at the end.
  Status commit(const RestoreOwnership& ownership);

  const std::string& final_path() const { return final_path_; }

 private:
  FileWriter(std::string final_path, std::string temp_path, int fd, Node node);
  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;
  Node node_;
  bool committed_ = false;
};

// Creates or replaces a symlink at path, then its owner and mtime.
Status restore_symlink(const std::string& path, const Node& node, const RestoreOwnership& ownership);

// Creates the folder if missing (an existing non-folder is replaced);
// metadata is applied later with apply_directory_metadata, after its
// content is written, so the mtime sticks.
Status ensure_directory(const std::string& path);
Status apply_directory_metadata(const std::string& path, const Node& node, const RestoreOwnership& ownership);

// Creates new_path as a hard link to existing_path (replacing new_path).
Status restore_hardlink(const std::string& existing_path, const std::string& new_path);

// Flushes everything written (syncfs on the target's file system).
Status sync_filesystem(const std::string& path);

}  // namespace cairn
