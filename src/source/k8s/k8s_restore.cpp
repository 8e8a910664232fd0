#include "source/k8s/k8s_restore.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "common/clock.h"
#include "k8s/label_selector.h"
#include "source/k8s/object_cleaning.h"
#include "source/k8s/resource_modifiers.h"

namespace cairn {

using json = nlohmann::json;

namespace {

const char kCrds[] = "customresourcedefinitions.apiextensions.k8s.io";

// Velero never restores these: the cluster's running record, or its own objects.
const std::set<std::string> kNeverRestored = {"nodes",
                                              "events",
                                              "events.events.k8s.io",
                                              "componentstatuses",
                                              "bindings",
                                              "backups.velero.io",
                                              "restores.velero.io",
                                              "resticrepositories.velero.io",
                                              "csinodes.storage.k8s.io",
                                              "volumeattachments.storage.k8s.io",
                                              "backuprepositories.velero.io"};

struct BackupItem {
  std::string group_resource;
  std::string ns;  // as backed up; "" for cluster-scoped
  std::string name;
  std::vector<ContentChunk> content;
};

bool all_of(const std::vector<std::string>& v) {
  return v.empty() || std::find(v.begin(), v.end(), "*") != v.end();
}

bool strip_json(std::string& name) {
  if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) return false;
  name.resize(name.size() - 5);
  return true;
}

Result<const Node*> child(const Tree& tree, const std::string& name) {
  for (const Node& n : tree.nodes)
    if (n.name == name) return &n;
  return static_cast<const Node*>(nullptr);
}

// Every object in the backup's resources/ folder.
Result<std::vector<BackupItem>> read_items(Repository& repo, const SnapshotManifest& m) {
  std::vector<BackupItem> out;
  CAIRN_ASSIGN_OR_RETURN(Tree root, repo.read_tree(m.tree));
  CAIRN_ASSIGN_OR_RETURN(const Node* resources, child(root, "resources"));
  if (resources == nullptr || resources->type != NodeType::kDirectory) return out;
  CAIRN_ASSIGN_OR_RETURN(Tree types, repo.read_tree(resources->subtree));
  for (const Node& type : types.nodes) {
    if (type.type != NodeType::kDirectory) continue;
    CAIRN_ASSIGN_OR_RETURN(Tree scopes, repo.read_tree(type.subtree));
    for (const Node& scope : scopes.nodes) {
      if (scope.type != NodeType::kDirectory) continue;
      CAIRN_ASSIGN_OR_RETURN(Tree entries, repo.read_tree(scope.subtree));
      for (const Node& e : entries.nodes) {
        if (scope.name == "cluster" && e.type == NodeType::kFile) {
          std::string name = e.name;
          if (strip_json(name)) out.push_back({type.name, "", name, e.content});
        } else if (scope.name == "namespaces" && e.type == NodeType::kDirectory) {
          CAIRN_ASSIGN_OR_RETURN(Tree files, repo.read_tree(e.subtree));
          for (const Node& f : files.nodes) {
            std::string name = f.name;
            if (f.type == NodeType::kFile && strip_json(name))
              out.push_back({type.name, e.name, name, f.content});
          }
        }
      }
    }
  }
  return out;
}

Result<std::string> read_content(Repository& repo, const std::vector<ContentChunk>& content) {
  std::string out;
  for (const ContentChunk& c : content) {
    CAIRN_ASSIGN_OR_RETURN(Bytes b, repo.read_blob(c.id));
    out += as_string_view(b);
  }
  return out;
}

std::map<std::string, std::string> labels_of(const json& obj) {
  std::map<std::string, std::string> out;
  if (!obj.contains("metadata") || !obj["metadata"].contains("labels")) return out;
  for (const auto& [k, v] : obj["metadata"]["labels"].items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

bool crd_established(const json& crd) {
  if (!crd.contains("status") || !crd["status"].contains("conditions")) return false;
  for (const json& c : crd["status"]["conditions"]) {
    if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
  }
  return false;
}

// One object ready to send: cleaned, mapped and modified.
struct Prepared {
  const BackupItem* item;
  json object;
  std::string ns;
  std::string name;
};

// Creates of one type in flight at once: enough to hide API round trips,
// few enough to stay far below an API server's default rate limits.
constexpr size_t kCreatesInFlight = 8;

// fn(0) ... fn(n-1) on up to kCreatesInFlight threads.
void for_each_in_parallel(size_t n, const std::function<void(size_t)>& fn) {
  const size_t workers = std::min(kCreatesInFlight, n);
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (std::thread& t : threads) t.join();
}

class K8sRestorer {
 public:
  K8sRestorer(Repository& repo, const SnapshotManifest& backup, k8s::Client& client,
              const K8sRestoreOptions& options)
      : repo_(repo), backup_(backup), client_(client), options_(options) {}

  Result<RestoreRecord> run() {
    record_.name = options_.name;
    record_.backup = backup_.name;
    record_.source = backup_.source;
    record_.started = system_clock().now();
    if (backup_.source != "k8s")
      return invalid_argument("backup \"" + backup_.name + "\" holds files, not Kubernetes objects");
    if (!options_.resource_modifiers_yaml.empty()) {
      CAIRN_ASSIGN_OR_RETURN(modifiers_, ResourceModifiers::parse(options_.resource_modifiers_yaml));
    }
    std::string selector_error;
    std::optional<std::vector<LabelRequirement>> selector =
        parse_label_selector(options_.label_selector, &selector_error);
    if (!selector)
      return invalid_argument("--selector \"" + options_.label_selector + "\": " + selector_error);
    selector_ = std::move(*selector);

    CAIRN_ASSIGN_OR_RETURN(std::vector<BackupItem> items, read_items(repo_, backup_));
    CAIRN_ASSIGN_OR_RETURN(discovery_, client_.discover());
    std::set<std::string> in_backup;
    for (const BackupItem& i : items) in_backup.insert(i.group_resource);
    CAIRN_ASSIGN_OR_RETURN(std::set<std::string> included,
                           resolve(options_.include_resources, in_backup, "--include-resources"));
    CAIRN_ASSIGN_OR_RETURN(std::set<std::string> excluded,
                           resolve(options_.exclude_resources, in_backup, "--exclude-resources"));

    std::map<std::string, std::vector<const BackupItem*>> by_type;
    for (const BackupItem& i : items) {
      if (selected(i, included, excluded)) by_type[i.group_resource].push_back(&i);
    }
    warn_missing_namespaces(items);
    std::vector<std::string> types;
    for (const auto& [type, list] : by_type) types.push_back(type);
    for (const std::string& type : order_for_restore(types, options_.priorities)) {
      CAIRN_RETURN_IF_ERROR(restore_type(type, by_type[type]));
    }
    record_.completed = system_clock().now();
    record_.status = record_.errors.empty() ? "Completed" : "PartiallyFailed";
    return record_;
  }

 private:
  // The group-resources a --include/--exclude-resources list names: what
  // the cluster serves under that name, else a type in the backup.
  Result<std::set<std::string>> resolve(const std::vector<std::string>& names,
                                        const std::set<std::string>& in_backup, const char* flag) {
    std::set<std::string> out;
    for (const std::string& n : names) {
      if (n == "*") continue;
      bool found = false;
      if (const k8s::ApiResource* r = discovery_.find(n)) {
        out.insert(r->group_resource());
        found = true;
      }
      for (const std::string& gr : in_backup) {
        if (gr == n || gr.compare(0, n.size() + 1, n + ".") == 0) {
          out.insert(gr);
          found = true;
        }
      }
      if (!found) {
        return invalid_argument(std::string(flag) + " names \"" + n +
                                "\", which is neither in the backup nor served by the cluster");
      }
    }
    return out;
  }

  bool namespace_selected(const std::string& ns) const {
    if (std::find(options_.exclude_namespaces.begin(), options_.exclude_namespaces.end(), ns) !=
        options_.exclude_namespaces.end())
      return false;
    return all_of(options_.include_namespaces) ||
           std::find(options_.include_namespaces.begin(), options_.include_namespaces.end(), ns) !=
               options_.include_namespaces.end();
  }

  bool selected(const BackupItem& i, const std::set<std::string>& included,
                const std::set<std::string>& excluded) const {
    const std::string& gr = i.group_resource;
    if (kNeverRestored.count(gr) || excluded.count(gr)) return false;
    if (!all_of(options_.include_resources) && !included.count(gr)) return false;
    if (!i.ns.empty()) return namespace_selected(i.ns);
    if (gr == "namespaces") return namespace_selected(i.name);
    const bool every_namespace = all_of(options_.include_namespaces) && options_.exclude_namespaces.empty();
    return options_.cluster_resources == ClusterResources::kInclude ||
           (options_.cluster_resources == ClusterResources::kAuto && every_namespace);
  }

  void warn_missing_namespaces(const std::vector<BackupItem>& items) {
    if (all_of(options_.include_namespaces)) return;
    for (const std::string& ns : options_.include_namespaces) {
      const bool present = std::any_of(items.begin(), items.end(), [&](const BackupItem& i) {
        return i.ns == ns || (i.group_resource == "namespaces" && i.name == ns);
      });
      if (!present)
        record_.warnings.push_back("namespace " + ns + " is not in the backup; nothing restored from it");
    }
  }

  Status restore_type(const std::string& type, const std::vector<const BackupItem*>& items) {
    const k8s::ApiResource* resource = discovery_.find(type);
    if (resource == nullptr && crds_since_discovery_) {
      CAIRN_RETURN_IF_ERROR(rediscover());
      resource = discovery_.find(type);
    }
    // Reading, cleaning and namespaces in order; then the creates of this
    // type in parallel: they cannot depend on each other, and each is a
    // round trip to the API server.
    std::vector<Prepared> ready;
    for (const BackupItem* item : items) {
      if (resource == nullptr || resource->group_resource() != type) {
        fail(*item, item->ns,
             "the cluster does not serve " + type + "; restore its CustomResourceDefinition first");
        continue;
      }
      if (std::optional<Prepared> p = prepare(*resource, *item)) ready.push_back(std::move(*p));
    }
    const size_t items_before = record_.items.size();
    const size_t errors_before = record_.errors.size();
    std::vector<char> present(ready.size(), 0);
    for_each_in_parallel(ready.size(), [&](size_t i) { present[i] = apply(*resource, ready[i]); });
    // Parallel completion order is arbitrary; records list a type's items by namespace and name.
    std::sort(record_.items.begin() + static_cast<std::ptrdiff_t>(items_before), record_.items.end(),
              [](const RestoreItem& a, const RestoreItem& b) {
                return a.namespace_ != b.namespace_ ? a.namespace_ < b.namespace_ : a.name < b.name;
              });
    std::sort(record_.errors.begin() + static_cast<std::ptrdiff_t>(errors_before), record_.errors.end());
    for (size_t i = 0; i < ready.size(); ++i) {
      if (!present[i]) continue;
      if (type == kCrds) {
        established_wait_.push_back(ready[i].name);
        crds_since_discovery_ = true;
      }
      if (type == "namespaces") ready_namespaces_.insert(ready[i].name);
    }
    if (type == kCrds && !established_wait_.empty()) {
      wait_for_established(*resource);
      CAIRN_RETURN_IF_ERROR(rediscover());
    }
    return Status::ok();
  }

  Status rediscover() {
    CAIRN_ASSIGN_OR_RETURN(discovery_, client_.discover());
    crds_since_discovery_ = false;
    return Status::ok();
  }

  // Polls each restored CRD until its Established condition is True.
  void wait_for_established(const k8s::ApiResource& crds) {
    const double deadline = monotonic_seconds() + options_.crd_establish_timeout_seconds;
    for (const std::string& name : established_wait_) {
      while (true) {
        Result<std::string> got = client_.get(crds, "", name);
        if (got.is_ok() && crd_established(json::parse(*got, nullptr, false))) break;
        if (monotonic_seconds() >= deadline) {
          record_.errors.push_back(std::string(kCrds) + "/" + name + ": not Established within " +
                                   format_duration(options_.crd_establish_timeout_seconds) +
                                   "; its custom resources may fail to restore");
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    established_wait_.clear();
  }

  // The object as it will be sent, or nullopt when it fails (recorded) or
  // the label selector leaves it out.
  std::optional<Prepared> prepare(const k8s::ApiResource& r, const BackupItem& item) {
    Result<std::string> text = read_content(repo_, item.content);
    if (!text.is_ok()) {
      fail(item, item.ns, text.status().message());
      return std::nullopt;
    }
    json obj = json::parse(*text, nullptr, false);
    if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
      fail(item, item.ns, "the backed-up object is not a Kubernetes object in JSON");
      return std::nullopt;
    }
    if (!labels_match(selector_, labels_of(obj))) return std::nullopt;
    clean_for_restore(obj, item.group_resource);
    map_namespaces(obj, item.group_resource, options_.namespace_mappings);
    const std::string ns = r.namespaced ? obj["metadata"].value("namespace", "") : "";
    if (r.namespaced) {
      Status ready = ensure_namespace(ns);
      if (!ready.is_ok()) {
        fail(item, ns, ready.message());
        return std::nullopt;
      }
    }
    if (!modifiers_.empty()) {
      Status modified = modifiers_.apply(item.group_resource, obj);
      if (!modified.is_ok()) {
        fail(item, ns, modified.message());
        return std::nullopt;
      }
    }
    const std::string name = obj["metadata"].value("name", item.name);
    return Prepared{&item, std::move(obj), ns, name};
  }

  // Creates (or, by policy, updates) one object; true when it is in the
  // cluster afterwards. Runs on several threads: touches record_ only
  // through outcome() and fail().
  bool apply(const k8s::ApiResource& r, const Prepared& p) {
    const BackupItem& item = *p.item;
    Result<std::string> created = client_.create(r, p.ns, p.object.dump());
    if (created.is_ok()) {
      outcome(item, p.ns, p.name, "created", "");
    } else if (created.status().code() != ErrorCode::kAlreadyExists) {
      fail(item, p.ns, created.status().message());
      return false;
    } else if (options_.existing == ExistingResourcePolicy::kNone) {
      outcome(item, p.ns, p.name, "skipped-exists", "already exists in the cluster; left as it is");
    } else {
      update(r, item, p.ns, p.name, p.object);
    }
    return true;
  }

  // --existing-resource-policy update: patch the live object to the backed-up state.
  void update(const k8s::ApiResource& r, const BackupItem& item, const std::string& ns,
              const std::string& name, const json& wanted) {
    Result<std::string> live_text = client_.get(r, ns, name);
    if (!live_text.is_ok()) return fail(item, ns, live_text.status().message());
    json live = json::parse(*live_text, nullptr, false);
    clean_for_restore(live, item.group_resource);
    const json patch = merge_patch_between(live, wanted);
    if (patch.empty()) {
      return outcome(item, ns, name, "skipped-exists", "already exists and matches the backup");
    }
    Result<std::string> patched = client_.merge_patch(r, ns, name, patch.dump());
    if (!patched.is_ok())
      return fail(item, ns, "exists, and updating it failed: " + patched.status().message());
    outcome(item, ns, name, "updated", "");
  }

  // A namespaced item needs its namespace; Velero creates a missing one.
  Status ensure_namespace(const std::string& ns) {
    if (ns.empty() || ready_namespaces_.count(ns)) return Status::ok();
    const k8s::ApiResource* namespaces = discovery_.find("namespaces");
    if (namespaces == nullptr) return io_error("the cluster does not serve namespaces");
    Result<std::string> got = client_.get(*namespaces, "", ns);
    if (!got.is_ok()) {
      if (got.status().code() != ErrorCode::kNotFound) return got.status();
      const json bare = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
      Result<std::string> made = client_.create(*namespaces, "", bare.dump());
      if (!made.is_ok() && made.status().code() != ErrorCode::kAlreadyExists) return made.status();
    }
    ready_namespaces_.insert(ns);
    return Status::ok();
  }

  void outcome(const BackupItem& item, const std::string& ns, const std::string& name, const char* what,
               const std::string& reason) {
    std::lock_guard<std::mutex> hold(record_mutex_);
    record_.items.push_back({item.group_resource, ns, name, what, reason});
  }

  void fail(const BackupItem& item, const std::string& ns, const std::string& reason) {
    outcome(item, ns, item.name, "failed", reason);
    std::lock_guard<std::mutex> hold(record_mutex_);
    record_.errors.push_back(item.group_resource + "/" + (ns.empty() ? "" : ns + "/") + item.name + ": " +
                             reason);
  }

  Repository& repo_;
  const SnapshotManifest& backup_;
  k8s::Client& client_;
  const K8sRestoreOptions& options_;
  ResourceModifiers modifiers_;
  std::vector<LabelRequirement> selector_;
  k8s::Discovery discovery_;
  bool crds_since_discovery_ = false;
  std::vector<std::string> established_wait_;  // CRDs restored, not yet seen Established
  std::set<std::string> ready_namespaces_;
  std::mutex record_mutex_;  // outcome() and fail() are called from the parallel creates
  RestoreRecord record_;
};

}  // namespace

Result<ExistingResourcePolicy> parse_existing_resource_policy(const std::string& value) {
  if (value.empty() || value == "none") return ExistingResourcePolicy::kNone;
  if (value == "update") return ExistingResourcePolicy::kUpdate;
  return invalid_argument("--existing-resource-policy must be none or update, not \"" + value + "\"");
}

Result<std::map<std::string, std::string>> parse_namespace_mappings(const std::vector<std::string>& pairs) {
  std::map<std::string, std::string> out;
  for (const std::string& p : pairs) {
    const size_t colon = p.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == p.size() ||
        p.find(':', colon + 1) != std::string::npos) {
      return invalid_argument("--namespace-mappings entry \"" + p + "\" is not of the form old:new");
    }
    if (!out.emplace(p.substr(0, colon), p.substr(colon + 1)).second)
      return invalid_argument("--namespace-mappings maps namespace \"" + p.substr(0, colon) + "\" twice");
  }
  return out;
}

Result<RestoreRecord> run_k8s_restore(Repository& repo, const SnapshotManifest& backup, k8s::Client& client,
                                      const K8sRestoreOptions& options) {
  K8sRestorer restorer(repo, backup, client, options);
  return restorer.run();
}

}  // namespace cairn
