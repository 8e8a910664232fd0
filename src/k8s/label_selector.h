// Label selectors as the API server parses them: "a=b,c!=d,e,!f,g in (x,y),h notin (z)".
// A backup passes --selector to the server; a restore filters the backed-up
// objects itself, with these same semantics; the test API server of
// tests/k8s_support filters its lists with them too.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn {

struct LabelRequirement {
  enum class Op { kEquals, kNotEquals, kExists, kNotExists, kIn, kNotIn };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;
};

// The requirements, or nullopt with *error set when the selector is malformed.
std::optional<std::vector<LabelRequirement>> parse_label_selector(const std::string& selector,
                                                                  std::string* error);

bool labels_match(const std::vector<LabelRequirement>& requirements,
                  const std::map<std::string, std::string>& labels);

}  // namespace cairn
