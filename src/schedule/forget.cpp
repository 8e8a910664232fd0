#include "schedule/forget.h"

namespace cairn {

Result<std::vector<RetentionDecision>> forget_backups(Repository& repo,
                                                      const std::vector<SnapshotManifest>& candidates,
                                                      const RetentionPolicy& policy, TimeNs now,
                                                      bool dry_run) {
  std::vector<RetentionCandidate> in;
  in.reserve(candidates.size());
  for (const SnapshotManifest& m : candidates) in.push_back({m.name, m.started, m.expires});
  std::vector<RetentionDecision> decisions = decide_retention(std::move(in), policy, now);
  if (dry_run) return decisions;
  for (const RetentionDecision& d : decisions) {
    if (d.keep) continue;
    Status s = repo.delete_snapshot(d.name);
    if (!s.is_ok()) return s.with_context("deleting backup \"" + d.name + "\"");
  }
  return decisions;
}

}  // namespace cairn
