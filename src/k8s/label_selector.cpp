#include "k8s/label_selector.h"

#include <algorithm>

namespace cairn {
namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// A label key: optional "prefix/" then 1-63 of [A-Za-z0-9._-], alphanumeric at both ends.
bool valid_key(const std::string& key) {
  if (key.empty() || key.size() > 316) return false;
  const size_t slash = key.rfind('/');
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (name.empty() || name.size() > 63) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '/') {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(name.front())) &&
         std::isalnum(static_cast<unsigned char>(name.back()));
}

// Splits on commas outside parentheses ("a in (x,y),b" is two terms).
std::vector<std::string> split_terms(const std::string& s) {
  std::vector<std::string> terms;
  std::string current;
  int depth = 0;
  for (char c : s) {
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (c == ',' && depth == 0) {
      terms.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  terms.push_back(current);
  return terms;
}

std::optional<LabelRequirement> parse_set_term(const std::string& term, size_t at, size_t op_len,
                                               LabelRequirement::Op op) {
  LabelRequirement r;
  r.key = trim(term.substr(0, at));
  r.op = op;
  std::string rest = trim(term.substr(at + op_len));
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return std::nullopt;
  rest = rest.substr(1, rest.size() - 2);
  size_t start = 0;
  while (true) {
    const size_t comma = rest.find(',', start);
    r.values.push_back(trim(rest.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return r;
}

std::optional<LabelRequirement> parse_term(const std::string& raw) {
  const std::string term = trim(raw);
  if (term.empty()) return std::nullopt;
  if (const size_t at = term.find(" notin "); at != std::string::npos) {
    return parse_set_term(term, at, 7, LabelRequirement::Op::kNotIn);
  }
  if (const size_t at = term.find(" in "); at != std::string::npos) {
    return parse_set_term(term, at, 4, LabelRequirement::Op::kIn);
  }
  LabelRequirement r;
  if (term.front() == '!') {
    r.key = trim(term.substr(1));
    r.op = LabelRequirement::Op::kNotExists;
    return r;
  }
  size_t at = term.find("!=");
  size_t len = 2;
  r.op = LabelRequirement::Op::kNotEquals;
  if (at == std::string::npos) {
    r.op = LabelRequirement::Op::kEquals;
    at = term.find("==");
    if (at == std::string::npos) {
      at = term.find('=');
      len = 1;
    }
  }
  if (at == std::string::npos) {
    r.key = term;
    r.op = LabelRequirement::Op::kExists;
    return r;
  }
  r.key = trim(term.substr(0, at));
  r.values.push_back(trim(term.substr(at + len)));
  return r;
}

}  // namespace

std::optional<std::vector<LabelRequirement>> parse_label_selector(const std::string& selector,
                                                                  std::string* error) {
  std::vector<LabelRequirement> out;
  if (trim(selector).empty()) return out;
  for (const std::string& term : split_terms(selector)) {
    std::optional<LabelRequirement> r = parse_term(term);
    if (!r || !valid_key(r->key)) {
      *error = "unable to parse requirement: found '" + trim(term) + "', expected: key, operator and values";
      return std::nullopt;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

bool labels_match(const std::vector<LabelRequirement>& requirements,
                  const std::map<std::string, std::string>& labels) {
  for (const LabelRequirement& r : requirements) {
    const auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const auto in_values = [&] {
      return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    };
    bool ok = false;
    switch (r.op) {
      case LabelRequirement::Op::kEquals: ok = has && it->second == r.values[0]; break;
      case LabelRequirement::Op::kNotEquals: ok = !has || it->second != r.values[0]; break;
      case LabelRequirement::Op::kExists: ok = has; break;
      case LabelRequirement::Op::kNotExists: ok = !has; break;
      case LabelRequirement::Op::kIn: ok = in_values(); break;
      case LabelRequirement::Op::kNotIn: ok = !in_values(); break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace cairn
