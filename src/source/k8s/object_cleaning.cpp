#include "source/k8s/object_cleaning.h"

namespace cairn {

using json = nlohmann::json;

void clean_for_restore(json& object, const std::string& group_resource) {
  if (object.contains("metadata") && object["metadata"].is_object()) {
    json& meta = object["metadata"];
    for (const char* field :
         {"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "deletionTimestamp",
          "deletionGracePeriodSeconds", "selfLink", "generateName"}) {
      meta.erase(field);
    }
  }
  object.erase("status");
  if (group_resource == "services" && object.contains("spec") && object["spec"].is_object()) {
    json& spec = object["spec"];
    // A headless service ("None") keeps it: that is its definition, not an allocation.
    if (spec.value("clusterIP", "") != "None") {
      spec.erase("clusterIP");
      spec.erase("clusterIPs");
    }
    if (spec.contains("ports") && spec["ports"].is_array()) {
      for (json& port : spec["ports"])
        if (port.is_object()) port.erase("nodePort");
    }
    spec.erase("healthCheckNodePort");
  }
  if (group_resource == "persistentvolumes" && object.contains("spec") && object["spec"].is_object() &&
      object["spec"].contains("claimRef") && object["spec"]["claimRef"].is_object()) {
    json& claim = object["spec"]["claimRef"];
    claim.erase("uid");
    claim.erase("resourceVersion");
  }
}

void map_namespaces(json& object, const std::string& group_resource,
                    const std::map<std::string, std::string>& mappings) {
  if (mappings.empty() || !object.contains("metadata") || !object["metadata"].is_object()) return;
  const auto remap = [&](json& holder, const char* field) {
    if (!holder.contains(field) || !holder[field].is_string()) return;
    const auto it = mappings.find(holder[field].get<std::string>());
    if (it != mappings.end()) holder[field] = it->second;
  };
  remap(object["metadata"], "namespace");
  if (group_resource == "namespaces") remap(object["metadata"], "name");
  if (group_resource == "persistentvolumes" && object.contains("spec") && object["spec"].is_object() &&
      object["spec"].contains("claimRef") && object["spec"]["claimRef"].is_object()) {
    remap(object["spec"]["claimRef"], "namespace");
  }
}

json merge_patch_between(const json& from, const json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  json patch = json::object();
  for (const auto& [key, value] : from.items()) {
    if (!to.contains(key)) patch[key] = nullptr;
  }
  for (const auto& [key, value] : to.items()) {
    if (!from.contains(key)) {
      patch[key] = value;
    } else if (from[key] != value) {
      patch[key] = from[key].is_object() && value.is_object() ? merge_patch_between(from[key], value) : value;
    }
  }
  return patch;
}

}  // namespace cairn
