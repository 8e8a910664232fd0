// backup describe | delete
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/clock.h"
#include "repo/lock.h"
#include "source/k8s/k8s_backup.h"

namespace cairn {

using nlohmann::json;

namespace {
const char* type_letter(NodeType t) {
  switch (t) {
    case NodeType::kFile: return "-";
    case NodeType::kDirectory: return "d";
    case NodeType::kSymlink: return "l";
  }
  return "?";
}

// Visits every node of a backup, depth first, with its absolute path.
Status walk_tree(Repository& repo, const BlobId& id, const std::string& path,
                 const std::function<void(const std::string&, const Node&)>& fn) {
  CAIRN_ASSIGN_OR_RETURN(Tree tree, repo.read_tree(id));
  for (const Node& n : tree.nodes) {
    std::string p = path + "/" + n.name;
    fn(p, n);
    if (n.type == NodeType::kDirectory) CAIRN_RETURN_IF_ERROR(walk_tree(repo, n.subtree, p, fn));
  }
  return Status::ok();
}

std::string mode_string(const Node& n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", n.mode & 07777);
  return buf;
}

void print_issues(const char* title, const std::vector<BackupIssue>& issues) {
  std::printf("\n%s:\n", title);
  if (issues.empty()) std::printf("  <none>\n");
  for (const auto& i : issues) std::printf("  %s: %s\n", printable_path(i.path).c_str(), i.message.c_str());
}
}  // namespace

int cmd_backup_describe(const GlobalOptions& g, const BackupDescribeArgs& a) {
  auto repo = open_repository(g, a.details);
  Result<SnapshotManifest> snap = repo->load_snapshot(a.name);
  exit_on_error(snap.status());
  const SnapshotManifest& m = *snap;
  // The resource list of a cluster backup is a blob: it needs the index.
  if (m.source == "k8s" && !a.details) exit_on_error(repo->load_index());
  if (json_output(g)) {
    json j = json::parse(snapshot_to_json(m, true, -1));
    if (a.details) {
      json files = json::array();
      exit_on_error(walk_tree(*repo, m.tree, "", [&](const std::string& p, const Node& n) {
        json f = {{"path", p},
                  {"type", type_letter(n.type)},
                  {"mode", mode_string(n)},
                  {"size", n.size},
                  {"mtime", format_rfc3339(n.mtime_ns)}};
        if (n.type == NodeType::kSymlink) f["target"] = n.link_target;
        files.push_back(f);
      }));
      j["files"] = files;
    }
    if (m.source == "k8s") {
      Result<std::string> list = read_k8s_resource_list(*repo, m);
      exit_on_error(list.status());
      j["resourceList"] = json::parse(*list, nullptr, false);
    }
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::string labels;
  for (const auto& [k, v] : m.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
  std::printf("Name:         %s\n", m.name.c_str());
  std::printf("Labels:       %s\n", labels.empty() ? "<none>" : labels.c_str());
  std::printf("Status:       %s\n", backup_status_name(m.status));
  std::printf("Source:       %s\n", m.source.c_str());
  std::printf("Host:         %s (user %s)\n", m.hostname.c_str(), m.username.c_str());
  if (!m.command.empty()) std::printf("Command:      %s\n", m.command.c_str());
  std::printf("\nPaths:\n");
  for (const auto& p : m.paths) std::printf("  %s\n", printable_path(p).c_str());
  if (!m.excludes.empty()) {
    std::printf("Excluded:\n");
    for (const auto& e : m.excludes) std::printf("  %s\n", e.c_str());
  }
  std::printf("\nStarted:      %s\n", format_human_time(m.started).c_str());
  std::printf("Completed:    %s\n", format_human_time(m.completed).c_str());
  std::printf("Duration:     %s\n", format_duration(m.duration_seconds()).c_str());
  std::printf("Parent:       %s\n", m.parent.empty() ? "<none> (every file was read)" : m.parent.c_str());
  std::printf("\nFiles:        %llu (%llu unchanged since the parent, not read)\n",
              static_cast<unsigned long long>(m.stats.files),
              static_cast<unsigned long long>(m.stats.files_unchanged));
  std::printf("Folders:      %llu\n", static_cast<unsigned long long>(m.stats.directories));
  std::printf("Symlinks:     %llu\n", static_cast<unsigned long long>(m.stats.symlinks));
  std::printf("Size:         %s\n", format_size(m.stats.bytes).c_str());
  std::printf("Read:         %s\n", format_size(m.stats.bytes_read).c_str());
  std::printf("Added:        %s in %llu new blobs\n", format_size(m.stats.bytes_added).c_str(),
              static_cast<unsigned long long>(m.stats.blobs_added));
  print_issues("Errors", m.errors);
  print_issues("Warnings", m.warnings);
  if (m.source == "k8s") {
    // As velero backup describe --details prints it.
    Result<std::string> list = read_k8s_resource_list(*repo, m);
    exit_on_error(list.status());
    const json resources = json::parse(*list, nullptr, false);
    std::printf("\nResource List:\n");
    if (!resources.is_object() || resources.empty()) std::printf("  <none>\n");
    if (resources.is_object()) {
      for (const auto& [type, items] : resources.items()) {
        std::printf("  %s:\n", type.c_str());
        for (const auto& item : items) std::printf("    - %s\n", item.get<std::string>().c_str());
      }
    }
  }
  if (a.details) {
    std::printf("\nFiles:\n");
    exit_on_error(walk_tree(*repo, m.tree, "", [&](const std::string& p, const Node& n) {
      std::string line = std::string(type_letter(n.type)) + " " + mode_string(n) + " " +
                         std::to_string(n.uid) + ":" + std::to_string(n.gid) + " " + std::to_string(n.size) +
                         " " + format_rfc3339(n.mtime_ns) + " " + printable_path(p);
      if (n.type == NodeType::kSymlink) line += " -> " + printable_path(n.link_target);
      std::printf("  %s\n", line.c_str());
    }));
  }
  return kExitOk;
}

int cmd_backup_delete(const GlobalOptions& g, const BackupDeleteArgs& a) {
  auto repo = open_repository(g, false, RepoAccess::kDelete);
  Result<std::unique_ptr<RepositoryLock>> lock = RepositoryLock::acquire(*repo, false, "delete", "");
  exit_on_error(lock.status());
  for (const std::string& name : a.names) {
    exit_on_error(repo->delete_snapshot(name));
    if (!g.quiet)
      std::printf("backup \"%s\" deleted (its data stays in the repository until a prune reclaims it)\n",
                  name.c_str());
  }
  return kExitOk;
}

}  // namespace cairn
