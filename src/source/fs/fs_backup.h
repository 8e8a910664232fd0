// Backup of file-system paths (persistent volumes) into a repository.
//
// The pipeline (docs/format.md, "Backup pipeline"):
//   walker (calling thread)  lists folders, lstat()s entries, reuses the
//                            content of files unchanged since the parent
//                            backup, queues the others;
//   readers                  read queued files (holes as zeros, never
//                            read), cut them into chunks;
//   workers                  hash, deduplicate, compress, seal, pack;
//   uploaders (BlobWriter)   store full packs and index objects.
// Queues between stages are bounded, and chunk bytes in flight are capped by
// a byte budget, so memory stays bounded whatever the size of the data.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

struct FsBackupOptions {
  std::string name;
  std::vector<std::string> paths;  // absolute, normalized
  std::vector<std::string> exclude_globs;
  std::string exclude_marker = ".cairn-exclude";  // a folder holding this file is skipped
  std::map<std::string, std::string> labels;
  bool use_parent = true;  // reuse unchanged files of the latest backup of the same paths
  // With use_parent: this backup instead of the latest of the same paths
  // (a PostgreSQL differential names its full backup). Empty: the latest.
  std::string parent_name;
  std::string source = "fs";  // recorded in the manifest; parents are looked for among the same source
  // Called once the data and trees are durable and before the snapshot is
  // written: may add to the manifest (labels, status) or fail the backup
  // (nothing is saved then). PostgreSQL ends its backup here.
  std::function<Status(SnapshotManifest&)> before_save;
  // Chunks of exactly this many bytes (the last one shorter) instead of
  // content-defined ones, at most the chunker's maximum; 0: content-defined.
  // For files changed only in place and at fixed offsets (PostgreSQL's
  // relation files, in 8 KiB pages): no boundary ever moves, and cutting
  // costs nothing.
  uint32_t fixed_chunk_size = 0;
  // With a parent: a changed chunk of a changed file is stored as a delta
  // against the parent's chunk at the same offset (repo/pack.h), so a chunk
  // with a few rewritten pages costs those bytes. Costs reading the
  // parent's chunks back, so only for sources changed in place.
  bool delta_against_parent = false;
  int reader_threads = 0;  // 0: automatic
  int worker_threads = 0;  // 0: one per core

  int64_t ttl_seconds = 0;       // > 0: the manifest expires this long after the start
  const Clock* clock = nullptr;  // start and completion times; nullptr: the system clock
};

// Live counters, read by a progress display while the backup runs.
struct BackupProgress {
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};  // logical bytes of files finished
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_added{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> files_total{0};  // found so far by the walker
  std::atomic<uint64_t> bytes_total{0};
};

// Makes the absolute, normalized form of a user-given path ("/a/b", no
// trailing slash); InvalidArgument if it does not exist.
Result<std::string> normalize_backup_path(const std::string& path);

// Runs the backup and saves its snapshot (Completed, or PartiallyFailed when
// some entries could not be read). Fails, saving nothing, when the
// repository cannot be written; packs already stored then stay unreferenced
// until prune.
Result<SnapshotManifest> run_fs_backup(Repository& repo, const FsBackupOptions& options,
                                       BackupProgress* progress);

}  // namespace cairn
