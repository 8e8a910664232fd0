// Internal to the restore module: temp names beside a final path, the
// rename that publishes them, and time conversion.
#pragma once

#include <time.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace cairn {

// "<parent>/.<name>.cairn-tmp-<16 hex digits>" for path "<parent>/<name>".
// The name part is shortened so the temp name stays within NAME_MAX even
// when the final name is 255 bytes long.
Result<std::string> temp_path_beside(const std::string& path);

// Renames temp_path over final_path. When final_path is a folder, the
// error says so rather than the bare "Is a directory" from rename(2).
Status rename_into_place(const std::string& temp_path, const std::string& final_path);

// {mtime, mtime}: access times are not backed up, and the mtime is the best
// guess for one. Handles times before 1970 (tv_nsec stays in [0, 1e9)).
void times_from_mtime(int64_t mtime_ns, struct timespec times[2]);

}  // namespace cairn
