// Restoring a backup (or the selected paths of one) into a target folder.
//
// The backed-up absolute paths are re-rooted under the target: /data/x in
// the backup becomes <target>/data/x. Files are fetched in ranged reads of
// packs (one read covers neighbouring blobs; many reads in flight from a
// remote store), every blob is authenticated and
// re-hashed on the way, and a file whose data is damaged or missing is
// reported and not written, while every other file is still restored.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

struct RestoreOptions {
  std::string target;                 // absolute folder; created if missing
  std::vector<std::string> includes;  // absolute backed-up paths; empty: everything
  bool restore_owner = false;         // chown to the backed-up owner (root only)
  int threads = 0;                    // 0: automatic
  // A backed-up folder whose contents go straight into target (its
  // ancestors are not restored): "/var/lib/pg/data" puts
  // /var/lib/pg/data/base/1 at <target>/base/1. Empty: paths are re-rooted whole.
  std::string strip_prefix;
  // Files (plus their chunks) planned and restored at a time: bounds the
  // memory of a restore of millions of files.
  size_t window_entries = 50'000;
};

struct RestoreProgress {
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<uint64_t> errors{0};
};

struct RestoreResult {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t hardlinks = 0;
  uint64_t bytes = 0;
  std::vector<BackupIssue> errors;  // files not restored, and why
};

// Fails only when the plan cannot be made: the target cannot be created or
// an include matches nothing (both before anything is written), or a tree is
// unreadable. Files are planned and restored in windows (window_entries), so
// a tree found unreadable late leaves the windows before it restored.
Result<RestoreResult> restore_snapshot(Repository& repo, const SnapshotManifest& snapshot,
                                       const RestoreOptions& options, RestoreProgress* progress);

}  // namespace cairn
