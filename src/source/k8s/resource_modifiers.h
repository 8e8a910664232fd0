// Resource modifiers (internal to source/k8s): Velero's rules for changing
// objects on their way back into a cluster (docs/format.md, "Kubernetes
// restores"). The file is Velero's YAML:
//
//   version: v1
//   resourceModifierRules:
//   - conditions:
//       groupResource: secrets          # a glob; "*" does not cross a "."
//       resourceNameRegex: "^astronomer-bootstrap$"
//       namespaces: [astronomer]        # optional; after --namespace-mappings
//       labelSelector: {matchLabels: {component: houston}}
//     patches:                          # RFC 6902 JSON patch
//     - operation: replace              # add remove replace test copy move
//       path: /data/connection
//       value: "..."
//
// Values follow Velero: a scalar that reads as JSON (a number, true, false,
// null, an object or array) is that JSON, anything else a string. A rule
// whose `test` fails is skipped, as in Velero; any other patch that cannot
// be applied is an error of that item.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "common/status.h"

namespace cairn {

struct ResourceModifierRule {
  std::string group_resource;  // a glob
  std::string name_regex;      // "" matches every name
  std::regex name_pattern;
  std::vector<std::string> namespaces;  // empty: any
  std::map<std::string, std::string> match_labels;
  nlohmann::json patch;  // an RFC 6902 array
};

class ResourceModifiers {
 public:
  // InvalidArgument, in one sentence naming the problem, for a malformed file.
  static Result<ResourceModifiers> parse(const std::string& yaml_text);

  bool empty() const { return rules_.empty(); }
  // Applies every matching rule in file order; *applied counts the rules used.
  Status apply(const std::string& group_resource, nlohmann::json& object, int* applied = nullptr) const;

 private:
  std::vector<ResourceModifierRule> rules_;
};

// Velero's glob for group-resources: '*' matches within one dot-separated part.
bool group_resource_glob_matches(const std::string& pattern, const std::string& group_resource);

}  // namespace cairn
