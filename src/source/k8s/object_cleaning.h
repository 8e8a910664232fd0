// How a backed-up object is made fit to create again (internal to source/k8s).
//
// Velero's rules: server-set metadata and status go (the server sets them
// anew, and a stale uid or resourceVersion makes it refuse the object); a
// Service loses its cluster IPs and node ports (the new cluster allocates
// its own); a PV keeps its claimRef's namespace and name but not the uid of
// a claim that no longer exists.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace cairn {

void clean_for_restore(nlohmann::json& object, const std::string& group_resource);

// --namespace-mappings: metadata.namespace, a Namespace's own name and a
// PV's claimRef.namespace move from an old namespace to its new one.
void map_namespaces(nlohmann::json& object, const std::string& group_resource,
                    const std::map<std::string, std::string>& mappings);

// The RFC 7386 merge patch that turns `from` into `to`: changed and new
// members as in `to`, members only `from` has set to null.
nlohmann::json merge_patch_between(const nlohmann::json& from, const nlohmann::json& to);

}  // namespace cairn
