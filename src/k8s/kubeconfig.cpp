// Kubeconfig and in-cluster settings, following client-go's clientcmd rules
// (merge order, relative paths, current-context) so that cairn reaches the
// same cluster that kubectl does with the same files and flags.
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/bytes.h"
#include "k8s/k8s.h"

namespace cairn::k8s {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + what + " " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string env_or(const std::optional<std::string>& given, const char* name) {
  if (given) return *given;
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// One named entry of a kubeconfig (a cluster, user or context) with the
// folder of the file it came from, against which its relative paths resolve.
struct Entry {
  YAML::Node node;
  std::string file;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::vector<std::string> files;  // the files actually read, in order
};

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : "";
}

Status merge_file(const std::string& path, Merged& merged) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return not_found("cannot read kubeconfig " + path + ": " + std::strerror(errno));
  } catch (const YAML::Exception& e) {
    return invalid_argument("kubeconfig " + path + " is not valid YAML: " + e.what());
  }
  merged.files.push_back(path);
  if (!root || root.IsNull()) return Status::ok();  // an empty file is an empty config
  if (!root.IsMap()) return invalid_argument("kubeconfig " + path + " is not a YAML mapping");
  const auto take = [&](const char* list_key, const char* item_key,
                        std::map<std::string, Entry>& into) -> Status {
    const YAML::Node list = root[list_key];
    if (!list || list.IsNull()) return Status::ok();
    if (!list.IsSequence())
      return invalid_argument("kubeconfig " + path + ": " + list_key + " is not a list");
    for (const YAML::Node& item : list) {
      const std::string name = item.IsMap() ? scalar(item, "name") : "";
      if (name.empty())
        return invalid_argument("kubeconfig " + path + ": an entry of " + list_key + " has no name");
      // The first file to define a name wins, as with kubectl.
      if (!into.count(name)) into[name] = Entry{item[item_key], path};
    }
    return Status::ok();
  };
  CAIRN_RETURN_IF_ERROR(take("clusters", "cluster", merged.clusters));
  CAIRN_RETURN_IF_ERROR(take("users", "user", merged.users));
  CAIRN_RETURN_IF_ERROR(take("contexts", "context", merged.contexts));
  if (merged.current_context.empty()) merged.current_context = scalar(root, "current-context");
  return Status::ok();
}

std::string resolve(const std::string& file, const std::string& name) {
  if (name.empty() || name.front() == '/') return name;
  return (fs::path(file).parent_path() / name).string();
}

// The PEM of "<key>-data" (base64) or of the file named by "<key>".
Result<std::string> pem_field(const Entry& e, const char* key, const std::string& owner) {
  const std::string data = scalar(e.node, (std::string(key) + "-data").c_str());
  if (!data.empty()) {
    Bytes raw;
    if (!base64_decode(data, raw)) {
      return invalid_argument(std::string(key) + "-data of " + owner + " in " + e.file +
                              " is not valid base64");
    }
    return std::string(raw.begin(), raw.end());
  }
  const std::string file = scalar(e.node, key);
  if (file.empty()) return std::string();
  return read_text_file(resolve(e.file, file), std::string(key) + " file of " + owner + ", ");
}

std::string known_names(const std::map<std::string, Entry>& m) {
  std::string out;
  for (const auto& [name, e] : m) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

Result<ClusterConfig> config_from(const Merged& m, const std::string& wanted_context) {
  const std::string sources = [&] {
    std::string s;
    for (const std::string& f : m.files) s += (s.empty() ? "" : ":") + f;
    return s;
  }();
  const std::string context_name = wanted_context.empty() ? m.current_context : wanted_context;
  if (context_name.empty()) {
    return invalid_argument("kubeconfig " + sources +
                            " selects no context (current-context is empty); pass --context NAME (known: " +
                            known_names(m.contexts) + ")");
  }
  const auto ctx = m.contexts.find(context_name);
  if (ctx == m.contexts.end()) {
    return not_found("context \"" + context_name + "\" is not in kubeconfig " + sources +
                     " (known: " + known_names(m.contexts) + ")");
  }
  const std::string cluster_name = scalar(ctx->second.node, "cluster");
  const std::string user_name = scalar(ctx->second.node, "user");
  const auto cluster = m.clusters.find(cluster_name);
  if (cluster == m.clusters.end()) {
    return not_found("context \"" + context_name + "\" names cluster \"" + cluster_name +
                     "\", which kubeconfig " + sources + " does not define");
  }
  ClusterConfig c;
  c.context = context_name;
  c.source = sources;
  const std::string ns = scalar(ctx->second.node, "namespace");
  if (!ns.empty()) c.default_namespace = ns;
  c.server = scalar(cluster->second.node, "server");
  if (c.server.empty()) {
    return invalid_argument("cluster \"" + cluster_name + "\" in " + cluster->second.file + " has no server");
  }
  c.insecure_skip_tls_verify = scalar(cluster->second.node, "insecure-skip-tls-verify") == "true";
  CAIRN_ASSIGN_OR_RETURN(
      c.ca_pem, pem_field(cluster->second, "certificate-authority", "cluster \"" + cluster_name + "\""));
  if (user_name.empty()) return c;  // anonymous, as kubectl allows
  const auto user = m.users.find(user_name);
  if (user == m.users.end()) {
    return not_found("context \"" + context_name + "\" names user \"" + user_name + "\", which kubeconfig " +
                     sources + " does not define");
  }
  const Entry& u = user->second;
  const std::string owner = "user \"" + user_name + "\"";
  if (u.node && u.node.IsMap() && (u.node["exec"] || u.node["auth-provider"])) {
    return unsupported(owner + " in " + u.file +
                       " authenticates through an exec or auth-provider plugin, which cairn does not run; "
                       "give it a token, tokenFile or client certificate");
  }
  CAIRN_ASSIGN_OR_RETURN(c.client_cert_pem, pem_field(u, "client-certificate", owner));
  CAIRN_ASSIGN_OR_RETURN(c.client_key_pem, pem_field(u, "client-key", owner));
  if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
    return invalid_argument(owner + " in " + u.file +
                            " has a client certificate without its key, or a key "
                            "without its certificate; give both");
  }
  c.token = scalar(u.node, "token");
  const std::string token_file = scalar(u.node, "tokenFile");
  if (c.token.empty() && !token_file.empty()) c.token_file = resolve(u.file, token_file);
  return c;
}

}  // namespace

namespace {

Result<ClusterConfig> load_kubeconfig_files(const KubeconfigOptions& options) {
  Merged merged;
  if (!options.path.empty()) {
    CAIRN_RETURN_IF_ERROR(merge_file(options.path, merged));
    return config_from(merged, options.context);
  }
  const std::string env = env_or(options.kubeconfig_env, "KUBECONFIG");
  if (!env.empty()) {
    std::stringstream list(env);
    std::string file;
    while (std::getline(list, file, ':')) {
      if (file.empty() || !fs::exists(file)) continue;  // clientcmd skips missing files in the list
      CAIRN_RETURN_IF_ERROR(merge_file(file, merged));
    }
    if (merged.files.empty()) {
      return not_found("none of the files in KUBECONFIG (" + env + ") exists");
    }
    return config_from(merged, options.context);
  }
  const std::string home = env_or(options.home, "HOME");
  const std::string fallback = home + "/.kube/config";
  if (home.empty() || !fs::exists(fallback)) {
    return not_found("no kubeconfig: --kubeconfig was not given, KUBECONFIG is empty and " + fallback +
                     " does not exist");
  }
  CAIRN_RETURN_IF_ERROR(merge_file(fallback, merged));
  return config_from(merged, options.context);
}

}  // namespace

Result<ClusterConfig> load_kubeconfig(const KubeconfigOptions& options) {
  try {
    return load_kubeconfig_files(options);
  } catch (const YAML::Exception& e) {
    // A well-formed YAML file of the wrong shape ("user: some-string").
    return invalid_argument("the kubeconfig does not have the shape kubectl expects: " +
                            std::string(e.what()));
  }
}

Result<ClusterConfig> load_in_cluster_config(const InClusterOptions& options) {
  const std::string host = env_or(options.service_host, "KUBERNETES_SERVICE_HOST");
  const std::string port = env_or(options.service_port, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return not_found(
        "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
        "are not set");
  }
  ClusterConfig c;
  c.source = "in-cluster service account (" + options.account_dir + ")";
  // An IPv6 service address needs brackets in a URL.
  c.server = "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  c.token_file = options.account_dir + "/token";
  CAIRN_ASSIGN_OR_RETURN(std::string token, read_text_file(c.token_file, "service account token"));
  if (token.empty()) return invalid_argument("the service account token " + c.token_file + " is empty");
  CAIRN_ASSIGN_OR_RETURN(c.ca_pem, read_text_file(options.account_dir + "/ca.crt", "service account CA"));
  Result<std::string> ns = read_text_file(options.account_dir + "/namespace", "service account namespace");
  if (ns.is_ok()) {
    std::string n = *ns;
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    if (!n.empty()) c.default_namespace = n;
  }
  return c;
}

Result<ClusterConfig> load_cluster_config(const KubeconfigOptions& options) {
  Result<ClusterConfig> from_file = load_kubeconfig(options);
  if (from_file.is_ok() || !options.path.empty() || from_file.status().code() != ErrorCode::kNotFound) {
    return from_file;
  }
  if (!env_or(options.kubeconfig_env, "KUBECONFIG").empty()) return from_file;
  if (!env_or(std::nullopt, "KUBERNETES_SERVICE_HOST").empty()) return load_in_cluster_config();
  return not_found(from_file.status().message() +
                   ", and cairn is not running in a pod; pass --kubeconfig FILE or set KUBECONFIG");
}

}  // namespace cairn::k8s
