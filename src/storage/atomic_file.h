// The only place in cairn that publishes a file by renaming: write a temp
// file in the target folder, fsync it, move it into place, fsync the folder.
#pragma once

#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace cairn {

enum class ReplaceMode {
  kFailIfExists,  // link(2) the temp file into place: atomic put-if-absent
  kReplace,       // rename(2) over an existing file (local config files only)
};

// On any failure nothing appears under path and the temp file is removed.
// mode_bits are the permissions of the new file (e.g. 0600 for secrets).
Status write_file_atomic(const std::string& path, ByteView data, ReplaceMode mode, unsigned mode_bits = 0644);

// fsync of a directory, so that a rename or unlink in it is durable.
Status sync_directory(const std::string& dir);

}  // namespace cairn
