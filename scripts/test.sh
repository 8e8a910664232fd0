#!/usr/bin/env bash
# Builds cairn and runs the whole test suite: this is what CI runs.
#
#   scripts/test.sh [--quick] [--tsan]
#
#   1. installs the build and test packages (scripts/install-deps.sh test)
#   2. starts the S3 server the tests use (scripts/ceph-rgw.sh up; stopped at exit)
#   3. release build (build/) and its tests
#   4. AddressSanitizer + UBSan build (build-asan/) and its tests
#      (--quick skips this pass; --tsan adds a ThreadSanitizer pass in build-tsan/)
#   5. each libFuzzer target for 10 s (scripts/fuzz.sh, clang, build-fuzz/;
#      CAIRN_FUZZ_SECONDS sets it; every corpus and regression input is also
#      replayed by the fuzz_regressions test in both passes above)
#   6. ThreadSanitizer build of the concurrency tests only (build-tsan/; --tsan
#      runs the whole suite under TSan instead); --quick skips 5 and 6
#
# Exits non-zero if any build or test fails. Test failures do not stop the
# later passes, so one run shows every failure.
# CAIRN_TEST_TIMEOUT sets the per-test timeout in seconds (default 900).
# Every build here has line tables only (-g1, CAIRN_DEBUG_INFO=lines), which
# is all a failure report needs and compiles a third faster; set
# CAIRN_DEBUG_INFO=full to keep full debug info in build/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

quick=0
tsan=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --tsan) tsan=1 ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

start=$SECONDS
timeout=${CAIRN_TEST_TIMEOUT:-900}
fuzz_seconds=${CAIRN_FUZZ_SECONDS:-10}
export CAIRN_DEBUG_INFO=${CAIRN_DEBUG_INFO:-lines}
results=()
failed=0
passed_total=0
failed_total=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

elapsed() {
  local s=$((SECONDS - start))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# run_pass NAME DIR [ENV=VALUE...]: builds the variant and runs its ctest.
run_pass() {
  local variant=$1 dir=$2
  shift 2
  local t0=$SECONDS
  echo
  echo "==== $variant: build ($(elapsed) elapsed)"
  if ! scripts/build.sh "$variant"; then
    results+=("$variant: BUILD FAILED")
    failed=1
    failed_total=$((failed_total + 1))
    return 1
  fi
  echo
  echo "==== $variant: tests ($(elapsed) elapsed)"
  local rc=0
  env "$@" ctest --test-dir "$dir" --output-on-failure --no-tests=error \
    --timeout "$timeout" -j2 2>&1 | tee "$log" || rc=$?
  # ctest closes with "NN% tests passed, F tests failed out of T".
  local line total=0 nfail=0 nfail_count
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    nfail=${BASH_REMATCH[1]}
    total=${BASH_REMATCH[2]}
  fi
  # A failing ctest that reported no failed test (no tests found, a crash)
  # still counts as one failure in the closing line.
  [[ $rc -ne 0 && $nfail -eq 0 ]] && nfail_count=1 || nfail_count=$nfail
  passed_total=$((passed_total + total - nfail))
  failed_total=$((failed_total + nfail_count))
  if [[ $rc -eq 0 ]]; then
    results+=("$variant: $((total - nfail)) passed ($((SECONDS - t0))s)")
  else
    results+=("$variant: TESTS FAILED, $nfail of $total failed, ctest exit $rc ($((SECONDS - t0))s)")
    failed=1
  fi
}

# ThreadSanitizer on the concurrent code only, program:gtest filter: the
# backup pipeline and the restore, BlobWriter and MasterIndex, crypto objects
# shared by threads, concurrent backend puts, the restore file writer.
tsan_tests=(
  "test_crypto:CryptoConcurrency.*"
  "test_repo:BlobWriterTest.*:SmallPackTest.*:MasterIndex.Concurrent*:LockTest.*"
  "test_storage:*Concurrent*:LimitWrapperTest.*"
  "test_fs:*Concurrent*"
  "test_backup:*"
)
run_tsan_concurrency() {
  local t0=$SECONDS entry programs=() nfail=0 ntotal=0
  for entry in "${tsan_tests[@]}"; do programs+=("${entry%%:*}"); done
  echo
  echo "==== tsan (concurrency tests): build ($(elapsed) elapsed)"
  if ! scripts/build.sh tsan --target "${programs[@]}"; then
    results+=("tsan: BUILD FAILED")
    failed=1
    failed_total=$((failed_total + 1))
    return 1
  fi
  echo
  echo "==== tsan (concurrency tests): tests ($(elapsed) elapsed)"
  for entry in "${tsan_tests[@]}"; do
    ntotal=$((ntotal + 1))
    echo "---- ${entry%%:*} --gtest_filter=${entry#*:}"
    if ! TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 timeout "$timeout" \
      "build-tsan/tests/${entry%%:*}" --gtest_brief=1 --gtest_filter="${entry#*:}"; then
      nfail=$((nfail + 1))
    fi
  done
  passed_total=$((passed_total + ntotal - nfail))
  failed_total=$((failed_total + nfail))
  if [[ $nfail -eq 0 ]]; then
    results+=("tsan: $ntotal concurrency test programs passed ($((SECONDS - t0))s)")
  else
    results+=("tsan: $nfail of $ntotal concurrency test programs FAILED ($((SECONDS - t0))s)")
    failed=1
  fi
}

run_fuzz() {
  local t0=$SECONDS
  echo
  echo "==== fuzz: $fuzz_seconds s per target ($(elapsed) elapsed)"
  if scripts/fuzz.sh "$fuzz_seconds"; then
    results+=("fuzz: every target ran $fuzz_seconds s, nothing found ($((SECONDS - t0))s)")
    passed_total=$((passed_total + 1))
  else
    results+=("fuzz: FAILED: a target found a bug or did not build (see above; $((SECONDS - t0))s)")
    failed=1
    failed_total=$((failed_total + 1))
  fi
}

summary() {
  echo
  echo "==== summary"
  local r
  for r in "${results[@]}"; do echo "  $r"; done
  echo "  total time: $(elapsed)"
  echo "tests: $passed_total passed, $failed_total failed"
}

echo "==== dependencies"
scripts/install-deps.sh test

# The S3 tests need a real S3 server and fail (never skip) without one. A
# gateway that was already running is left running.
echo
echo "==== S3 server ($(elapsed) elapsed)"
if [[ ${CAIRN_TEST_S3-} == skip ]]; then
  results+=("s3 server: not started (CAIRN_TEST_S3=skip)")
else
  scripts/ceph-rgw.sh status || trap 'rm -f "$log"; scripts/ceph-rgw.sh down || true' EXIT
  rgw_t0=$SECONDS
  if scripts/ceph-rgw.sh up; then
    eval "$(scripts/ceph-rgw.sh env)"
    results+=("s3 server: up in $((SECONDS - rgw_t0))s")
  else
    results+=("s3 server: FAILED to start; the S3 tests will fail")
    failed=1
  fi
fi

# A build that does not compile in release will not compile with sanitizers
# either: stop there rather than spend the time.
if ! run_pass release build; then
  summary
  exit 1
fi

if [[ $quick -eq 0 ]]; then
  run_pass asan build-asan \
    ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 || true
else
  results+=("asan: skipped (--quick)")
fi

if [[ $quick -eq 0 ]]; then
  run_fuzz
else
  results+=("fuzz: skipped (--quick)")
fi

if [[ $tsan -eq 1 ]]; then
  run_pass tsan build-tsan TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 || true
elif [[ $quick -eq 0 ]]; then
  run_tsan_concurrency || true
fi

summary
exit "$failed"
