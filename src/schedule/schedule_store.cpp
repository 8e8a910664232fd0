#include "schedule/schedule_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "schedule/cron.h"
#include "storage/atomic_file.h"
#include "storage/unique_fd.h"

namespace cairn {

using nlohmann::json;

namespace {

constexpr int kVersion = 1;

json policy_json(const RetentionPolicy& p) {
  return {{"keep_last", p.keep_last},     {"keep_hourly", p.keep_hourly},   {"keep_daily", p.keep_daily},
          {"keep_weekly", p.keep_weekly}, {"keep_monthly", p.keep_monthly}, {"keep_yearly", p.keep_yearly}};
}

json to_json(const Schedule& s) {
  return {{"name", s.name},
          {"schedule", s.schedule},
          {"created", s.created},
          {"paused", s.paused},
          {"location", s.location},
          {"repo", s.repo},
          {"paths", s.paths},
          {"excludes", s.excludes},
          {"exclude_marker", s.exclude_marker},
          {"labels", s.labels},
          {"ttl_seconds", s.ttl_seconds},
          {"retention", policy_json(s.retention)},
          {"pg_stanza", s.pg_stanza},
          {"pg_type", s.pg_type},
          {"pg_retention_full", s.pg_retention_full},
          {"pg_retention_diff", s.pg_retention_diff},
          {"last_backup", s.last_backup},
          {"last_backup_name", s.last_backup_name},
          {"last_backup_status", s.last_backup_status}};
}

Schedule from_json(const json& j) {
  Schedule s;
  s.name = j.at("name").get<std::string>();
  s.schedule = j.at("schedule").get<std::string>();
  s.created = j.at("created").get<int64_t>();
  s.paused = j.at("paused").get<bool>();
  s.location = j.at("location").get<std::string>();
  s.repo = j.at("repo").get<std::string>();
  s.paths = j.at("paths").get<std::vector<std::string>>();
  s.excludes = j.at("excludes").get<std::vector<std::string>>();
  s.exclude_marker = j.at("exclude_marker").get<std::string>();
  s.labels = j.at("labels").get<std::map<std::string, std::string>>();
  s.ttl_seconds = j.at("ttl_seconds").get<int64_t>();
  const json& r = j.at("retention");
  s.retention.keep_last = r.at("keep_last").get<int>();
  s.retention.keep_hourly = r.at("keep_hourly").get<int>();
  s.retention.keep_daily = r.at("keep_daily").get<int>();
  s.retention.keep_weekly = r.at("keep_weekly").get<int>();
  s.retention.keep_monthly = r.at("keep_monthly").get<int>();
  s.retention.keep_yearly = r.at("keep_yearly").get<int>();
  // Absent in files written before PostgreSQL schedules.
  s.pg_stanza = j.value("pg_stanza", std::string());
  s.pg_type = j.value("pg_type", std::string("incr"));
  s.pg_retention_full = j.value("pg_retention_full", 0);
  s.pg_retention_diff = j.value("pg_retention_diff", 0);
  s.last_backup = j.at("last_backup").get<int64_t>();
  s.last_backup_name = j.at("last_backup_name").get<std::string>();
  s.last_backup_status = j.at("last_backup_status").get<std::string>();
  return s;
}

Status make_private_dirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return errno_status(errno, "mkdir " + part);
  }
  return Status::ok();
}

Status save_schedules(const std::string& dir, const std::vector<Schedule>& schedules) {
  json items = json::array();
  for (const Schedule& s : schedules) items.push_back(to_json(s));
  const std::string text = json{{"version", kVersion}, {"schedules", items}}.dump(2) + "\n";
  return write_file_atomic(dir + "/schedules.json", as_bytes(text), ReplaceMode::kReplace, 0600);
}

}  // namespace

Status validate_schedule_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  if (!ok)
    return invalid_argument("schedule name \"" + name +
                            "\" is not valid: use 1 to 63 letters, digits, '-', '_' or '.', starting with a "
                            "letter or digit");
  return Status::ok();
}

std::string scheduled_backup_name(const std::string& schedule, TimeNs t) {
  time_t secs = static_cast<time_t>(t / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return schedule + "-" + buf;
}

Result<std::vector<Schedule>> load_schedules(const std::string& dir) {
  const std::string file = dir + "/schedules.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::vector<Schedule>{};
    return errno_status(errno, "reading " + file);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const Status bad = corruption(file + " is not a valid cairn schedule file; fix or remove it");
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad;
  std::vector<Schedule> out;
  try {
    if (j.at("version").get<int>() != kVersion)
      return unsupported(file + " was written by a newer cairn; upgrade cairn");
    for (const json& item : j.at("schedules")) out.push_back(from_json(item));
  } catch (const json::exception&) {
    return bad;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Status update_schedules(const std::string& dir, const std::function<Status(std::vector<Schedule>&)>& change) {
  CAIRN_RETURN_IF_ERROR(make_private_dirs(dir));
  const std::string lock_file = dir + "/schedules.lock";
  UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) return errno_status(errno, "opening " + lock_file);
  if (::flock(fd.get(), LOCK_EX) != 0) return errno_status(errno, "locking " + lock_file);
  CAIRN_ASSIGN_OR_RETURN(std::vector<Schedule> schedules, load_schedules(dir));
  CAIRN_RETURN_IF_ERROR(change(schedules));
  std::sort(schedules.begin(), schedules.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return save_schedules(dir, schedules);  // the lock goes with fd
}

std::string schedule_to_json(const Schedule& s, TimeNs next_run, int indent) {
  json j = to_json(s);
  j["created"] = format_rfc3339(s.created);
  j["last_backup"] = s.last_backup ? json(format_rfc3339(s.last_backup)) : json(nullptr);
  j["ttl"] = s.ttl_seconds ? json(format_duration_spec(s.ttl_seconds)) : json(nullptr);
  j["next_run"] = next_run ? json(format_rfc3339(next_run)) : json(nullptr);
  j["selector"] = std::string(kScheduleNameLabel) + "=" + s.name;
  j["status"] = "Enabled";
  return j.dump(indent);
}

}  // namespace cairn
