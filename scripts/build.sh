#!/usr/bin/env bash
# Configures and builds cairn with CMake and Ninja.
#
#   scripts/build.sh [release|asan|tsan] [cmake --build arguments...]
#
#   release  build/       RelWithDebInfo (the default)
#   asan     build-asan/  RelWithDebInfo with AddressSanitizer + UBSan (CAIRN_SANITIZE=ON)
#   tsan     build-tsan/  RelWithDebInfo with ThreadSanitizer (CAIRN_TSAN=ON)
#
# Extra arguments go to `cmake --build`, e.g. `scripts/build.sh release --target cairn`.
# Re-running is incremental. JOBS overrides the parallelism (default: nproc).
# CAIRN_DEBUG_INFO=lines|full sets the debug info (sanitizers default to lines).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

variant=release
if [[ "${1-}" == -h || "${1-}" == --help ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -gt 0 && "$1" != -* ]]; then
  variant=$1
  shift
fi

case "$variant" in
  release) dir=build; flags=(-DCAIRN_SANITIZE=OFF -DCAIRN_TSAN=OFF) ;;
  asan) dir=build-asan; flags=(-DCAIRN_SANITIZE=ON -DCAIRN_TSAN=OFF) ;;
  tsan) dir=build-tsan; flags=(-DCAIRN_SANITIZE=OFF -DCAIRN_TSAN=ON) ;;
  *) echo "build.sh: unknown variant '$variant' (expected release, asan or tsan)" >&2; exit 2 ;;
esac
[[ -n ${CAIRN_DEBUG_INFO-} ]] && flags+=(-DCAIRN_DEBUG_INFO="$CAIRN_DEBUG_INFO")

# A directory configured earlier with another generator cannot switch to Ninja
# in place: drop its cache (not the objects) and configure again.
if [[ -f "$dir/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
  echo "build.sh: $dir/ was configured with another generator; reconfiguring it for Ninja"
  rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
fi

jobs=${JOBS:-$(nproc)}

echo "==> configure $variant ($dir/)"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_TESTS=ON "${flags[@]}"

echo "==> build $variant ($dir/, -j$jobs)"
cmake --build "$dir" --parallel "$jobs" "$@"
