// Backup of Kubernetes cluster state (API objects) into a repository.
//
// Every selected object is stored as JSON in the backup's tree, laid out as
// Velero lays out its tarball (docs/format.md, "Kubernetes backups"):
//   resources/<resource>.<group>/namespaces/<ns>/<name>.json   namespaced
//   resources/<resource>.<group>/cluster/<name>.json            cluster-scoped
//   metadata/version                 "1.1.0", Velero's backup format version
//   metadata/resource-list.json      {"apps/v1/Deployment": ["ns/name", ...]}
//   metadata/preferred-versions.json {"apps": "v1", "": "v1", ...}
//   metadata/backup-spec.json        the filters this backup was made with
// The core group has no ".<group>" suffix ("configmaps").
//
// Selection follows Velero: namespaces (include, "*" for all, exclude),
// resource types (include/exclude, by plural, group-resource, short name or
// kind), one label selector for every listed type, and cluster-scoped types
// per --include-cluster-resources: true takes them all, false none, auto
// all of them only when every namespace is backed up. The namespace objects
// of backed-up namespaces are always kept (a restore needs them); outside
// "false", the CRDs of backed-up custom resources and the PVs bound to
// backed-up PVCs come along too. A type that cannot be listed is an error of
// the backup (PartiallyFailed), never a failure of the whole.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "k8s/k8s.h"
#include "repo/repository.h"

namespace cairn {

enum class ClusterResources { kAuto, kInclude, kExclude };
// "true", "false", "auto"; InvalidArgument otherwise.
Result<ClusterResources> parse_cluster_resources(const std::string& value);

struct K8sBackupOptions {
  std::string name;
  std::vector<std::string> include_namespaces;  // empty or "*": all
  std::vector<std::string> exclude_namespaces;
  std::vector<std::string> include_resources;  // empty or "*": all
  std::vector<std::string> exclude_resources;
  std::string label_selector;  // "app=web,tier!=db"
  ClusterResources cluster_resources = ClusterResources::kAuto;
  std::map<std::string, std::string> labels;
};

// What the backup holds, by Velero group-resource: "deployments.apps" -> 3.
struct K8sBackupSummary {
  std::map<std::string, uint64_t> items;
  uint64_t total = 0;
};

// Lists the selected objects through `client`, stores them and saves the
// snapshot (source "k8s"). Fails, saving nothing, when the resource filters
// name a type the cluster does not serve, or when the repository cannot be
// written.
Result<SnapshotManifest> run_k8s_backup(Repository& repo, k8s::Client& client,
                                        const K8sBackupOptions& options, K8sBackupSummary* summary = nullptr);

// The backup's metadata/resource-list.json: {"apps/v1/Deployment": ["ns/name", ...]},
// as Velero's `backup describe --details` shows it.
Result<std::string> read_k8s_resource_list(Repository& repo, const SnapshotManifest& manifest);

// Where an object lives in the backup tree ("resources/configmaps/namespaces/a/b.json").
std::string k8s_item_path(const std::string& group_resource, const std::string& ns, const std::string& name);

}  // namespace cairn
