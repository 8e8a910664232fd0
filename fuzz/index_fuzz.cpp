// Index objects (their plaintext, after unsealing and decompression):
// decode, and check that what decodes re-encodes to an equal index.
#include "fuzz_target.h"
#include "fuzz_util.h"
#include "repo/index.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(index) {
  Result<std::vector<IndexPack>> packs = decode_index(ByteView(data, size));
  if (!packs.is_ok()) return;
  Bytes encoded = encode_index(*packs);
  Result<std::vector<IndexPack>> again = decode_index(encoded);
  if (!again.is_ok()) fuzz_fail("a decoded index does not decode after re-encoding");
  if (again->size() != packs->size()) fuzz_fail("re-encoding changed the pack count");
  for (size_t i = 0; i < packs->size(); ++i) {
    if (!((*again)[i].id == (*packs)[i].id) || !same_entries((*again)[i].blobs, (*packs)[i].blobs))
      fuzz_fail("re-encoding changed a pack");
  }
  MasterIndex master;
  for (const IndexPack& p : *packs) master.add_pack(p);
  for (const IndexPack& p : *packs)
    for (const PackEntry& e : p.blobs)
      if (!master.contains(e.id)) fuzz_fail("the master index lost a blob");
}
