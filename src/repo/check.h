// Repository check: structure, and with read_data every blob.
//
// Structure: every index object opens, every indexed pack exists with a
// header that agrees with the index, every snapshot opens, every tree it
// reaches decodes and every chunk it names is indexed. read_data also
// fetches every pack and authenticates, decompresses and re-hashes every
// blob. Damage is reported with the backups and files it affects.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

struct CheckOptions {
  bool read_data = false;
  int threads = 0;  // 0: automatic
};

struct CheckProblem {
  std::string object;  // "data/ab12...", "index/..", "snapshots/..", "keys/.."
  std::string message;
};

struct AffectedFile {
  std::string backup;
  std::string path;
};

struct CheckReport {
  uint64_t packs = 0;
  uint64_t blobs = 0;
  uint64_t snapshots = 0;
  uint64_t trees = 0;
  uint64_t bytes_read = 0;
  uint64_t unreferenced_packs = 0;  // harmless: left by interrupted backups
  std::vector<CheckProblem> problems;
  std::vector<std::string> affected_backups;
  std::vector<AffectedFile> affected_files;

  bool ok() const { return problems.empty(); }
};

struct CheckProgress {
  std::atomic<uint64_t> packs_done{0};
  std::atomic<uint64_t> packs_total{0};
  std::atomic<uint64_t> bytes_read{0};
};

// Returns a report; an error only when the check itself cannot run (the
// storage cannot be listed).
Result<CheckReport> check_repository(Repository& repo, const CheckOptions& options, CheckProgress* progress);

}  // namespace cairn
