// pg check: archiving works end to end when a WAL switch made now reaches
// the repository; and the archive has no gaps a restore would fall into.
#include <algorithm>
#include <chrono>
#include <thread>

#include "common/clock.h"
#include "repo/archive.h"
#include "source/pg/pg.h"
#include "source/pg/pg_session.h"
#include "source/pg/pg_wal.h"

namespace cairn {

Status wait_until_archived(Repository& repo, PgSession& session, const std::string& stanza_name,
                           const std::string& segment, double timeout_seconds) {
  const double start = monotonic_seconds();
  // Short polls at first: archive_command usually takes a fraction of a
  // second, and a backup waits on this (PostgreSQL's own wait in
  // pg_backup_stop polls once a second).
  double pause = 0.01;
  for (;;) {
    Result<ArchiveRecord> r = load_archive_record(repo, stanza_name, segment);
    if (r.is_ok()) return Status::ok();
    if (r.status().code() != ErrorCode::kNotFound) return r.status();
    if (monotonic_seconds() - start > timeout_seconds) {
      std::string why;
      Result<std::vector<std::string>> failed = session.row(
          "SELECT coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, '') FROM pg_stat_archiver");
      if (failed.is_ok() && !(*failed)[0].empty())
        why = " (PostgreSQL's last failed archive_command was for " + (*failed)[0] + " at " + (*failed)[1] +
              "; its log says why)";
      return io_error("WAL segment " + segment + " did not reach the archive of stanza " + stanza_name +
                      " within " + std::to_string(static_cast<int>(timeout_seconds)) + " seconds" + why +
                      "; check that archive_command runs 'cairn pg archive-push --stanza " + stanza_name +
                      " %p' against this repository");
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(pause));
    pause = std::min(pause * 1.5, 0.2);
  }
}

Result<PgCheckResult> pg_check(Repository& repo, const std::string& stanza_name, double timeout_seconds) {
  CAIRN_ASSIGN_OR_RETURN(PgStanza stanza, load_stanza(repo, stanza_name));
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<PgSession> session, PgSession::connect(stanza.connection));
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> ident,
                         session->row("SELECT system_identifier::text, current_setting('archive_mode'), "
                                      "current_setting('archive_command') FROM pg_control_system()"));
  if (ident[0] != std::to_string(stanza.system_id))
    return failed_precondition(
        "the server at the stanza's connection is another cluster (system identifier " + ident[0] +
        ", stanza " + stanza_name + " has " + std::to_string(stanza.system_id) + ")");
  const std::string hint = "set archive_mode = on and archive_command = 'cairn pg archive-push --stanza " +
                           stanza_name + " %p', then restart PostgreSQL";
  if (ident[1] == "off") return failed_precondition("archive_mode is off: " + hint);
  if (ident[2].empty() || ident[2] == "(disabled)")
    return failed_precondition("archive_command is empty: " + hint);

  // A restore point makes sure there is WAL to switch away from (pgBackRest
  // does the same): a switch right after another does nothing.
  CAIRN_RETURN_IF_ERROR(session->row("SELECT pg_create_restore_point('cairn pg check')").status());
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> switched,
                         session->row("SELECT pg_walfile_name(pg_switch_wal())"));
  PgCheckResult result;
  result.segment = switched[0];
  const double start = monotonic_seconds();
  CAIRN_RETURN_IF_ERROR(wait_until_archived(repo, *session, stanza_name, result.segment, timeout_seconds));
  result.seconds = monotonic_seconds() - start;
  CAIRN_ASSIGN_OR_RETURN(result.gaps, archive_gaps(repo, stanza_name));
  return result;
}

}  // namespace cairn
