// The repository config (its JSON, after unsealing): decode and re-encode.
#include "fuzz_target.h"
#include "fuzz_util.h"
#include "repo/config.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(config) {
  Result<RepoConfig> c = decode_config(as_text(data, size));
  if (!c.is_ok()) return;
  std::string encoded = encode_config(*c);
  Result<RepoConfig> again = decode_config(encoded);
  if (!again.is_ok()) fuzz_fail("a decoded config does not decode after re-encoding");
  if (encode_config(*again) != encoded) fuzz_fail("re-encoding changed a config");
}
