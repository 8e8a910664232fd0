// PostgreSQL: stanzas, WAL archiving, physical backups and point-in-time
// restore, in the same repository as everything else.
//
// Nouns (pgBackRest's, on purpose: its users know them):
//   stanza   one database cluster: its data directory, system identifier and
//            major version, recorded once by stanza_create.
//   segment  a WAL file pushed by archive_command, kept as an archive record
//            (repo/archive.h) under its file name; also history files,
//            .partial segments and backup history files.
//   backup   an online copy of the data directory between pg_backup_start and
//            pg_backup_stop, saved as a snapshot of source "pg" named by its
//            label (20261122-031500F, ..._20261122-041500I). Completed only
//            once every WAL segment it needs is in the archive.
//
// Backups reuse the file-system backup: unchanged files (same size, mtime,
// ctime and inode) are taken from the reference backup without reading;
// anything else is read in fixed 1 MiB chunks, and a changed chunk is
// stored as a delta against the reference backup's chunk at the same
// offset, so a few changed pages in a 1 GB table file store about what
// changed in them. ctime catches a rewrite that kept size and mtime.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

// How to reach the server for pg_backup_start/stop (libpq keywords).
struct PgConnection {
  std::string host;  // a socket directory or a host name; empty: libpq's default
  std::string port;
  std::string user;
  std::string database = "postgres";
};

struct PgStanza {
  std::string name;
  std::string pg_path;  // the data directory
  uint64_t system_id = 0;
  std::string version;  // "15"
  PgConnection connection;
};

// Reads the system identifier and version from pg_path (global/pg_control,
// PG_VERSION) and records the stanza; kAlreadyExists for an existing one of
// another cluster (the same cluster again is fine).
Result<PgStanza> stanza_create(Repository& repo, const PgStanza& request);
Result<PgStanza> load_stanza(Repository& repo, const std::string& name);

struct PushResult {
  bool already_archived = false;  // the same bytes were there already
  uint64_t bytes_added = 0;
};
// Durable in the repository when it returns ok. The same file twice is ok;
// different bytes under an archived name are kAlreadyExists (archiving
// must stop, nothing is replaced); a segment of another cluster (its
// system identifier) is kInvalidArgument.
Result<PushResult> archive_push(Repository& repo, const std::string& stanza, const std::string& path);
// Writes the file to dest (atomically); kNotFound when it is not archived.
Status archive_get(Repository& repo, const std::string& stanza, const std::string& file,
                   const std::string& dest);

enum class PgBackupType { kFull, kDiff, kIncr };
const char* pg_backup_type_name(PgBackupType type);  // "full", "diff", "incr"

struct PgBackupResult {
  SnapshotManifest manifest;
  PgBackupType type = PgBackupType::kFull;
};
// type kIncr or kDiff without a full backup becomes kFull. The backup is
// saved once the WAL segment it stopped in is archived; kIoError after
// archive_timeout_seconds without it (nothing is saved then).
Result<PgBackupResult> pg_backup(Repository& repo, const std::string& stanza, PgBackupType type,
                                 double archive_timeout_seconds = 60);

struct PgRestoreOptions {
  std::string stanza;
  std::string set;          // backup label; empty: the newest that suits the target
  std::string pg_path;      // where to restore; empty: the stanza's data directory
  std::string target_type;  // default|immediate|time|xid|lsn|name
  std::string target;
  std::string target_action;    // pause|promote|shutdown; empty: PostgreSQL's default
  std::string target_timeline;  // empty: PostgreSQL's default (latest)
  bool force = false;           // restore into a non-empty directory (no live postmaster)
  bool delta = false;           // keep what already matches the backup, fetch only what differs
  // The restore_command PostgreSQL will run, with %f and %p in it.
  std::string restore_command;
};
struct PgRestoreResult {
  std::string set;
  uint64_t files = 0;
  uint64_t bytes = 0;          // the restored data directory's size
  uint64_t bytes_fetched = 0;  // what was read from the repository for it
  bool delta = false;
  uint64_t files_unchanged = 0, files_patched = 0, files_removed = 0;  // --delta only
  std::vector<BackupIssue> errors;
};
Result<PgRestoreResult> pg_restore(Repository& repo, const PgRestoreOptions& options);

// Retention, pgBackRest's way: beyond the newest retention_full full
// backups, the older fulls go with every diff and incr taken from them;
// beyond the newest retention_diff diffs, the older diffs go with the incrs
// that follow them. Then the WAL older than the oldest kept backup's start
// (history files stay). 0 keeps all. The blobs are reclaimed by repo prune.
struct PgExpireOptions {
  std::string stanza;
  int retention_full = 0;
  int retention_diff = 0;
  bool dry_run = false;
};
struct PgExpireResult {
  std::vector<std::string> backups;  // labels removed (or that would be)
  std::vector<std::string> wal;      // WAL files removed (or that would be)
  std::string wal_kept_from;         // the oldest kept backup's start segment
};
Result<PgExpireResult> pg_expire(Repository& repo, const PgExpireOptions& options);

// Switches WAL on the stanza's server and waits up to timeout_seconds for
// the switched segment to be archived; then lists the archive's gaps.
// kFailedPrecondition when archiving is not set up, kIoError on timeout.
struct PgCheckResult {
  std::string segment;            // the switched segment, now archived
  double seconds = 0;             // how long it took to arrive
  std::vector<std::string> gaps;  // segments missing from the archive (see archive_gaps)
};
Result<PgCheckResult> pg_check(Repository& repo, const std::string& stanza, double timeout_seconds);

// Backups of one stanza (or all), oldest first.
Result<std::vector<SnapshotManifest>> pg_backups(Repository& repo, const std::string& stanza);

// WAL file names archived for a stanza, sorted.
Result<std::vector<std::string>> archived_wal(Repository& repo, const std::string& stanza);

// Labels a pg backup carries in its manifest.
inline constexpr const char* kPgStanzaLabel = "cairn.io/pg-stanza";
inline constexpr const char* kPgTypeLabel = "cairn.io/pg-type";
inline constexpr const char* kPgStartLsnLabel = "cairn.io/pg-start-lsn";
inline constexpr const char* kPgStopLsnLabel = "cairn.io/pg-stop-lsn";
inline constexpr const char* kPgStartWalLabel = "cairn.io/pg-start-wal";
inline constexpr const char* kPgStopWalLabel = "cairn.io/pg-stop-wal";
inline constexpr const char* kPgBackupLabelFile = "cairn.io/pg-backup-label";

// A label's value, "" when the manifest lacks it.
inline std::string pg_label(const SnapshotManifest& m, const char* key) {
  auto it = m.labels.find(key);
  return it == m.labels.end() ? "" : it->second;
}

}  // namespace cairn
