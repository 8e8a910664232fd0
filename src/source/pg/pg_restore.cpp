// pg restore: the data directory from a backup, then backup_label, the
// recovery settings and recovery.signal, so that PostgreSQL replays the
// archived WAL up to the target when it starts.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "repo/archive.h"
#include "restore/restorer.h"
#include "source/pg/pg.h"
#include "source/pg/pg_delta.h"
#include "source/pg/pg_wal.h"

namespace cairn {
namespace {

// A running postmaster owns the directory: its pid file names a live process.
std::optional<long> live_postmaster(const std::string& dir) {
  std::ifstream pid_file(dir + "/postmaster.pid");
  long pid = 0;
  if (!(pid_file >> pid) || pid <= 0) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) return pid;
  return std::nullopt;
}

bool is_empty_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return true;  // missing: restore creates it
  bool empty = true;
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

// "2026-11-22 04:10:11[.123456][+00|Z| UTC]" as UTC seconds; nullopt when
// it does not parse (the backup is then simply the newest).
std::optional<double> parse_target_time(const std::string& s) {
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%d %H:%M:%S", &tm);
  if (!rest) rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  double seconds = static_cast<double>(timegm(&tm));
  if (*rest == '.') seconds += std::strtod(rest, const_cast<char**>(&rest));
  while (*rest == ' ') ++rest;
  if (*rest == '+' || *rest == '-') {
    const int sign = *rest == '-' ? -1 : 1;
    const int hours = std::atoi(rest + 1);
    seconds -= sign * hours * 3600.0;
  }
  return seconds;
}

// A value for postgresql.conf: single-quoted, quotes doubled.
std::string conf_quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

Status write_text(const std::string& path, const std::string& text, bool append, const struct stat& owner) {
  std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
  out << text;
  out.close();
  if (!out) return io_error("cannot write " + path);
  ::chmod(path.c_str(), 0600);
  if (::geteuid() == 0 && ::chown(path.c_str(), owner.st_uid, owner.st_gid) != 0)
    return errno_status(errno, "chown " + path);
  return Status::ok();
}

// Refuses up front a restore whose target lies beyond a gap in the archive:
// PostgreSQL would stop replaying at the gap, short of the target. The
// segments needed run from the backup's start to the target's segment: the
// backup's stop for immediate (and for name and xid, which no file name
// tells), the LSN's for lsn, the first segment archived after the time for
// time, the newest archived for default.
Status check_wal_for_target(Repository& repo, const std::string& stanza, const SnapshotManifest& backup,
                            const PgRestoreOptions& options) {
  std::optional<uint64_t> from = segment_position(pg_label(backup, kPgStartWalLabel));
  std::optional<uint64_t> stop = segment_position(pg_label(backup, kPgStopWalLabel));
  if (!from || !stop) return Status::ok();
  std::vector<std::string> wal;
  std::vector<std::pair<uint64_t, TimeNs>> stored;  // segment position, when archived
  CAIRN_RETURN_IF_ERROR(for_each_archive_record(repo, [&](const ArchiveRecord& r) {
    if (r.stanza != stanza || r.file.empty()) return;
    wal.push_back(r.file);
    if (std::optional<uint64_t> p = segment_position(r.file)) stored.emplace_back(*p, r.stored);
  }));
  std::sort(stored.begin(), stored.end());
  uint64_t to = *stop;
  const std::string& type = options.target_type;
  if (type.empty() || type == "default" || type == "time") {
    for (const auto& [position, when] : stored) to = std::max(to, position);
    if (type == "time") {
      if (std::optional<double> t = parse_target_time(options.target)) {
        for (const auto& [position, when] : stored) {
          if (position >= *stop && static_cast<double>(when) / 1e9 >= *t) {
            to = position;
            break;
          }
        }
      }
    }
  } else if (type == "lsn") {
    if (std::optional<uint64_t> p = lsn_segment_position(options.target)) to = std::max(to, *p);
  }
  const std::vector<std::string> gaps = wal_gaps(wal, *from, to);
  if (gaps.empty()) return Status::ok();
  const std::string target = type.empty() || type == "default" ? "the end of the archive"
                             : type == "immediate"             ? "consistency"
                                                               : "the " + type + " target";
  return failed_precondition("WAL segment " + gaps.front() + " is missing from the archive of stanza " +
                             stanza + ", and recovery from backup " + backup.name + " to " + target +
                             " needs it; choose a target before it (see 'cairn pg info --stanza " + stanza +
                             "') or a backup taken after it");
}

}  // namespace

Result<PgRestoreResult> pg_restore(Repository& repo, const PgRestoreOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(PgStanza stanza, load_stanza(repo, options.stanza));
  const std::string dir = options.pg_path.empty() ? stanza.pg_path : options.pg_path;
  if (std::optional<long> pid = live_postmaster(dir))
    return failed_precondition("PostgreSQL is running in " + dir + " (postmaster pid " +
                               std::to_string(*pid) + "); stop it before restoring over it");
  const bool delta = options.delta && !is_empty_dir(dir);
  if (!delta && !is_empty_dir(dir)) {
    if (!options.force)
      return invalid_argument(dir +
                              " is not empty; pass --delta to fetch only what differs from the backup, "
                              "--force to replace what is there, or restore into an empty directory");
  }

  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotManifest> backups, pg_backups(repo, options.stanza));
  const SnapshotManifest* chosen = nullptr;
  if (!options.set.empty()) {
    for (const SnapshotManifest& m : backups)
      if (m.name == options.set) chosen = &m;
    if (!chosen)
      return not_found("stanza " + options.stanza + " has no backup " + options.set +
                       "; see 'cairn pg info'");
  } else {
    std::optional<double> before;
    if (options.target_type == "time") before = parse_target_time(options.target);
    for (const SnapshotManifest& m : backups) {
      if (m.status != BackupStatus::kCompleted) continue;
      if (before && static_cast<double>(m.completed) / 1e9 > *before) continue;
      chosen = &m;
    }
    if (!chosen)
      return not_found(
          "stanza " + options.stanza + " has no completed backup" +
          (options.target_type == "time" ? " that ended before " + options.target : std::string()) +
          "; take one with 'cairn pg backup --stanza " + options.stanza + "'");
  }

  CAIRN_RETURN_IF_ERROR(check_wal_for_target(repo, options.stanza, *chosen, options));
  if (options.force && !delta && !is_empty_dir(dir)) {
    // Only now, once the restore is known to be possible.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      std::filesystem::remove_all(entry, ec);
    if (ec) return io_error("cannot empty " + dir + ": " + ec.message());
  }

  PgRestoreResult result;
  const std::string strip = chosen->paths.empty() ? stanza.pg_path : chosen->paths[0];
  if (delta) {
    CAIRN_ASSIGN_OR_RETURN(DeltaResult d, delta_restore(repo, *chosen, strip, dir, ::geteuid() == 0));
    result.delta = true;
    result.files = d.files_unchanged + d.files_patched + d.files_restored;
    result.files_unchanged = d.files_unchanged;
    result.files_patched = d.files_patched;
    result.files_removed = d.files_removed;
    result.bytes_fetched = d.bytes_fetched;
    result.bytes = chosen->stats.bytes;
    result.errors = std::move(d.errors);
  } else {
    RestoreOptions ro;
    ro.target = dir;
    ro.strip_prefix = strip;
    ro.restore_owner = ::geteuid() == 0;
    CAIRN_ASSIGN_OR_RETURN(RestoreResult restored, restore_snapshot(repo, *chosen, ro, nullptr));
    result.files = restored.files;
    result.bytes = restored.bytes;
    result.bytes_fetched = restored.bytes;
    result.errors = restored.errors;
  }

  struct stat owner {};
  if (::stat(dir.c_str(), &owner) != 0) return errno_status(errno, "stat " + dir);
  CAIRN_RETURN_IF_ERROR(
      write_text(dir + "/backup_label", pg_label(*chosen, kPgBackupLabelFile), false, owner));
  std::string settings = "\n# Added by cairn pg restore of " + chosen->name + "\n";
  settings += "restore_command = " + conf_quote(options.restore_command) + "\n";
  const std::string& type = options.target_type;
  if (type == "immediate") {
    settings += "recovery_target = 'immediate'\n";
  } else if (type == "time" || type == "xid" || type == "lsn" || type == "name") {
    if (options.target.empty()) return invalid_argument("--type " + type + " needs --target");
    settings += "recovery_target_" + type + " = " + conf_quote(options.target) + "\n";
  } else if (!type.empty() && type != "default") {
    return invalid_argument("unknown --type \"" + type + "\" (default, immediate, time, xid, lsn, name)");
  }
  if (!options.target_action.empty())
    settings += "recovery_target_action = " + conf_quote(options.target_action) + "\n";
  if (!options.target_timeline.empty())
    settings += "recovery_target_timeline = " + conf_quote(options.target_timeline) + "\n";
  CAIRN_RETURN_IF_ERROR(write_text(dir + "/postgresql.auto.conf", settings, true, owner));
  CAIRN_RETURN_IF_ERROR(write_text(dir + "/recovery.signal", "", false, owner));

  result.set = chosen->name;
  return result;
}

}  // namespace cairn
