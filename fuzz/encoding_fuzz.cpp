// Hex and base64 decoders (object names, key file fields): decoding must
// never over-read, and what decodes must encode back to the same bytes.
#include <cctype>

#include "fuzz_target.h"
#include "fuzz_util.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(encoding) {
  std::string_view text = as_text(data, size);
  Bytes out;
  if (from_hex(text, out)) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (to_hex(out) != lower) fuzz_fail("hex does not round-trip");
  }
  if (base64_decode(text, out)) {
    Bytes again;
    if (!base64_decode(base64_encode(out), again) || again != out) fuzz_fail("base64 does not round-trip");
  }
  Bytes raw(data, data + size);
  if (!base64_decode(base64_encode(raw), out) || out != raw)
    fuzz_fail("base64 of raw bytes does not round-trip");
  if (!from_hex(to_hex(raw), out) || out != raw) fuzz_fail("hex of raw bytes does not round-trip");
  BlobId id;
  BlobId::from_hex(text, id);
}
