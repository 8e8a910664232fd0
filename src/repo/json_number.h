// Strict integers from the JSON objects cairn reads from storage (config,
// key files, snapshots, locks); internal to src/repo.
//
// nlohmann's get<int>() converts any number: it rounds 1.5, wraps 2^32 + 1
// and converts 1e300 with undefined behaviour (found by fuzz/config_fuzz).
// json_integer<T>() accepts only an integer within T's range and otherwise
// throws json::type_error, which every decoder already turns into Corruption
// like any other field of the wrong type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

namespace cairn {

template <typename T>
T json_integer(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (std::in_range<T>(u)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    int64_t s = v.get<int64_t>();
    if (std::in_range<T>(s)) return static_cast<T>(s);
  }
  throw nlohmann::json::type_error::create(302, "expected an integer within range", &v);
}

}  // namespace cairn
