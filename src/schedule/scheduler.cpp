#include "schedule/scheduler.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "common/log.h"
#include "schedule/cron.h"

namespace cairn {

namespace {
constexpr int64_t kNs = 1000000000;
// Histogram buckets of velero_backup_duration_seconds (Velero uses these).
constexpr double kBuckets[] = {10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400};

std::string repository_key(const Schedule& s) {
  return s.location.empty() ? "repo:" + s.repo : "location:" + s.location;
}

// Prometheus label values escape backslash, quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}
}  // namespace

Scheduler::Scheduler(const Clock& clock, SchedulerHooks hooks, int64_t expire_interval_seconds)
    : clock_(clock), hooks_(std::move(hooks)), expire_interval_ns_(expire_interval_seconds * kNs) {}

TimeNs Scheduler::tick() {
  Result<std::vector<Schedule>> loaded = hooks_.load();
  if (!loaded.is_ok()) {
    log_error(stamp() + "cannot read the schedules: " + loaded.status().message());
    return clock_.now() + 10 * kNs;
  }
  TimeNs earliest = 0;
  for (const Schedule& s : *loaded) {
    if (stopping_) break;
    {
      std::lock_guard<std::mutex> l(mu_);
      metrics_.try_emplace(s.name);
    }
    if (s.paused) continue;
    Result<CronExpression> cron = parse_cron(s.schedule);
    if (!cron.is_ok()) {
      log_error(stamp() + "schedule " + s.name + ": " + cron.status().message());
      continue;
    }
    TimeNs now = clock_.now();
    std::optional<TimeNs> due = next_run(*cron, std::max(s.created, s.last_backup));
    if (!due) continue;
    if (*due <= now) {
      run_one(s, now);
      due = next_run(*cron, now);
      if (!due) continue;
    }
    if (earliest == 0 || *due < earliest) earliest = *due;
  }

  TimeNs now = clock_.now();
  if (!stopping_ && now - last_expire_ >= expire_interval_ns_) {
    last_expire_ = now;
    std::set<std::string> done;
    for (const Schedule& s : *loaded) {
      if (!done.insert(repository_key(s)).second) continue;
      count_deletions(s.name, hooks_.expire(s), "expiry");
    }
  }
  TimeNs next_expire = last_expire_ + expire_interval_ns_;
  if (earliest == 0 || next_expire < earliest) earliest = next_expire;
  return earliest;
}

void Scheduler::run_one(const Schedule& s, TimeNs now) {
  std::string name = scheduled_backup_name(s.name, now);
  log_info(stamp() + "schedule " + s.name + ": starting backup " + name);
  {
    std::lock_guard<std::mutex> l(mu_);
    ++metrics_[s.name].attempts;
  }
  double started = monotonic_seconds();
  BackupRunOutcome outcome = hooks_.run_backup(s, name);
  double seconds = monotonic_seconds() - started;
  {
    std::lock_guard<std::mutex> l(mu_);
    ScheduleMetrics& m = metrics_[s.name];
    m.durations.push_back(seconds);
    m.last_status = outcome.status == "Completed" ? 1 : 0;
    if (outcome.status == "Completed") {
      ++m.successes;
      m.last_success_seconds = static_cast<double>(now / kNs);
    } else if (outcome.status == "PartiallyFailed") {
      ++m.partial_failures;
    } else {
      ++m.failures;
    }
  }
  if (outcome.status == "Failed")
    log_error(stamp() + "schedule " + s.name + ": backup " + name + " failed: " + outcome.error);
  else
    log_info(stamp() + "schedule " + s.name + ": backup " + name + " " + outcome.status + " in " +
             format_duration(seconds));
  Status recorded = hooks_.record(s.name, name, now, outcome.status);
  if (!recorded.is_ok())
    log_error(stamp() + "schedule " + s.name + ": cannot record the run: " + recorded.message());
  if (outcome.status != "Failed") count_deletions(s.name, hooks_.apply_retention(s), "retention");
}

void Scheduler::count_deletions(const std::string& schedule, const Result<int>& deleted, const char* what) {
  std::lock_guard<std::mutex> l(mu_);
  ScheduleMetrics& m = metrics_[schedule];
  if (!deleted.is_ok()) {
    ++m.deletion_failures;
    log_error(stamp() + "schedule " + schedule + ": " + what + " failed: " + deleted.status().message());
    return;
  }
  m.deletions += static_cast<uint64_t>(*deleted);
  if (*deleted > 0)
    log_info(stamp() + "schedule " + schedule + ": " + what + " deleted " + std::to_string(*deleted) +
             " backups");
}

std::map<std::string, ScheduleMetrics> Scheduler::metrics() const {
  std::lock_guard<std::mutex> l(mu_);
  return metrics_;
}

std::string Scheduler::metrics_text() const {
  std::map<std::string, ScheduleMetrics> all = metrics();
  std::string out;
  auto counter = [&](const char* name, const char* help, auto field) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    for (const auto& [s, m] : all)
      out += std::string(name) + "{schedule=\"" + label(s) + "\"} " + std::to_string(field(m)) + "\n";
  };
  counter("velero_backup_attempt_total", "Total number of attempted backups",
          [](const ScheduleMetrics& m) { return m.attempts; });
  counter("velero_backup_success_total", "Total number of successful backups",
          [](const ScheduleMetrics& m) { return m.successes; });
  counter("velero_backup_partial_failure_total", "Total number of partially failed backups",
          [](const ScheduleMetrics& m) { return m.partial_failures; });
  counter("velero_backup_failure_total", "Total number of failed backups",
          [](const ScheduleMetrics& m) { return m.failures; });
  counter("velero_backup_deletion_success_total", "Total number of backups deleted by retention or TTL",
          [](const ScheduleMetrics& m) { return m.deletions; });
  counter("velero_backup_deletion_failure_total", "Total number of failed retention or TTL passes",
          [](const ScheduleMetrics& m) { return m.deletion_failures; });
  out +=
      "# HELP velero_backup_last_successful_timestamp Last time a backup ran successfully, Unix timestamp in "
      "seconds\n# TYPE velero_backup_last_successful_timestamp gauge\n";
  for (const auto& [s, m] : all) {
    char v[32];
    std::snprintf(v, sizeof v, "%.0f", m.last_success_seconds);
    out += "velero_backup_last_successful_timestamp{schedule=\"" + label(s) + "\"} " + v + "\n";
  }
  out +=
      "# HELP velero_backup_last_status Last backup status (1 = Completed, 0 = not)\n"
      "# TYPE velero_backup_last_status gauge\n";
  for (const auto& [s, m] : all)
    if (m.last_status >= 0)
      out +=
          "velero_backup_last_status{schedule=\"" + label(s) + "\"} " + std::to_string(m.last_status) + "\n";
  out +=
      "# HELP velero_backup_duration_seconds Time taken to complete backup, in seconds\n"
      "# TYPE velero_backup_duration_seconds histogram\n";
  for (const auto& [s, m] : all) {
    double sum = 0;
    for (double d : m.durations) sum += d;
    for (double b : kBuckets) {
      size_t n = std::count_if(m.durations.begin(), m.durations.end(), [&](double d) { return d <= b; });
      char le[32];
      std::snprintf(le, sizeof le, "%g", b);
      out += "velero_backup_duration_seconds_bucket{schedule=\"" + label(s) + "\",le=\"" + le + "\"} " +
             std::to_string(n) + "\n";
    }
    out += "velero_backup_duration_seconds_bucket{schedule=\"" + label(s) + "\",le=\"+Inf\"} " +
           std::to_string(m.durations.size()) + "\n";
    char sum_text[32];
    std::snprintf(sum_text, sizeof sum_text, "%.6f", sum);
    out += "velero_backup_duration_seconds_sum{schedule=\"" + label(s) + "\"} " + sum_text + "\n";
    out += "velero_backup_duration_seconds_count{schedule=\"" + label(s) + "\"} " +
           std::to_string(m.durations.size()) + "\n";
  }
  return out;
}

}  // namespace cairn
