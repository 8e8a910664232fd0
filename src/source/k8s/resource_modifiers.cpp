#include "source/k8s/resource_modifiers.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace cairn {

using json = nlohmann::json;

namespace {

Status bad(const std::string& why) { return invalid_argument("the resource modifiers file " + why); }

// A YAML scalar as Velero reads a patch value: JSON when it parses as JSON.
json scalar_value(const std::string& text) {
  if (text.empty()) return text;
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_discarded()) return parsed;
  return text;
}

json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: return scalar_value(node.Scalar());
    default: return nullptr;
  }
}

Result<ResourceModifierRule> parse_rule(const YAML::Node& node, size_t index) {
  const std::string where = "rule " + std::to_string(index + 1);
  if (!node.IsMap()) return bad("has a " + where + " that is not a mapping");
  ResourceModifierRule rule;
  const YAML::Node cond = node["conditions"];
  if (!cond || !cond.IsMap() || !cond["groupResource"] || cond["groupResource"].as<std::string>().empty())
    return bad("has a " + where + " without conditions.groupResource");
  rule.group_resource = cond["groupResource"].as<std::string>();
  if (cond["resourceNameRegex"]) {
    rule.name_regex = cond["resourceNameRegex"].as<std::string>();
    try {
      rule.name_pattern = std::regex(rule.name_regex, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return bad("has an invalid resourceNameRegex \"" + rule.name_regex + "\" in " + where);
    }
  }
  if (cond["namespaces"]) {
    if (!cond["namespaces"].IsSequence())
      return bad("has conditions.namespaces that is not a list in " + where);
    for (const auto& ns : cond["namespaces"]) rule.namespaces.push_back(ns.as<std::string>());
  }
  if (cond["labelSelector"] && cond["labelSelector"]["matchLabels"]) {
    for (const auto& kv : cond["labelSelector"]["matchLabels"])
      rule.match_labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  const YAML::Node patches = node["patches"];
  if (!patches || !patches.IsSequence() || patches.size() == 0)
    return bad("has a " + where + " without patches");
  rule.patch = json::array();
  for (const auto& p : patches) {
    const std::string op = p["operation"] ? p["operation"].as<std::string>() : "";
    if (op != "add" && op != "remove" && op != "replace" && op != "test" && op != "copy" && op != "move")
      return bad("has a patch in " + where + " whose operation \"" + op +
                 "\" is not add, remove, replace, test, copy or move");
    const std::string path = p["path"] ? p["path"].as<std::string>() : "";
    if (path.empty() || path[0] != '/') return bad("has a patch in " + where + " without a /path");
    json entry = {{"op", op}, {"path", path}};
    if (op == "copy" || op == "move") {
      if (!p["from"]) return bad("has a " + op + " patch in " + where + " without from");
      entry["from"] = p["from"].as<std::string>();
    }
    if (op == "add" || op == "replace" || op == "test")
      entry["value"] = p["value"] ? yaml_to_json(p["value"]) : json("");
    rule.patch.push_back(entry);
  }
  return rule;
}

bool glob(const char* p, const char* s) {
  for (; *p != '\0'; ++p, ++s) {
    if (*p == '*') {
      for (const char* t = s;; ++t) {
        if (glob(p + 1, t)) return true;
        if (*t == '\0' || *t == '.') return false;
      }
    }
    if (*s == '\0' || (*p != '?' && *p != *s) || (*p == '?' && *s == '.')) return false;
  }
  return *s == '\0';
}

}  // namespace

bool group_resource_glob_matches(const std::string& pattern, const std::string& group_resource) {
  return glob(pattern.c_str(), group_resource.c_str());
}

Result<ResourceModifiers> ResourceModifiers::parse(const std::string& yaml_text) {
  ResourceModifiers out;
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    if (!root.IsMap()) return bad("is not a YAML mapping with version and resourceModifierRules");
    if (!root["version"] || root["version"].as<std::string>() != "v1") return bad("must say \"version: v1\"");
    const YAML::Node rules = root["resourceModifierRules"];
    if (!rules || !rules.IsSequence()) return bad("has no resourceModifierRules list");
    for (size_t i = 0; i < rules.size(); ++i) {
      CAIRN_ASSIGN_OR_RETURN(ResourceModifierRule rule, parse_rule(rules[i], i));
      out.rules_.push_back(std::move(rule));
    }
  } catch (const YAML::Exception& e) {
    return bad("is not valid YAML (line " + std::to_string(e.mark.line + 1) + ": " + e.msg + ")");
  }
  return out;
}

Status ResourceModifiers::apply(const std::string& group_resource, json& object, int* applied) const {
  const json& meta = object.contains("metadata") ? object["metadata"] : json::object();
  const std::string name = meta.value("name", "");
  const std::string ns = meta.value("namespace", "");
  for (const ResourceModifierRule& rule : rules_) {
    if (!group_resource_glob_matches(rule.group_resource, group_resource)) continue;
    if (!rule.name_regex.empty() && !std::regex_search(name, rule.name_pattern)) continue;
    if (!rule.namespaces.empty() &&
        std::find(rule.namespaces.begin(), rule.namespaces.end(), ns) == rule.namespaces.end())
      continue;
    bool labels_ok = true;
    for (const auto& [k, v] : rule.match_labels) {
      const json labels = meta.value("labels", json::object());
      if (!labels.contains(k) || labels[k] != v) labels_ok = false;
    }
    if (!labels_ok) continue;
    // A failed `test` skips the rule; tell it from other failures by trying the tests alone.
    json tests = json::array();
    for (const json& op : rule.patch)
      if (op["op"] == "test") tests.push_back(op);
    try {
      if (!tests.empty()) (void)object.patch(tests);
    } catch (const json::exception&) {
      continue;
    }
    try {
      object = object.patch(rule.patch);
    } catch (const json::exception& e) {
      return invalid_argument("resource modifier rule for " + rule.group_resource +
                              " cannot be applied: " + e.what());
    }
    if (applied != nullptr) ++*applied;
  }
  return Status::ok();
}

}  // namespace cairn
