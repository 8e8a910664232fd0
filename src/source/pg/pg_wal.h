// WAL file names: segment arithmetic and gaps in a stanza's archive.
// Segments are 16 MiB (PostgreSQL's default, 256 per log file); the
// position of a segment is its log * 256 + seg, the name without timeline.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

// "000000010000000200000003" -> 2 * 256 + 3; nullopt for anything else
// (history, .backup and .partial files).
std::optional<uint64_t> segment_position(const std::string& name);
// The name of the segment at position on timeline (8 hex digits).
std::string segment_name(const std::string& timeline, uint64_t position);
// The segments from first to last inclusive, on first's timeline.
std::vector<std::string> segment_range(const std::string& first, const std::string& last);
// The segment that holds an LSN such as "0/3000028"; nullopt when it does not parse.
std::optional<uint64_t> lsn_segment_position(const std::string& lsn);

// Segment positions from..to (inclusive) that no archived segment of any
// timeline covers, each named on the timeline of the segment before it.
std::vector<std::string> wal_gaps(const std::vector<std::string>& archived, uint64_t from, uint64_t to);

// The gaps in a stanza's archive between its oldest backup's start and the
// newest archived segment (empty without backups or WAL).
Result<std::vector<std::string>> archive_gaps(Repository& repo, const std::string& stanza);

}  // namespace cairn
