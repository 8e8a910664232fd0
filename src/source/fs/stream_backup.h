// Backup of one byte stream, a command's standard output or cairn's own
// standard input, as a single file in a snapshot (a logical database dump:
// `pg_dump -Fc`).
//
// The snapshot's tree holds one file at its root, named by the options
// ("/stdin" by default), so a stream backup restores like any other: into a
// folder, or byte for byte to standard output. Its chunks are cut, deduplicated,
// compressed and sealed like a file's, so a dump much like yesterday's adds
// little. The source recorded is "stream", with the command if there was one.
//
// A backup is saved only if the whole stream was read and, for a command,
// the command exited with status 0: a dump cut short by an error must never
// look like a good backup.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "repo/repository.h"

namespace cairn {

struct StreamBackupOptions {
  std::string name;
  std::string filename = "stdin";  // the file's name in the snapshot; no '/'
  std::string command;             // run with /bin/sh -c and store its output; empty: read input_fd
  int input_fd = 0;                // without a command: read this to its end
  std::map<std::string, std::string> labels;
  int worker_threads = 0;        // 0: one per core
  int64_t ttl_seconds = 0;       // > 0: the manifest expires this long after the start
  const Clock* clock = nullptr;  // start and completion times; nullptr: the system clock
};

// Live counters, read by a progress display while the backup runs.
struct StreamProgress {
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_added{0};
};

// InvalidArgument unless `name` can be the stream's file name.
Status check_stream_filename(const std::string& name);

// Reads the stream to its end, stores it and saves the snapshot. Fails,
// saving nothing, when the command cannot be started, exits non-zero or is
// killed (the message gives its status and last lines of standard error),
// when the input cannot be read, or when the repository cannot be written.
Result<SnapshotManifest> run_stream_backup(Repository& repo, const StreamBackupOptions& options,
                                           StreamProgress* progress);

}  // namespace cairn
