#!/usr/bin/env bash
# Backs up the Linux 6.1 source tree (~78,600 files, 1.3 GB) with cairn and
# restic (and borg with --borg) in one run, and prints a Markdown table.
#
#   bench/kernel-vs-restic.sh [--borg] [--tools cairn,restic,borg] [--dataset DIR] [--keep]
#
#   --borg           also run borgbackup (same as adding borg to --tools)
#   --tools LIST     comma-separated tools to run (default: cairn,restic)
#   --dataset DIR    use a copy of DIR instead of the kernel tree (quick trials)
#   --keep           keep the tree, repositories and logs under bench/work/
#
#   KERNEL_DEB=FILE  reuse a downloaded linux-source-6.1_*.deb instead of
#                    `apt-get download linux-source-6.1`
#   CAIRN_BIN=FILE   cairn binary (default: build/cairn, built first)
#   BENCH_WORK=DIR   scratch directory (default: bench/work, gitignored)
#
# For every tool: init, first backup of the pristine tree (time, peak RSS);
# then 1% of the files change (every 100th regular file in sorted order gets
# one line appended) and every tool takes a second backup, then a backup with
# no change; repository size (du -sb); full restore of the last backup into a
# scratch directory, compared with the tree by `diff -r`. The page cache is
# dropped before each timed run when the kernel allows it, and each timed run
# ends with `sync`.
# The report goes to stdout, progress to stderr; nothing is written anywhere
# else (paste the report into bench/RESULTS.md).
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${BENCH_WORK:-$root/bench/work}
tools_arg=cairn,restic
dataset=
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --borg) tools_arg+=,borg ;;
    --tools) tools_arg=${2:?--tools needs a list}; shift ;;
    --tools=*) tools_arg=${1#--tools=} ;;
    --dataset) dataset=${2:?--dataset needs a directory}; shift ;;
    --dataset=*) dataset=${1#--dataset=} ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "kernel-vs-restic.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

tools=()
IFS=, read -r -a requested <<<"$tools_arg"
for t in "${requested[@]}"; do
  case "$t" in
    cairn | restic | borg) [[ " ${tools[*]-} " == *" $t "* ]] || tools+=("$t") ;;
    *) echo "kernel-vs-restic.sh: unknown tool '$t' (cairn, restic, borg)" >&2; exit 2 ;;
  esac
done
[[ ${#tools[@]} -gt 0 ]] || { echo "kernel-vs-restic.sh: no tool to run" >&2; exit 2; }

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
has_tool() { [[ " ${tools[*]} " == *" $1 "* ]]; }

# ---------------------------------------------------------------- preparation

log "dependencies"
"$root/scripts/install-deps.sh" bench >&2

cairn=${CAIRN_BIN:-$root/build/cairn}
if has_tool cairn && [[ -z ${CAIRN_BIN-} ]]; then
  log "building cairn (release)"
  "$root/scripts/build.sh" release --target cairn >&2
fi
if has_tool cairn && [[ ! -x $cairn ]]; then
  echo "kernel-vs-restic.sh: no cairn binary at $cairn" >&2
  exit 1
fi

mkdir -p "$work"
work=$(cd "$work" && pwd -P)
data=$work/data
logs=$work/logs
# Everything this run makes, except logs/ (kept after a failure) and a downloaded .deb (reused).
scratch=("${work:?}/data" "$work/repo" "$work/restore" "$work/home" "$work/deb")
rm -rf "${scratch[@]}" "$logs"
mkdir -p "$data" "$logs" "$work/repo" "$work/restore" "$work/home"

cleanup() {
  local rc=$?
  if [[ $keep -eq 1 ]]; then
    log "kept $work (--keep)"
  elif [[ $rc -ne 0 ]]; then
    rm -rf "${scratch[@]}"
    log "failed; logs kept in $logs"
  else
    rm -rf "${scratch[@]}" "$logs"
  fi
}
trap cleanup EXIT

if [[ -n $dataset ]]; then
  [[ -d $dataset ]] || { echo "kernel-vs-restic.sh: $dataset is not a directory" >&2; exit 2; }
  name=$(basename "$(cd "$dataset" && pwd -P)")
  log "copying $dataset to $data/$name"
  cp -a "$dataset" "$data/$name"
  tree=$data/$name
  dataset_name="$name (copy of $dataset)"
else
  deb=${KERNEL_DEB-}
  if [[ -z $deb ]]; then
    deb=$(find "$work" -maxdepth 1 -name 'linux-source-6.1_*_all.deb' | sort | tail -n 1)
  fi
  if [[ -z $deb ]]; then
    log "apt-get download linux-source-6.1 (~139 MB) into $work"
    if ! (cd "$work" && apt-get download linux-source-6.1 >&2); then
      log "download failed; running apt-get update and retrying"
      apt-get update -q >&2
      (cd "$work" && apt-get download linux-source-6.1 >&2)
    fi
    deb=$(find "$work" -maxdepth 1 -name 'linux-source-6.1_*_all.deb' | sort | tail -n 1)
  fi
  [[ -f $deb ]] || { echo "kernel-vs-restic.sh: no linux-source-6.1 .deb ($deb)" >&2; exit 1; }
  log "extracting $deb"
  dpkg-deb -x "$deb" "$work/deb"
  tar -xf "$work/deb/usr/src/linux-source-6.1.tar.xz" -C "$data"
  rm -rf "$work/deb"
  tree=$data/linux-source-6.1
  dataset_name="linux-source-6.1 $(dpkg-deb -f "$deb" Version) (Debian 12)"
fi
[[ -d $tree ]] || { echo "kernel-vs-restic.sh: no tree at $tree" >&2; exit 1; }

tree_stats() { # prints "files dirs symlinks bytes" (bytes: regular files' apparent sizes)
  find "$1" -printf '%y %s\n' | awk '
    $1 == "f" { f++; b += $2 } $1 == "d" { d++ } $1 == "l" { l++ }
    END { printf "%d %d %d %d\n", f, d, l, b }'
}
read -r n_files n_dirs n_links pristine_bytes < <(tree_stats "$tree")
log "dataset: $tree: $n_files files, $n_dirs dirs, $n_links symlinks, $pristine_bytes bytes"

# ------------------------------------------------------------------- timing

if (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
  can_drop=1
  cache_note="dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before each timed run"
else
  can_drop=0
  cache_note="NOT dropped (not permitted here): every timed run may read a warm page cache"
fi
log "page cache: $cache_note"

drop_caches() {
  if [[ $can_drop -eq 1 ]]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches
  fi
}

declare -A R         # R[tool.metric] = value
declare -A FAILED    # FAILED[tool] = step that failed

# timed TOOL STEP CMD...: runs CMD then sync in $cmd_dir with a dropped cache; sets
# R[TOOL.STEP_s] and R[TOOL.STEP_rss] (MB); output goes to $logs/TOOL.log.
timed() {
  local tool=$1 step=$2
  shift 2
  [[ -z ${FAILED[$tool]-} ]] || return 1
  local tf=$logs/$tool.$step.time
  drop_caches
  log "$tool: $step"
  echo "### $step: $*" >>"$logs/$tool.log"
  # The timed run ends with a sync, so every tool is charged for getting its
  # writes to disk whether or not it fsyncs them itself.
  if (cd "$cmd_dir" && exec /usr/bin/time -f '%e %M' -o "$tf" sh -c '"$@" && sync' sh "$@") \
    >>"$logs/$tool.log" 2>&1; then
    local secs kb
    read -r secs kb < <(tail -n 1 "$tf")
    R[$tool.${step}_s]=$secs
    R[$tool.${step}_rss]=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
    log "$tool: $step took ${secs}s, peak RSS ${R[$tool.${step}_rss]} MB"
  else
    FAILED[$tool]=$step
    log "$tool: $step FAILED; last lines of $logs/$tool.log:"
    tail -n 20 "$logs/$tool.log" >&2
    return 1
  fi
}

# untimed TOOL STEP CMD...: same, unmeasured (init).
untimed() {
  local tool=$1 step=$2
  shift 2
  [[ -z ${FAILED[$tool]-} ]] || return 1
  log "$tool: $step"
  echo "### $step: $*" >>"$logs/$tool.log"
  if ! (cd "$cmd_dir" && exec "$@") >>"$logs/$tool.log" 2>&1; then
    FAILED[$tool]=$step
    log "$tool: $step FAILED; last lines of $logs/$tool.log:"
    tail -n 20 "$logs/$tool.log" >&2
    return 1
  fi
}

# -------------------------------------------------------------------- tools
# Each tool gets its own repository and its own cache/config home under $work.

password="cairn-bench-password"
printf '%s\n' "$password" >"$work/home/password"
chmod 600 "$work/home/password"

export CAIRN_REPO=$work/repo/cairn CAIRN_PASSWORD_FILE=$work/home/password
unset CAIRN_PASSWORD
export RESTIC_REPOSITORY=$work/repo/restic RESTIC_PASSWORD=$password
export RESTIC_CACHE_DIR=$work/home/restic-cache
export BORG_REPO=$work/repo/borg BORG_PASSPHRASE=$password BORG_BASE_DIR=$work/home/borg
unset RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND BORG_PASSCOMMAND

# Each sets cmd=(the command line) and cmd_dir (where it runs).
init_cmd() { # TOOL
  cmd_dir=$work
  case $1 in
    cairn) cmd=("$cairn" repo init) ;;
    restic) cmd=(restic init) ;;
    borg) cmd=(borg init --encryption=repokey-blake2) ;;
  esac
}
backup_cmd() { # TOOL LABEL
  cmd_dir=$work
  case $1 in
    cairn) cmd=("$cairn" backup create "bench-$2" --path "$tree") ;;
    restic) cmd=(restic backup --host cairn-bench --tag "$2" "$tree") ;;
    borg) cmd=(borg create --compression "zstd,3" "::$2" "$tree") ;;
  esac
}
restore_cmd() { # TOOL LABEL TARGET
  cmd_dir=$work
  case $1 in
    cairn) cmd=("$cairn" restore create --from-backup "bench-$2" --target "$3") ;;
    restic) cmd=(restic restore latest --host cairn-bench --target "$3") ;;
    borg) cmd=(borg extract "::$2"); cmd_dir=$3 ;; # borg extracts into the current directory
  esac
}
version_of() {
  case $1 in
    cairn)
      local v rev
      v=$("$cairn" --version 2>/dev/null | head -n 1) || v=
      rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null) || rev=
      if [[ -n $rev ]] && ! git -C "$root" diff --quiet HEAD -- src 2>/dev/null; then rev+="+dirty"; fi
      [[ $v == cairn* ]] || v="cairn ${v:-(no --version)}"
      echo "$v${rev:+, commit $rev}" ;;
    restic) restic version | head -n 1 ;;
    borg) borg --version | head -n 1 ;;
  esac
}
settings_of() {
  case $1 in
    cairn) echo "cairn: defaults" ;;
    restic) echo "restic: defaults (repository format $(restic cat config 2>/dev/null | awk -F'[:,]' '/"version"/ { gsub(/ /, "", $2); print $2 }'), compression auto)" ;;
    borg) echo "borg: repokey-blake2, --compression zstd,3" ;;
  esac
}

# ---------------------------------------------------------------------- runs

# 1. Every tool backs up the pristine tree.
for t in "${tools[@]}"; do
  init_cmd "$t"
  untimed "$t" init "${cmd[@]}" || continue
  backup_cmd "$t" first
  timed "$t" first "${cmd[@]}" || continue
done

# 2. 1% of the files change: every 100th regular file in sorted order.
n_changed=0
while IFS= read -r f; do
  printf 'cairn-bench: appended line\n' >>"$tree/$f"
  n_changed=$((n_changed + 1))
done < <(find "$tree" -type f -printf '%P\n' | sort | awk 'NR % 100 == 0')
read -r _ _ _ final_bytes < <(tree_stats "$tree")
log "changed $n_changed files"

# 3. Every tool backs up the changed tree, then again with no change.
for t in "${tools[@]}"; do
  backup_cmd "$t" second
  timed "$t" second "${cmd[@]}" || continue
  backup_cmd "$t" nochange
  timed "$t" nochange "${cmd[@]}" || continue
  if [[ -d $work/repo/$t ]]; then
    R[$t.repo_bytes]=$(du -sb "$work/repo/$t" | cut -f1)
  else
    log "$t: no repository at $work/repo/$t"
  fi
done

# 4. Every tool restores its last backup; the copy is compared with the tree.
for t in "${tools[@]}"; do
  target=$work/restore/$t
  mkdir -p "$target"
  restore_cmd "$t" nochange "$target"
  if timed "$t" restore "${cmd[@]}"; then
    log "$t: comparing the restored copy with the tree"
    if diff -r -q --no-dereference "$tree" "$target$tree" >"$logs/$t.diff" 2>&1; then
      R[$t.verified]=yes
    else
      R[$t.verified]="NO ($(wc -l <"$logs/$t.diff") differences)"
      FAILED[$t]=verify
      log "$t: restored copy DIFFERS; first lines of $logs/$t.diff:"
      head -n 20 "$logs/$t.diff" >&2
    fi
  fi
  rm -rf "$target"
done

# -------------------------------------------------------------------- report

# mb BYTES, rate BYTES SECONDS: print — for a missing value.
mb() { awk -v b="$1" 'BEGIN { if (b == "" || b == "—") print "—"; else printf "%.0f", b / 1e6 }'; }
rate() {
  awk -v b="$1" -v s="$2" 'BEGIN {
    if (s == "—" || s <= 0) { print "—"; exit }
    r = b / 1e6 / s; printf (r < 10 ? "%.1f" : "%.0f"), r }'
}
cell() { local v=${R[$1]-}; echo "${v:-—}"; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -PT "$work" | awk 'NR == 2 { print $2 }')

echo "## Backup of $dataset_name"
echo
echo "| tool | first backup s | MB/s | peak RSS MB | repo MB | 2nd backup (1% changed) s | no-change s | restore s | MB/s | restore matches |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for t in "${tools[@]}"; do
  first=$(cell "$t.first_s")
  restore=$(cell "$t.restore_s")
  repo=${R[$t.repo_bytes]-}
  verified=$(cell "$t.verified")
  [[ -n ${FAILED[$t]-} && ${FAILED[$t]} != verify ]] && verified="FAILED at ${FAILED[$t]}"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" \
    "$first" "$(rate "$pristine_bytes" "$first")" \
    "$(cell "$t.first_rss")" "$(mb "$repo")" \
    "$(cell "$t.second_s")" "$(cell "$t.nochange_s")" \
    "$restore" "$(rate "$final_bytes" "$restore")" \
    "$verified"
done
echo
echo "- Dataset: $n_files files, $n_dirs directories, $n_links symlinks, $(mb "$pristine_bytes") MB of file data."
echo "- Second backup: $n_changed files (every 100th regular file in sorted order) had one line appended."
echo "- Seconds are wall-clock, each including a final \`sync\`; MB/s = 10^6 bytes of file data per second;"
echo "  peak RSS of the first backup (GNU time %M);"
echo "  repo MB = \`du -sb\` of the repository after all three backups; restore = the last backup, verified with \`diff -r\`."
echo "- Page cache: $cache_note."
echo "- Machine: $(nproc) cores, $cpu, $mem RAM, Linux $(uname -r), $fs file system; $(date -u +%Y-%m-%d)."
for t in "${tools[@]}"; do
  echo "- $(version_of "$t"); $(settings_of "$t")."
done

for t in "${tools[@]}"; do
  [[ -z ${FAILED[$t]-} ]] || exit 1
done
