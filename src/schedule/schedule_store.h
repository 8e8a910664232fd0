// Schedules: backups to make on a cron schedule, kept on this machine.
//
// Nouns:
//   Schedule      a name, a cron expression, a backup template (paths,
//                 excludes, labels, TTL), a retention policy, the repository
//                 it backs up into (a named location or a --repo value),
//                 whether it is paused, and what the server last did.
//   ScheduleFile  every schedule of this machine, stored as JSON in
//                 <config dir>/schedules.json (beside locations.json), mode
//                 0600, replaced atomically; read-modify-write under an
//                 flock on schedules.lock so that `cairn server` recording a
//                 run and `schedule pause` never lose each other's change.
//
// Backups made by a schedule are named NAME-YYYYMMDDHHMMSS (UTC, the start
// time) and carry the label cairn.io/schedule-name=NAME plus the schedule's.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "schedule/retention.h"

namespace cairn {

inline constexpr char kScheduleNameLabel[] = "cairn.io/schedule-name";

struct Schedule {
  std::string name;
  std::string schedule;  // cron text as given, time zone prefix included
  TimeNs created = 0;
  bool paused = false;
  // Where backups go: exactly one is set.
  std::string location;  // a location name
  std::string repo;      // a --repo path or s3: URL
  // The backup template.
  std::vector<std::string> paths;  // absolute, normalized
  std::vector<std::string> excludes;
  std::string exclude_marker = ".cairn-exclude";
  std::map<std::string, std::string> labels;
  int64_t ttl_seconds = 0;  // 0: backups never expire
  RetentionPolicy retention;
  // A PostgreSQL schedule runs `cairn pg backup --stanza pg_stanza` instead
  // of a backup of paths (which are then empty).
  std::string pg_stanza;
  std::string pg_type = "incr";  // full, diff or incr
  int pg_retention_full = 0;     // 0: keep all
  int pg_retention_diff = 0;
  // Recorded by `cairn server`.
  TimeNs last_backup = 0;  // start of the last scheduled backup (0: none yet)
  std::string last_backup_name;
  std::string last_backup_status;  // Completed, PartiallyFailed, Failed
};

// ok if the name is 1 to 63 letters, digits, '-', '_' or '.', starting with
// a letter or digit (its backups' names add 15 characters).
Status validate_schedule_name(const std::string& name);

// "NAME-20261122010000" for a backup starting at t.
std::string scheduled_backup_name(const std::string& schedule, TimeNs t);

// <dir>/schedules.json; an empty list if the file does not exist;
// kCorruption naming the file if it is not one cairn wrote.
Result<std::vector<Schedule>> load_schedules(const std::string& dir);
// Under the lock: loads, calls change (which may edit the list and return an
// error to abandon the change), and saves when change returned ok.
Status update_schedules(const std::string& dir, const std::function<Status(std::vector<Schedule>&)>& change);

// As `schedule get -o json` prints one schedule.
std::string schedule_to_json(const Schedule& schedule, TimeNs next_run, int indent);

}  // namespace cairn
