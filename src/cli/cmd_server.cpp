// cairn server: runs due schedules, applies retention and TTL expiry, and
// serves /healthz and Prometheus /metrics. The only user of cpp-httplib.
//
// Each backup and forget runs as a child `cairn` process (this binary), so a
// crash or leak in one run cannot take the server down and every run uses
// exactly the code path of the CLI. SIGTERM or SIGINT stops the server: the
// backup in progress is finished (the child is in its own process group and
// does not get the signal), nothing new starts, and the server exits 0.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/schedule_target.h"
#include "common/log.h"
#include "schedule/scheduler.h"
#include "storage/unique_fd.h"

extern char** environ;

namespace cairn {

namespace {

struct ChildResult {
  int exit_code = -1;
  std::string out;
};

// Runs this binary with args; stdin /dev/null, stdout captured, stderr shared.
ChildResult run_self(const std::vector<std::string>& args) {
  ChildResult r;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a terminal's Ctrl-C reaches only the server
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  std::vector<std::string> argv_s = {"cairn"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return r;
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::string> target_flags(const Schedule& s) {
  if (!s.location.empty()) return {"--no-progress", "--location", s.location};
  return {"--no-progress", "--repo", s.repo};
}

// `backup forget ... -o json` in a child; the number of backups it deleted.
Result<int> forget(const Schedule& s, std::vector<std::string> extra) {
  std::vector<std::string> args = target_flags(s);
  args.insert(args.end(), {"backup", "forget", "-o", "json"});
  args.insert(args.end(), extra.begin(), extra.end());
  ChildResult r = run_self(args);
  if (r.exit_code != 0) return io_error("backup forget exited with code " + std::to_string(r.exit_code));
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  if (doc.is_discarded() || !doc.contains("items")) return io_error("backup forget printed no JSON");
  int deleted = 0;
  for (const auto& item : doc["items"]) deleted += item.value("action", "") == "delete" ? 1 : 0;
  return deleted;
}

// `pg backup` of the schedule's stanza in a child (with its retention);
// the backup's own label names it.
BackupRunOutcome run_pg_backup(const Schedule& s) {
  std::vector<std::string> args = target_flags(s);
  args.insert(args.end(), {"-q", "pg", "backup", "--stanza", s.pg_stanza, "--type", s.pg_type, "-o", "json"});
  if (s.pg_retention_full > 0)
    args.insert(args.end(), {"--retention-full", std::to_string(s.pg_retention_full)});
  if (s.pg_retention_diff > 0)
    args.insert(args.end(), {"--retention-diff", std::to_string(s.pg_retention_diff)});
  ChildResult r = run_self(args);
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  const std::string label = doc.is_object() ? doc.value("name", "") : "";
  if (!label.empty()) log_info("schedule " + s.name + ": pg backup " + label);
  if (r.exit_code == kExitOk) return BackupRunOutcome{"Completed", ""};
  if (r.exit_code == kExitPartial) return BackupRunOutcome{"PartiallyFailed", ""};
  return BackupRunOutcome{"Failed", "cairn pg backup exited with code " + std::to_string(r.exit_code)};
}

SchedulerHooks child_process_hooks(const std::string& dir) {
  SchedulerHooks h;
  h.load = [dir] { return load_schedules(dir); };
  h.record = [dir](const std::string& name, const std::string& backup, TimeNs start,
                   const std::string& status) {
    return update_schedules(dir, [&](std::vector<Schedule>& all) {
      for (Schedule& s : all) {
        if (s.name != name) continue;
        s.last_backup = start;
        s.last_backup_name = backup;
        s.last_backup_status = status;
      }
      return Status::ok();
    });
  };
  h.run_backup = [](const Schedule& s, const std::string& name) {
    if (!s.pg_stanza.empty()) return run_pg_backup(s);
    ChildResult r = run_self({"--no-progress", "-q", "backup", "create", name, "--from-schedule", s.name});
    if (r.exit_code == kExitOk) return BackupRunOutcome{"Completed", ""};
    if (r.exit_code == kExitPartial) return BackupRunOutcome{"PartiallyFailed", ""};
    return BackupRunOutcome{"Failed", "cairn backup create exited with code " + std::to_string(r.exit_code)};
  };
  h.apply_retention = [](const Schedule& s) -> Result<int> {
    if (!s.retention.has_count_rules() && s.ttl_seconds == 0) return 0;
    std::vector<std::string> extra = {"-l", std::string(kScheduleNameLabel) + "=" + s.name};
    const RetentionPolicy& p = s.retention;
    std::pair<const char*, int> rules[] = {
        {"--keep-last", p.keep_last},       {"--keep-hourly", p.keep_hourly},
        {"--keep-daily", p.keep_daily},     {"--keep-weekly", p.keep_weekly},
        {"--keep-monthly", p.keep_monthly}, {"--keep-yearly", p.keep_yearly}};
    for (const auto& [flag, n] : rules)
      if (n > 0) extra.insert(extra.end(), {flag, std::to_string(n)});
    return forget(s, extra);
  };
  h.expire = [](const Schedule& s) { return forget(s, {}); };
  return h;
}

bool split_address(const std::string& address, std::string& host, int& port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  char* end = nullptr;
  long p = std::strtol(address.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) return false;
  port = static_cast<int>(p);
  return !host.empty();
}

}  // namespace

int cmd_server(const GlobalOptions& g, const ServerArgs& a) {
  (void)g;
  std::string host;
  int port = 0;
  if (!split_address(a.metrics_address, host, port)) {
    std::fprintf(stderr, "error: --metrics-address \"%s\" is not HOST:PORT, e.g. 127.0.0.1:8085.\n",
                 a.metrics_address.c_str());
    return kExitUsage;
  }
  const char* pw = std::getenv("CAIRN_PASSWORD");
  const char* pw_file = std::getenv("CAIRN_PASSWORD_FILE");
  if ((pw == nullptr || *pw == '\0') && (pw_file == nullptr || *pw_file == '\0')) {
    std::fprintf(
        stderr,
        "error: cairn server runs backups unattended: set CAIRN_PASSWORD_FILE (or CAIRN_PASSWORD).\n");
    return kExitUsage;
  }
  std::string dir = schedule_config_dir();
  // One server per config folder: two would run every schedule twice.
  const std::string lock_file = dir + "/server.lock";
  UniqueFd lock(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0 && errno == ENOENT) {
    exit_on_error(update_schedules(dir, [](std::vector<Schedule>&) { return Status::ok(); }));  // creates dir
    lock = UniqueFd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  }
  if (lock.get() < 0) return report_error(errno_status(errno, "opening " + lock_file));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "error: another cairn server is running with the schedules in %s; stop it first.\n",
                 dir.c_str());
    return kExitLocked;
  }

  // Signals are taken by one thread with sigwait, so nothing else is interrupted.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Scheduler scheduler(system_clock(), child_process_hooks(dir));
  httplib::Server http;
  http.Get("/healthz",
           [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  http.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(scheduler.metrics_text(), "text/plain; version=0.0.4");
  });
  if (!http.bind_to_port(host, port)) {
    std::fprintf(stderr, "error: cannot listen on %s (in use, or not an address of this host).\n",
                 a.metrics_address.c_str());
    return kExitFailure;
  }
  std::thread http_thread([&] { http.listen_after_bind(); });
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log_info(format_rfc3339(system_clock().now()) + " server: " + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
             ": stopping after the backup in progress, if any");
    scheduler.stop();
  });
  log_info(format_rfc3339(system_clock().now()) + " server: serving /healthz and /metrics on " +
           a.metrics_address + "; schedules from " + dir + "/schedules.json");

  constexpr TimeNs kSecond = 1000000000;
  while (!scheduler.stopping()) {
    TimeNs next = scheduler.tick();
    // Wake at the next due time, and at least every second to see new,
    // paused and deleted schedules.
    TimeNs wake = system_clock().now() + kSecond;
    if (next != 0 && next < wake) wake = next;
    for (TimeNs now = system_clock().now(); !scheduler.stopping() && now < wake; now = system_clock().now())
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<TimeNs>(wake - now, kSecond / 20)));
  }
  http.stop();
  http_thread.join();
  signal_thread.join();  // it set stopping, so it has returned
  log_info(format_rfc3339(system_clock().now()) + " server: stopped");
  return kExitOk;
}

}  // namespace cairn
