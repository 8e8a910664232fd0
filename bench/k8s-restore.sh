#!/usr/bin/env bash
# Kubernetes backup and restore time beside plain listing, on the test API server.
#
#   bench/k8s-restore.sh N [REPEATS]
#
# Starts the fake API server (build/k8s_fake_apiserver) with N configmaps in
# one namespace, then REPEATS times (default 3) measures:
#   list     kubectl get -A configmaps -o json against it (skipped without kubectl)
#   backup   cairn backup create --include-namespaces '*' into a fresh repository
#   restore  cairn restore create into a second, empty server
# and prints a Markdown table of the medians. Needs `scripts/build.sh release`
# (targets cairn and k8s_fake_apiserver). BENCH_WORK sets the scratch folder.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:?usage: bench/k8s-restore.sh N [REPEATS]}
repeats=${2:-3}
cairn=$root/build/cairn
server=$root/build/tests/k8s_fake_apiserver
[[ -x $server ]] || server=$(find "$root/build" -name k8s_fake_apiserver -type f -perm -u+x | head -1)
[[ -x $cairn && -x ${server:-} ]] || { echo "build cairn and k8s_fake_apiserver first (scripts/build.sh release)" >&2; exit 2; }

work=${BENCH_WORK:-$(mktemp -d /tmp/cairn-k8s-bench.XXXXXX)}
mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_server NAME COUNT: a server with COUNT configmaps; its kubeconfig is $work/NAME.kubeconfig.
start_server() {
  local fifo=$work/$1.out
  rm -f "$fifo" "$work/$1.kubeconfig"
  "$server" "$work/$1.kubeconfig" "$2" >"$fifo" &
  pids+=($!)
  for _ in $(seq 1 600); do grep -q '^ready' "$fifo" 2>/dev/null && return 0; sleep 0.1; done
  echo "the test API server did not start" >&2
  exit 1
}

seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

export CAIRN_PASSWORD=bench CAIRN_PASSWORD_FILE= CAIRN_REPO= HOME=$work
start_server source "$n"
list=() backup=() restore=()
for i in $(seq 1 "$repeats"); do
  repo=$work/repo-$i
  rm -rf "$repo"
  "$cairn" --repo "$repo" repo init --kdf-memory 8 --kdf-iterations 1 >/dev/null
  if command -v kubectl >/dev/null; then
    list+=("$(seconds kubectl --kubeconfig "$work/source.kubeconfig" --cache-dir "$work/kcache" get configmaps -A -o json)")
  fi
  backup+=("$(seconds "$cairn" --repo "$repo" --no-progress backup create b --include-namespaces '*' \
    --kubeconfig "$work/source.kubeconfig")")
  start_server "target-$i" 0
  restore+=("$(seconds "$cairn" --repo "$repo" --no-progress restore create r --from-backup b \
    --kubeconfig "$work/target-$i.kubeconfig")")
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
done

echo "Objects: $n configmaps (+ their namespace); runs: $repeats (median shown); server: tests/k8s_support fake API server"
echo
echo "| step | seconds | objects/s |"
echo "|---|---:|---:|"
row() { [[ $# -gt 1 ]] || { echo "| $1 | n/a | |"; return; }; local m; m=$(printf '%s\n' "${@:2}" | median); printf '| %s | %.3f | %.0f |\n' "$1" "$m" "$(echo "$n / $m" | bc -l)"; }
row "kubectl get configmaps -A -o json" "${list[@]}"
row "cairn backup create" "${backup[@]}"
row "cairn restore create (empty server)" "${restore[@]}"
