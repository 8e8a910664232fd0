// pg backup: pg_backup_start, the data directory through the file-system
// backup, pg_backup_stop, and the check that the WAL it needs is archived.
#include <algorithm>
#include <ctime>
#include <memory>

#include "common/clock.h"
#include "source/fs/fs_backup.h"
#include "source/pg/pg.h"
#include "source/pg/pg_session.h"
#include "source/pg/pg_wal.h"

namespace cairn {
namespace {

// 128 pages of 8 KiB: the same average size as content-defined chunks.
constexpr uint32_t kPgChunkSize = 1u << 20;

std::string label_time(TimeNs now) {
  const std::time_t t = static_cast<std::time_t>(now / 1000000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

}  // namespace

const char* pg_backup_type_name(PgBackupType type) {
  switch (type) {
    case PgBackupType::kFull: return "full";
    case PgBackupType::kDiff: return "diff";
    case PgBackupType::kIncr: return "incr";
  }
  return "?";
}

Result<std::vector<SnapshotManifest>> pg_backups(Repository& repo, const std::string& stanza) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotManifest> all, repo.list_snapshots());
  std::vector<SnapshotManifest> out;
  for (SnapshotManifest& m : all)
    if (m.source == "pg" && (stanza.empty() || pg_label(m, kPgStanzaLabel) == stanza))
      out.push_back(std::move(m));
  return out;
}

Result<PgBackupResult> pg_backup(Repository& repo, const std::string& stanza_name, PgBackupType type,
                                 double archive_timeout_seconds) {
  CAIRN_ASSIGN_OR_RETURN(PgStanza stanza, load_stanza(repo, stanza_name));
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotManifest> previous, pg_backups(repo, stanza_name));
  const SnapshotManifest* last_full = nullptr;
  const SnapshotManifest* last_any = nullptr;
  for (const SnapshotManifest& m : previous) {
    if (m.status != BackupStatus::kCompleted) continue;
    last_any = &m;
    if (pg_label(m, kPgTypeLabel) == "full") last_full = &m;
  }
  if (!last_full) type = PgBackupType::kFull;
  const SnapshotManifest* reference = type == PgBackupType::kDiff   ? last_full
                                      : type == PgBackupType::kIncr ? last_any
                                                                    : nullptr;
  const std::string now = label_time(system_clock().now());
  std::string label = type == PgBackupType::kFull ? now + "F"
                                                  : pg_label(*last_full, "cairn.io/pg-full-label") + "_" +
                                                        now + (type == PgBackupType::kDiff ? "D" : "I");
  const std::string full_label =
      type == PgBackupType::kFull ? label : pg_label(*last_full, "cairn.io/pg-full-label");

  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<PgSession> session, PgSession::connect(stanza.connection));
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> ident,
                         session->row("SELECT system_identifier::text, current_setting('data_directory'), "
                                      "current_setting('archive_mode') FROM pg_control_system()"));
  if (ident[0] != std::to_string(stanza.system_id))
    return failed_precondition(
        "the server at the stanza's connection is another cluster (system identifier " + ident[0] +
        ", stanza " + stanza_name + " has " + std::to_string(stanza.system_id) + ")");
  if (ident[2] == "off")
    return invalid_argument(
        "archive_mode is off: set archive_mode = on and archive_command = 'cairn pg "
        "archive-push --stanza " +
        stanza_name + " %p' and restart PostgreSQL");
  CAIRN_ASSIGN_OR_RETURN(
      std::vector<std::string> start,
      session->row("SELECT lsn::text, pg_walfile_name(lsn) FROM pg_backup_start($1, true) AS lsn",
                   {"cairn " + label}));

  FsBackupOptions fs;
  fs.name = label;
  fs.paths = {stanza.pg_path};
  fs.source = "pg";
  fs.use_parent = reference != nullptr;
  if (reference) fs.parent_name = reference->name;
  // PostgreSQL changes its files in place, page by page, and only ever
  // appends to them: fixed chunks never shift, and a chunk with a few
  // rewritten pages is stored as those changes against the reference
  // backup's chunk (docs/format.md, "Delta blobs").
  fs.fixed_chunk_size = kPgChunkSize;
  fs.delta_against_parent = true;
  // What PostgreSQL's own base backup leaves out (protocol.sgml,
  // "Backing Up the Data Directory"): recreated at startup, or harmful.
  for (const char* rel : {"/postmaster.pid", "/postmaster.opts", "/backup_label", "/tablespace_map",
                          "/pg_wal/*", "/pg_replslot/*", "/pg_dynshmem/*", "/pg_notify/*", "/pg_serial/*",
                          "/pg_snapshots/*", "/pg_stat_tmp/*", "/pg_subtrans/*"})
    fs.exclude_globs.push_back(stanza.pg_path + rel);
  fs.exclude_globs.push_back("pgsql_tmp*");
  fs.exclude_globs.push_back("pg_internal.init");
  fs.labels = {{kPgStanzaLabel, stanza_name},
               {kPgTypeLabel, pg_backup_type_name(type)},
               {"cairn.io/pg-full-label", full_label},
               {kPgStartLsnLabel, start[0]},
               {kPgStartWalLabel, start[1]}};
  fs.before_save = [&](SnapshotManifest& m) -> Status {
    // pg_backup_stop switches WAL either way; its own wait for the archive
    // polls once a second, which would cost most backups a second: wait
    // for the stop segment here instead, as pgBackRest does.
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> stop,
                           session->row("SELECT lsn::text, pg_walfile_name(lsn), labelfile FROM "
                                        "pg_backup_stop(false)"));
    m.labels[kPgStopLsnLabel] = stop[0];
    m.labels[kPgStopWalLabel] = stop[1];
    m.labels[kPgBackupLabelFile] = stop[2];
    CAIRN_RETURN_IF_ERROR(wait_until_archived(repo, *session, stanza_name, stop[1], archive_timeout_seconds));
    // Every segment from start to stop must be here, so that a Completed
    // backup can always be made consistent.
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> archived, archived_wal(repo, stanza_name));
    for (const std::string& segment : segment_range(start[1], stop[1])) {
      if (!std::binary_search(archived.begin(), archived.end(), segment))
        return not_found("WAL segment " + segment + " that backup " + label +
                         " needs is not in the archive of stanza " + stanza_name +
                         "; check that archive_command runs 'cairn pg archive-push --stanza " + stanza_name +
                         " %p'");
    }
    return Status::ok();
  };
  BackupProgress progress;
  CAIRN_ASSIGN_OR_RETURN(SnapshotManifest m, run_fs_backup(repo, fs, &progress));
  return PgBackupResult{std::move(m), type};
}

}  // namespace cairn
