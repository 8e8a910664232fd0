#!/usr/bin/env bash
# Backs up a tree to the test Ceph RGW (scripts/ceph-rgw.sh) with cairn and
# restic in one run, restores it from there, and prints a Markdown table.
#
#   bench/s3-vs-restic.sh [--dataset DIR] [--repeats N]
#
#   --dataset DIR   the tree to back up (default: the Linux 6.1 source tree,
#                   unpacked from KERNEL_DEB or `apt-get download linux-source-6.1`)
#   --repeats N     runs per tool (default 1); the table shows the median
#
#   CAIRN_BIN=FILE  cairn binary (default: build/cairn)
#   BENCH_WORK=DIR  scratch directory (default: bench/work, gitignored)
#
# For every tool and run: a fresh repository under its own prefix of the
# test bucket, page cache dropped, first backup timed (/usr/bin/time: wall
# seconds and peak RSS), cache dropped, full restore into an empty folder
# timed, compared with the tree by `diff -r`. The gateway must be up
# (`scripts/ceph-rgw.sh up`); its env file gives the endpoint and keys.
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${BENCH_WORK:-$root/bench/work}
dataset=
repeats=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dataset) dataset=${2:?--dataset needs a directory}; shift ;;
    --repeats) repeats=${2:?--repeats needs a number}; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "s3-vs-restic.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

eval "$("$root/scripts/ceph-rgw.sh" env)"
cairn=${CAIRN_BIN:-$root/build/cairn}
[[ -x $cairn ]] || { echo "s3-vs-restic.sh: no cairn binary at $cairn (scripts/build.sh release)" >&2; exit 1; }
command -v restic >/dev/null || "$root/scripts/install-deps.sh" bench >&2
mkdir -p "$work"

if [[ -z $dataset ]]; then
  dataset=$work/linux-source-6.1
  if [[ ! -d $dataset ]]; then
    deb=${KERNEL_DEB:-}
    if [[ -z $deb ]]; then
      (cd "$work" && apt-get download linux-source-6.1 >&2)
      deb=$(ls "$work"/linux-source-6.1_*.deb | head -1)
    fi
    log "unpacking the kernel tree"
    rm -rf "$work/deb" && mkdir -p "$work/deb" && dpkg-deb -x "$deb" "$work/deb"
    tar -C "$work" -xf "$work"/deb/usr/src/linux-source-6.1.tar.xz
    mv "$work/linux-source-6.1" "$dataset.tmp" 2>/dev/null || true
    [[ -d $dataset.tmp ]] && mv "$dataset.tmp" "$dataset"
    rm -rf "$work/deb"
  fi
fi
dataset=$(cd "$dataset" && pwd)
bytes=$(du -sb --apparent-size "$dataset" | cut -f1)

can_drop=1
drop_caches() {
  sync
  if [[ $can_drop == 1 ]] && ! echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
    can_drop=0
    log "cannot drop the page cache here (not root?): timings are warm"
  fi
}

# timed NAME CMD...: runs CMD under /usr/bin/time, then sync; sets
# seconds and rss_mb.
timed() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1 || {
    log "$name failed:"
    tail -5 "$work/$name.log" >&2
    exit 1
  }
  sync
  read -r seconds rss_kb <"$work/$name.time"
  rss_mb=$((rss_kb / 1024))
}

export AWS_ACCESS_KEY_ID=$CAIRN_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CAIRN_TEST_S3_SECRET_KEY
export AWS_DEFAULT_REGION=$CAIRN_TEST_S3_REGION
export CAIRN_PASSWORD=bench RESTIC_PASSWORD=bench CAIRN_REPO= CAIRN_PASSWORD_FILE=
base="$CAIRN_TEST_S3_ENDPOINT/$CAIRN_TEST_S3_BUCKET/bench-$(date +%s)"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A backup_s restore_s rss matches
for tool in cairn restic; do
  b=() r=() m=() ok=yes
  for run in $(seq "$repeats"); do
    url="s3:$base/$tool-$run"
    out=$work/restore-$tool
    rm -rf "$out"
    if [[ $tool == cairn ]]; then
      "$cairn" --repo "$url" repo init >/dev/null
      drop_caches
      log "cairn backup, run $run"
      timed cairn-backup "$cairn" --no-progress --repo "$url" backup create b1 --path "$dataset"
      b+=("$seconds") m+=("$rss_mb")
      drop_caches
      log "cairn restore, run $run"
      timed cairn-restore "$cairn" --no-progress --repo "$url" restore create --from-backup b1 --target "$out"
      r+=("$seconds")
      restored=$out$dataset
    else
      RESTIC_REPOSITORY=$url restic init >/dev/null
      drop_caches
      log "restic backup, run $run"
      timed restic-backup env RESTIC_REPOSITORY="$url" restic backup --quiet "$dataset"
      b+=("$seconds") m+=("$rss_mb")
      drop_caches
      log "restic restore, run $run"
      timed restic-restore env RESTIC_REPOSITORY="$url" restic restore latest --target "$out"
      r+=("$seconds")
      restored=$out$dataset
    fi
    diff -r --no-dereference "$dataset" "$restored" >/dev/null || ok=no
    rm -rf "$out"
  done
  backup_s[$tool]=$(printf '%s\n' "${b[@]}" | median)
  restore_s[$tool]=$(printf '%s\n' "${r[@]}" | median)
  rss[$tool]=$(printf '%s\n' "${m[@]}" | median)
  matches[$tool]=$ok
done

mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }
echo "Dataset: $dataset ($(find "$dataset" -type f | wc -l) files, $((bytes / 1000000)) MB); S3: $CAIRN_TEST_S3_ENDPOINT (Ceph RGW)"
echo "Runs per tool: $repeats (median shown); page cache dropped before each timed run: $([[ $can_drop == 1 ]] && echo yes || echo no)"
echo
echo "| tool | first backup s | MB/s | peak RSS MB | restore s | MB/s | restore matches |"
echo "|---|---:|---:|---:|---:|---:|---|"
for tool in cairn restic; do
  echo "| $tool | ${backup_s[$tool]} | $(mbps "${backup_s[$tool]}") | ${rss[$tool]} | ${restore_s[$tool]} | $(mbps "${restore_s[$tool]}") | ${matches[$tool]} |"
done
