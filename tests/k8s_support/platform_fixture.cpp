#include "k8s_support/platform_fixture.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace cairn::testing {
namespace {

using json = nlohmann::json;

struct Item {
  std::string group_resource;
  std::string json_text;
};

json obj(const std::string& api_version, const std::string& kind, const std::string& ns,
         const std::string& name, json labels = json::object()) {
  json o = {{"apiVersion", api_version}, {"kind", kind}, {"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  if (!labels.empty()) o["metadata"]["labels"] = labels;
  return o;
}

json deployment(const std::string& ns, const std::string& name, const std::string& component) {
  json d = obj("apps/v1", "Deployment", ns, name, {{"component", component}});
  d["spec"] = {
      {"replicas", 1},
      {"selector", {{"matchLabels", {{"component", component}}}}},
      {"template",
       {{"metadata", {{"labels", {{"component", component}}}}},
        {"spec", {{"containers", {{{"name", component}, {"image", "quay.io/astronomer/" + component}}}}}}}}};
  return d;
}

json service(const std::string& ns, const std::string& name, const std::string& component) {
  json s = obj("v1", "Service", ns, name, {{"component", component}});
  s["spec"] = {{"selector", {{"component", component}}}, {"ports", {{{"port", 8080}}}}};
  return s;
}

json pvc(const std::string& ns, const std::string& name, const std::string& component,
         const std::string& volume) {
  json p = obj("v1", "PersistentVolumeClaim", ns, name, {{"component", component}});
  p["spec"] = {{"accessModes", {"ReadWriteOnce"}},
               {"storageClassName", "standard"},
               {"resources", {{"requests", {{"storage", "1Gi"}}}}}};
  if (!volume.empty()) p["spec"]["volumeName"] = volume;
  return p;
}

json pv(const std::string& name, const std::string& claim_ns, const std::string& claim) {
  json v = obj("v1", "PersistentVolume", "", name);
  v["spec"] = {{"capacity", {{"storage", "1Gi"}}},
               {"accessModes", {"ReadWriteOnce"}},
               {"storageClassName", "standard"},
               {"hostPath", {{"path", "/data/" + name}}}};
  if (!claim.empty()) v["spec"]["claimRef"] = {{"namespace", claim_ns}, {"name", claim}};
  return v;
}

json crd(const std::string& plural, const std::string& kind) {
  json c =
      obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", plural + ".api.astarte-platform.org");
  c["spec"] = {{"group", "api.astarte-platform.org"},
               {"scope", "Namespaced"},
               {"names", {{"plural", plural}, {"kind", kind}}},
               {"versions", {{{"name", "v1alpha1"}, {"served", true}, {"storage", true}}}}};
  return c;
}

std::vector<Item> items() {
  const std::string astro = "astronomer";
  const std::string meteor = "astronomer-weightless-meteor-5042";
  std::vector<Item> v;
  const auto add = [&v](const std::string& gr, const json& o) { v.push_back({gr, o.dump()}); };
  for (const std::string& ns : {astro, meteor, std::string("astarte")})
    add("namespaces", obj("v1", "Namespace", "", ns));
  add("storageclasses.storage.k8s.io", json{{"apiVersion", "storage.k8s.io/v1"},
                                            {"kind", "StorageClass"},
                                            {"metadata", {{"name", "standard"}}},
                                            {"provisioner", "kubernetes.io/host-path"}});
  add("persistentvolumes", pv("pv-meteor-redis", meteor, "redis-data"));
  add("persistentvolumes", pv("pv-meteor-postgres", meteor, "postgres-data"));
  add("persistentvolumes", pv("pv-spare", "", ""));
  add("customresourcedefinitions.apiextensions.k8s.io", crd("astartes", "Astarte"));
  add("customresourcedefinitions.apiextensions.k8s.io",
      crd("astartevoyageringresses", "AstarteVoyagerIngress"));

  add("deployments.apps", deployment(astro, "houston", "houston"));
  add("deployments.apps", deployment(astro, "commander", "commander"));
  add("services", service(astro, "houston", "houston"));
  add("secrets", [&] {
    json s = obj("v1", "Secret", astro, "astronomer-bootstrap", {{"component", "houston"}});
    s["stringData"] = {{"connection", "postgres://houston@db.old.example:5432/houston"}};
    return s;
  }());
  add("configmaps", [&] {
    json c = obj("v1", "ConfigMap", astro, "houston-config", {{"component", "houston"}});
    c["data"] = {{"production.yaml", "deployments: {}"}};
    return c;
  }());

  add("deployments.apps", deployment(meteor, "weightless-meteor-5042-scheduler", "scheduler"));
  add("deployments.apps", deployment(meteor, "weightless-meteor-5042-webserver", "webserver"));
  add("services", service(meteor, "weightless-meteor-5042-webserver", "webserver"));
  add("secrets", [&] {
    json s =
        obj("v1", "Secret", meteor, "weightless-meteor-5042-airflow-metadata", {{"component", "airflow"}});
    s["stringData"] = {{"connection", "postgresql://meteor@db.old.example:5432/meteor"}};
    return s;
  }());
  add("configmaps", [&] {
    json c =
        obj("v1", "ConfigMap", meteor, "weightless-meteor-5042-airflow-config", {{"component", "airflow"}});
    c["data"] = {{"airflow.cfg", "[core]\nexecutor = CeleryExecutor\n"}};
    return c;
  }());
  add("persistentvolumeclaims", pvc(meteor, "redis-data", "redis", "pv-meteor-redis"));
  add("persistentvolumeclaims", pvc(meteor, "postgres-data", "postgresql", "pv-meteor-postgres"));

  add("secrets", [&] {
    json s = obj("v1", "Secret", "astarte", "astarte-devices-ca", {{"app", "astarte"}});
    s["type"] = "kubernetes.io/tls";
    s["data"] = {{"tls.crt", "Q0EtQ0VSVA=="}, {"tls.key", "Q0EtS0VZ"}};
    return s;
  }());
  add("astartes.api.astarte-platform.org", [&] {
    json a = obj("api.astarte-platform.org/v1alpha1", "Astarte", "astarte", "astarte", {{"app", "astarte"}});
    a["spec"] = {{"version", "1.1.1"}, {"api", {{"host", "api.astarte.example"}}}};
    return a;
  }());
  add("astartevoyageringresses.api.astarte-platform.org", [&] {
    json a = obj("api.astarte-platform.org/v1alpha1", "AstarteVoyagerIngress", "astarte", "adi",
                 {{"app", "astarte"}});
    a["spec"] = {{"astarte", "astarte"}, {"api", {{"exposeHousekeeping", true}}}};
    return a;
  }());
  return v;
}

}  // namespace

std::vector<std::string> platform_item_paths() {
  std::vector<std::string> out;
  for (const Item& i : items()) {
    const json o = json::parse(i.json_text);
    const std::string ns = o["metadata"].value("namespace", "");
    const std::string name = o["metadata"]["name"];
    out.push_back(ns.empty() ? "resources/" + i.group_resource + "/cluster/" + name + ".json"
                             : "resources/" + i.group_resource + "/namespaces/" + ns + "/" + name + ".json");
  }
  std::sort(out.begin(), out.end());
  return out;
}

void seed_platform(FakeApiServer& server) {
  for (const Item& i : items()) server.seed(i.json_text);
}

}  // namespace cairn::testing
