// --exclude globs (user input): lines of the input are patterns, the last
// line is the path tested against them.
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "fuzz_util.h"
#include "source/fs/fs_entry.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(exclude) {
  std::string text(as_text(data, size));
  if (text.find('\0') != std::string::npos) return;  // argv strings hold no NUL
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  std::string path = text.substr(start);
  ExcludeRules rules;
  for (const std::string& pattern : lines) rules.add_glob(pattern);
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  rules.excluded(path, name);
}
