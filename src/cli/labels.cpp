#include "cli/labels.h"

namespace cairn {

Result<Labels> parse_labels(const std::vector<std::string>& items) {
  Labels out;
  for (const std::string& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid_argument("label \"" + item + "\" is not of the form key=value");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

Result<Labels> parse_selector(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (!text.empty()) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parse_labels(parts);
}

bool labels_match(const Labels& labels, const Labels& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace cairn
