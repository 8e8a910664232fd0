// Fuzz targets: each fuzz/<name>_fuzz.cpp defines one with
//
//   CAIRN_FUZZ_TARGET(name) { ... uses data and size ... }
//
// In the fuzz build (CAIRN_FUZZ, clang) the body becomes the program's
// LLVMFuzzerTestOneInput. In the regression test (tests/fuzz_regressions)
// every target is compiled into one ordinary program with CAIRN_FUZZ_REPLAY
// and registered by name, so the saved corpus and crash inputs replay in
// every ctest pass, with or without clang.
//
// A target returns normally for any input the code under test handles;
// it calls fuzz_fail() when a property it checks does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace cairn::fuzz {

using FuzzFunction = void (*)(const uint8_t* data, size_t size);

inline std::map<std::string, FuzzFunction>& fuzz_targets() {
  static std::map<std::string, FuzzFunction> targets;
  return targets;
}

inline bool register_fuzz_target(const char* name, FuzzFunction fn) {
  fuzz_targets()[name] = fn;
  return true;
}

// Aborts, so libFuzzer saves the input and the replay test fails.
[[noreturn]] inline void fuzz_fail(const char* what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

}  // namespace cairn::fuzz

#ifdef CAIRN_FUZZ_REPLAY
#define CAIRN_FUZZ_TARGET(name)                                    \
  static void name##_fuzz_one(const uint8_t* data, size_t size);   \
  [[maybe_unused]] static const bool name##_fuzz_registered =      \
      ::cairn::fuzz::register_fuzz_target(#name, name##_fuzz_one); \
  static void name##_fuzz_one(const uint8_t* data, size_t size)
#else
#define CAIRN_FUZZ_TARGET(name)                                             \
  static void name##_fuzz_one(const uint8_t* data, size_t size);            \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    name##_fuzz_one(data, size);                                            \
    return 0;                                                               \
  }                                                                         \
  static void name##_fuzz_one(const uint8_t* data, size_t size)
#endif
