#include "source/k8s/k8s_backup.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "repo/blob_writer.h"
#include "source/k8s/tree_assembler.h"

namespace cairn {

using json = nlohmann::json;

namespace {

// Velero never backs these up: they are the cluster's running record, not
// its desired state, and restoring them would be wrong.
const std::set<std::string> kNeverBackedUp = {"events", "events.events.k8s.io", "componentstatuses", "nodes",
                                              "bindings"};

bool all_of(const std::vector<std::string>& v) {
  return v.empty() || std::find(v.begin(), v.end(), "*") != v.end();
}

// The group-resource names the user's resource filter resolves to.
Result<std::set<std::string>> resolve_resources(const k8s::Discovery& d,
                                                const std::vector<std::string>& names, const char* flag) {
  std::set<std::string> out;
  for (const std::string& n : names) {
    if (n == "*") continue;
    const k8s::ApiResource* r = d.find(n);
    if (r == nullptr) {
      return invalid_argument(std::string(flag) + " names \"" + n +
                              "\", which the cluster does not serve (see kubectl api-resources)");
    }
    out.insert(r->group_resource());
  }
  return out;
}

class K8sArchiver {
 public:
  K8sArchiver(Repository& repo, k8s::Client& client, const K8sBackupOptions& options)
      : repo_(repo),
        client_(client),
        options_(options),
        writer_(repo, 1),
        started_(system_clock().now()),
        tree_(repo, writer_, started_) {}

  Result<SnapshotManifest> run(K8sBackupSummary* summary) {
    Result<ObjectInfo> existing =
        repo_.backend().stat({ObjectKind::kSnapshot, repo_.snapshot_object_name(options_.name)});
    if (existing.is_ok()) {
      return already_exists("a backup named \"" + options_.name + "\" already exists; choose another name");
    }
    CAIRN_ASSIGN_OR_RETURN(k8s::Discovery discovery, client_.discover());
    for (const std::string& g : discovery.failed_groups) errors_.push_back({"", g});
    CAIRN_ASSIGN_OR_RETURN(std::set<std::string> included,
                           resolve_resources(discovery, options_.include_resources, "--include-resources"));
    CAIRN_ASSIGN_OR_RETURN(std::set<std::string> excluded,
                           resolve_resources(discovery, options_.exclude_resources, "--exclude-resources"));
    const auto type_selected = [&](const k8s::ApiResource& r) {
      const std::string gr = r.group_resource();
      if (excluded.count(gr) || kNeverBackedUp.count(gr)) return false;
      return all_of(options_.include_resources) || included.count(gr) > 0;
    };

    const k8s::ApiResource* namespaces = discovery.find("namespaces");
    if (namespaces == nullptr)
      return io_error("the cluster does not serve namespaces; is it a Kubernetes API?");
    CAIRN_RETURN_IF_ERROR(select_namespaces(*namespaces));
    const bool every_namespace = all_of(options_.include_namespaces) && options_.exclude_namespaces.empty();
    const bool all_cluster = options_.cluster_resources == ClusterResources::kInclude ||
                             (options_.cluster_resources == ClusterResources::kAuto && every_namespace);

    for (const k8s::ApiResource& r : discovery.resources) {
      if (!r.supports("list") || !type_selected(r)) continue;
      preferred_[r.group] = r.version;
      if (r.namespaced) {
        CAIRN_RETURN_IF_ERROR(backup_namespaced(r, every_namespace));
      } else if (r.group_resource() == "namespaces") {
        // Always kept for the namespaces backed up: a restore needs them.
        for (const auto& [name, obj] : namespace_objects_) CAIRN_RETURN_IF_ERROR(store(r, obj));
      } else if (all_cluster) {
        CAIRN_RETURN_IF_ERROR(backup_list(r, "", options_.label_selector));
      }
    }
    if (options_.cluster_resources != ClusterResources::kExclude && !all_cluster) {
      CAIRN_RETURN_IF_ERROR(backup_related_cluster_objects(discovery, type_selected));
    }
    CAIRN_RETURN_IF_ERROR(write_metadata());
    CAIRN_ASSIGN_OR_RETURN(BlobId root, tree_.finish());
    CAIRN_RETURN_IF_ERROR(writer_.flush());

    SnapshotManifest m;
    m.name = options_.name;
    m.source = "k8s";
    m.labels = options_.labels;
    m.paths = {client_.config().server};
    m.started = started_;
    m.completed = system_clock().now();
    m.tree = root;
    m.stats.files = tree_.files();
    m.stats.bytes = tree_.bytes();
    m.stats.bytes_read = tree_.bytes();
    m.stats.blobs_added = writer_.blobs_added();
    m.stats.bytes_added = writer_.bytes_added();
    m.errors = errors_;
    m.warnings = warnings_;
    m.status = errors_.empty() ? BackupStatus::kCompleted : BackupStatus::kPartiallyFailed;
    CAIRN_RETURN_IF_ERROR(repo_.save_snapshot(m));
    if (summary != nullptr) *summary = summary_;
    return m;
  }

 private:
  Status select_namespaces(const k8s::ApiResource& namespaces) {
    CAIRN_ASSIGN_OR_RETURN(k8s::ObjectList all, client_.list(namespaces, ""));
    std::set<std::string> wanted(options_.include_namespaces.begin(), options_.include_namespaces.end());
    const std::set<std::string> unwanted(options_.exclude_namespaces.begin(),
                                         options_.exclude_namespaces.end());
    for (const std::string& item : all.items) {
      json obj = json::parse(item);
      const std::string name = obj["metadata"].value("name", "");
      if (unwanted.count(name)) continue;
      if (!all_of(options_.include_namespaces) && !wanted.count(name)) continue;
      wanted.erase(name);
      namespace_objects_[name] = std::move(obj);
    }
    if (!all_of(options_.include_namespaces)) {
      for (const std::string& missing : wanted) {
        warnings_.push_back(
            {"namespaces/" + missing, "namespace " + missing + " does not exist; nothing backed up"});
      }
    }
    return Status::ok();
  }

  Status backup_namespaced(const k8s::ApiResource& r, bool every_namespace) {
    if (every_namespace) return backup_list(r, "", options_.label_selector);
    for (const auto& [ns, obj] : namespace_objects_)
      CAIRN_RETURN_IF_ERROR(backup_list(r, ns, options_.label_selector));
    return Status::ok();
  }

  // Lists and stores; a refused list is an error of this backup, not a failure.
  Status backup_list(const k8s::ApiResource& r, const std::string& ns, const std::string& selector) {
    k8s::ListOptions o;
    o.label_selector = selector;
    Result<k8s::ObjectList> list = client_.list(r, ns, o);
    if (!list.is_ok()) {
      errors_.push_back({"resources/" + r.group_resource(), list.status().message()});
      return Status::ok();
    }
    for (const std::string& item : list->items) {
      json obj = json::parse(item);
      const std::string item_ns = obj["metadata"].value("namespace", "");
      if (r.namespaced && !namespace_objects_.count(item_ns)) continue;  // an excluded namespace
      CAIRN_RETURN_IF_ERROR(store(r, obj));
    }
    return Status::ok();
  }

  Status store(const k8s::ApiResource& r, const json& obj) {
    const std::string name = obj["metadata"].value("name", "");
    const std::string ns = r.namespaced ? obj["metadata"].value("namespace", "") : "";
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      errors_.push_back({"resources/" + r.group_resource(),
                         "an object with the unusable name \"" + name + "\" was skipped"});
      return Status::ok();
    }
    if (obj["metadata"].contains("labels") &&
        obj["metadata"]["labels"].value("velero.io/exclude-from-backup", "") == "true") {
      return Status::ok();  // Velero's per-object opt-out, honoured the same way
    }
    const std::string path = k8s_item_path(r.group_resource(), ns, name);
    if (stored_.count(path)) return Status::ok();
    stored_.insert(path);
    CAIRN_RETURN_IF_ERROR(tree_.add_file(path, obj.dump()));
    const std::string key = obj.value("apiVersion", r.group_version()) + "/" + obj.value("kind", r.kind);
    resource_list_[key].push_back(ns.empty() ? name : ns + "/" + name);
    if (r.group_resource() == "persistentvolumeclaims" && obj.contains("spec") &&
        !obj["spec"].value("volumeName", "").empty()) {
      claimed_volumes_.push_back(obj["spec"]["volumeName"]);
    }
    summary_.items[r.group_resource()]++;
    summary_.total++;
    return Status::ok();
  }

  // With a namespace filter, Velero still takes the cluster objects that the
  // backed-up ones depend on: the CRDs of custom resources, the PVs of PVCs.
  template <typename Selected>
  Status backup_related_cluster_objects(const k8s::Discovery& d, const Selected& type_selected) {
    const k8s::ApiResource* crds = d.find("customresourcedefinitions.apiextensions.k8s.io");
    const k8s::ApiResource* pvs = d.find("persistentvolumes");
    if (crds != nullptr && type_selected(*crds)) {
      for (const k8s::ApiResource& r : d.resources) {
        if (r.group.empty() || !summary_.items.count(r.group_resource())) continue;
        Result<std::string> crd = client_.get(*crds, "", r.group_resource());
        if (crd.is_ok()) CAIRN_RETURN_IF_ERROR(store(*crds, json::parse(*crd)));
        // Not found: a built-in API group, not a CRD.
      }
    }
    if (pvs != nullptr && type_selected(*pvs)) {
      for (const std::string& claim : claimed_volumes_) {
        Result<std::string> pv = client_.get(*pvs, "", claim);
        if (pv.is_ok()) {
          CAIRN_RETURN_IF_ERROR(store(*pvs, json::parse(*pv)));
        } else if (pv.status().code() != ErrorCode::kNotFound) {
          errors_.push_back({"resources/persistentvolumes/cluster/" + claim, pv.status().message()});
        }
      }
    }
    return Status::ok();
  }

  Status write_metadata() {
    CAIRN_RETURN_IF_ERROR(tree_.add_file("metadata/version", "1.1.0\n"));
    json list = json::object();
    for (auto& [key, items] : resource_list_) {
      std::sort(items.begin(), items.end());
      list[key] = items;
    }
    CAIRN_RETURN_IF_ERROR(tree_.add_file("metadata/resource-list.json", list.dump(2)));
    CAIRN_RETURN_IF_ERROR(tree_.add_file("metadata/preferred-versions.json", json(preferred_).dump(2)));
    const json spec = {
        {"includedNamespaces", options_.include_namespaces},
        {"excludedNamespaces", options_.exclude_namespaces},
        {"includedResources", options_.include_resources},
        {"excludedResources", options_.exclude_resources},
        {"labelSelector", options_.label_selector},
        {"includeClusterResources", options_.cluster_resources == ClusterResources::kAuto      ? "auto"
                                    : options_.cluster_resources == ClusterResources::kInclude ? "true"
                                                                                               : "false"},
        {"server", client_.config().server}};
    return tree_.add_file("metadata/backup-spec.json", spec.dump(2));
  }

  Repository& repo_;
  k8s::Client& client_;
  const K8sBackupOptions& options_;
  BlobWriter writer_;
  TimeNs started_;
  TreeAssembler tree_;
  std::map<std::string, json> namespace_objects_;
  std::set<std::string> stored_;
  std::vector<std::string> claimed_volumes_;  // spec.volumeName of every stored PVC
  std::map<std::string, std::vector<std::string>> resource_list_;
  std::map<std::string, std::string> preferred_;
  std::vector<BackupIssue> errors_, warnings_;
  K8sBackupSummary summary_;
};

}  // namespace

Result<ClusterResources> parse_cluster_resources(const std::string& value) {
  if (value == "auto" || value.empty()) return ClusterResources::kAuto;
  if (value == "true") return ClusterResources::kInclude;
  if (value == "false") return ClusterResources::kExclude;
  return invalid_argument("--include-cluster-resources must be true, false or auto, not \"" + value + "\"");
}

std::string k8s_item_path(const std::string& group_resource, const std::string& ns, const std::string& name) {
  if (ns.empty()) return "resources/" + group_resource + "/cluster/" + name + ".json";
  return "resources/" + group_resource + "/namespaces/" + ns + "/" + name + ".json";
}

Result<std::string> read_k8s_resource_list(Repository& repo, const SnapshotManifest& manifest) {
  if (manifest.source != "k8s") {
    return invalid_argument("backup \"" + manifest.name + "\" holds files, not Kubernetes objects");
  }
  BlobId tree_id = manifest.tree;
  const std::vector<std::string> path = {"metadata", "resource-list.json"};
  for (size_t i = 0; i < path.size(); ++i) {
    CAIRN_ASSIGN_OR_RETURN(Tree tree, repo.read_tree(tree_id));
    const auto it =
        std::find_if(tree.nodes.begin(), tree.nodes.end(), [&](const Node& n) { return n.name == path[i]; });
    if (it == tree.nodes.end()) {
      return corruption("backup \"" + manifest.name + "\" has no metadata/resource-list.json");
    }
    if (i + 1 < path.size()) {
      tree_id = it->subtree;
      continue;
    }
    std::string out;
    for (const ContentChunk& c : it->content) {
      CAIRN_ASSIGN_OR_RETURN(Bytes b, repo.read_blob(c.id));
      out += as_string_view(b);
    }
    return out;
  }
  return corruption("unreachable");
}

Result<SnapshotManifest> run_k8s_backup(Repository& repo, k8s::Client& client,
                                        const K8sBackupOptions& options, K8sBackupSummary* summary) {
  K8sArchiver archiver(repo, client, options);
  return archiver.run(summary);
}

}  // namespace cairn
