#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, into build-fuzz/) and runs each.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
#   SECONDS_PER_TARGET  how long each target runs (default 60)
#   TARGET              a name of fuzz/<name>_fuzz.cpp (default: every target)
#
# Each target starts from fuzz/corpus/<target>/ and fuzz/regressions/<target>/,
# copied to a scratch folder so the repository stays clean; FUZZ_KEEP_CORPUS=1
# merges the inputs that found new coverage back into fuzz/corpus/<target>/.
# A crash, sanitizer report, leak, timeout or violated property stops that
# target and keeps its input in build-fuzz/findings/<target>/: fix the bug,
# then add the input to fuzz/regressions/<target>/ (replayed by ctest).
# FUZZ_JOBS runs that many targets at once (default: nproc); JOBS sets the
# build parallelism. Exits non-zero when any target found something.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [[ "${1-}" == -h || "${1-}" == --help ]]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
seconds=60
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in fuzz/*_fuzz.cpp; do
    f=${f#fuzz/}
    targets+=("${f%_fuzz.cpp}")
  done
fi
for t in "${targets[@]}"; do
  if [[ ! -f fuzz/${t}_fuzz.cpp ]]; then
    echo "fuzz.sh: no target '$t' (expected a name of fuzz/<name>_fuzz.cpp)" >&2
    exit 2
  fi
done

dir=${FUZZ_BUILD_DIR:-build-fuzz}
cxx=${FUZZ_CXX:-clang++}
jobs=${JOBS:-$(nproc)}
parallel=${FUZZ_JOBS:-$(nproc)}

# A cache made with another compiler would be reset by CMake without our
# options: drop it (not the objects) and configure again.
cxx_path=$(command -v "$cxx" || echo "$cxx")
if [[ -f "$dir/CMakeCache.txt" ]] &&
  ! grep -qE "^CMAKE_CXX_COMPILER:[A-Z]*=($cxx|$cxx_path)\$" "$dir/CMakeCache.txt"; then
  rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
fi
echo "==> configure fuzz ($dir/, $cxx)"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCAIRN_TESTS=OFF -DCAIRN_FUZZ=ON >/dev/null
echo "==> build ${#targets[@]} fuzz targets (-j$jobs)"
cmake --build "$dir" --parallel "$jobs" --target "${targets[@]/#/fuzz_}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Binary formats get room for a few hundred records; JSON and text less.
max_len() {
  case "$1" in
    index | tree | pack_header | metadata) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

# run_target NAME: fuzzes one target; writes $scratch/NAME.result.
run_target() {
  local t=$1 corpus=$scratch/$t findings=$dir/findings/$t
  mkdir -p "$corpus" "$findings"
  cp fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  cp fuzz/regressions/"$t"/* "$corpus"/ 2>/dev/null || true
  local before rc=0
  before=$(find "$corpus" -type f | wc -l)
  (
    rc=0
    "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" \
      >"$scratch/$t.log" 2>&1 || rc=$?
    times >"$scratch/$t.cpu"
    exit $rc
  ) || rc=$?
  # `times`, second line: CPU time of the fuzzer process (user, system).
  local cpu runs cov after result
  cpu=$(sed -n 2p "$scratch/$t.cpu" | awk '{
    split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$scratch/$t.log" | awk '{print $2}' | tail -n 1 || true)
  cov=$(grep -o 'cov: [0-9]*' "$scratch/$t.log" | tail -n 1 | awk '{print $2}' || true)
  after=$(find "$corpus" -type f | wc -l)
  if [[ $rc -eq 0 ]]; then
    result=ok
    if [[ "${FUZZ_KEEP_CORPUS:-0}" == 1 ]]; then
      mkdir -p fuzz/corpus/"$t"
      "$dir/fuzz/fuzz_$t" -merge=1 -max_len="$(max_len "$t")" fuzz/corpus/"$t" "$corpus" >/dev/null 2>&1 || true
    fi
  else
    result="FOUND (exit $rc): $(ls "$findings" | tr '\n' ' ')"
    echo "---- $t: what the fuzzer reported"
    grep -E 'ERROR|runtime error|violated|SUMMARY|#[0-9]+ 0x' "$scratch/$t.log" | head -n 20 || true
  fi
  printf '%-12s %6ss %8s %10s %6s %6s  %s\n' "$t" "$seconds" "${cpu:-?}" "${runs:-?}" "${cov:-?}" \
    "$((after - before))" "$result" >"$scratch/$t.result"
  [[ $rc -eq 0 ]]
}

echo "==> fuzz ${#targets[@]} targets for ${seconds}s each, $parallel at a time"
for t in "${targets[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $parallel ]]; do wait -n || true; done
  run_target "$t" &
done
wait || true

echo
printf '%-12s %7s %8s %10s %6s %6s  %s\n' target time cpu-s runs cov new result
found=0
for t in "${targets[@]}"; do
  cat "$scratch/$t.result"
  grep -q ' ok$' "$scratch/$t.result" || found=1
done
exit "$found"
