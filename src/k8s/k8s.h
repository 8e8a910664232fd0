// The Kubernetes API client: what cluster-state backup and restore talk to.
//
// Nouns:
//   ClusterConfig  where one API server is and how to authenticate to it:
//                  from a kubeconfig (KUBECONFIG's colon list merged,
//                  ~/.kube/config, --kubeconfig; --context or current-context)
//                  or from a pod's service account (in-cluster).
//   ApiResource    one served resource type at its group's preferred
//                  version, as discovery reports it: "deployments" in
//                  apps/v1, namespaced, with verbs. Custom resources are
//                  discovered like built-in ones once their CRD is served.
//   Client         list (with label selectors, following limit/continue
//                  pages), get, create, merge-patch and delete of objects.
//
// Objects cross this interface as JSON text, so that no JSON or YAML library
// leaks into the modules that include this header. Listed objects get their
// kind and apiVersion back (the server drops them from typed list items).
// A refusal by the API server (its JSON Status) becomes one plain sentence
// with the ErrorCode that fits: NotFound, AlreadyExists, PermissionDenied...
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cairn::k8s {

struct ClusterConfig {
  std::string server;   // "https://10.0.0.1:6443" (a path prefix is kept)
  std::string context;  // the kubeconfig context used; "" in-cluster
  std::string default_namespace = "default";
  std::string ca_pem;  // trusted CA certificates; empty: the system's
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;  // client certificate authentication
  std::string client_key_pem;
  std::string token;       // bearer token
  std::string token_file;  // read at each request: projected tokens rotate
  // Where the settings came from, for messages: "/root/.kube/config", "in-cluster".
  std::string source;
};

struct KubeconfigOptions {
  std::string path;     // --kubeconfig: this file only; must exist
  std::string context;  // --context: overrides current-context
  // The environment, read from the process when not set (tests set them).
  std::optional<std::string> kubeconfig_env;  // $KUBECONFIG
  std::optional<std::string> home;            // $HOME
};

// Loads the settings from kubeconfig files: `path` if given, else every
// file of $KUBECONFIG (merged: the first file to define a name or the
// current context wins; missing files are skipped), else ~/.kube/config.
// Relative file names inside a kubeconfig are relative to that file.
Result<ClusterConfig> load_kubeconfig(const KubeconfigOptions& options);

struct InClusterOptions {
  // The service account's mounted secret (token, ca.crt, namespace).
  std::string account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::optional<std::string> service_host;  // $KUBERNETES_SERVICE_HOST
  std::optional<std::string> service_port;  // $KUBERNETES_SERVICE_PORT
};

// The settings of a process running in a pod, as client-go's InClusterConfig.
Result<ClusterConfig> load_in_cluster_config(const InClusterOptions& options = {});

// The kubeconfig when one is given or exists, else in-cluster settings when
// running in a pod, else an error saying how to point cairn at a cluster.
Result<ClusterConfig> load_cluster_config(const KubeconfigOptions& options);

struct ApiResource {
  std::string group;     // "" for the core group
  std::string version;   // the group's preferred version
  std::string resource;  // plural name, as in URLs: "deployments"
  std::string kind;      // "Deployment"
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;

  std::string group_version() const { return group.empty() ? version : group + "/" + version; }
  // Velero's name for the type: "deployments.apps", "configmaps" for core.
  std::string group_resource() const { return group.empty() ? resource : resource + "." + group; }
  bool supports(std::string_view verb) const;
};

struct Discovery {
  std::vector<ApiResource> resources;  // sorted by group_resource()
  // Groups whose resource list could not be read (an aggregated API that is
  // down, say): one sentence each. Their resources are missing above.
  std::vector<std::string> failed_groups;

  // The resource named "deployments", "deployments.apps", "deploy" or
  // "Deployment" (case-insensitive for kinds), or nullptr.
  const ApiResource* find(std::string_view name) const;
};

struct ListOptions {
  std::string label_selector;  // "app=web,tier!=db"
  std::string field_selector;  // "metadata.name=x"
  int64_t page_size = 500;     // the `limit` of each request; 0: no paging
};

struct ObjectList {
  std::vector<std::string> items;  // JSON objects with kind and apiVersion
  std::string resource_version;    // of the first page
  int pages = 0;
};

class Client {
 public:
  explicit Client(ClusterConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClusterConfig& config() const;

  // The server's version ("v1.30.0"): a cheap reachability and credential check.
  Result<std::string> server_version();

  // Every resource the server serves, at preferred versions, subresources left out.
  Result<Discovery> discover();

  // Objects of a resource in namespace `ns` ("" for all namespaces, or for a
  // cluster-scoped resource), following continue tokens to the end.
  Result<ObjectList> list(const ApiResource& resource, const std::string& ns,
                          const ListOptions& options = {});

  Result<std::string> get(const ApiResource& resource, const std::string& ns, const std::string& name);
  // Creates `object_json` in `ns` (ignored for cluster-scoped resources);
  // returns the stored object.
  Result<std::string> create(const ApiResource& resource, const std::string& ns,
                             const std::string& object_json);
  // An RFC 7386 JSON merge patch; returns the patched object.
  Result<std::string> merge_patch(const ApiResource& resource, const std::string& ns, const std::string& name,
                                  const std::string& patch_json);
  Status remove(const ApiResource& resource, const std::string& ns, const std::string& name);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::k8s
