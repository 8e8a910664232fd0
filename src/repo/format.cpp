#include "repo/format.h"

namespace cairn {

std::string object_associated_data(const char* kind, const std::string& name) {
  return std::string("cairn/v1/") + kind + "/" + name;
}

Bytes blob_associated_data(const BlobId& id, BlobType type) {
  Bytes ad(id.bytes.begin(), id.bytes.end());
  ad.push_back(static_cast<uint8_t>(type));
  return ad;
}

}  // namespace cairn
