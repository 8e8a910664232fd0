// repo prune
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "repo/prune.h"

namespace cairn {

using nlohmann::json;

namespace {
std::string count(uint64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}
}  // namespace

int cmd_repo_prune(const GlobalOptions& g, const RepoPruneArgs& a) {
  auto repo = open_repository(g, false, RepoAccess::kDelete);
  PruneOptions options;
  options.dry_run = a.dry_run;
  options.max_repack_ratio = a.max_repack_ratio;
  if (!g.quiet)
    options.on_status = [](const std::string& line) { std::fprintf(stderr, "prune: %s\n", line.c_str()); };
  PruneProgress progress;
  Result<PruneReport> result = [&] {
    ProgressPrinter printer(!g.quiet && !g.no_progress, [&](double t) {
      return format_duration(t) + "  " + std::to_string(progress.trees) + " folders walked, " +
             std::to_string(progress.packs_repacked) + " packs repacked, " +
             std::to_string(progress.packs_deleted) + " deleted";
    });
    return prune_repository(*repo, options, &progress);
  }();
  exit_on_error(result.status());
  const PruneReport& r = *result;
  if (json_output(g)) {
    json j = {{"dry_run", r.dry_run},
              {"finished_previous", r.finished_previous},
              {"previous_unfinished", r.previous_unfinished},
              {"backups", r.snapshots},
              {"packs", r.packs},
              {"blobs", r.blobs},
              {"live_blobs", r.live_blobs},
              {"stored_bytes", r.stored_bytes},
              {"packs_deleted", r.packs_deleted},
              {"bytes_deleted", r.bytes_deleted},
              {"packs_repacked", r.packs_repacked},
              {"bytes_repacked", r.bytes_repacked},
              {"bytes_copied", r.bytes_copied},
              {"packs_kept", r.packs_kept},
              {"packs_rescued", r.packs_rescued},
              {"reclaimed_bytes", r.reclaimed_bytes},
              {"deleted_packs", r.deleted_packs},
              {"repacked_packs", r.repacked_packs}};
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  if (r.dry_run) {
    for (const auto& p : r.deleted_packs) std::printf("would delete pack %s\n", p.c_str());
    for (const auto& p : r.repacked_packs) std::printf("would repack pack %s\n", p.c_str());
  }
  const bool dry = r.dry_run;
  std::printf("%s %s in %s: %s %s (%s, nothing live), %s %s (%s, %s of it live)\n",
              dry ? "dry run:" : "pruned:", count(r.snapshots, "backup").c_str(),
              count(r.packs, "pack").c_str(), count(r.packs_deleted, "pack").c_str(),
              dry ? "to delete" : "deleted", format_size(r.bytes_deleted).c_str(),
              count(r.packs_repacked, "pack").c_str(), dry ? "to repack" : "repacked",
              format_size(r.bytes_repacked).c_str(), format_size(r.bytes_copied).c_str());
  std::printf("%s %s of %s\n", dry ? "would reclaim about" : "reclaimed",
              format_size(r.reclaimed_bytes).c_str(), format_size(r.stored_bytes).c_str());
  if (r.previous_unfinished)
    std::printf("an interrupted prune left work behind: the next prune finishes it first\n");
  if (r.finished_previous) std::printf("finished the work of an interrupted prune\n");
  if (r.packs_rescued)
    std::printf("kept %s that backups written during the prune still need\n",
                count(r.packs_rescued, "pack").c_str());
  return kExitOk;
}

}  // namespace cairn
