// restore create, for a Kubernetes backup (Velero's flags). Exit codes:
// 0 Completed, 3 PartiallyFailed (some items failed; the others were
// restored), 1 Failed (nothing restored: cluster unreachable, backup
// unreadable), 2 bad flags or files.
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/restore_records.h"
#include "common/clock.h"
#include "common/log.h"
#include "source/k8s/k8s_restore.h"

namespace cairn {

namespace {

// The options, or an exit code after saying what is wrong.
std::optional<int> build_options(const RestoreCreateArgs& a, const std::string& name, K8sRestoreOptions& o) {
  const auto usage = [](const Status& s) {
    std::fprintf(stderr, "error: %s.\n", s.message().c_str());
    return kExitUsage;
  };
  o.name = name;
  o.include_namespaces = a.include_namespaces;
  o.exclude_namespaces = a.exclude_namespaces;
  o.include_resources = a.include_resources;
  o.exclude_resources = a.exclude_resources;
  o.label_selector = a.selector;
  Result<ClusterResources> cluster = parse_cluster_resources(a.include_cluster_resources);
  if (!cluster.is_ok()) return usage(cluster.status());
  o.cluster_resources = *cluster;
  Result<std::map<std::string, std::string>> mappings = parse_namespace_mappings(a.namespace_mappings);
  if (!mappings.is_ok()) return usage(mappings.status());
  o.namespace_mappings = *mappings;
  Result<ExistingResourcePolicy> policy = parse_existing_resource_policy(a.existing_resource_policy);
  if (!policy.is_ok()) return usage(policy.status());
  o.existing = *policy;
  if (!a.restore_resource_priorities.empty()) {
    Result<RestorePriorities> p = parse_restore_priorities(a.restore_resource_priorities);
    if (!p.is_ok()) return usage(p.status());
    o.priorities = *p;
  }
  if (!(a.crd_establish_timeout_seconds >= 0))
    return usage(invalid_argument("--crd-establish-timeout must be zero or more seconds"));
  o.crd_establish_timeout_seconds = a.crd_establish_timeout_seconds;
  if (!a.resource_modifiers.empty()) {
    std::ifstream in(a.resource_modifiers);
    if (!in) {
      return usage(invalid_argument("cannot read the resource modifiers file " + a.resource_modifiers));
    }
    std::stringstream text;
    text << in.rdbuf();
    o.resource_modifiers_yaml = text.str();
  }
  if (!a.target.empty() || !a.includes.empty())
    return usage(invalid_argument("--target and --include apply to file backups, not Kubernetes ones"));
  return std::nullopt;
}

size_t count(const RestoreRecord& r, const char* outcome) {
  size_t n = 0;
  for (const RestoreItem& i : r.items) n += i.outcome == outcome;
  return n;
}

}  // namespace

int cmd_restore_create_k8s(const GlobalOptions& g, const RestoreCreateArgs& a, const std::string& name,
                           Repository& repo, const SnapshotManifest& backup) {
  K8sRestoreOptions options;
  if (std::optional<int> code = build_options(a, name, options)) return *code;
  if (load_restore_record(repo, name).is_ok()) {
    std::fprintf(stderr, "error: a restore named \"%s\" already exists; choose another name.\n",
                 name.c_str());
    return kExitUsage;
  }
  k8s::KubeconfigOptions kube;
  kube.path = a.kubeconfig;
  kube.context = a.kube_context;
  Result<k8s::ClusterConfig> config = k8s::load_cluster_config(kube);
  exit_on_error(config.status());
  k8s::Client client(*config);

  const double start = monotonic_seconds();
  Result<RestoreRecord> result = run_k8s_restore(repo, backup, client, options);
  if (!result.is_ok()) {
    std::fprintf(stderr, "error: restore \"%s\" from backup \"%s\" failed and restored nothing: %s.\n",
                 name.c_str(), backup.name.c_str(), result.status().message().c_str());
    if (result.status().code() == ErrorCode::kInvalidArgument) return kExitUsage;
    RestoreRecord failed;
    failed.name = name;
    failed.backup = backup.name;
    failed.source = backup.source;
    failed.status = "Failed";
    failed.started = failed.completed = system_clock().now();
    failed.errors.push_back(result.status().message());
    record_restore(repo, failed);
    return kExitFailure;
  }
  const RestoreRecord& r = *result;
  record_restore(repo, r);
  if (json_output(g)) {
    std::printf(
        "%s\n",
        restore_record_json(r, true).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (const std::string& w : r.warnings) log_warning(w);
    for (const std::string& e : r.errors) std::fprintf(stderr, "error: %s\n", e.c_str());
    std::printf(
        "restore \"%s\" from backup \"%s\" %s: %zu created, %zu updated, %zu skipped (already exist), "
        "%zu failed, into %s in %s\n",
        r.name.c_str(), r.backup.c_str(), r.status.c_str(), count(r, "created"), count(r, "updated"),
        count(r, "skipped-exists"), count(r, "failed"), config->server.c_str(),
        format_duration(monotonic_seconds() - start).c_str());
  }
  if (r.status != "Completed") {
    if (!json_output(g))
      std::fprintf(stderr, "error: %zu items were not restored; see 'cairn restore describe %s --details'.\n",
                   r.errors.size(), r.name.c_str());
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace cairn
