// backup create, for Kubernetes cluster state (Velero's flags).
#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/clock.h"
#include "common/log.h"
#include "repo/lock.h"
#include "source/k8s/k8s_backup.h"

namespace cairn {

int cmd_backup_create_k8s(const GlobalOptions& g, const BackupCreateArgs& a) {
  K8sBackupOptions options;
  options.name = a.name;
  options.include_namespaces = a.include_namespaces;
  options.exclude_namespaces = a.exclude_namespaces;
  options.include_resources = a.include_resources;
  options.exclude_resources = a.exclude_resources;
  options.label_selector = a.selector;
  Result<ClusterResources> cluster = parse_cluster_resources(a.include_cluster_resources);
  if (!cluster.is_ok()) {
    std::fprintf(stderr, "error: %s.\n", cluster.status().message().c_str());
    return kExitUsage;
  }
  options.cluster_resources = *cluster;
  for (const std::string& item : a.labels) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "error: label \"%s\" is not of the form key=value.\n", item.c_str());
      return kExitUsage;
    }
    options.labels[item.substr(0, eq)] = item.substr(eq + 1);
  }

  k8s::KubeconfigOptions kube;
  kube.path = a.kubeconfig;
  kube.context = a.kube_context;
  Result<k8s::ClusterConfig> config = k8s::load_cluster_config(kube);
  exit_on_error(config.status());
  k8s::Client client(*config);

  // Lock, then load the index (the prune protocol, docs/format.md).
  auto repo = open_repository(g, false, RepoAccess::kAdd);
  Result<std::unique_ptr<RepositoryLock>> lock = RepositoryLock::acquire(*repo, false, "backup", a.name);
  exit_on_error(lock.status());
  exit_on_error(repo->load_index());

  const double start = monotonic_seconds();
  K8sBackupSummary summary;
  Result<SnapshotManifest> result = run_k8s_backup(*repo, client, options, &summary);
  if (!result.is_ok()) {
    return report_error(result.status().with_context("backup \"" + a.name + "\" failed and was not saved"));
  }
  const SnapshotManifest& m = *result;
  for (const auto& w : m.warnings) log_warning(w.path + ": " + w.message);
  for (const auto& e : m.errors) log_warning((e.path.empty() ? "" : e.path + ": ") + e.message);
  std::printf("backup \"%s\" %s: %llu objects of %zu resource types from %s, %s added, in %s\n",
              m.name.c_str(), backup_status_name(m.status), static_cast<unsigned long long>(summary.total),
              summary.items.size(), config->server.c_str(), format_size(m.stats.bytes_added).c_str(),
              format_duration(monotonic_seconds() - start).c_str());
  if (m.status == BackupStatus::kPartiallyFailed) {
    std::fprintf(stderr,
                 "error: %zu resource types could not be backed up; see 'cairn backup describe %s'.\n",
                 m.errors.size(), m.name.c_str());
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace cairn
