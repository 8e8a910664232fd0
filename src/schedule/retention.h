// Retention: which backups stay, by count rules and by TTL.
//
// Count rules follow restic `forget`: the candidates are ordered newest
// first; --keep-last N keeps the N newest; --keep-hourly N keeps the newest
// backup of each of the last N hours that have a backup, and likewise days,
// ISO weeks, months and years (buckets in UTC). A backup kept by any rule
// stays. Without any count rule every backup is kept by count.
//
// TTL: a backup whose expiry instant has passed goes, even if a count rule
// would keep it; its expiry was promised when it was made (Velero --ttl).
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"

namespace cairn {

struct RetentionPolicy {
  int keep_last = 0;
  int keep_hourly = 0;
  int keep_daily = 0;
  int keep_weekly = 0;
  int keep_monthly = 0;
  int keep_yearly = 0;
  bool has_count_rules() const {
    return keep_last > 0 || keep_hourly > 0 || keep_daily > 0 || keep_weekly > 0 || keep_monthly > 0 ||
           keep_yearly > 0;
  }
};

struct RetentionCandidate {
  std::string name;
  TimeNs time = 0;     // when the backup started
  TimeNs expires = 0;  // 0: never
};

struct RetentionDecision {
  std::string name;
  TimeNs time = 0;
  bool keep = false;
  // Why: "last 1", "daily 2 (2026-11-21)", "expired 2026-11-20T00:00:00Z",
  // "no rule keeps it"; several for a backup kept by several rules.
  std::vector<std::string> reasons;
};

// Decisions for every candidate, newest first. Pure: `now` decides expiry.
std::vector<RetentionDecision> decide_retention(std::vector<RetentionCandidate> candidates,
                                                const RetentionPolicy& policy, TimeNs now);

}  // namespace cairn
