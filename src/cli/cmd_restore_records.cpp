// restore get, restore describe: the restore records kept in the repository.
#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/restore_records.h"
#include "common/clock.h"
#include "common/log.h"

namespace cairn {

using nlohmann::json;

void record_restore(Repository& repo, const RestoreRecord& record) {
  Status s = save_restore_record(repo, record);
  if (!s.is_ok())
    log_warning("the restore's record was not saved, so 'restore get' will not list it: " + s.message());
}

json restore_record_json(const RestoreRecord& r, bool with_items) {
  json j = {{"name", r.name},
            {"backup", r.backup},
            {"source", r.source},
            {"status", r.status},
            {"started", format_rfc3339(r.started)},
            {"completed", format_rfc3339(r.completed)},
            {"errors", r.errors},
            {"warnings", r.warnings}};
  std::map<std::string, uint64_t> outcomes;
  for (const RestoreItem& i : r.items) outcomes[i.outcome]++;
  j["outcomes"] = outcomes;
  if (with_items) {
    j["items"] = json::array();
    for (const RestoreItem& i : r.items) {
      j["items"].push_back({{"resource", i.resource},
                            {"namespace", i.namespace_},
                            {"name", i.name},
                            {"outcome", i.outcome},
                            {"reason", i.reason}});
    }
  }
  return j;
}

int cmd_restore_get(const GlobalOptions& g, const RestoreGetArgs& a) {
  auto repo = open_repository(g, false);
  size_t damaged = 0;
  Result<std::vector<RestoreRecord>> records = list_restore_records(*repo, &damaged);
  exit_on_error(records.status());
  if (damaged > 0)
    log_warning(std::to_string(damaged) + " restore records could not be read and are not shown");
  std::vector<RestoreRecord> shown;
  for (RestoreRecord& r : *records) {
    if (a.names.empty() || std::find(a.names.begin(), a.names.end(), r.name) != a.names.end())
      shown.push_back(std::move(r));
  }
  for (const std::string& n : a.names) {
    if (std::none_of(shown.begin(), shown.end(), [&](const RestoreRecord& r) { return r.name == n; })) {
      std::fprintf(stderr, "error: no restore named \"%s\".\n", n.c_str());
      return kExitFailure;
    }
  }
  std::sort(shown.begin(), shown.end(),
            [](const RestoreRecord& x, const RestoreRecord& y) { return x.started > y.started; });
  if (json_output(g)) {
    json items = json::array();
    for (const RestoreRecord& r : shown) items.push_back(restore_record_json(r, false));
    std::printf("%s\n", json{{"items", items}}.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  Table t({"NAME", "BACKUP", "STATUS", "STARTED", "COMPLETED", "ERRORS", "WARNINGS"});
  for (const RestoreRecord& r : shown) {
    t.add_row({r.name, r.backup, r.status, format_human_time(r.started), format_human_time(r.completed),
               std::to_string(r.errors.size()), std::to_string(r.warnings.size())});
  }
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

int cmd_restore_describe(const GlobalOptions& g, const RestoreDescribeArgs& a) {
  auto repo = open_repository(g, false);
  Result<RestoreRecord> loaded = load_restore_record(*repo, a.name);
  exit_on_error(loaded.status());
  const RestoreRecord& r = *loaded;
  if (json_output(g)) {
    std::printf(
        "%s\n",
        restore_record_json(r, a.details).dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("Name:         %s\n", r.name.c_str());
  std::printf("Backup:       %s\n", r.backup.c_str());
  std::printf("Phase:        %s\n", r.status.c_str());
  std::printf("\nStarted:      %s\n", format_human_time(r.started).c_str());
  std::printf("Completed:    %s\n", format_human_time(r.completed).c_str());
  std::map<std::string, uint64_t> outcomes;
  for (const RestoreItem& i : r.items) outcomes[i.outcome]++;
  std::printf("\nItems:\n");
  for (const char* o : {"created", "updated", "skipped-exists", "failed"})
    std::printf("  %-15s %llu\n", (std::string(o) + ":").c_str(),
                static_cast<unsigned long long>(outcomes[o]));
  std::printf("\nWarnings:%s\n", r.warnings.empty() ? "  <none>" : "");
  for (const std::string& w : r.warnings) std::printf("  %s\n", w.c_str());
  std::printf("\nErrors:%s\n", r.errors.empty() ? "  <none>" : "");
  for (const std::string& e : r.errors) std::printf("  %s\n", e.c_str());
  if (a.details) {
    std::printf("\nResource List:\n");
    Table t({"RESOURCE", "NAMESPACE", "NAME", "OUTCOME", "REASON"});
    for (const RestoreItem& i : r.items)
      t.add_row({i.resource, i.namespace_.empty() ? "-" : i.namespace_, i.name, i.outcome, i.reason});
    std::fputs(t.render().c_str(), stdout);
  } else if (!r.items.empty()) {
    std::printf("\nUse --details to see the outcome of every item.\n");
  }
  return kExitOk;
}

}  // namespace cairn
