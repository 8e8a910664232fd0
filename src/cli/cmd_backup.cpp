// backup create | get | describe | delete
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/labels.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/schedule_target.h"
#include "common/clock.h"
#include "common/log.h"
#include "repo/lock.h"
#include "schedule/cron.h"
#include "source/fs/fs_backup.h"

namespace cairn {

using nlohmann::json;

namespace {
bool valid_backup_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return false;
  return true;
}

std::string u64(uint64_t v) { return std::to_string(v); }

// --from-schedule: the schedule's template and repository, labelled with
// the schedule's name. Flags given as well add labels or override the TTL.
int backup_from_schedule(const GlobalOptions& g, const BackupCreateArgs& a) {
  Schedule s = load_schedule_or_exit(a.from_schedule);
  if (!s.pg_stanza.empty()) {
    std::fprintf(stderr,
                 "error: schedule \"%s\" backs up PostgreSQL stanza %s: run 'cairn pg backup --stanza %s'.\n",
                 s.name.c_str(), s.pg_stanza.c_str(), s.pg_stanza.c_str());
    return kExitUsage;
  }
  BackupCreateArgs t = a;
  t.from_schedule.clear();
  if (t.name.empty()) t.name = scheduled_backup_name(s.name, system_clock().now());
  t.paths = s.paths;
  t.excludes.insert(t.excludes.end(), s.excludes.begin(), s.excludes.end());
  t.exclude_marker = s.exclude_marker;
  std::vector<std::string> labels;
  for (const auto& [k, v] : s.labels) labels.push_back(k + "=" + v);
  labels.push_back(std::string(kScheduleNameLabel) + "=" + s.name);
  labels.insert(labels.end(), a.labels.begin(), a.labels.end());
  t.labels = labels;
  if (t.ttl.empty() && s.ttl_seconds > 0) t.ttl = format_duration_spec(s.ttl_seconds);
  return cmd_backup_create(options_for_schedule(g, s), t);
}
}  // namespace

int cmd_backup_create(const GlobalOptions& g, const BackupCreateArgs& a) {
  if (!a.from_schedule.empty()) return backup_from_schedule(g, a);
  if (a.name.empty()) {
    std::fprintf(stderr, "error: give the new backup a NAME (or use --from-schedule).\n");
    return kExitUsage;
  }
  if (!valid_backup_name(a.name)) {
    std::fprintf(
        stderr,
        "error: backup name \"%s\" is not valid: use letters, digits, '-', '.' and '_' (at most 253).\n",
        a.name.c_str());
    return kExitUsage;
  }
  if (a.backs_up_cluster() && !a.paths.empty()) {
    std::fprintf(stderr,
                 "error: a backup holds either folders (--path) or cluster state (--include-namespaces "
                 "and the other Kubernetes flags), not both; make two backups.\n");
    return kExitUsage;
  }
  if (a.backs_up_stream() && (a.backs_up_cluster() || !a.paths.empty())) {
    std::fprintf(stderr,
                 "error: a backup holds either a stream (--stdin-from, --stdin) or folders (--path) or "
                 "cluster state, not several; make separate backups.\n");
    return kExitUsage;
  }
  if (!a.stdin_filename.empty() && !a.backs_up_stream()) {
    std::fprintf(stderr, "error: --stdin-filename names a stream; add --stdin-from CMD or --stdin.\n");
    return kExitUsage;
  }
  if (a.backs_up_stream()) return cmd_backup_create_stream(g, a);
  if (a.backs_up_cluster()) return cmd_backup_create_k8s(g, a);
  if (a.paths.empty()) {
    std::fprintf(stderr,
                 "error: say what to back up: --path FOLDER, or Kubernetes state with "
                 "--include-namespaces '*', or --from-schedule NAME.\n");
    return kExitUsage;
  }
  FsBackupOptions options;
  options.name = a.name;
  if (!a.ttl.empty()) {
    Result<int64_t> ttl = parse_duration(a.ttl);
    if (!ttl.is_ok()) {
      std::fprintf(stderr, "error: --ttl %s.\n", ttl.status().message().c_str());
      return kExitUsage;
    }
    options.ttl_seconds = *ttl;
  }
  for (const std::string& p : a.paths) {
    Result<std::string> norm = normalize_backup_path(p);
    exit_on_error(norm.status());
    options.paths.push_back(*norm);
  }
  options.exclude_globs = a.excludes;
  options.exclude_marker = a.exclude_marker;
  Result<Labels> labels = parse_labels(a.labels);
  exit_on_error(labels.status());
  options.labels = *labels;
  options.use_parent = !a.full;

  // The lock first, the index second: a prune waits for every lock that
  // exists once it has rewritten the index, so a backup that loaded the
  // old index is always one it waits for (docs/format.md, "Prune").
  auto repo = open_repository(g, false, RepoAccess::kAdd);
  Result<std::unique_ptr<RepositoryLock>> lock = RepositoryLock::acquire(*repo, false, "backup", a.name);
  exit_on_error(lock.status());
  exit_on_error(repo->load_index());

  // Buffers of 256 KiB and more (chunks, read buffers, packs) get their own
  // mappings and go back to the kernel when freed. With glibc's default (a
  // threshold that rises to 32 MiB) each reader and worker thread's arena
  // kept ~10 MiB of freed buffers: the kernel-tree backup peaked at 145 MB
  // instead of 105 MB. Backup only: restore's peak hardly changes with it
  // (150 -> 143 MB) and its page faults cost restore ~7% more system time.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  BackupProgress progress;
  double start = monotonic_seconds();
  Result<SnapshotManifest> result = [&] {
    ProgressPrinter printer(!g.quiet && !g.no_progress, [&](double t) {
      double rate = t > 0 ? progress.bytes_done / t : 0;
      return format_duration(t) + "  " + u64(progress.files_done) + "/" + u64(progress.files_total) +
             " files  " + format_size(progress.bytes_done) + "/" + format_size(progress.bytes_total) + "  " +
             format_size(static_cast<uint64_t>(rate)) + "/s  added " + format_size(progress.bytes_added) +
             (progress.errors ? "  errors " + u64(progress.errors) : "");
    });
    return run_fs_backup(*repo, options, &progress);
  }();
  if (!result.is_ok()) {
    return report_error(result.status().with_context("backup \"" + a.name + "\" failed and was not saved"));
  }
  const SnapshotManifest& m = *result;
  for (const auto& w : m.warnings) log_warning(printable_path(w.path) + ": " + w.message);
  for (const auto& e : m.errors) log_warning(printable_path(e.path) + ": " + e.message);
  double secs = monotonic_seconds() - start;
  {
    std::printf("backup \"%s\" %s: %llu files (%llu unchanged), %s read, %s added, in %s\n", m.name.c_str(),
                backup_status_name(m.status), static_cast<unsigned long long>(m.stats.files),
                static_cast<unsigned long long>(m.stats.files_unchanged),
                format_size(m.stats.bytes_read).c_str(), format_size(m.stats.bytes_added).c_str(),
                format_duration(secs).c_str());
  }
  if (m.status == BackupStatus::kPartiallyFailed) {
    std::fprintf(stderr, "error: %zu entries could not be backed up; see 'cairn backup describe %s'.\n",
                 m.errors.size(), m.name.c_str());
    return kExitPartial;
  }
  return kExitOk;
}

int cmd_backup_get(const GlobalOptions& g, const BackupGetArgs& a) {
  auto repo = open_repository(g, false);
  Result<std::vector<SnapshotManifest>> snaps = repo->list_snapshots();
  exit_on_error(snaps.status());
  std::vector<SnapshotManifest> rows = std::move(*snaps);
  // Backups still running show as InProgress, from their locks.
  Result<std::vector<LockInfo>> locks = list_locks(*repo);
  if (locks.is_ok()) {
    TimeNs now = system_clock().now();
    for (const LockInfo& l : *locks) {
      if (l.operation != "backup" || lock_is_stale(l, now)) continue;
      if (std::any_of(rows.begin(), rows.end(), [&](const auto& s) { return s.name == l.subject; })) continue;
      SnapshotManifest m;
      m.name = l.subject;
      m.status = BackupStatus::kInProgress;
      m.started = l.created;
      m.hostname = l.hostname;
      rows.push_back(m);
    }
  }
  Result<Labels> selector = parse_selector(a.selector);
  exit_on_error(selector.status());
  std::vector<SnapshotManifest> shown;
  for (auto& m : rows) {
    if (!a.names.empty() && std::find(a.names.begin(), a.names.end(), m.name) == a.names.end()) continue;
    if (labels_match(m.labels, *selector)) shown.push_back(std::move(m));
  }
  for (const std::string& n : a.names) {
    if (std::none_of(shown.begin(), shown.end(), [&](const auto& s) { return s.name == n; })) {
      std::fprintf(stderr, "error: no backup named \"%s\".\n", n.c_str());
      return kExitFailure;
    }
  }
  std::sort(shown.begin(), shown.end(), [](const auto& x, const auto& y) { return x.started > y.started; });
  if (json_output(g)) {
    json items = json::array();
    for (const auto& m : shown) items.push_back(json::parse(snapshot_to_json(m, false, -1)));
    std::printf("%s\n", json{{"items", items}}.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  Table t({"NAME", "STATUS", "ERRORS", "WARNINGS", "CREATED", "DURATION", "SIZE", "ADDED"});
  for (const auto& m : shown) {
    bool done = m.status != BackupStatus::kInProgress;
    t.add_row({m.name, backup_status_name(m.status), u64(m.errors.size()), u64(m.warnings.size()),
               format_human_time(m.started), done ? format_duration(m.duration_seconds()) : "",
               done ? format_size(m.stats.bytes) : "", done ? format_size(m.stats.bytes_added) : ""});
  }
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

}  // namespace cairn
