// Helpers shared by the fuzz targets.
#pragma once

#include <string_view>
#include <vector>

#include "crypto/crypto.h"
#include "repo/pack.h"

namespace cairn::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// A Sealer under a fixed key: fuzzing needs determinism, not secrecy.
inline const Sealer& fixed_sealer() {
  static const Sealer sealer(Key{0x63, 0x61, 0x69, 0x72, 0x6e});
  return sealer;
}

inline bool same_entry(const PackEntry& a, const PackEntry& b) {
  return a.id == b.id && a.type == b.type && a.compressed == b.compressed && a.offset == b.offset &&
         a.length == b.length && a.raw_length == b.raw_length;
}

inline bool same_entries(const std::vector<PackEntry>& a, const std::vector<PackEntry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_entry(a[i], b[i])) return false;
  return true;
}

}  // namespace cairn::fuzz
