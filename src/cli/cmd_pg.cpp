// pg stanza create | archive-push | archive-get | backup | restore | info
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/clock.h"
#include "common/log.h"
#include "repo/lock.h"
#include "source/pg/pg.h"
#include "source/pg/pg_wal.h"

namespace cairn {

using nlohmann::json;

namespace {

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "cairn";
  return std::string(buf, static_cast<size_t>(n));
}

// A shell word: single-quoted unless plainly safe.
std::string shell_word(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string("/._-:=+,@").find(c) != std::string::npos))
      plain = false;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The restore_command that reaches this repository again: the same binary,
// --repo or --location, and the password and config files of this process
// (never a password itself: that would land in postgresql.auto.conf).
std::string restore_command(const GlobalOptions& g, const std::string& stanza) {
  std::string cmd;
  std::string env;
  for (const char* var : {"CAIRN_PASSWORD_FILE", "CAIRN_CONFIG_DIR", "CAIRN_CACHE_DIR"}) {
    const char* v = std::getenv(var);
    if (v && *v) env += std::string(var) + "=" + shell_word(v) + " ";
  }
  if (!env.empty()) cmd = "env " + env;
  if (!std::getenv("CAIRN_PASSWORD_FILE") && std::getenv("CAIRN_PASSWORD"))
    log_warning(
        "the password came from CAIRN_PASSWORD, which restore_command cannot use: give PostgreSQL "
        "CAIRN_PASSWORD_FILE in its environment");
  cmd += shell_word(self_path());
  const char* repo_env = std::getenv("CAIRN_REPO");
  if (!g.repo.empty())
    cmd += " --repo " + shell_word(g.repo);
  else if (!g.location.empty())
    cmd += " --location " + shell_word(g.location);
  else if (repo_env && *repo_env)
    cmd += " --repo " + shell_word(repo_env);
  return cmd + " pg archive-get --stanza " + shell_word(stanza) + " %f \"%p\"";
}

json expire_json(const PgExpireResult& r, bool dry_run) {
  return {{"dry_run", dry_run},
          {"backups_removed", r.backups},
          {"wal_removed", r.wal},
          {"wal_kept_from", r.wal_kept_from}};
}

void print_expire(const PgExpireResult& r, bool dry_run) {
  const char* verb = dry_run ? "would remove" : "removed";
  for (const std::string& b : r.backups) std::printf("%s backup %s\n", verb, b.c_str());
  std::printf(
      "%s %zu backups and %zu WAL files%s%s\n", verb, r.backups.size(), r.wal.size(),
      r.wal.empty() ? "" : (" (" + r.wal.front() + " .. " + r.wal.back() + ")").c_str(),
      !dry_run && (!r.backups.empty() || !r.wal.empty()) ? "; 'cairn repo prune' reclaims their space" : "");
}

}  // namespace

int cmd_pg_stanza_create(const GlobalOptions& g, const PgStanzaArgs& a) {
  PgStanza request;
  request.name = a.name;
  char real[PATH_MAX];
  request.pg_path = ::realpath(a.pg_path.c_str(), real) ? std::string(real) : a.pg_path;
  request.connection.host = !a.socket_path.empty() ? a.socket_path : a.host;
  request.connection.port = a.port;
  request.connection.user = a.user;
  auto repo = open_repository(g, false, RepoAccess::kAdd);
  Result<PgStanza> s = stanza_create(*repo, request);
  exit_on_error(s.status());
  if (json_output(g)) {
    std::printf("%s\n", json{{"stanza", s->name},
                             {"pg_path", s->pg_path},
                             {"system_id", std::to_string(s->system_id)},
                             {"version", s->version}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf("stanza \"%s\" records PostgreSQL %s at %s (system identifier %llu)\n", s->name.c_str(),
                s->version.c_str(), s->pg_path.c_str(), static_cast<unsigned long long>(s->system_id));
  }
  return kExitOk;
}

int cmd_pg_archive_push(const GlobalOptions& g, const PgArchiveArgs& a) {
  // No index: a WAL segment's chunks are almost never in the repository
  // already, and reading every index object cost more than the push itself
  // once a few hundred segments were archived (docs/pg-archive-push.md).
  // Chunks repeated inside the segment are still stored once; a chunk the
  // repository held already is stored again, which is only space. The lock
  // still matters: a prune that set our new pack aside (its index came
  // before our record) waits for it, then rescues what the record names.
  auto repo = open_repository(g, false, RepoAccess::kAdd, /*use_key_cache=*/true);
  Result<std::unique_ptr<RepositoryLock>> lock =
      RepositoryLock::acquire(*repo, false, "pg archive-push", a.file);
  exit_on_error(lock.status());
  Result<PushResult> r = archive_push(*repo, a.stanza, a.file);
  exit_on_error(r.status());
  log_info(std::string(r->already_archived ? "already archived: " : "archived: ") + a.file);
  return kExitOk;
}

int cmd_pg_archive_get(const GlobalOptions& g, const PgArchiveArgs& a) {
  auto repo = open_repository(g, true, RepoAccess::kRead, /*use_key_cache=*/true);
  Status st = archive_get(*repo, a.stanza, a.file, a.dest);
  // PostgreSQL asks for files that may not exist (the next timeline's
  // history): "not archived" is an answer, exit 1, not a failure to shout about.
  if (st.code() == ErrorCode::kNotFound) {
    log_info(st.message());
    return kExitFailure;
  }
  exit_on_error(st);
  return kExitOk;
}

int cmd_pg_backup(const GlobalOptions& g, const PgBackupArgs& a) {
  PgBackupType type = PgBackupType::kIncr;
  if (a.type == "full") type = PgBackupType::kFull;
  if (a.type == "diff") type = PgBackupType::kDiff;
  const bool retention = a.retention_full > 0 || a.retention_diff > 0;
  // Through the key cache, like archive-push on the same machine with the
  // same password file (docs/pg-archive-push.md): 0.4 s of every backup.
  auto repo = open_repository(g, false, retention ? RepoAccess::kDelete : RepoAccess::kAdd,
                              /*use_key_cache=*/true);
  Result<std::unique_ptr<RepositoryLock>> lock = RepositoryLock::acquire(*repo, false, "pg backup", a.stanza);
  exit_on_error(lock.status());
  exit_on_error(repo->load_index());
  const double start = monotonic_seconds();
  Result<PgBackupResult> r = pg_backup(*repo, a.stanza, type, a.archive_timeout);
  if (!r.is_ok()) {
    std::fprintf(stderr, "error: the backup of stanza %s failed and was not saved: %s.\n", a.stanza.c_str(),
                 r.status().message().c_str());
    return kExitFailure;
  }
  const SnapshotManifest& m = r->manifest;
  std::optional<PgExpireResult> expired;
  if (retention && m.status == BackupStatus::kCompleted) {
    Result<PgExpireResult> e =
        pg_expire(*repo, PgExpireOptions{a.stanza, a.retention_full, a.retention_diff, false});
    if (!e.is_ok()) {
      std::fprintf(stderr, "error: backup %s is saved, but expiring older backups failed: %s.\n",
                   m.name.c_str(), e.status().message().c_str());
      return kExitFailure;
    }
    expired = std::move(*e);
  }
  if (json_output(g)) {
    if (expired) {
      json j = json::parse(snapshot_to_json(m, true, 2));
      j["expire"] = expire_json(*expired, false);
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%s\n", snapshot_to_json(m, true, 2).c_str());
    }
  } else {
    std::printf("pg backup %s (%s) %s: %s read, %s added, WAL %s..%s, in %s\n", m.name.c_str(),
                pg_backup_type_name(r->type), backup_status_name(m.status),
                format_size(m.stats.bytes_read).c_str(), format_size(m.stats.bytes_added).c_str(),
                pg_label(m, kPgStartWalLabel).c_str(), pg_label(m, kPgStopWalLabel).c_str(),
                format_duration(monotonic_seconds() - start).c_str());
    if (expired) print_expire(*expired, false);
  }
  return m.status == BackupStatus::kCompleted ? kExitOk : kExitPartial;
}

int cmd_pg_expire(const GlobalOptions& g, const PgExpireArgs& a) {
  auto repo = open_repository(g, false, a.dry_run ? RepoAccess::kRead : RepoAccess::kDelete);
  std::unique_ptr<RepositoryLock> lock;
  if (!a.dry_run) {
    Result<std::unique_ptr<RepositoryLock>> l = RepositoryLock::acquire(*repo, false, "pg expire", a.stanza);
    exit_on_error(l.status());
    lock = std::move(*l);
  }
  Result<PgExpireResult> r =
      pg_expire(*repo, PgExpireOptions{a.stanza, a.retention_full, a.retention_diff, a.dry_run});
  exit_on_error(r.status());
  if (json_output(g))
    std::printf("%s\n", expire_json(*r, a.dry_run).dump(2).c_str());
  else
    print_expire(*r, a.dry_run);
  return kExitOk;
}

int cmd_pg_restore(const GlobalOptions& g, const PgRestoreArgs& a) {
  PgRestoreOptions o;
  o.stanza = a.stanza;
  o.set = a.set;
  o.pg_path = a.pg_path;
  o.target_type = a.type;
  o.target = a.target;
  o.target_action = a.target_action;
  o.target_timeline = a.target_timeline;
  o.force = a.force;
  o.delta = a.delta;
  o.restore_command = restore_command(g, a.stanza);
  // Through the key cache: recovery then runs archive-get once per WAL
  // file, and the entry this fills (or finds) spares each its Argon2id.
  auto repo = open_repository(g, true, RepoAccess::kRead, /*use_key_cache=*/true);
  const double start = monotonic_seconds();
  Result<PgRestoreResult> r = pg_restore(*repo, o);
  exit_on_error(r.status());
  for (const auto& e : r->errors) log_warning(printable_path(e.path) + ": " + e.message);
  const double seconds = monotonic_seconds() - start;
  if (json_output(g)) {
    json j = {{"set", r->set},
              {"files", r->files},
              {"bytes", r->bytes},
              {"bytes_fetched", r->bytes_fetched},
              {"delta", r->delta},
              {"seconds", seconds},
              {"errors", r->errors.size()}};
    if (r->delta) {
      j["files_unchanged"] = r->files_unchanged;
      j["files_patched"] = r->files_patched;
      j["files_removed"] = r->files_removed;
    }
    std::printf("%s\n", j.dump(2).c_str());
    return r->errors.empty() ? kExitOk : kExitPartial;
  }
  const std::string to_target = a.type.empty() || a.type == "default" ? "" : " to the " + a.type + " target";
  if (r->delta)
    std::printf(
        "restored pg backup %s with --delta: %llu files (%llu unchanged, %llu patched), %llu removed, %s "
        "fetched from the repository for %s, in %s; start PostgreSQL to replay the WAL%s\n",
        r->set.c_str(), static_cast<unsigned long long>(r->files),
        static_cast<unsigned long long>(r->files_unchanged),
        static_cast<unsigned long long>(r->files_patched), static_cast<unsigned long long>(r->files_removed),
        format_size(r->bytes_fetched).c_str(), format_size(r->bytes).c_str(),
        format_duration(seconds).c_str(), to_target.c_str());
  else
    std::printf(
        "restored pg backup %s: %llu files, %s fetched from the repository, in %s; start PostgreSQL to "
        "replay the WAL%s\n",
        r->set.c_str(), static_cast<unsigned long long>(r->files), format_size(r->bytes_fetched).c_str(),
        format_duration(seconds).c_str(), to_target.c_str());
  return r->errors.empty() ? kExitOk : kExitPartial;
}

int cmd_pg_check(const GlobalOptions& g, const PgCheckArgs& a) {
  auto repo = open_repository(g, false, RepoAccess::kRead);
  Result<PgCheckResult> r = pg_check(*repo, a.stanza, a.archive_timeout);
  exit_on_error(r.status());
  if (json_output(g)) {
    std::printf("%s\n", json{{"stanza", a.stanza},
                             {"segment", r->segment},
                             {"seconds", r->seconds},
                             {"gaps", r->gaps},
                             {"ok", r->gaps.empty()}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf("stanza %s: WAL segment %s archived in %s\n", a.stanza.c_str(), r->segment.c_str(),
                format_duration(r->seconds).c_str());
  }
  if (!r->gaps.empty()) {
    std::fprintf(
        stderr,
        "error: the archive of stanza %s is missing %zu WAL segment%s (%s%s); a restore cannot replay "
        "past %s: take a new full backup with 'cairn pg backup --stanza %s --type full'.\n",
        a.stanza.c_str(), r->gaps.size(), r->gaps.size() == 1 ? "" : "s", r->gaps.front().c_str(),
        r->gaps.size() == 1 ? "" : (" .. " + r->gaps.back()).c_str(), r->gaps.front().c_str(),
        a.stanza.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

int cmd_pg_info(const GlobalOptions& g, const PgInfoArgs& a) {
  auto repo = open_repository(g, false, RepoAccess::kRead);
  Result<std::vector<SnapshotManifest>> backups = pg_backups(*repo, a.stanza);
  exit_on_error(backups.status());
  Result<std::vector<std::string>> wal = a.stanza.empty()
                                             ? Result<std::vector<std::string>>(std::vector<std::string>{})
                                             : archived_wal(*repo, a.stanza);
  exit_on_error(wal.status());
  Result<std::vector<std::string>> gaps = a.stanza.empty()
                                              ? Result<std::vector<std::string>>(std::vector<std::string>{})
                                              : archive_gaps(*repo, a.stanza);
  exit_on_error(gaps.status());
  if (json_output(g)) {
    json items = json::array();
    for (const SnapshotManifest& m : *backups) {
      items.push_back({{"label", m.name},
                       {"stanza", pg_label(m, kPgStanzaLabel)},
                       {"type", pg_label(m, kPgTypeLabel)},
                       {"status", backup_status_name(m.status)},
                       {"start", format_rfc3339(m.started)},
                       {"stop", format_rfc3339(m.completed)},
                       {"lsn_start", pg_label(m, kPgStartLsnLabel)},
                       {"lsn_stop", pg_label(m, kPgStopLsnLabel)},
                       {"wal_start", pg_label(m, kPgStartWalLabel)},
                       {"wal_stop", pg_label(m, kPgStopWalLabel)},
                       {"database_size", m.stats.bytes},
                       {"backup_size", m.stats.bytes_read},
                       {"repository_size", m.stats.bytes_added}});
    }
    json archive = {{"min", wal->empty() ? "" : wal->front()},
                    {"max", wal->empty() ? "" : wal->back()},
                    {"files", wal->size()},
                    {"missing", *gaps}};
    std::printf("%s\n", json{{"backups", items}, {"archive", archive}}.dump(2).c_str());
    return kExitOk;
  }
  Table t({"LABEL", "TYPE", "STATUS", "START", "STOP", "LSN", "WAL", "DB SIZE", "READ", "STORED"});
  for (const SnapshotManifest& m : *backups)
    t.add_row({m.name, pg_label(m, kPgTypeLabel), backup_status_name(m.status), format_human_time(m.started),
               format_human_time(m.completed),
               pg_label(m, kPgStartLsnLabel) + "/" + pg_label(m, kPgStopLsnLabel),
               pg_label(m, kPgStartWalLabel) + "/" + pg_label(m, kPgStopWalLabel), format_size(m.stats.bytes),
               format_size(m.stats.bytes_read), format_size(m.stats.bytes_added)});
  std::printf("%s", t.render().c_str());
  if (!a.stanza.empty())
    std::printf("archive: %zu WAL files%s\n", wal->size(),
                wal->empty() ? "" : (", " + wal->front() + " .. " + wal->back()).c_str());
  if (!gaps->empty())
    std::printf("archive: %zu WAL segments missing (%s%s): no restore replays past %s\n", gaps->size(),
                gaps->front().c_str(), gaps->size() == 1 ? "" : (" .. " + gaps->back()).c_str(),
                gaps->front().c_str());
  return kExitOk;
}

}  // namespace cairn
