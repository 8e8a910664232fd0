#!/usr/bin/env bash
# Runs the SIGKILL trials of tests/reliability/kill_test.cpp as many times as asked.
#
#   scripts/kill-trials.sh N [SEED]
#
# Builds the release binary and test_reliability (build/), then runs N
# trials: each starts `cairn backup create` (even trials) or `cairn restore
# create` (odd trials) on a ~200 MB tree, SIGKILLs it at a random moment and
# checks the repository, earlier backups and the next backup. SEED makes a
# run repeatable (default: random; the seed is printed either way).
# BUILD_DIR overrides the build folder (default build/, built with
# scripts/build.sh release).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [[ $# -lt 1 || $# -gt 2 || ! $1 =~ ^[0-9]+$ ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
trials=$1
seed=${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

dir=${BUILD_DIR:-build}
if [[ -z ${BUILD_DIR:-} ]]; then
  scripts/build.sh release --target cairn test_reliability
fi

echo "==> $trials kill trials, seed $seed"
CAIRN_BINARY="$root/$dir/cairn" CAIRN_KILL_TRIALS=$trials CAIRN_KILL_SEED=$seed \
  "$dir/tests/test_reliability" --gtest_filter='KillTest.*'
