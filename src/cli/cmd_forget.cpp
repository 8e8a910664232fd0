// backup forget: retention rules and TTL expiry over a selection of backups.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/labels.h"
#include "cli/output.h"
#include "repo/lock.h"
#include "schedule/forget.h"

namespace cairn {

using nlohmann::json;

int cmd_backup_forget(const GlobalOptions& g, const BackupForgetArgs& a) {
  Result<Labels> selector = parse_selector(a.selector);
  if (!selector.is_ok()) return report_error(selector.status());
  // A dry run only reads; the real one deletes and is refused on ReadOnly
  // and AppendOnly locations before anything is sent.
  auto repo = open_repository(g, false, a.dry_run ? RepoAccess::kRead : RepoAccess::kDelete);
  std::unique_ptr<RepositoryLock> lock;
  if (!a.dry_run) {
    Result<std::unique_ptr<RepositoryLock>> l = RepositoryLock::acquire(*repo, false, "forget", "");
    exit_on_error(l.status());
    lock = std::move(*l);
  }
  Result<std::vector<SnapshotManifest>> snaps = repo->list_snapshots();
  exit_on_error(snaps.status());
  std::vector<SnapshotManifest> candidates;
  for (SnapshotManifest& m : *snaps) {
    if (!a.names.empty() && std::find(a.names.begin(), a.names.end(), m.name) == a.names.end()) continue;
    if (labels_match(m.labels, *selector)) candidates.push_back(std::move(m));
  }
  for (const std::string& n : a.names) {
    if (std::none_of(candidates.begin(), candidates.end(), [&](const auto& s) { return s.name == n; })) {
      std::fprintf(stderr, "error: no backup named \"%s\" matches; nothing was deleted.\n", n.c_str());
      return kExitFailure;
    }
  }
  Result<std::vector<RetentionDecision>> decisions =
      forget_backups(*repo, candidates, a.policy, system_clock().now(), a.dry_run);
  exit_on_error(decisions.status());

  if (json_output(g)) {
    json items = json::array();
    for (const RetentionDecision& d : *decisions)
      items.push_back({{"name", d.name},
                       {"created", format_rfc3339(d.time)},
                       {"action", d.keep ? "keep" : "delete"},
                       {"reasons", d.reasons}});
    std::printf("%s\n", json{{"dry_run", a.dry_run}, {"items", items}}.dump(2).c_str());
    return kExitOk;
  }
  Table t({"NAME", "CREATED", "ACTION", "REASON"});
  size_t gone = 0;
  for (const RetentionDecision& d : *decisions) {
    std::string reasons;
    for (const std::string& r : d.reasons) reasons += (reasons.empty() ? "" : ", ") + r;
    t.add_row({d.name, format_human_time(d.time), d.keep ? "keep" : (a.dry_run ? "would delete" : "deleted"),
               reasons});
    gone += d.keep ? 0 : 1;
  }
  if (!g.quiet) std::fputs(t.render().c_str(), stdout);
  std::printf("%zu of %zu backups %s%s\n", gone, decisions->size(),
              a.dry_run ? "would be deleted" : "deleted",
              gone > 0 && !a.dry_run ? " (prune reclaims their data)" : "");
  return kExitOk;
}

}  // namespace cairn
