// schedule create | get | describe | pause | unpause | delete
#include <algorithm>
#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/labels.h"
#include "cli/output.h"
#include "cli/schedule_target.h"
#include "schedule/cron.h"
#include "source/fs/fs_backup.h"

namespace cairn {

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "error: %s.\n", message.c_str());
  return kExitUsage;
}

// "5m ago", as velero shows LAST BACKUP.
std::string age(TimeNs then, TimeNs now) {
  if (then == 0) return "n/a";
  int64_t s = std::max<int64_t>(0, (now - then) / 1000000000);
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

std::string policy_text(const RetentionPolicy& p) {
  std::string out;
  auto add = [&](const char* what, int n) {
    if (n > 0) out += (out.empty() ? "" : ", ") + std::string(what) + " " + std::to_string(n);
  };
  add("last", p.keep_last);
  add("hourly", p.keep_hourly);
  add("daily", p.keep_daily);
  add("weekly", p.keep_weekly);
  add("monthly", p.keep_monthly);
  add("yearly", p.keep_yearly);
  return out.empty() ? "<none>" : out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "<none>" : out;
}

}  // namespace

int cmd_schedule_create(const GlobalOptions& g, const ScheduleCreateArgs& a) {
  Status name_ok = validate_schedule_name(a.name);
  if (!name_ok.is_ok()) return usage_error(name_ok.message());
  Result<CronExpression> cron = parse_cron(a.schedule);
  if (!cron.is_ok()) return usage_error("--schedule \"" + a.schedule + "\": " + cron.status().message());
  if (!next_run(*cron, system_clock().now()))
    return usage_error("--schedule \"" + a.schedule + "\" never fires (no such date)");
  if (!a.pg_stanza.empty() && !a.paths.empty())
    return usage_error("a schedule backs up either --path folders or a --pg-stanza, not both");
  if (a.paths.empty() && a.pg_stanza.empty())
    return usage_error("give at least one --path (or a --pg-stanza) for the schedule's backups");
  Schedule s;
  s.name = a.name;
  s.schedule = a.schedule;
  s.created = system_clock().now();
  for (const std::string& p : a.paths) {
    Result<std::string> norm = normalize_backup_path(p);
    exit_on_error(norm.status());
    s.paths.push_back(*norm);
  }
  s.excludes = a.excludes;
  s.exclude_marker = a.exclude_marker;
  Result<Labels> labels = parse_labels(a.labels);
  if (!labels.is_ok()) return usage_error(labels.status().message());
  s.labels = *labels;
  if (!a.ttl.empty()) {
    Result<int64_t> ttl = parse_duration(a.ttl);
    if (!ttl.is_ok()) return usage_error("--ttl " + ttl.status().message());
    s.ttl_seconds = *ttl;
  }
  s.retention = a.policy;
  s.pg_stanza = a.pg_stanza;
  s.pg_type = a.pg_type;
  s.pg_retention_full = a.pg_retention_full;
  s.pg_retention_diff = a.pg_retention_diff;
  RepositoryTarget target = resolve_target(g);
  if (target.named)
    s.location = target.location.name;
  else
    s.repo = target.url.empty() ? target.location.path : target.url;

  exit_on_error(update_schedules(schedule_config_dir(), [&](std::vector<Schedule>& all) {
    for (const Schedule& other : all)
      if (other.name == s.name)
        return already_exists("a schedule named \"" + s.name +
                              "\" already exists; delete it first or choose another name");
    all.push_back(s);
    return Status::ok();
  }));
  if (!g.quiet)
    std::printf("schedule \"%s\" created (%s into %s); `cairn server` runs it, next at %s\n", s.name.c_str(),
                s.schedule.c_str(), target.describe().c_str(),
                format_human_time(schedule_next_run(s)).c_str());
  return kExitOk;
}

int cmd_schedule_get(const GlobalOptions& g, const std::vector<std::string>& names) {
  Result<std::vector<Schedule>> all = load_schedules(schedule_config_dir());
  exit_on_error(all.status());
  std::vector<Schedule> shown;
  for (const Schedule& s : *all)
    if (names.empty() || std::find(names.begin(), names.end(), s.name) != names.end()) shown.push_back(s);
  for (const std::string& n : names) {
    if (std::none_of(shown.begin(), shown.end(), [&](const Schedule& s) { return s.name == n; })) {
      std::fprintf(stderr, "error: no schedule named \"%s\".\n", n.c_str());
      return kExitFailure;
    }
  }
  if (json_output(g)) {
    std::string items;
    for (const Schedule& s : shown)
      items += (items.empty() ? "\n" : ",\n") + schedule_to_json(s, schedule_next_run(s), -1);
    std::printf("{\"items\": [%s\n]}\n", items.c_str());
    return kExitOk;
  }
  TimeNs now = system_clock().now();
  Table t({"NAME", "STATUS", "CREATED", "SCHEDULE", "BACKUP TTL", "LAST BACKUP", "SELECTOR", "PAUSED"});
  for (const Schedule& s : shown)
    t.add_row({s.name, "Enabled", format_human_time(s.created), s.schedule,
               s.ttl_seconds ? format_duration_spec(s.ttl_seconds) : "0s", age(s.last_backup, now),
               std::string(kScheduleNameLabel) + "=" + s.name, s.paused ? "true" : "false"});
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

int cmd_schedule_describe(const GlobalOptions& g, const std::string& name) {
  Schedule s = load_schedule_or_exit(name);
  TimeNs next = schedule_next_run(s);
  if (json_output(g)) {
    std::printf("%s\n", schedule_to_json(s, next, 2).c_str());
    return kExitOk;
  }
  std::printf("Name:         %s\n", s.name.c_str());
  std::printf("Phase:        Enabled\n");
  std::printf("Paused:       %s\n", s.paused ? "true" : "false");
  std::printf("Schedule:     %s\n", s.schedule.c_str());
  std::printf("Next run:     %s\n", next ? format_human_time(next).c_str() : "never");
  std::printf("Repository:   %s\n", s.location.empty() ? s.repo.c_str() : ("location " + s.location).c_str());
  std::printf("Created:      %s\n\n", format_human_time(s.created).c_str());
  std::printf("Backup Template:\n");
  std::printf("  Paths:          %s\n", join(s.paths).c_str());
  if (!s.pg_stanza.empty())
    std::printf(
        "  PostgreSQL:     pg backup --stanza %s --type %s (retention: %d full, %d diff; 0 keeps all)\n",
        s.pg_stanza.c_str(), s.pg_type.c_str(), s.pg_retention_full, s.pg_retention_diff);
  std::printf("  Excludes:       %s\n", join(s.excludes).c_str());
  std::vector<std::string> labels;
  for (const auto& [k, v] : s.labels) labels.push_back(k + "=" + v);
  std::printf("  Labels:         %s\n", join(labels).c_str());
  std::printf("  TTL:            %s\n",
              s.ttl_seconds ? format_duration_spec(s.ttl_seconds).c_str() : "0s (never expires)");
  std::printf("  Retention:      %s\n\n", policy_text(s.retention).c_str());
  std::printf("Last Backup:  %s\n", s.last_backup ? (s.last_backup_name + " (" + s.last_backup_status + ", " +
                                                     format_human_time(s.last_backup) + ")")
                                                        .c_str()
                                                  : "<none>");
  return kExitOk;
}

int cmd_schedule_pause(const GlobalOptions& g, const std::vector<std::string>& names, bool paused) {
  exit_on_error(update_schedules(schedule_config_dir(), [&](std::vector<Schedule>& all) {
    for (const std::string& n : names) {
      auto it = std::find_if(all.begin(), all.end(), [&](const Schedule& s) { return s.name == n; });
      if (it == all.end()) return not_found("no schedule named \"" + n + "\"; nothing was changed");
      it->paused = paused;
    }
    return Status::ok();
  }));
  if (!g.quiet)
    for (const std::string& n : names)
      std::printf("schedule \"%s\" %s\n", n.c_str(), paused ? "paused" : "unpaused");
  return kExitOk;
}

int cmd_schedule_delete(const GlobalOptions& g, const std::vector<std::string>& names) {
  exit_on_error(update_schedules(schedule_config_dir(), [&](std::vector<Schedule>& all) {
    for (const std::string& n : names) {
      auto it = std::find_if(all.begin(), all.end(), [&](const Schedule& s) { return s.name == n; });
      if (it == all.end()) return not_found("no schedule named \"" + n + "\"; nothing was deleted");
      all.erase(it);
    }
    return Status::ok();
  }));
  if (!g.quiet)
    for (const std::string& n : names)
      std::printf(
          "schedule \"%s\" deleted (its backups stay; forget them with 'cairn backup forget -l %s=%s')\n",
          n.c_str(), kScheduleNameLabel, n.c_str());
  return kExitOk;
}

}  // namespace cairn
