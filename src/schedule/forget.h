// Forgetting backups: retention and TTL applied to a repository.
#pragma once

#include <vector>

#include "repo/repository.h"
#include "schedule/retention.h"

namespace cairn {

// Decides with decide_retention over `candidates` (usually the backups of one
// schedule or one selection) and, unless dry_run, deletes the snapshot
// manifest of each backup that goes. The data stays until a prune. The
// caller holds a repository lock and checked the location's access mode.
// On a failed delete returns the error; the backups deleted before it stay
// deleted (harmless: each delete is one object removal).
Result<std::vector<RetentionDecision>> forget_backups(Repository& repo,
                                                      const std::vector<SnapshotManifest>& candidates,
                                                      const RetentionPolicy& policy, TimeNs now,
                                                      bool dry_run);

}  // namespace cairn
