// restore create
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/schedule_target.h"
#include "common/clock.h"
#include "restore/restorer.h"

namespace cairn {

using nlohmann::json;

namespace {
std::string timestamp_suffix() {
  std::string t = format_rfc3339(system_clock().now());  // 2026-11-22T01:02:03Z
  std::string out;
  for (char c : t)
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  return out;
}

// The newest Completed backup that the schedule made, from its repository.
int restore_from_schedule(const GlobalOptions& g, const RestoreCreateArgs& a) {
  Schedule s = load_schedule_or_exit(a.from_schedule);
  GlobalOptions sg = options_for_schedule(g, s);
  std::string newest;
  {
    auto repo = open_repository(sg, false);
    Result<std::vector<SnapshotManifest>> snaps = repo->list_snapshots();
    exit_on_error(snaps.status());
    TimeNs newest_start = 0;
    for (const SnapshotManifest& m : *snaps) {
      auto it = m.labels.find(kScheduleNameLabel);
      if (it == m.labels.end() || it->second != s.name || m.status != BackupStatus::kCompleted) continue;
      if (newest.empty() || m.started > newest_start) {
        newest = m.name;
        newest_start = m.started;
      }
    }
  }
  if (newest.empty()) {
    std::fprintf(stderr, "error: schedule \"%s\" has no Completed backup to restore yet.\n", s.name.c_str());
    return kExitFailure;
  }
  RestoreCreateArgs r = a;
  r.from_schedule.clear();
  r.from_backup = newest;
  return cmd_restore_create(sg, r);
}
}  // namespace

int cmd_restore_create(const GlobalOptions& g, const RestoreCreateArgs& a) {
  if (a.from_backup.empty() == a.from_schedule.empty()) {
    std::fprintf(stderr, "error: give exactly one of --from-backup and --from-schedule.\n");
    return kExitUsage;
  }
  if (!a.from_schedule.empty()) return restore_from_schedule(g, a);
  if (a.to_stdout) return cmd_restore_to_stdout(g, a);
  std::string name = a.name.empty() ? a.from_backup + "-" + timestamp_suffix() : a.name;
  auto repo = open_repository(g, true);
  Result<SnapshotManifest> snap = repo->load_snapshot(a.from_backup);
  exit_on_error(snap.status());
  if (snap->source == "k8s") return cmd_restore_create_k8s(g, a, name, *repo, *snap);
  if (a.restores_cluster_flags()) {
    std::fprintf(stderr, "error: backup \"%s\" holds files; the Kubernetes flags do not apply to it.\n",
                 a.from_backup.c_str());
    return kExitUsage;
  }
  if (a.target.empty()) {
    std::fprintf(stderr,
                 "error: say where to restore backup \"%s\": --target FOLDER, or --to-stdout for one file.\n",
                 a.from_backup.c_str());
    return kExitUsage;
  }
  std::error_code ec;
  std::string target = std::filesystem::absolute(a.target, ec).lexically_normal().string();
  if (ec) {
    std::fprintf(stderr, "error: the restore target \"%s\" is not a usable path.\n", a.target.c_str());
    return kExitUsage;
  }

  RestoreOptions options;
  options.target = target;
  options.includes = a.includes;
  options.restore_owner = geteuid() == 0;
  RestoreProgress progress;
  double start = monotonic_seconds();
  Result<RestoreResult> result = [&] {
    ProgressPrinter printer(!g.quiet && !g.no_progress && !json_output(g), [&](double t) {
      double rate = t > 0 ? progress.bytes_done / t : 0;
      return format_duration(t) + "  " + std::to_string(progress.files_done) + "/" +
             std::to_string(progress.files_total) + " files  " + format_size(progress.bytes_done) + "/" +
             format_size(progress.bytes_total) + "  " + format_size(static_cast<uint64_t>(rate)) + "/s";
    });
    return restore_snapshot(*repo, *snap, options, &progress);
  }();
  exit_on_error(result.status());
  const RestoreResult& r = *result;
  double secs = monotonic_seconds() - start;
  const char* status = r.errors.empty() ? "Completed" : "PartiallyFailed";
  if (json_output(g)) {
    json j = {{"name", name},           {"backup", a.from_backup},
              {"status", status},       {"target", target},
              {"files", r.files},       {"directories", r.directories},
              {"symlinks", r.symlinks}, {"hardlinks", r.hardlinks},
              {"bytes", r.bytes},       {"duration_seconds", secs},
              {"errors", json::array()}};
    for (const auto& e : r.errors) j["errors"].push_back({{"path", e.path}, {"message", e.message}});
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    for (const auto& e : r.errors)
      std::fprintf(stderr, "error: %s: %s\n", printable_path(e.path).c_str(), e.message.c_str());
    std::printf(
        "restore \"%s\" from backup \"%s\" %s: %llu files, %llu folders, %llu symlinks, %llu hard links, %s "
        "into %s in %s\n",
        name.c_str(), a.from_backup.c_str(), status, static_cast<unsigned long long>(r.files),
        static_cast<unsigned long long>(r.directories), static_cast<unsigned long long>(r.symlinks),
        static_cast<unsigned long long>(r.hardlinks), format_size(r.bytes).c_str(), target.c_str(),
        format_duration(secs).c_str());
  }
  if (!r.errors.empty()) {
    if (!json_output(g))
      std::fprintf(stderr, "error: %zu entries were not restored (listed above); the others were.\n",
                   r.errors.size());
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace cairn
