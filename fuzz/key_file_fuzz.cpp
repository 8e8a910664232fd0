// Key files: plain JSON read before anything is authenticated. Every input
// goes through read_key_file_info; those with cheap KDF parameters also
// through open_key_file (Argon2id, base64, unwrapping) with the password
// the seed corpus was made with, so the fuzzer can reach every branch.
#include "fuzz_target.h"
#include "fuzz_util.h"
#include "repo/config.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(key_file) {
  std::string_view text = as_text(data, size);
  Result<KeyFileInfo> info = read_key_file_info(text);
  if (!info.is_ok()) return;
  // Argon2 with the input's own costs could take seconds or gigabytes.
  if (info->kdf.memory_kib > 64 || info->kdf.iterations > 2 || info->kdf.parallelism > 1) return;
  Result<MasterKey> key = open_key_file(text, "fuzz-password");
  if (!key.is_ok() && key.status().code() != ErrorCode::kCorruption &&
      key.status().code() != ErrorCode::kWrongPassword && key.status().code() != ErrorCode::kUnsupported)
    fuzz_fail("open_key_file failed with an unexpected error category");
}
