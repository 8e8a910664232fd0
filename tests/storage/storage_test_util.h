// Small helpers shared by the storage tests: reproducible object contents
// and valid object names.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/bytes.h"

namespace cairn {

// n bytes of a fixed pseudo-random sequence (splitmix64): cheap enough for
// tens of MiB, and different seeds give different contents.
inline Bytes pattern_bytes(size_t n, uint64_t seed = 1) {
  Bytes out(n);
  uint64_t state = seed * 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<uint8_t>(z >> (8 * j));
  }
  return out;
}

// A 64-hex-digit object name (like a real id) that differs for each i and
// whose first two digits vary, so packs spread over several folders.
inline std::string test_name(uint64_t i) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%02x%014llx%048x", static_cast<unsigned>((i * 37) & 0xff),
                static_cast<unsigned long long>(i), 0u);
  return std::string(buf, 64);
}

}  // namespace cairn
