// Restore of Kubernetes cluster state from a backup made by k8s_backup.h.
//
// Nouns:
//   item      one backed-up object: resources/<group-resource>/namespaces/<ns>/<name>.json
//             or .../cluster/<name>.json in the backup's tree.
//   outcome   what the restore did with an item: created, skipped-exists
//             (already in the cluster; --existing-resource-policy none),
//             updated (merge-patched to the backed-up state; policy update)
//             or failed (with the API server's reason).
//
// Selection mirrors backup: namespaces (include, "*", exclude), resource
// types, a label selector (evaluated here, with the API server's
// semantics), and cluster-scoped types per --include-cluster-resources
// (auto: only when every namespace is restored). Namespace objects follow
// the namespace filter; a namespace an item needs is created if missing.
//
// Order: restore_order.h (Velero's priorities). After the CRDs are
// created the restore waits until each is Established, then discovers
// again, so their custom resources are served before they are created.
// Every object is cleaned first (object_cleaning.h), its namespace mapped,
// then the resource modifiers applied. A failed item is an error of the
// restore (PartiallyFailed), never a failure of the whole.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "k8s/k8s.h"
#include "repo/repository.h"
#include "repo/restore_record.h"
#include "source/k8s/k8s_backup.h"
#include "source/k8s/restore_order.h"

namespace cairn {

enum class ExistingResourcePolicy { kNone, kUpdate };
// "none" (or empty), "update"; InvalidArgument otherwise.
Result<ExistingResourcePolicy> parse_existing_resource_policy(const std::string& value);

// "old:new,old2:new2" already split on commas; InvalidArgument for a malformed pair.
Result<std::map<std::string, std::string>> parse_namespace_mappings(const std::vector<std::string>& pairs);

struct K8sRestoreOptions {
  std::string name;
  std::vector<std::string> include_namespaces;  // empty or "*": all
  std::vector<std::string> exclude_namespaces;
  std::vector<std::string> include_resources;  // empty or "*": all
  std::vector<std::string> exclude_resources;
  std::string label_selector;
  ClusterResources cluster_resources = ClusterResources::kAuto;
  std::map<std::string, std::string> namespace_mappings;  // old -> new
  ExistingResourcePolicy existing = ExistingResourcePolicy::kNone;
  RestorePriorities priorities = default_restore_priorities();
  double crd_establish_timeout_seconds = 60;
  std::string resource_modifiers_yaml;  // the file's text; empty: none
};

// Fails (nothing restored) when the options are malformed (InvalidArgument),
// the backup is not a Kubernetes backup or cannot be read, or the API
// server cannot be reached. Otherwise returns the record, with status
// Completed or PartiallyFailed and the outcome of every selected item.
Result<RestoreRecord> run_k8s_restore(Repository& repo, const SnapshotManifest& backup, k8s::Client& client,
                                      const K8sRestoreOptions& options);

}  // namespace cairn
