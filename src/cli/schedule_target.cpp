#include "cli/schedule_target.h"

#include <algorithm>
#include <cstdio>

#include "cli/cli.h"
#include "location/location.h"
#include "schedule/cron.h"

namespace cairn {

std::string schedule_config_dir() {
  Result<std::string> dir = location_config_dir();
  exit_on_error(dir.status());
  return *dir;
}

Schedule load_schedule_or_exit(const std::string& name) {
  Result<std::vector<Schedule>> all = load_schedules(schedule_config_dir());
  exit_on_error(all.status());
  for (const Schedule& s : *all)
    if (s.name == name) return s;
  std::fprintf(stderr, "error: no schedule named \"%s\"; list them with 'cairn schedule get'.\n",
               name.c_str());
  throw CommandExit{kExitFailure};
}

GlobalOptions options_for_schedule(const GlobalOptions& g, const Schedule& s) {
  GlobalOptions out = g;
  if (!g.repo.empty() || !g.location.empty()) return out;
  out.repo = s.repo;
  out.location = s.location;
  return out;
}

TimeNs schedule_next_run(const Schedule& s) {
  Result<CronExpression> cron = parse_cron(s.schedule);
  if (!cron.is_ok()) return 0;
  std::optional<TimeNs> next = next_run(*cron, std::max(s.created, s.last_backup));
  return next ? *next : 0;
}

}  // namespace cairn
