// Tree blobs: decode; every name must be one safe path component (restore
// joins it to the target folder), and what decodes must survive re-encoding.
#include "fuzz_target.h"
#include "repo/tree.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(tree) {
  Result<Tree> tree = decode_tree(ByteView(data, size));
  if (!tree.is_ok()) return;
  for (const Node& n : tree->nodes) {
    if (n.name.empty() || n.name == "." || n.name == ".." || n.name.find('/') != std::string::npos ||
        n.name.find('\0') != std::string::npos)
      fuzz_fail("a tree node's name is not a single path component");
  }
  Result<Tree> again = decode_tree(encode_tree(*tree));
  if (!again.is_ok()) fuzz_fail("a decoded tree does not decode after re-encoding");
  if (again->nodes != tree->nodes) fuzz_fail("re-encoding changed a tree");
}
