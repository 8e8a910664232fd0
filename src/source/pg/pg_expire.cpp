// pg expire: pgBackRest's retention rules over a stanza's backups, then the
// WAL that no kept backup needs for point-in-time recovery.
//
// A cairn backup is self-contained (its tree lists every chunk), so
// removing a full does not break the diffs taken from it; the rules still
// follow pgBackRest's (a full goes with its diffs and incrs, a diff with its
// incrs) because that is what its users plan retention around, and a diff
// without its full would be a surprise in `pg info`.
#include <algorithm>
#include <set>

#include "repo/archive.h"
#include "source/pg/pg.h"

namespace cairn {
namespace {

// The position part of a WAL file name (log and segment, after the
// timeline): "000000020000000100000003" -> "0000000100000003". Empty for
// history files, which are always kept (every timeline switch needs them).
std::string wal_position(const std::string& file) {
  if (file.size() < 24 || file.find(".history") != std::string::npos) return "";
  for (size_t i = 0; i < 24; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(file[i]))) return "";
  return file.substr(8, 16);
}

}  // namespace

Result<PgExpireResult> pg_expire(Repository& repo, const PgExpireOptions& options) {
  CAIRN_RETURN_IF_ERROR(load_stanza(repo, options.stanza).status());
  if (options.retention_full < 0 || options.retention_diff < 0)
    return invalid_argument("--retention-full and --retention-diff must be 0 (keep all) or more");
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotManifest> backups, pg_backups(repo, options.stanza));

  std::set<std::string> expired;
  auto type_of = [](const SnapshotManifest& m) { return pg_label(m, kPgTypeLabel); };
  auto full_of = [](const SnapshotManifest& m) { return pg_label(m, "cairn.io/pg-full-label"); };

  if (options.retention_full > 0) {
    std::vector<std::string> fulls;
    for (const SnapshotManifest& m : backups)
      if (type_of(m) == "full" && m.status == BackupStatus::kCompleted) fulls.push_back(m.name);
    const size_t keep = static_cast<size_t>(options.retention_full);
    if (fulls.size() > keep) {
      const std::set<std::string> gone(fulls.begin(), fulls.end() - static_cast<std::ptrdiff_t>(keep));
      for (const SnapshotManifest& m : backups)
        if (gone.count(m.name) || gone.count(full_of(m))) expired.insert(m.name);
    }
  }
  if (options.retention_diff > 0) {
    std::vector<std::string> diffs;
    for (const SnapshotManifest& m : backups)
      if (type_of(m) == "diff" && m.status == BackupStatus::kCompleted && !expired.count(m.name))
        diffs.push_back(m.name);
    const size_t keep = static_cast<size_t>(options.retention_diff);
    if (diffs.size() > keep) {
      const std::set<std::string> gone(diffs.begin(), diffs.end() - static_cast<std::ptrdiff_t>(keep));
      // An incr depends on the backup before it; the incrs after an expired
      // diff, up to the next diff or full of the same full, go with it.
      bool in_expired_chain = false;
      for (const SnapshotManifest& m : backups) {
        if (type_of(m) != "incr") in_expired_chain = gone.count(m.name) > 0;
        if (in_expired_chain) expired.insert(m.name);
      }
    }
  }

  PgExpireResult result;
  const SnapshotManifest* oldest_kept = nullptr;
  for (const SnapshotManifest& m : backups) {
    if (expired.count(m.name)) {
      result.backups.push_back(m.name);
    } else if (!oldest_kept && !pg_label(m, kPgStartWalLabel).empty()) {
      oldest_kept = &m;
    }
  }
  // WAL older than the oldest kept backup's start serves no restore; with
  // no backup at all nothing is removed (the WAL may be all there is).
  if (oldest_kept) {
    result.wal_kept_from = pg_label(*oldest_kept, kPgStartWalLabel);
    const std::string from = wal_position(result.wal_kept_from);
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> wal, archived_wal(repo, options.stanza));
    for (const std::string& file : wal) {
      const std::string position = wal_position(file);
      if (!position.empty() && !from.empty() && position < from) result.wal.push_back(file);
    }
  }
  if (options.dry_run) return result;
  // Backups first: should this stop half-way, every kept backup still has its WAL.
  for (const std::string& name : result.backups) CAIRN_RETURN_IF_ERROR(repo.delete_snapshot(name));
  for (const std::string& file : result.wal)
    CAIRN_RETURN_IF_ERROR(delete_archive_record(repo, options.stanza, file));
  return result;
}

}  // namespace cairn
