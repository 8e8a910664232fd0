#include "k8s_support/fake_apiserver.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <variant>

#include "common/bytes.h"
#include "common/clock.h"
#include "k8s/label_selector.h"

namespace cairn::testing {

using json = nlohmann::json;

namespace {

// One served resource type (a row of `kubectl api-resources`).
struct ResourceType {
  std::string group;  // "" for the core group
  std::vector<std::string> versions;
  std::string resource;  // plural, as in the URL
  std::string singular;
  std::string kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  bool custom = false;        // defined by a CRD: list items keep kind/apiVersion
  std::string crd_name;       // "<plural>.<group>" for custom resources
  double established_at = 0;  // monotonic seconds; served from then on
  bool has_generation = false;

  std::string group_resource() const { return group.empty() ? resource : resource + "." + group; }
  std::string api_version(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
};

// An error answered as the API server does: a JSON Status with reason and code.
struct ApiError {
  int code;
  std::string reason;
  std::string message;
  json details = nullptr;
};

json status_body(const ApiError& e) {
  json s = {{"kind", "Status"},    {"apiVersion", "v1"},   {"metadata", json::object()},
            {"status", "Failure"}, {"message", e.message}, {"reason", e.reason},
            {"code", e.code}};
  if (!e.details.is_null()) s["details"] = e.details;
  return s;
}

ApiError not_found_path() {
  return {404,
          "NotFound",
          "the server could not find the requested resource",
          {{"causes", {{{"reason", "UnexpectedServerResponse"}, {"message", "404 page not found"}}}}}};
}

json name_details(const ResourceType& t, const std::string& name) {
  json d = {{"name", name}, {"kind", t.resource}};
  if (!t.group.empty()) d["group"] = t.group;
  return d;
}

ApiError not_found(const ResourceType& t, const std::string& name) {
  return {404, "NotFound", t.group_resource() + " \"" + name + "\" not found", name_details(t, name)};
}

ApiError bad_request(const std::string& message) { return {400, "BadRequest", message}; }

ApiError invalid(const ResourceType& t, const std::string& name, const std::string& field,
                 const std::string& cause_reason, const std::string& detail) {
  json d = {{"name", name},
            {"kind", t.kind},
            {"causes", {{{"reason", cause_reason}, {"message", detail}, {"field", field}}}}};
  if (!t.group.empty()) d["group"] = t.group;
  return {422, "Invalid", t.kind + " \"" + name + "\" is invalid: " + field + ": " + detail, d};
}

// Kubernetes version order: GA before beta before alpha, higher numbers first.
int version_rank(const std::string& v) {
  int major = 0, minor = 0;
  char stage[16] = {0};
  if (std::sscanf(v.c_str(), "v%d%15[a-z]%d", &major, stage, &minor) < 1) return -1000000;
  const std::string s = stage;
  const int stage_rank = s.empty() ? 3 : s == "beta" ? 2 : s == "alpha" ? 1 : 0;
  return stage_rank * 100000 + major * 100 + minor;
}

// A DNS-1123 subdomain: what most object names must be.
bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 253) return false;
  for (char c : n) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-' || c == '.')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(n.front())) &&
         std::isalnum(static_cast<unsigned char>(n.back()));
}

std::string random_uid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  const uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::map<std::string, std::string> labels_of(const json& obj) {
  std::map<std::string, std::string> out;
  const json* labels = obj.contains("metadata") ? &obj["metadata"] : nullptr;
  if (labels == nullptr || !labels->contains("labels") || !(*labels)["labels"].is_object()) return out;
  for (const auto& [k, v] : (*labels)["labels"].items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(start, amp - start);
    const size_t eq = pair.find('=');
    out[url_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    start = amp + 1;
  }
  return out;
}

// The parts of a resource URL: /api/v1/namespaces/ns/configmaps/name.
struct Target {
  const ResourceType* type = nullptr;
  std::string version;
  std::string ns;  // empty: cluster-scoped, or all namespaces for a list
  std::string name;
};

}  // namespace

class FakeApiServer::Impl {
 public:
  explicit Impl(FakeApiServerOptions options) : options_(std::move(options)) {
    add_builtin_types();
    for (const char* ns : {"default", "kube-system"}) {
      json obj = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
      const auto r = create_locked(*find_type("", "namespaces"), "v1", "", obj, false);
      if (!std::holds_alternative<json>(r)) std::abort();
    }
  }

  void start() {
    if (!options_.tls_cert_file.empty()) {
      const std::string cert = options_.tls_cert_file, key = options_.tls_key_file,
                        ca = options_.client_ca_file;
      // A client certificate is optional (bearer tokens work too), so the
      // peer is verified only when it sends one; handlers check the result.
      server_ = std::make_unique<httplib::SSLServer>([cert, key, ca](SSL_CTX& ctx) {
        if (SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1) return false;
        if (SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return false;
        if (!ca.empty()) {
          if (SSL_CTX_load_verify_locations(&ctx, ca.c_str(), nullptr) != 1) return false;
          SSL_CTX_set_client_CA_list(&ctx, SSL_load_client_CA_file(ca.c_str()));
          SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
          // Without a session id context OpenSSL refuses to resume a session
          // when peers are verified, and clients reuse sessions.
          static const unsigned char kContext[] = "cairn-fake-apiserver";
          SSL_CTX_set_session_id_context(&ctx, kContext, sizeof kContext - 1);
        }
        return true;
      });
      scheme_ = "https";
    } else {
      server_ = std::make_unique<httplib::Server>();
      scheme_ = "http";
    }
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
    server_->Get(".*", handler);
    server_->Post(".*", handler);
    server_->Put(".*", handler);
    server_->Patch(".*", handler);
    server_->Delete(".*", handler);
    // One request per connection ("Connection: close"). stop() waits for
    // every kept-alive connection to time out (5 s), and closing idle ones
    // early races with clients that reuse them (kubectl then fails a POST
    // with EOF). Real API servers keep connections; clients cope with both.
    server_->set_keep_alive_max_count(1);
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0 || !server_->is_valid()) {
      std::fprintf(stderr, "FakeApiServer: cannot listen on 127.0.0.1\n");
      std::abort();
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  ~Impl() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }

  std::string seed(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    json obj = json::parse(text);
    const std::string api_version = obj.value("apiVersion", "");
    const size_t slash = api_version.find('/');
    const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    const std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
    const ResourceType* type = find_type_by_kind(group, obj.value("kind", ""));
    if (type == nullptr) {
      std::fprintf(stderr, "FakeApiServer::seed: no resource for %s\n", text.c_str());
      std::abort();
    }
    const std::string ns = type->namespaced ? obj["metadata"].value("namespace", "default") : "";
    auto r = create_locked(*type, version, ns, obj, false);
    if (!std::holds_alternative<json>(r)) {
      std::fprintf(stderr, "FakeApiServer::seed: %s\n", std::get<ApiError>(r).message.c_str());
      std::abort();
    }
    return std::get<json>(r).dump();
  }

  std::string object(const std::string& group, const std::string& resource, const std::string& ns,
                     const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto store = objects_.find(group + "/" + resource);
    if (store == objects_.end()) return "";
    const auto it = store->second.find({ns, name});
    return it == store->second.end() ? "" : it->second.dump();
  }

  size_t count(const std::string& group, const std::string& resource) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto store = objects_.find(group + "/" + resource);
    return store == objects_.end() ? 0 : store->second.size();
  }

  std::vector<LoggedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
  }

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  using Store = std::map<Key, json>;                // sorted: the list and paging order
  using Outcome = std::variant<json, ApiError>;

  void add_type(ResourceType t) { types_.push_back(std::move(t)); }

  void add_builtin_types() {
    const auto core = [&](std::string res, std::string singular, std::string kind, bool namespaced,
                          std::vector<std::string> short_names) {
      add_type({"", {"v1"}, res, singular, kind, namespaced, short_names, false, "", 0, false});
    };
    core("namespaces", "namespace", "Namespace", false, {"ns"});
    core("configmaps", "configmap", "ConfigMap", true, {"cm"});
    core("secrets", "secret", "Secret", true, {});
    core("services", "service", "Service", true, {"svc"});
    core("serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"});
    core("persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, {"pvc"});
    core("persistentvolumes", "persistentvolume", "PersistentVolume", false, {"pv"});
    add_type(
        {"apps", {"v1"}, "deployments", "deployment", "Deployment", true, {"deploy"}, false, "", 0, true});
    add_type({"storage.k8s.io",
              {"v1"},
              "storageclasses",
              "storageclass",
              "StorageClass",
              false,
              {"sc"},
              false,
              "",
              0,
              false});
    add_type({"apiextensions.k8s.io",
              {"v1"},
              "customresourcedefinitions",
              "customresourcedefinition",
              "CustomResourceDefinition",
              false,
              {"crd", "crds"},
              false,
              "",
              0,
              true});
  }

  bool served(const ResourceType& t) const { return t.established_at <= monotonic_seconds(); }

  const ResourceType* find_type(const std::string& group, const std::string& resource) const {
    for (const ResourceType& t : types_) {
      if (t.group == group && t.resource == resource && served(t)) return &t;
    }
    return nullptr;
  }
  const ResourceType* find_type_by_kind(const std::string& group, const std::string& kind) const {
    for (const ResourceType& t : types_) {
      if (t.group == group && t.kind == kind && served(t)) return &t;
    }
    return nullptr;
  }

  // ---- discovery ----

  json groups_of_served_types() const {
    std::map<std::string, std::vector<std::string>> versions;  // group -> versions, in rank order
    for (const ResourceType& t : types_) {
      if (t.group.empty() || !served(t)) continue;
      auto& v = versions[t.group];
      for (const std::string& ver : t.versions) {
        if (std::find(v.begin(), v.end(), ver) == v.end()) v.push_back(ver);
      }
    }
    json groups = json::array();
    for (auto& [group, vs] : versions) {
      std::sort(vs.begin(), vs.end(),
                [](const std::string& a, const std::string& b) { return version_rank(a) > version_rank(b); });
      json g = {{"name", group}, {"versions", json::array()}};
      for (const std::string& v : vs)
        g["versions"].push_back({{"groupVersion", group + "/" + v}, {"version", v}});
      g["preferredVersion"] = {{"groupVersion", group + "/" + vs[0]}, {"version", vs[0]}};
      groups.push_back(g);
    }
    return groups;
  }

  std::optional<json> discovery(const std::vector<std::string>& seg) const {
    if (seg.size() == 1 && seg[0] == "version") {
      return json{{"major", "1"},
                  {"minor", "30"},
                  {"gitVersion", "v1.30.0"},
                  {"gitCommit", "cairn-fake-apiserver"},
                  {"gitTreeState", "clean"},
                  {"buildDate", "2024-04-17T00:00:00Z"},
                  {"goVersion", "go1.22.2"},
                  {"compiler", "gc"},
                  {"platform", "linux/amd64"}};
    }
    if (seg.size() == 1 && seg[0] == "api") {
      return json{
          {"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1"}}}}};
    }
    if (seg.size() == 1 && seg[0] == "apis") {
      return json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups_of_served_types()}};
    }
    if (seg.size() == 2 && seg[0] == "apis") {
      for (json g : groups_of_served_types()) {
        if (g["name"] == seg[1]) {
          g["kind"] = "APIGroup";
          g["apiVersion"] = "v1";
          return g;
        }
      }
      return std::nullopt;
    }
    const bool core = seg.size() == 2 && seg[0] == "api";
    const bool named = seg.size() == 3 && seg[0] == "apis";
    if (!core && !named) return std::nullopt;
    const std::string group = core ? "" : seg[1];
    const std::string version = core ? seg[1] : seg[2];
    json resources = json::array();
    for (const ResourceType& t : types_) {
      if (t.group != group || !served(t)) continue;
      if (std::find(t.versions.begin(), t.versions.end(), version) == t.versions.end()) continue;
      json r = {{"name", t.resource},
                {"singularName", t.singular},
                {"namespaced", t.namespaced},
                {"kind", t.kind},
                {"verbs", {"create", "delete", "get", "list", "patch", "update"}}};
      if (!t.short_names.empty()) r["shortNames"] = t.short_names;
      resources.push_back(r);
    }
    if (resources.empty()) return std::nullopt;
    return json{{"kind", "APIResourceList"},
                {"apiVersion", "v1"},
                {"groupVersion", core ? version : group + "/" + version},
                {"resources", resources}};
  }

  // ---- URL to target ----

  std::optional<Target> resolve(const std::vector<std::string>& seg) const {
    size_t i = 0;
    std::string group, version;
    if (seg.size() >= 3 && seg[0] == "api") {
      version = seg[1];
      i = 2;
    } else if (seg.size() >= 4 && seg[0] == "apis") {
      group = seg[1];
      version = seg[2];
      i = 3;
    } else {
      return std::nullopt;
    }
    Target t;
    t.version = version;
    std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
    std::string resource;
    if (rest.size() >= 3 && rest[0] == "namespaces") {
      t.ns = rest[1];
      resource = rest[2];
      if (rest.size() == 4) t.name = rest[3];
      if (rest.size() > 4) return std::nullopt;  // subresources are not served
    } else {
      resource = rest[0];
      if (rest.size() == 2) t.name = rest[1];
      if (rest.size() > 2) return std::nullopt;
    }
    t.type = find_type(group, resource);
    if (t.type == nullptr) return std::nullopt;
    if (std::find(t.type->versions.begin(), t.type->versions.end(), version) == t.type->versions.end()) {
      return std::nullopt;
    }
    if (!t.type->namespaced && !t.ns.empty()) return std::nullopt;
    return t;
  }

  Store& store_of(const ResourceType& t) { return objects_[t.group + "/" + t.resource]; }

  bool namespace_exists(const std::string& ns) {
    return store_of(*find_type("", "namespaces")).count({"", ns}) > 0;
  }

  // ---- reads ----

  // What a stored object looks like on the wire for the requested version.
  json present(const ResourceType& t, const std::string& version, json obj) const {
    obj["apiVersion"] = t.api_version(version);
    obj["kind"] = t.kind;
    if (t.resource == "customresourcedefinitions") crd_status(obj);
    return obj;
  }

  void crd_status(json& crd) const {
    const bool established = crd_established(crd);
    json names = crd["spec"]["names"];
    if (!names.contains("singular")) {
      std::string s = names.value("kind", "");
      std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
      names["singular"] = s;
    }
    if (!names.contains("listKind")) names["listKind"] = names.value("kind", "") + "List";
    const std::string now = crd["metadata"].value("creationTimestamp", "");
    crd["status"] = {
        {"acceptedNames", names},
        {"storedVersions", {storage_version(crd)}},
        {"conditions",
         {{{"type", "NamesAccepted"},
           {"status", "True"},
           {"reason", "NoConflicts"},
           {"message", "no conflicts found"},
           {"lastTransitionTime", now}},
          {{"type", "Established"},
           {"status", established ? "True" : "False"},
           {"reason", established ? "InitialNamesAccepted" : "Installing"},
           {"message", established ? "the initial names have been accepted" : "the CRD is being installed"},
           {"lastTransitionTime", now}}}}};
  }

  bool crd_established(const json& crd) const {
    for (const ResourceType& t : types_) {
      if (t.crd_name == crd["metadata"].value("name", "")) return served(t);
    }
    return false;
  }

  static std::string storage_version(const json& crd) {
    for (const json& v : crd["spec"]["versions"]) {
      if (v.value("storage", false)) return v.value("name", "");
    }
    return crd["spec"]["versions"][0].value("name", "");
  }

  Outcome get(const Target& t) {
    Store& store = store_of(*t.type);
    const auto it = store.find({t.ns, t.name});
    if (it == store.end()) return not_found(*t.type, t.name);
    return present(*t.type, t.version, it->second);
  }

  Outcome list(const Target& t, const std::map<std::string, std::string>& q) {
    std::string error;
    const auto selector = parse_label_selector(q.count("labelSelector") ? q.at("labelSelector") : "", &error);
    if (!selector) return bad_request(error);
    std::string field_name, field_ns, field_op;
    if (q.count("fieldSelector") && !q.at("fieldSelector").empty()) {
      const std::string f = q.at("fieldSelector");
      const size_t ne = f.find("!=");
      const size_t eq = f.find('=');
      const size_t at = ne != std::string::npos ? ne : eq;
      const std::string field = f.substr(0, at);
      std::string value = f.substr(at + (ne != std::string::npos ? 2 : 1));
      if (!value.empty() && value[0] == '=') value = value.substr(1);
      field_op = ne != std::string::npos ? "!=" : "=";
      if (field == "metadata.name") {
        field_name = value;
      } else if (field == "metadata.namespace") {
        field_ns = value;
      } else {
        return bad_request("field label not supported: " + field);
      }
    }
    size_t limit = 0;
    if (q.count("limit") && !q.at("limit").empty()) limit = std::strtoull(q.at("limit").c_str(), nullptr, 10);
    Key start{"", ""};
    bool has_start = false;
    if (q.count("continue") && !q.at("continue").empty()) {
      Bytes raw;
      json token;
      if (base64_decode(q.at("continue"), raw)) {
        token = json::parse(std::string(raw.begin(), raw.end()), nullptr, false);
      }
      if (token.is_discarded() || !token.is_object() || !token.contains("start")) {
        return bad_request("continue key is not valid: illegal base64 data at input byte 0");
      }
      const std::string s = token["start"];
      const size_t slash = s.find('/');
      start = {s.substr(0, slash), slash == std::string::npos ? "" : s.substr(slash + 1)};
      has_start = true;
    }
    json items = json::array();
    std::string next;
    size_t remaining = 0;
    const Store& store = store_of(*t.type);
    for (auto it = has_start ? store.upper_bound(start) : store.begin(); it != store.end(); ++it) {
      const auto& [key, obj] = *it;
      if (!t.ns.empty() && key.first != t.ns) continue;
      if (!labels_match(*selector, labels_of(obj))) continue;
      if (!field_name.empty() && (key.second == field_name) != (field_op == "=")) continue;
      if (!field_ns.empty() && (key.first == field_ns) != (field_op == "=")) continue;
      if (limit > 0 && items.size() == limit) {
        remaining++;
        continue;
      }
      json item = present(*t.type, t.version, obj);
      // Typed lists carry kind/apiVersion once, on the list; custom
      // resources are unstructured and keep them on every item.
      if (!t.type->custom) {
        item.erase("kind");
        item.erase("apiVersion");
      }
      items.push_back(std::move(item));
      if (limit > 0 && items.size() == limit) next = key.first + "/" + key.second;
    }
    json meta = {{"resourceVersion", std::to_string(rv_)}};
    if (remaining > 0) {
      const std::string token = json{{"v", "meta.k8s.io/v1"}, {"rv", rv_}, {"start", next}}.dump();
      meta["continue"] =
          base64_encode(ByteView(reinterpret_cast<const uint8_t*>(token.data()), token.size()));
      meta["remainingItemCount"] = remaining;
    }
    return json{{"kind", t.type->kind + "List"},
                {"apiVersion", t.type->api_version(t.version)},
                {"metadata", meta},
                {"items", items}};
  }

  // ---- writes ----

  Outcome create_locked(const ResourceType& t, const std::string& version, const std::string& url_ns,
                        json obj, bool dry_run) {
    if (!obj.is_object()) return bad_request("the object provided is unrecognized (must be of type object)");
    const std::string want_api = t.api_version(version);
    if (obj.contains("apiVersion") && obj["apiVersion"] != want_api) {
      return bad_request("the API version in the data (" + obj["apiVersion"].get<std::string>() +
                         ") does not match the expected API version (" + want_api + ")");
    }
    if (obj.contains("kind") && obj["kind"] != t.kind) {
      return bad_request("the kind in the data (" + obj["kind"].get<std::string>() +
                         ") does not match the expected kind (" + t.kind + ")");
    }
    if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
    json& meta = obj["metadata"];
    if (!meta.contains("name") && meta.contains("generateName")) {
      meta["name"] = meta["generateName"].get<std::string>() + random_uid().substr(0, 5);
    }
    const std::string name = meta.value("name", "");
    if (name.empty()) {
      return invalid(t, "", "metadata.name", "FieldValueRequired",
                     "Required value: name or generateName is required");
    }
    if (!valid_name(name)) {
      return invalid(
          t, name, "metadata.name", "FieldValueInvalid",
          "Invalid value: \"" + name +
              "\": a lowercase RFC 1123 subdomain must consist of lower case "
              "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
    }
    std::string ns;
    if (t.namespaced) {
      const std::string body_ns = meta.value("namespace", "");
      if (!body_ns.empty() && body_ns != url_ns) {
        return bad_request(
            "the namespace of the provided object does not match the namespace sent on the request");
      }
      ns = url_ns;
      if (!namespace_exists(ns)) return not_found(*find_type("", "namespaces"), ns);
      meta["namespace"] = ns;
    } else {
      meta.erase("namespace");
    }
    Store& store = store_of(t);
    if (store.count({ns, name})) {
      return ApiError{409, "AlreadyExists", t.group_resource() + " \"" + name + "\" already exists",
                      name_details(t, name)};
    }
    if (auto e = defaults_on_create(t, obj)) return *e;
    meta["uid"] = random_uid();
    meta["creationTimestamp"] = format_rfc3339(system_clock().now());
    if (t.has_generation || t.custom) meta["generation"] = 1;
    meta.erase("resourceVersion");
    meta.erase("deletionTimestamp");
    obj["apiVersion"] = want_api;
    obj["kind"] = t.kind;
    if (dry_run) return present(t, version, obj);
    meta["resourceVersion"] = std::to_string(++rv_);
    if (t.resource == "customresourcedefinitions") register_crd(obj);
    store[{ns, name}] = obj;
    return present(t, version, obj);
  }

  // What the real server fills in or checks for a few kinds on create.
  std::optional<ApiError> defaults_on_create(const ResourceType& t, json& obj) {
    const std::string name = obj["metadata"]["name"];
    if (t.group.empty() && t.resource == "namespaces") {
      obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
      obj["spec"] = {{"finalizers", {"kubernetes"}}};
      obj["status"] = {{"phase", "Active"}};
    } else if (t.group.empty() && t.resource == "secrets") {
      if (!obj.contains("type")) obj["type"] = "Opaque";
      if (obj.contains("stringData")) {
        for (const auto& [k, v] : obj["stringData"].items()) {
          const std::string s = v.get<std::string>();
          obj["data"][k] = base64_encode(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
        }
        obj.erase("stringData");
      }
    } else if (t.group.empty() && t.resource == "services") {
      json& spec = obj["spec"];
      if (!spec.contains("type")) spec["type"] = "ClusterIP";
      if (spec["type"] != "ExternalName" && spec.value("clusterIP", "") != "None") {
        std::string ip = spec.value("clusterIP", "");
        if (ip.empty()) {
          ip = "10.96." + std::to_string(next_ip_ / 256) + "." + std::to_string(next_ip_ % 256);
          next_ip_++;
        } else if (used_ips_.count(ip)) {
          return invalid(t, name, "spec.clusterIPs", "FieldValueInvalid",
                         "Invalid value: []string{\"" + ip + "\"}: failed to allocate IP " + ip +
                             ": provided IP is already allocated");
        }
        used_ips_.insert(ip);
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = {ip};
      }
      if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
      obj["status"] = {{"loadBalancer", json::object()}};
    } else if (t.group.empty() && t.resource == "persistentvolumeclaims") {
      obj["status"] = {{"phase", "Pending"}};
    } else if (t.group == "apps" && t.resource == "deployments") {
      if (!obj["spec"].contains("replicas")) obj["spec"]["replicas"] = 1;
      obj["status"] = json::object();
    } else if (t.resource == "customresourcedefinitions") {
      const json& spec = obj.value("spec", json::object());
      const std::string group = spec.value("group", "");
      const json names = spec.value("names", json::object());
      const std::string plural = names.value("plural", "");
      if (group.empty() || plural.empty() || names.value("kind", "").empty()) {
        return invalid(t, name, "spec.names", "FieldValueRequired", "Required value: group, plural and kind");
      }
      if (name != plural + "." + group) {
        return invalid(t, name, "metadata.name", "FieldValueInvalid",
                       "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group");
      }
      const std::string scope = spec.value("scope", "");
      if (scope != "Namespaced" && scope != "Cluster") {
        return invalid(t, name, "spec.scope", "FieldValueNotSupported",
                       "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\"");
      }
      if (!spec.contains("versions") || !spec["versions"].is_array() || spec["versions"].empty()) {
        return invalid(t, name, "spec.versions", "FieldValueRequired",
                       "Required value: must have exactly one version marked as storage version");
      }
    }
    return std::nullopt;
  }

  void register_crd(const json& crd) {
    const json& spec = crd["spec"];
    const json& names = spec["names"];
    ResourceType t;
    t.group = spec["group"];
    for (const json& v : spec["versions"]) {
      if (v.value("served", true)) t.versions.push_back(v.value("name", ""));
    }
    std::sort(t.versions.begin(), t.versions.end(),
              [](const std::string& a, const std::string& b) { return version_rank(a) > version_rank(b); });
    t.resource = names["plural"];
    t.kind = names["kind"];
    t.singular = names.value("singular", "");
    if (t.singular.empty()) {
      t.singular = t.kind;
      std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(),
                     [](unsigned char c) { return std::tolower(c); });
    }
    t.namespaced = spec["scope"] == "Namespaced";
    if (names.contains("shortNames")) t.short_names = names["shortNames"].get<std::vector<std::string>>();
    t.custom = true;
    t.crd_name = crd["metadata"]["name"];
    t.established_at = monotonic_seconds() + static_cast<double>(options_.crd_establish_delay_ms) / 1000.0;
    add_type(std::move(t));
  }

  // PUT and PATCH end here: `obj` is the full new state.
  Outcome replace(const Target& t, json obj, bool dry_run) {
    Store& store = store_of(*t.type);
    const auto it = store.find({t.ns, t.name});
    if (it == store.end()) return not_found(*t.type, t.name);
    const json& old = it->second;
    if (!obj.is_object()) return bad_request("the object provided is unrecognized (must be of type object)");
    if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
    json& meta = obj["metadata"];
    if (meta.value("name", t.name) != t.name) {
      return bad_request("the name of the object (" + meta.value("name", "") +
                         ") does not match the name on the URL (" + t.name + ")");
    }
    const std::string sent_rv = meta.value("resourceVersion", "");
    if (!sent_rv.empty() && sent_rv != old["metadata"]["resourceVersion"]) {
      return ApiError{
          409, "Conflict",
          "Operation cannot be fulfilled on " + t.type->group_resource() + " \"" + t.name +
              "\": the object has been modified; please apply your changes to the latest version and "
              "try again",
          name_details(*t.type, t.name)};
    }
    for (const char* kept : {"name", "namespace", "uid", "creationTimestamp", "generation"}) {
      if (old["metadata"].contains(kept)) {
        meta[kept] = old["metadata"][kept];
      } else {
        meta.erase(kept);
      }
    }
    if (t.type->resource == "services" && old["spec"].contains("clusterIP")) {
      obj["spec"]["clusterIP"] = old["spec"]["clusterIP"];
      obj["spec"]["clusterIPs"] = old["spec"]["clusterIPs"];
    }
    if (meta.contains("generation") && obj.value("spec", json()) != old.value("spec", json())) {
      meta["generation"] = meta["generation"].get<int64_t>() + 1;
    }
    obj["apiVersion"] = t.type->api_version(t.version);
    obj["kind"] = t.type->kind;
    if (dry_run) return present(*t.type, t.version, obj);
    meta["resourceVersion"] = std::to_string(++rv_);
    it->second = obj;
    return present(*t.type, t.version, obj);
  }

  Outcome patch(const Target& t, const std::string& content_type, const std::string& body, bool dry_run) {
    Store& store = store_of(*t.type);
    const auto it = store.find({t.ns, t.name});
    if (it == store.end()) return not_found(*t.type, t.name);
    const json p = json::parse(body, nullptr, false);
    if (p.is_discarded()) return bad_request("error decoding patch: invalid JSON");
    json obj = it->second;
    const std::string ct = content_type.substr(0, content_type.find(';'));
    if (ct == "application/merge-patch+json" || ct == "application/strategic-merge-patch+json") {
      obj.merge_patch(p);
    } else if (ct == "application/json-patch+json") {
      try {
        obj = obj.patch(p);
      } catch (const json::exception& e) {
        return ApiError{422, "Invalid",
                        std::string("the server rejected our request due to an error in our "
                                    "request: ") +
                            e.what()};
      }
    } else {
      return ApiError{415, "UnsupportedMediaType",
                      "the body of the request was in an unknown format - accepted media types include: "
                      "application/json-patch+json, application/merge-patch+json, "
                      "application/strategic-merge-patch+json"};
    }
    if (!p.is_object() || !p.contains("metadata") || !p["metadata"].contains("resourceVersion")) {
      obj["metadata"].erase("resourceVersion");  // a patch without one applies to the latest
    }
    return replace(t, obj, dry_run);
  }

  Outcome remove(const Target& t, bool dry_run) {
    Store& store = store_of(*t.type);
    const auto it = store.find({t.ns, t.name});
    if (it == store.end()) return not_found(*t.type, t.name);
    json obj = present(*t.type, t.version, it->second);
    json answer = {{"kind", "Status"},
                   {"apiVersion", "v1"},
                   {"metadata", json::object()},
                   {"status", "Success"},
                   {"details", name_details(*t.type, t.name)}};
    answer["details"]["uid"] = obj["metadata"]["uid"];
    if (t.type->resource == "namespaces" && t.type->group.empty()) {
      // The real server answers with the namespace, now Terminating.
      obj["status"]["phase"] = "Terminating";
      obj["metadata"]["deletionTimestamp"] = format_rfc3339(system_clock().now());
      answer = obj;
    }
    if (dry_run) return answer;
    if (t.type->resource == "services" && obj["spec"].contains("clusterIP")) {
      used_ips_.erase(obj["spec"].value("clusterIP", ""));
    }
    store.erase(it);
    ++rv_;
    if (t.type->resource == "namespaces" && t.type->group.empty()) {
      for (auto& [type_key, objects] : objects_) {
        for (auto o = objects.begin(); o != objects.end();) {
          o = o->first.first == t.name ? objects.erase(o) : std::next(o);
        }
      }
    }
    if (t.type->resource == "customresourcedefinitions") {
      const std::string crd_name = t.name;
      for (auto ty = types_.begin(); ty != types_.end(); ++ty) {
        if (ty->crd_name == crd_name) {
          objects_.erase(ty->group + "/" + ty->resource);
          types_.erase(ty);
          break;
        }
      }
    }
    return answer;
  }

  // ---- HTTP ----

  bool authorized(const httplib::Request& req) const {
    if (options_.bearer_token.empty() && options_.client_ca_file.empty()) return true;
    if (!options_.bearer_token.empty() &&
        req.get_header_value("Authorization") == "Bearer " + options_.bearer_token) {
      return true;
    }
    if (!options_.client_ca_file.empty() && req.ssl != nullptr) {
      X509* peer = SSL_get_peer_certificate(req.ssl);
      const bool ok = peer != nullptr && SSL_get_verify_result(req.ssl) == X509_V_OK;
      if (peer != nullptr) X509_free(peer);
      return ok;
    }
    return false;
  }

  Outcome dispatch(const httplib::Request& req, const std::string& path, const std::string& query) {
    std::vector<std::string> seg;
    for (size_t start = 1; start <= path.size();) {
      size_t slash = path.find('/', start);
      if (slash == std::string::npos) slash = path.size();
      if (slash > start) seg.push_back(path.substr(start, slash - start));
      start = slash + 1;
    }
    if (seg.empty()) return not_found_path();
    if (req.method == "GET") {
      if (auto d = discovery(seg)) return *d;
    }
    const std::optional<Target> t = resolve(seg);
    if (!t) return not_found_path();
    const auto q = parse_query(query);
    const bool dry_run = q.count("dryRun") && q.at("dryRun") == "All";
    const bool collection = t->name.empty();
    const auto& failing = options_.failing_resources;
    if (req.method == "GET" &&
        std::find(failing.begin(), failing.end(), t->type->group_resource()) != failing.end()) {
      return ApiError{500, "InternalError",
                      "Internal error occurred: etcdserver: request timed out (injected for " +
                          t->type->group_resource() + ")"};
    }
    if (req.method == "GET") return collection ? list(*t, q) : get(*t);
    if (req.method == "POST" && collection) {
      const json obj = json::parse(req.body, nullptr, false);
      if (obj.is_discarded()) return bad_request("the object provided is unrecognized: invalid JSON");
      return create_locked(*t->type, t->version, t->ns, obj, dry_run);
    }
    if (req.method == "PUT" && !collection) {
      const json obj = json::parse(req.body, nullptr, false);
      if (obj.is_discarded()) return bad_request("the object provided is unrecognized: invalid JSON");
      return replace(*t, obj, dry_run);
    }
    if (req.method == "PATCH" && !collection) {
      return patch(*t, req.get_header_value("Content-Type"), req.body, dry_run);
    }
    if (req.method == "DELETE" && !collection) return remove(*t, dry_run);
    return ApiError{405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource"};
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    const size_t qmark = req.target.find('?');
    const std::string path = req.target.substr(0, qmark);
    const std::string query = qmark == std::string::npos ? "" : req.target.substr(qmark + 1);
    std::lock_guard<std::mutex> lock(mu_);
    int code = 200;
    json body;
    if (!authorized(req)) {
      body = status_body({401, "Unauthorized", "Unauthorized"});
      code = 401;
    } else {
      Outcome out = dispatch(req, path, query);
      if (auto* e = std::get_if<ApiError>(&out)) {
        code = e->code;
        body = status_body(*e);
      } else {
        body = std::move(std::get<json>(out));
        if (req.method == "POST") code = 201;
      }
    }
    res.status = code;
    res.set_content(body.dump(), "application/json");
    log_.push_back({log_.size() + 1, req.method, path, query, code});
  }

  FakeApiServerOptions options_;
  mutable std::mutex mu_;  // guards everything below: requests are handled one at a time
  std::vector<ResourceType> types_;
  std::map<std::string, Store> objects_;  // "<group>/<resource>" -> objects
  uint64_t rv_ = 100;
  uint32_t next_ip_ = 10;
  std::set<std::string> used_ips_;
  std::vector<LoggedRequest> log_;

  std::unique_ptr<httplib::Server> server_;
  std::string scheme_;
  int port_ = 0;
  std::thread thread_;
};

FakeApiServer::FakeApiServer(FakeApiServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->start();
}
FakeApiServer::~FakeApiServer() = default;

std::string FakeApiServer::url() const { return impl_->url(); }
std::string FakeApiServer::seed(const std::string& json) { return impl_->seed(json); }
std::string FakeApiServer::object(const std::string& group, const std::string& resource,
                                  const std::string& ns, const std::string& name) const {
  return impl_->object(group, resource, ns, name);
}
size_t FakeApiServer::count(const std::string& group, const std::string& resource) const {
  return impl_->count(group, resource);
}
std::vector<LoggedRequest> FakeApiServer::requests() const { return impl_->requests(); }
void FakeApiServer::clear_requests() { impl_->clear_requests(); }

std::string FakeApiServer::write_kubeconfig(const std::string& path, const std::string& token,
                                            const std::string& ca_file, const std::string& client_cert_file,
                                            const std::string& client_key_file) const {
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: " << url() << "\n";
  if (!ca_file.empty()) out << "    certificate-authority: " << ca_file << "\n";
  out << "users:\n- name: fake-user\n  user:\n";
  if (!token.empty()) out << "    token: " << token << "\n";
  if (!client_cert_file.empty()) out << "    client-certificate: " << client_cert_file << "\n";
  if (!client_key_file.empty()) out << "    client-key: " << client_key_file << "\n";
  if (token.empty() && client_cert_file.empty()) out << "    {}\n";
  out << "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake-user\n"
      << "current-context: fake\n";
  out.close();
  if (!out) {
    std::fprintf(stderr, "FakeApiServer: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace cairn::testing
