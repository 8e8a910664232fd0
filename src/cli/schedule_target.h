// Helpers shared by the schedule commands, backup/restore --from-schedule
// and the server: finding the schedule file and a schedule's repository.
#pragma once

#include <string>

#include "cli/context.h"
#include "schedule/schedule_store.h"

namespace cairn {

// The config folder of schedules.json; prints and throws CommandExit on error.
std::string schedule_config_dir();
// The schedule called name; prints "no schedule named" and throws when absent.
Schedule load_schedule_or_exit(const std::string& name);
// g with the schedule's repository, unless g already names one (--repo or --location).
GlobalOptions options_for_schedule(const GlobalOptions& g, const Schedule& s);
// The next fire time after the later of its creation and last backup; 0 if never.
TimeNs schedule_next_run(const Schedule& s);

}  // namespace cairn
