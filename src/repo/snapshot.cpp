#include "repo/snapshot.h"

#include <nlohmann/json.hpp>

#include "repo/json_number.h"

namespace cairn {

using nlohmann::json;

const char* backup_status_name(BackupStatus s) {
  switch (s) {
    case BackupStatus::kInProgress: return "InProgress";
    case BackupStatus::kCompleted: return "Completed";
    case BackupStatus::kPartiallyFailed: return "PartiallyFailed";
    case BackupStatus::kFailed: return "Failed";
  }
  return "Unknown";
}

namespace {
bool parse_status(const std::string& s, BackupStatus& out) {
  for (auto st : {BackupStatus::kInProgress, BackupStatus::kCompleted, BackupStatus::kPartiallyFailed,
                  BackupStatus::kFailed}) {
    if (s == backup_status_name(st)) {
      out = st;
      return true;
    }
  }
  return false;
}

json issues_json(const std::vector<BackupIssue>& issues) {
  json a = json::array();
  for (const auto& i : issues) a.push_back({{"path", i.path}, {"message", i.message}});
  return a;
}

std::vector<BackupIssue> issues_from(const json& a) {
  std::vector<BackupIssue> out;
  for (const auto& i : a)
    out.push_back({i.at("path").get<std::string>(), i.at("message").get<std::string>()});
  return out;
}

// Names are raw bytes from the file system; JSON needs UTF-8. Invalid
// sequences are shown with the replacement character in listings only.
json stats_json(const BackupStats& s) {
  return {{"files", s.files},
          {"directories", s.directories},
          {"symlinks", s.symlinks},
          {"bytes", s.bytes},
          {"bytes_read", s.bytes_read},
          {"files_unchanged", s.files_unchanged},
          {"blobs_added", s.blobs_added},
          {"bytes_added", s.bytes_added}};
}

json manifest_json(const SnapshotManifest& m) {
  json j = {{"version", m.version},
            {"name", m.name},
            {"source", m.source},
            {"status", backup_status_name(m.status)},
            {"labels", m.labels},
            {"hostname", m.hostname},
            {"username", m.username},
            {"paths", m.paths},
            {"excludes", m.excludes},
            {"parent", m.parent},
            {"started", m.started},
            {"completed", m.completed},
            {"tree", m.tree.hex()},
            {"stats", stats_json(m.stats)},
            {"errors", issues_json(m.errors)},
            {"warnings", issues_json(m.warnings)}};
  // Optional, added after version 1 was frozen: older manifests lack it.
  if (m.expires != 0) j["expires"] = m.expires;
  if (!m.command.empty()) j["command"] = m.command;
  return j;
}
}  // namespace

std::string encode_snapshot(const SnapshotManifest& m) {
  return manifest_json(m).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SnapshotManifest> decode_snapshot(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corruption("snapshot manifest is not valid JSON");
  SnapshotManifest m;
  try {
    m.version = json_integer<int>(j.at("version"));
    if (m.version != 1) return unsupported("snapshot manifest has an unknown version");
    m.name = j.at("name").get<std::string>();
    m.source = j.at("source").get<std::string>();
    if (!parse_status(j.at("status").get<std::string>(), m.status))
      return corruption("snapshot has an unknown status");
    m.labels = j.at("labels").get<std::map<std::string, std::string>>();
    m.hostname = j.at("hostname").get<std::string>();
    m.username = j.at("username").get<std::string>();
    m.paths = j.at("paths").get<std::vector<std::string>>();
    m.excludes = j.at("excludes").get<std::vector<std::string>>();
    m.parent = j.at("parent").get<std::string>();
    m.started = json_integer<int64_t>(j.at("started"));
    m.completed = json_integer<int64_t>(j.at("completed"));
    if (j.contains("expires")) m.expires = json_integer<int64_t>(j.at("expires"));
    if (j.contains("command")) m.command = j.at("command").get<std::string>();
    if (!BlobId::from_hex(j.at("tree").get<std::string>(), m.tree))
      return corruption("snapshot has a bad tree id");
    const json& s = j.at("stats");
    m.stats.files = json_integer<uint64_t>(s.at("files"));
    m.stats.directories = json_integer<uint64_t>(s.at("directories"));
    m.stats.symlinks = json_integer<uint64_t>(s.at("symlinks"));
    m.stats.bytes = json_integer<uint64_t>(s.at("bytes"));
    m.stats.bytes_read = json_integer<uint64_t>(s.at("bytes_read"));
    m.stats.files_unchanged = json_integer<uint64_t>(s.at("files_unchanged"));
    m.stats.blobs_added = json_integer<uint64_t>(s.at("blobs_added"));
    m.stats.bytes_added = json_integer<uint64_t>(s.at("bytes_added"));
    m.errors = issues_from(j.at("errors"));
    m.warnings = issues_from(j.at("warnings"));
  } catch (const json::exception&) {
    return corruption("snapshot manifest is missing fields or has wrong types");
  }
  return m;
}

std::string snapshot_to_json(const SnapshotManifest& m, bool with_issues, int indent) {
  json j = manifest_json(m);
  j.erase("version");
  j["started"] = format_rfc3339(m.started);
  j["completed"] = m.completed ? json(format_rfc3339(m.completed)) : json(nullptr);
  j["duration_seconds"] = m.completed ? m.duration_seconds() : 0.0;
  j["expires"] = m.expires ? json(format_rfc3339(m.expires)) : json(nullptr);
  j["errors_count"] = m.errors.size();
  j["warnings_count"] = m.warnings.size();
  if (!with_issues) {
    j.erase("errors");
    j.erase("warnings");
  }
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace cairn
