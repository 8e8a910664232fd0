// Client: discovery, paged lists and single-object calls, with API Status
// errors turned into one plain sentence each.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "k8s/http.h"
#include "k8s/k8s.h"

namespace cairn::k8s {

using json = nlohmann::json;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "configmaps "web" in namespace "astronomer"", "namespaces "astronomer"".
std::string describe(const ApiResource& r, const std::string& ns, const std::string& name) {
  std::string d = r.group_resource();
  if (!name.empty()) d += " \"" + name + "\"";
  if (r.namespaced && !ns.empty()) d += " in namespace \"" + ns + "\"";
  if (r.namespaced && ns.empty() && name.empty()) d += " in all namespaces";
  return d;
}

// The API server's refusal as one sentence with the ErrorCode that fits.
Status api_error(const ClusterConfig& config, const HttpReply& reply, const std::string& action) {
  std::string message, reason;
  const json body = json::parse(reply.body, nullptr, false);
  if (!body.is_discarded() && body.is_object() && body.value("kind", "") == "Status") {
    message = body.value("message", "");
    reason = body.value("reason", "");
  }
  if (message.empty()) {
    std::string text = reply.body.substr(0, 200);
    std::replace(text.begin(), text.end(), '\n', ' ');
    message = "HTTP " + std::to_string(reply.status) + (text.empty() ? "" : " " + text);
  }
  const std::string head = "cannot " + action + ": ";
  switch (reply.status) {
    case 401:
      return permission_denied(
          "the Kubernetes API server " + config.server + " rejected cairn's credentials (" + message +
          ") when trying to " + action + "; check the token or client certificate" +
          (config.context.empty() ? "" : " of context \"" + config.context + "\"") + " in " + config.source);
    case 403: return permission_denied(head + message + "; the account needs RBAC permission for this");
    case 404: return not_found(head + message);
    case 409:
      if (reason == "AlreadyExists") return already_exists(head + message);
      return io_error(head + message);  // Conflict: someone changed the object meanwhile; retrying may work
    case 400:
    case 405:
    case 415:
    case 422: return invalid_argument(head + message);
    default: return io_error(head + "the API server answered " + message);
  }
}

std::string base_path(const ApiResource& r) {
  return r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
}

std::string collection_path(const ApiResource& r, const std::string& ns) {
  std::string p = base_path(r);
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + query_escape(ns);
  return p + "/" + r.resource;
}

std::string object_path(const ApiResource& r, const std::string& ns, const std::string& name) {
  return collection_path(r, ns) + "/" + query_escape(name);
}

Result<json> parse_reply(const HttpReply& reply, const std::string& what) {
  json j = json::parse(reply.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return corruption("the Kubernetes API server's answer to " + what + " is not a JSON object");
  }
  return j;
}

// The resources of one group version ("v1", "apps/v1").
Status add_resources(const json& list, const std::string& group, const std::string& version,
                     std::vector<ApiResource>& out) {
  if (!list.contains("resources") || !list["resources"].is_array()) return Status::ok();
  for (const json& r : list["resources"]) {
    const std::string name = r.value("name", "");
    if (name.empty() || name.find('/') != std::string::npos) continue;  // subresources: pods/log...
    ApiResource a;
    a.group = group;
    a.version = version;
    a.resource = name;
    a.kind = r.value("kind", "");
    a.namespaced = r.value("namespaced", false);
    if (r.contains("verbs") && r["verbs"].is_array()) a.verbs = r["verbs"].get<std::vector<std::string>>();
    if (r.contains("shortNames") && r["shortNames"].is_array()) {
      a.short_names = r["shortNames"].get<std::vector<std::string>>();
    }
    out.push_back(std::move(a));
  }
  return Status::ok();
}

}  // namespace

bool ApiResource::supports(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const ApiResource* Discovery::find(std::string_view name) const {
  const std::string n(name);
  const std::string l = lower(n);
  for (const ApiResource& r : resources) {
    if (r.resource == n || r.group_resource() == n) return &r;
  }
  for (const ApiResource& r : resources) {
    if (lower(r.kind) == l ||
        std::find(r.short_names.begin(), r.short_names.end(), n) != r.short_names.end()) {
      return &r;
    }
  }
  return nullptr;
}

class Client::Impl {
 public:
  explicit Impl(ClusterConfig config) : config_(std::move(config)) {}

  Result<json> call(const std::string& method, const std::string& path, const std::string& action,
                    const std::string& content_type = "", const std::string& body = "") {
    CAIRN_ASSIGN_OR_RETURN(HttpReply reply, http_exchange(config_, method, path, content_type, body));
    if (reply.status < 200 || reply.status > 299) return api_error(config_, reply, action);
    return parse_reply(reply, action);
  }

  ClusterConfig config_;
};

Client::Client(ClusterConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Client::~Client() = default;

const ClusterConfig& Client::config() const { return impl_->config_; }

Result<std::string> Client::server_version() {
  CAIRN_ASSIGN_OR_RETURN(json v, impl_->call("GET", "/version", "read the server version"));
  return v.value("gitVersion", "");
}

Result<Discovery> Client::discover() {
  Discovery d;
  CAIRN_ASSIGN_OR_RETURN(json core, impl_->call("GET", "/api/v1", "discover the core API resources"));
  CAIRN_RETURN_IF_ERROR(add_resources(core, "", "v1", d.resources));
  CAIRN_ASSIGN_OR_RETURN(json groups, impl_->call("GET", "/apis", "discover the API groups"));
  if (groups.contains("groups") && groups["groups"].is_array()) {
    for (const json& g : groups["groups"]) {
      const std::string name = g.value("name", "");
      std::string version;
      if (g.contains("preferredVersion")) version = g["preferredVersion"].value("version", "");
      if (version.empty() && g.contains("versions") && !g["versions"].empty()) {
        version = g["versions"][0].value("version", "");
      }
      if (name.empty() || version.empty()) continue;
      // One group that fails (an aggregated API that is down) must not hide the others.
      Result<json> list = impl_->call("GET", "/apis/" + name + "/" + version,
                                      "discover the resources of " + name + "/" + version);
      if (!list.is_ok()) {
        d.failed_groups.push_back(list.status().message());
        continue;
      }
      CAIRN_RETURN_IF_ERROR(add_resources(*list, name, version, d.resources));
    }
  }
  std::sort(d.resources.begin(), d.resources.end(), [](const ApiResource& a, const ApiResource& b) {
    return a.group_resource() < b.group_resource();
  });
  return d;
}

Result<ObjectList> Client::list(const ApiResource& resource, const std::string& ns,
                                const ListOptions& options) {
  ObjectList out;
  std::string token;
  const std::string action = "list " + describe(resource, ns, "");
  do {
    std::string query;
    const auto add = [&query](const std::string& k, const std::string& v) {
      query += (query.empty() ? "?" : "&") + k + "=" + query_escape(v);
    };
    if (options.page_size > 0) add("limit", std::to_string(options.page_size));
    if (!options.label_selector.empty()) add("labelSelector", options.label_selector);
    if (!options.field_selector.empty()) add("fieldSelector", options.field_selector);
    if (!token.empty()) add("continue", token);
    CAIRN_ASSIGN_OR_RETURN(json page, impl_->call("GET", collection_path(resource, ns) + query, action));
    out.pages++;
    const json meta = page.value("metadata", json::object());
    if (out.pages == 1) out.resource_version = meta.value("resourceVersion", "");
    token = meta.value("continue", "");
    if (page.contains("items") && page["items"].is_array()) {
      for (json& item : page["items"]) {
        // Typed list items come without kind and apiVersion; a stored
        // object must say what it is on its own.
        if (!item.contains("kind")) item["kind"] = resource.kind;
        if (!item.contains("apiVersion")) item["apiVersion"] = resource.group_version();
        out.items.push_back(item.dump());
      }
    }
  } while (!token.empty());
  return out;
}

Result<std::string> Client::get(const ApiResource& resource, const std::string& ns, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(
      json obj, impl_->call("GET", object_path(resource, ns, name), "get " + describe(resource, ns, name)));
  return obj.dump();
}

Result<std::string> Client::create(const ApiResource& resource, const std::string& ns,
                                   const std::string& object_json) {
  const json obj = json::parse(object_json, nullptr, false);
  if (obj.is_discarded() || !obj.is_object()) {
    return invalid_argument("cannot create " + resource.group_resource() +
                            ": the object is not a JSON object");
  }
  const std::string name = obj.contains("metadata") ? obj["metadata"].value("name", "") : "";
  CAIRN_ASSIGN_OR_RETURN(
      json created, impl_->call("POST", collection_path(resource, ns),
                                "create " + describe(resource, ns, name), "application/json", object_json));
  return created.dump();
}

Result<std::string> Client::merge_patch(const ApiResource& resource, const std::string& ns,
                                        const std::string& name, const std::string& patch_json) {
  CAIRN_ASSIGN_OR_RETURN(json patched, impl_->call("PATCH", object_path(resource, ns, name),
                                                   "patch " + describe(resource, ns, name),
                                                   "application/merge-patch+json", patch_json));
  return patched.dump();
}

Status Client::remove(const ApiResource& resource, const std::string& ns, const std::string& name) {
  Result<json> r =
      impl_->call("DELETE", object_path(resource, ns, name), "delete " + describe(resource, ns, name));
  return r.status();
}

}  // namespace cairn::k8s
