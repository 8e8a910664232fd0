// Internal state of the restorer (restorer.cpp, restore_data.cpp).
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "restore/fs_writer.h"
#include "restore/restorer.h"

namespace cairn {

struct RestoreFile {
  std::string path;
  Node node;
  std::atomic<int> pending{0};  // chunks not yet written
  std::mutex mu;                // guards writer creation and failure
  std::unique_ptr<FileWriter> writer;
  bool failed = false;
  std::string error;
};

// One use of a blob: its bytes go to file at offset.
struct BlobUse {
  RestoreFile* file;
  uint64_t offset;
};

struct PackBlob {
  BlobId id;
  BlobLocation loc;
  std::vector<BlobUse> uses;
};

struct RestorePlan {
  std::vector<std::pair<std::string, Node>> directories;  // pre-order
  std::vector<std::pair<std::string, Node>> symlinks;
  std::vector<std::pair<std::string, std::string>> hardlinks;  // new path -> first path
  std::vector<std::unique_ptr<RestoreFile>> files;
  std::unordered_map<uint32_t, std::vector<PackBlob>> packs;  // pack number -> blobs to read
};

// Fetches and writes every planned blob; commits each file when its last
// chunk lands. Errors are recorded on the files.
void restore_data(Repository& repo, RestorePlan& plan, const RestoreOptions& options, RestoreProgress& progress);

// Marks a file failed (first error wins) and drops its temp file.
void fail_file(RestoreFile& file, const std::string& message);
// Counts one finished chunk; the last one commits the file.
void chunk_written(RestoreFile& file, const RestoreOwnership& ownership, RestoreProgress& progress);

}  // namespace cairn
