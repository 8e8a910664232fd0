// Snapshot manifests: one per backup, written last.
//
// A manifest names the backup, records its status, statistics, errors and
// warnings, and points at the root Tree. It is stored sealed under a name
// derived from the backup name (a keyed hash), with put-if-absent, so two
// backups can never share a name and a manifest is never rewritten.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace cairn {

enum class BackupStatus { kInProgress, kCompleted, kPartiallyFailed, kFailed };
const char* backup_status_name(BackupStatus status);

struct BackupIssue {
  std::string path;  // may be empty for issues not tied to a file
  std::string message;
};

struct BackupStats {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;            // logical size of every file in the backup
  uint64_t bytes_read = 0;       // bytes actually read from the source
  uint64_t files_unchanged = 0;  // reused from the parent without reading
  uint64_t blobs_added = 0;
  uint64_t bytes_added = 0;  // stored bytes (compressed, sealed) of new blobs
};

struct SnapshotManifest {
  int version = 1;
  std::string name;
  std::string source = "fs";  // what kind of source made it
  BackupStatus status = BackupStatus::kCompleted;
  std::map<std::string, std::string> labels;
  std::string hostname;
  std::string username;
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
  std::string parent;   // name of the backup it was incremental to, if any
  std::string command;  // source "stream": the shell command whose output was stored; may be empty
  TimeNs started = 0;
  TimeNs completed = 0;
  TimeNs expires = 0;  // 0: never; else deleted by TTL expiry after this instant
  BlobId tree;
  BackupStats stats;
  std::vector<BackupIssue> errors;
  std::vector<BackupIssue> warnings;

  // In floating point: the difference of two arbitrary stored times can
  // overflow int64 (found by fuzz/snapshot_fuzz).
  double duration_seconds() const {
    return (static_cast<double>(completed) - static_cast<double>(started)) / 1e9;
  }
};

std::string encode_snapshot(const SnapshotManifest& manifest);  // JSON
Result<SnapshotManifest> decode_snapshot(std::string_view json);

// JSON as shown by `backup get -o json` and `backup describe -o json`.
std::string snapshot_to_json(const SnapshotManifest& manifest, bool with_issues, int indent);

}  // namespace cairn
