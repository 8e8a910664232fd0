#include <fnmatch.h>

#include <algorithm>

#include "source/fs/fs_entry.h"

namespace cairn {
namespace {

bool glob_matches(const std::string& pattern, const std::string& text, int flags) {
  return fnmatch(pattern.c_str(), text.c_str(), flags) == 0;
}

// The last `count` components of path, joined by '/'; the whole path when it
// has fewer. Leading slashes are not part of any component.
std::string tail_components(const std::string& path, size_t count) {
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') --end;
  size_t start = end;
  for (size_t seen = 0; seen < count && start > 0; ++seen) {
    size_t slash = path.rfind('/', start - 1);
    start = slash == std::string::npos ? 0 : slash;
    if (seen + 1 < count) {
      while (start > 0 && path[start - 1] == '/') --start;  // "a//b" is "a/b"
    }
  }
  if (start < end && path[start] == '/') ++start;
  return path.substr(start, end - start);
}

}  // namespace

void ExcludeRules::add_glob(const std::string& pattern) {
  std::string p = pattern;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.empty()) return;
  if (p.find('/') == std::string::npos) {
    name_globs_.push_back(std::move(p));
  } else {
    path_globs_.push_back(std::move(p));
  }
}

bool ExcludeRules::excluded(const std::string& path, const std::string& name) const {
  for (const std::string& glob : name_globs_) {
    if (glob_matches(glob, name, 0)) return true;
  }
  for (const std::string& glob : path_globs_) {
    if (glob[0] == '/') {
      if (glob_matches(glob, path, FNM_PATHNAME)) return true;
      continue;
    }
    size_t components = static_cast<size_t>(std::count(glob.begin(), glob.end(), '/')) + 1;
    if (glob_matches(glob, tail_components(path, components), FNM_PATHNAME)) return true;
  }
  return false;
}

}  // namespace cairn
