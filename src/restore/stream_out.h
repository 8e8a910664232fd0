// Restoring one file of a backup byte for byte to a file descriptor
// (`restore create --to-stdout`), such as a stream backup's dump piped into
// pg_restore.
//
// The file is the backup's only one, or the only one under the --include
// paths given. Its chunks are fetched a few at a time ahead of the writer,
// so memory stays bounded by that window whatever the file's size, and
// written strictly in order; nothing but the file's bytes is written.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

struct StreamOutResult {
  std::string path;  // the backed-up path of the file written
  uint64_t bytes = 0;
};

// The one file that `includes` (absolute backed-up paths; empty: the whole
// backup) selects. InvalidArgument, naming a few of them, when there are
// several; NotFound when there is none.
Result<std::pair<std::string, Node>> select_single_file(Repository& repo, const SnapshotManifest& snapshot,
                                                        const std::vector<std::string>& includes);

// Writes that file's content to fd. A damaged or missing chunk fails the
// restore (the bytes written before it stay written: a reader of a pipe
// must treat a non-zero exit as a broken stream). bytes_done, if given,
// counts bytes written as they go.
Result<StreamOutResult> restore_to_stream(Repository& repo, const SnapshotManifest& snapshot,
                                          const std::vector<std::string>& includes, int fd,
                                          std::atomic<uint64_t>* bytes_done);

}  // namespace cairn
