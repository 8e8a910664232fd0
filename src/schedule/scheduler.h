// The scheduler core of `cairn server`: decides which schedules are due,
// runs them one at a time through an injected function, applies retention
// and TTL expiry, and keeps Prometheus metrics. Time comes from an injected
// Clock and nothing here sleeps, so a test can run 60 days in a second.
//
// Rules:
//   - a schedule is due when next_run(expression, max(created, last backup))
//     is not after now; after downtime that is one run, however many slots
//     were missed, because the run records `now` as its last backup;
//   - runs are sequential within one Scheduler, so a schedule never has two
//     runs at once;
//   - after each run, the schedule's retention (count rules and TTL) is
//     applied to its own backups; every `expire_interval` a TTL-only pass
//     goes over all backups of each repository the schedules use;
//   - paused schedules are skipped; once unpaused, the slots missed while
//     paused cost one run, as after downtime.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "schedule/schedule_store.h"

namespace cairn {

struct BackupRunOutcome {
  std::string status;  // "Completed", "PartiallyFailed" or "Failed"
  std::string error;   // why, when Failed
};

struct SchedulerHooks {
  // Loads the current schedules (pause, create and delete take effect at
  // the next tick).
  std::function<Result<std::vector<Schedule>>()> load;
  // Records a run in the schedule store (last backup name, start, status).
  std::function<Status(const std::string& schedule, const std::string& backup, TimeNs start,
                       const std::string& status)>
      record;
  // Makes the backup `name` from the schedule's template, labelled with the
  // schedule, with its TTL.
  std::function<BackupRunOutcome(const Schedule&, const std::string& name)> run_backup;
  // Deletes the schedule's backups that its retention or their TTL does not
  // keep; returns how many went.
  std::function<Result<int>(const Schedule&)> apply_retention;
  // Deletes expired backups of any kind in the schedule's repository.
  std::function<Result<int>(const Schedule&)> expire;
};

// Counters per schedule, named after Velero's metrics.
struct ScheduleMetrics {
  uint64_t attempts = 0;
  uint64_t successes = 0;
  uint64_t partial_failures = 0;
  uint64_t failures = 0;
  uint64_t deletions = 0;           // backups removed by retention or expiry
  uint64_t deletion_failures = 0;   // retention or expiry passes that failed
  double last_success_seconds = 0;  // Unix time of the last Completed backup's start
  int last_status = -1;             // 1: the last run Completed, 0: it did not, -1: no run yet
  std::vector<double> durations;    // seconds of each finished run (histogram source)
};

class Scheduler {
 public:
  Scheduler(const Clock& clock, SchedulerHooks hooks, int64_t expire_interval_seconds = 3600);

  // One pass: runs every due schedule once (in name order), then the
  // periodic expiry if it is time. Returns the earliest instant at which
  // something will be due (0 if nothing ever will); stop() ends the pass
  // between runs.
  TimeNs tick();
  void stop() { stopping_ = true; }  // thread-safe
  bool stopping() const { return stopping_; }

  // Prometheus text exposition of the metrics (thread-safe).
  std::string metrics_text() const;
  std::map<std::string, ScheduleMetrics> metrics() const;

 private:
  void run_one(const Schedule& s, TimeNs now);
  // "2026-11-22T01:00:00Z ", from the injected clock, in front of each log line.
  std::string stamp() const { return format_rfc3339(clock_.now()) + " "; }
  void count_deletions(const std::string& schedule, const Result<int>& deleted, const char* what);

  const Clock& clock_;
  SchedulerHooks hooks_;
  int64_t expire_interval_ns_;
  TimeNs last_expire_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::map<std::string, ScheduleMetrics> metrics_;
};

}  // namespace cairn
