#include "source/k8s/restore_order.h"

#include <algorithm>

namespace cairn {

namespace {
// "storageclasses" matches "storageclasses.storage.k8s.io"; a name with a
// group matches only itself.
bool matches(const std::string& priority, const std::string& group_resource) {
  if (priority == group_resource) return true;
  if (priority.find('.') != std::string::npos) return false;
  return group_resource.compare(0, priority.size() + 1, priority + ".") == 0;
}

// Moves the types `list` names out of `rest`, in list order.
std::vector<std::string> take(const std::vector<std::string>& list, std::vector<std::string>& rest) {
  std::vector<std::string> out;
  for (const std::string& p : list) {
    for (auto it = rest.begin(); it != rest.end();) {
      if (matches(p, *it)) {
        out.push_back(*it);
        it = rest.erase(it);
      } else {
        ++it;
      }
    }
  }
  return out;
}
}  // namespace

RestorePriorities default_restore_priorities() {
  return {{"customresourcedefinitions",
           "namespaces",
           "storageclasses",
           "volumesnapshotclass.snapshot.storage.k8s.io",
           "volumesnapshotcontents.snapshot.storage.k8s.io",
           "volumesnapshots.snapshot.storage.k8s.io",
           "datauploads.velero.io",
           "persistentvolumes",
           "persistentvolumeclaims",
           "clusterroles",
           "roles",
           "serviceaccounts",
           "clusterrolebindings",
           "rolebindings",
           "secrets",
           "configmaps",
           "limitranges",
           "priorityclasses",
           "pods",
           "replicasets.apps",
           "clusterclasses.cluster.x-k8s.io",
           "endpoints",
           "services"},
          {"clusterbootstraps.run.tanzu.vmware.com", "clusters.cluster.x-k8s.io",
           "clusterresourcesets.addons.cluster.x-k8s.io", "apps.kappctrl.k14s.io",
           "packageinstalls.packaging.carvel.dev"}};
}

Result<RestorePriorities> parse_restore_priorities(const std::vector<std::string>& list) {
  RestorePriorities p;
  bool low = false;
  for (const std::string& item : list) {
    if (item == "-") {
      if (low) return invalid_argument("--restore-resource-priorities has more than one \"-\" separator");
      low = true;
      continue;
    }
    if (item.empty()) return invalid_argument("--restore-resource-priorities has an empty resource name");
    (low ? p.low : p.high).push_back(item);
  }
  return p;
}

std::vector<std::string> order_for_restore(std::vector<std::string> group_resources,
                                           const RestorePriorities& priorities) {
  std::vector<std::string> out = take(priorities.high, group_resources);
  // The low part is taken before sorting the middle so that it cannot be taken twice.
  std::vector<std::string> low = take(priorities.low, group_resources);
  std::sort(group_resources.begin(), group_resources.end());
  out.insert(out.end(), group_resources.begin(), group_resources.end());
  out.insert(out.end(), low.begin(), low.end());
  return out;
}

}  // namespace cairn
