// pg restore --delta (pg_delta.cpp): an existing data directory brought to
// a backup, fetching only the chunks that differ.
#pragma once

#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

struct DeltaResult {
  uint64_t bytes_fetched = 0;              // plaintext bytes read from the repository
  uint64_t files_unchanged = 0;            // every chunk already right
  uint64_t files_patched = 0;              // some chunks fetched, or the size fixed
  uint64_t files_restored = 0;             // missing (or of another type) and restored whole
  uint64_t files_removed = 0;              // in the directory, not in the backup
  std::vector<std::string> restore_whole;  // backed-up paths restored whole
  std::vector<BackupIssue> errors;
};

// backup's folder strip (its backed-up data directory) into dir.
Result<DeltaResult> delta_restore(Repository& repo, const SnapshotManifest& backup, const std::string& strip,
                                  const std::string& dir, bool restore_owner);

}  // namespace cairn
