#!/usr/bin/env bash
# The whole comparison in one command: cairn, restic and borg on the same
# datasets in the same run, beside the hardware's own ceiling.
#
#   bench/run.sh
#
# Environment (all optional):
#   BENCH_DATASETS=1,2,3     1: the linux-source-6.1 tree (78,579 files, 1.3 GB)
#                            2: two big files: the uncompressed kernel tarball
#                               and 512 MiB of random bytes (openssl, fixed key)
#                            3: one million tiny files (0-100 bytes) in a tree of
#                               folders 4 deep, 10 wide (bench/gen_files.cpp)
#   BENCH_TOOLS=cairn,restic,borg
#   BENCH_REPEATS=3          every measurement this many times (median and range)
#   BENCH_SMALL=1            tiny datasets (1,000 files; 64 MiB; 5,000 files),
#                            one repeat unless BENCH_REPEATS is set, and no
#                            RESULTS.md: checks the harness end to end in a minute
#   BENCH_WORK=DIR           datasets and scratch (default /work/data/bench if
#                            /work/data exists, else /tmp/cairn-bench); the
#                            datasets are kept there and reused by later runs
#   BENCH_RESULTS=FILE       where the report goes besides stdout (default
#                            bench/RESULTS.md, newest first; "none" for no file)
#   KERNEL_DEB=FILE          a downloaded linux-source-6.1_*.deb (default:
#                            apt-get download into BENCH_WORK)
#   CAIRN_BIN=FILE           cairn binary (default: build/cairn, built first)
#
# For every dataset, tool and repeat, in a fresh repository: first backup;
# then a deterministic 1% change (datasets 1 and 3: every 100th regular file in
# sorted order gets one line appended; dataset 2: every 100th MiB of each file
# is overwritten) and a second backup; a backup with no change; full restore
# of that last backup into an empty folder, compared with the dataset by
# `diff -r --no-dereference`; then the change is undone. The page cache is
# dropped before each timed run where the kernel permits it (the report says
# when not), and each timed run ends with `sync`. Progress goes to stderr.
#
# Settings: the same password for every tool; cairn defaults; restic defaults
# (repository format 2, compression auto = zstd level 3); borg
# repokey-blake2 with --compression zstd,3 (borg's own default is lz4: set
# BENCH_BORG_COMPRESSION=lz4 to measure that instead).
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
small=${BENCH_SMALL:-0}
[[ $small == 1 ]] || small=0
datasets_arg=${BENCH_DATASETS:-1,2,3}
tools_arg=${BENCH_TOOLS:-cairn,restic,borg}
if [[ $small == 1 ]]; then repeats=${BENCH_REPEATS:-1}; else repeats=${BENCH_REPEATS:-3}; fi
borg_compression=${BENCH_BORG_COMPRESSION:-zstd,3}
if [[ -n ${BENCH_WORK-} ]]; then
  work=$BENCH_WORK
elif [[ -d /work/data ]]; then
  work=/work/data/bench
else
  work=/tmp/cairn-bench
fi
results=${BENCH_RESULTS-}
[[ -n $results ]] || { if [[ $small == 1 ]]; then results=none; else results=$root/bench/RESULTS.md; fi; }

# The command as typed, with the settings that shaped it, for the report.
command_line="$(env | grep -E '^(BENCH_[A-Z_]+|KERNEL_DEB|CAIRN_BIN)=' | sort | tr '\n' ' ')bench/run.sh"

die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
[[ $repeats =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEATS must be a positive number, not '$repeats'"

tools=()
IFS=, read -r -a list <<<"$tools_arg"
for t in "${list[@]}"; do
  case $t in
    cairn | restic | borg) [[ " ${tools[*]-} " == *" $t "* ]] || tools+=("$t") ;;
    *) die "unknown tool '$t' in BENCH_TOOLS (cairn, restic, borg)" ;;
  esac
done
datasets=()
IFS=, read -r -a list <<<"$datasets_arg"
for d in "${list[@]}"; do
  case $d in
    1 | 2 | 3) [[ " ${datasets[*]-} " == *" $d "* ]] || datasets+=("$d") ;;
    *) die "unknown dataset '$d' in BENCH_DATASETS (1, 2, 3)" ;;
  esac
done
[[ ${#tools[@]} -gt 0 && ${#datasets[@]} -gt 0 ]] || die "no tool or no dataset selected"
has_tool() { [[ " ${tools[*]} " == *" $1 "* ]]; }
has_dataset() { [[ " ${datasets[*]} " == *" $1 "* ]]; }

# ---------------------------------------------------------------- preparation

log "dependencies"
"$root/scripts/install-deps.sh" bench >&2

cairn=${CAIRN_BIN:-$root/build/cairn}
if has_tool cairn && [[ -z ${CAIRN_BIN-} ]]; then
  log "building cairn (release)"
  "$root/scripts/build.sh" release --target cairn >&2
fi
if has_tool cairn && [[ ! -x $cairn ]]; then
  echo "run.sh: no cairn binary at $cairn" >&2
  exit 1
fi
cairn=$(cd "$(dirname "$cairn")" && pwd -P)/$(basename "$cairn")

mkdir -p "$work"
work=$(cd "$work" && pwd -P)
sets=$work/datasets
[[ $small == 1 ]] && sets=$work/datasets-small
run=$work/run
logs=$work/logs
mkdir -p "$sets"
rm -rf "$run" "$logs"
mkdir -p "$run" "$logs"

# Each dataset lives in $sets/NAME/ (made once, stamped NAME.ready, reused).
# A change in progress is recorded in $sets/NAME.undo so that it is undone
# even after an interrupted run.
ds_name() { case $1 in 1) echo kernel ;; 2) echo big ;; 3) echo tiny ;; esac; }
ds_path() { # the folder every tool backs up
  case $1 in
    1) if [[ $small == 1 ]]; then echo "$sets/kernel/tree"; else echo "$sets/kernel/linux-source-6.1"; fi ;;
    2) echo "$sets/big" ;;
    3) echo "$sets/tiny/tree" ;;
  esac
}

gen_files=$work/gen_files
build_generator() {
  if [[ ! -x $gen_files || $root/bench/gen_files.cpp -nt $gen_files ]]; then
    log "compiling bench/gen_files.cpp"
    c++ -O2 -std=c++20 -o "$gen_files" "$root/bench/gen_files.cpp"
  fi
}

# The .deb's compressed kernel tarball, kept as $work/linux-source-6.1.tar.xz.
kernel_txz() {
  local txz=$work/linux-source-6.1.tar.xz
  if [[ ! -f $txz ]]; then
    local deb=${KERNEL_DEB-}
    [[ -n $deb ]] || deb=$(find "$work" -maxdepth 1 -name 'linux-source-6.1_*_all.deb' | sort | tail -n 1)
    if [[ -z $deb ]]; then
      log "apt-get download linux-source-6.1 (~139 MB) into $work"
      if ! (cd "$work" && apt-get download linux-source-6.1 >&2); then
        log "download failed; running apt-get update and retrying"
        apt-get update -q >&2
        (cd "$work" && apt-get download linux-source-6.1 >&2)
      fi
      deb=$(find "$work" -maxdepth 1 -name 'linux-source-6.1_*_all.deb' | sort | tail -n 1)
    fi
    [[ -f $deb ]] || { echo "run.sh: no linux-source-6.1 .deb ($deb)" >&2; exit 1; }
    log "taking the kernel tarball out of $deb"
    dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz >"$txz.tmp"
    mv "$txz.tmp" "$txz"
    dpkg-deb -f "$deb" Version >"$work/linux-source-6.1.version"
  fi
  echo "$txz"
}

# Deterministic random bytes: AES-256-CTR of zeros under a fixed key.
random_bytes() { # BYTES > file
  # head closes the pipe when it has enough: openssl's SIGPIPE is the normal end.
  { openssl enc -aes-256-ctr -nosalt -K "$(printf '%064d' 0 | tr 0 c)" -iv "$(printf '%032d' 0)" </dev/zero 2>/dev/null || true; } |
    head -c "$1"
}

make_dataset() { # N: builds $sets/NAME unless already there
  local n=$1 name dir
  name=$(ds_name "$n")
  dir=$sets/$name
  [[ -f $sets/$name.ready ]] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"
  log "preparing dataset $n ($name) in $dir"
  case $n:$small in
    1:0) xz -dc "$(kernel_txz)" | tar -x -C "$dir" ;;
    2:0)
      xz -dc "$(kernel_txz)" >"$dir/linux-source-6.1.tar"
      random_bytes $((512 << 20)) >"$dir/random-512MiB.bin" ;;
    3:0) build_generator && "$gen_files" "$dir/tree" 1000000 10 4 100 ;;
    # Small: text files of up to 32 KB; 48 MiB of text and 16 MiB of random bytes; 5,000 tiny files.
    1:1) build_generator && "$gen_files" "$dir/tree" 1000 8 2 32768 ;;
    2:1)
      { seq 1 100000000 || true; } | head -c $((48 << 20)) >"$dir/numbers.txt"
      random_bytes $((16 << 20)) >"$dir/random-16MiB.bin" ;;
    3:1) build_generator && "$gen_files" "$dir/tree" 5000 10 3 100 ;;
  esac
  touch "$sets/$name.ready"
}

tree_stats() { # DIR -> "files dirs symlinks bytes" (bytes: regular files' apparent sizes)
  find "$1" -printf '%y %s\n' | awk '
    $1 == "f" { f++; b += $2 } $1 == "d" { d++ } $1 == "l" { l++ }
    END { printf "%d %d %d %d\n", f, d, l, b }'
}

# The 1% change and its undo. Datasets 1 and 3: every 100th regular file in
# sorted order gets a line appended (undo: truncate to the recorded size).
# Dataset 2: every 100th block of each file (1 MiB; 16 KiB when small),
# starting with the 50th, is overwritten (undo: the saved blocks go back).
change_block() { if [[ $small == 1 ]]; then echo 16384; else echo 1048576; fi; }
apply_change() { # N
  local n=$1 name dir undo
  name=$(ds_name "$n")
  dir=$(ds_path "$n")
  undo=$sets/$name.undo
  if [[ $n == 2 ]]; then
    local bs f size k=0 i
    bs=$(change_block)
    mkdir -p "$undo.blocks"
    random_bytes $((bs + 4096)) | tail -c "$bs" >"$undo.patch"
    : >"$undo.list"
    for f in "$dir"/*; do
      size=$(stat -c %s "$f")
      for ((i = 50; (i + 1) * bs <= size; i += 100)); do
        dd if="$f" of="$undo.blocks/$k" bs="$bs" skip="$i" count=1 status=none
        printf '%s\t%s\n' "$i" "$f" >>"$undo.list"
        dd if="$undo.patch" of="$f" bs="$bs" seek="$i" count=1 conv=notrunc status=none
        k=$((k + 1))
      done
    done
    mv "$undo.list" "$undo"
    echo "$k"
  else
    find "$dir" -type f -printf '%s\t%P\n' | sort -t $'\t' -k2 | awk 'NR % 100 == 0' >"$undo.list"
    mv "$undo.list" "$undo"
    (cd "$dir" && cut -f2- "$undo" | perl -ne 'chomp; open(my $f, ">>", $_) or die "$_: $!"; print $f "cairn-bench: appended line\n"; close($f)')
    wc -l <"$undo"
  fi
}
undo_change() { # N
  local n=$1 name dir undo
  name=$(ds_name "$n")
  dir=$(ds_path "$n")
  undo=$sets/$name.undo
  [[ -f $undo ]] || return 0
  if [[ $n == 2 ]]; then
    local bs k=0 i f
    bs=$(change_block)
    while IFS=$'\t' read -r i f; do
      dd if="$undo.blocks/$k" of="$f" bs="$bs" seek="$i" count=1 conv=notrunc status=none
      k=$((k + 1))
    done <"$undo"
    rm -rf "$undo.blocks" "$undo.patch"
  else
    (cd "$dir" && perl -ne 'chomp; my ($s, $p) = split /\t/, $_, 2; truncate($p, $s) or die "$p: $!"' "$undo")
  fi
  rm -f "$undo"
}

for d in "${datasets[@]}"; do
  make_dataset "$d"
  undo_change "$d" # left over from an interrupted run
done

cleanup() {
  local rc=$?
  for d in "${datasets[@]}"; do undo_change "$d" || true; done
  rm -rf "$run"
  [[ $rc -eq 0 ]] || log "failed; logs kept in $logs"
}
trap cleanup EXIT

# ------------------------------------------------------------------- timing

if (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
  can_drop=1
  cache_note="dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before each timed run"
else
  can_drop=0
  cache_note="NOT dropped (not permitted here): timed runs may read a warm page cache"
  log "WARNING: cannot drop the page cache (not root?); timings read a warm cache"
fi
drop_caches() { if [[ $can_drop -eq 1 ]]; then sync && echo 3 >/proc/sys/vm/drop_caches; fi; }

declare -A R # R[tool.ds.rep.metric] = value

# timed KEY DIR CMD...: CMD then sync in DIR with a dropped cache; sets
# R[KEY.s] (wall), R[KEY.cpu] ((user+sys)/wall, %) and R[KEY.rss] (MB).
timed() {
  local key=$1 dir=$2
  shift 2
  local tf=$logs/time.out
  drop_caches
  echo "### $key: $*" >>"$logs/commands.log"
  if ! (cd "$dir" && exec /usr/bin/time -f '%e %U %S %M' -o "$tf" sh -c '"$@" && sync' sh "$@") \
    >>"$logs/$key.log" 2>&1; then
    log "$key FAILED; last lines of $logs/$key.log:"
    tail -n 20 "$logs/$key.log" >&2
    return 1
  fi
  local e u s kb
  read -r e u s kb < <(tail -n 1 "$tf")
  R[$key.s]=$e
  R[$key.cpu]=$(awk -v e="$e" -v u="$u" -v s="$s" 'BEGIN { printf "%.0f", (e > 0 ? 100 * (u + s) / e : 0) }')
  R[$key.rss]=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
  log "$key: ${e}s, CPU ${R[$key.cpu]}%, peak RSS ${R[$key.rss]} MB"
}

untimed() { # KEY DIR CMD...
  local key=$1 dir=$2
  shift 2
  echo "### $key: $*" >>"$logs/commands.log"
  if ! (cd "$dir" && exec "$@") >>"$logs/$key.log" 2>&1; then
    log "$key FAILED; last lines of $logs/$key.log:"
    tail -n 20 "$logs/$key.log" >&2
    return 1
  fi
}

# -------------------------------------------------------------------- tools

password="cairn-bench-password"
mkdir -p "$run/home"
printf '%s\n' "$password" >"$run/home/password"
chmod 600 "$run/home/password"
unset CAIRN_PASSWORD RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND BORG_PASSCOMMAND
export CAIRN_PASSWORD_FILE=$run/home/password
export RESTIC_PASSWORD=$password RESTIC_CACHE_DIR=$run/home/restic-cache
export BORG_PASSPHRASE=$password BORG_BASE_DIR=$run/home/borg

set_repo() { # TOOL: a fresh repository path for it
  repo=$run/repo-$1
  rm -rf "$repo" "$run/home/restic-cache" "$run/home/borg"
  export CAIRN_REPO=$repo RESTIC_REPOSITORY=$repo BORG_REPO=$repo
}
init_cmd() {
  case $1 in
    cairn) cmd=("$cairn" repo init) ;;
    restic) cmd=(restic init) ;;
    borg) cmd=(borg init --encryption=repokey-blake2) ;;
  esac
}
backup_cmd() { # TOOL LABEL PATH
  case $1 in
    cairn) cmd=("$cairn" backup create "bench-$2" --path "$3") ;;
    restic) cmd=(restic backup --host cairn-bench --tag "$2" "$3") ;;
    borg) cmd=(borg create --compression "$borg_compression" "::$2" "$3") ;;
  esac
}
restore_cmd() { # TOOL LABEL (runs in the restore folder)
  case $1 in
    cairn) cmd=("$cairn" restore create --from-backup "bench-$2" --target .) ;;
    restic) cmd=(restic restore latest --host cairn-bench --target .) ;;
    borg) cmd=(borg extract "::$2") ;; # into the current folder, paths without the leading /
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
      echo "$v${rev:+, commit $rev}; defaults" ;;
    restic) echo "$(restic version | head -n 1); defaults (repository format 2, compression auto)" ;;
    borg) echo "$(borg --version | head -n 1); repokey-blake2, --compression $borg_compression" ;;
  esac
}

# ---------------------------------------------------------------- ceiling

ncores=$(nproc)
# openssl speed -mr prints "+F:n:name:bytes/s at each block size"; 1 MiB blocks.
openssl_rate() { # EVP name -> MB/s on one core
  openssl speed -mr -seconds 1 -bytes 1048576 -evp "$1" 2>/dev/null |
    awk -F: '/^\+F:/ { printf "%.0f", $NF / 1e6 }'
}
# zstd -b3 on one thread over SAMPLE; its last progress line is "=-name : in -> out (ratio), C MB/s, D MB/s".
zstd_rates() { # SAMPLE -> "compress decompress" MB/s
  zstd -b3 -i2 -T1 "$1" 2>&1 | tr '\r' '\n' | grep -E 'MB/s, *[0-9.]+ MB/s' | tail -n 1 |
    sed -E 's/.*, *([0-9.]+) MB\/s, *([0-9.]+) MB\/s.*/\1 \2/'
}
# Files under 64 MiB are read whole by 8 parallel `cat`s; bigger ones in
# 64 MiB pieces by 8 parallel `dd`s (else two big files make two readers).
cold_read() { # DIR -> "MB/s files/s", page cache dropped
  local files bytes t0 t1
  read -r files _ _ bytes < <(tree_stats "$1")
  drop_caches
  t0=$(date +%s.%N)
  find "$1" -type f -size -65536k -print0 | xargs -0 -r -P8 -n 256 cat >/dev/null &
  find "$1" -type f -size +65535k -printf '%s\t%p\n' |
    awk -F'\t' '{ for (i = 0; i * 67108864 < $1; i++) print i * 64 " " $2 }' |
    xargs -d '\n' -r -P8 -n 1 sh -c 'dd if="${1#* }" of=/dev/null bs=1M skip="${1%% *}" count=64 status=none' sh
  wait
  t1=$(date +%s.%N)
  awk -v f="$files" -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.0f %.0f\n", b / 1e6 / (z - a), f / (z - a) }'
}
seq_write() { # -> MB/s of one sequential O_DIRECT writer in $run
  local mib=1024 out
  [[ $small == 1 ]] && mib=64
  out=$(dd if=/dev/zero of="$run/dd.test" bs=4M count=$((mib / 4)) oflag=direct conv=fsync 2>&1 | tail -n 1)
  rm -f "$run/dd.test"
  awk -v m="$mib" -v l="$out" 'BEGIN { split(l, a, ","); n = split(a[3], s, " "); printf "%.0f", m * 1048576 / 1e6 / s[1] }'
}

log "hardware ceiling: openssl speed, zstd -b3, cold read, dd oflag=direct"
declare -A C
C[sha]=$(openssl_rate sha256)
C[aes]=$(openssl_rate aes-256-gcm)
sample=$run/zstd-sample
{ tar --sort=name -cf - -C "$(ds_path "${datasets[0]}")" . 2>/dev/null || true; } | head -c $((64 << 20)) >"$sample" || true
read -r C[zc] C[zd] < <(zstd_rates "$sample")
rm -f "$sample"
C[write]=$(seq_write)
for d in "${datasets[@]}"; do read -r C[read.$d] C[readf.$d] < <(cold_read "$(ds_path "$d")"); done
# Per-byte CPU cost of a backup (hash, compress, encrypt), spread over every core.
C[cpu]=$(awk -v n="$ncores" -v a="${C[sha]}" -v b="${C[aes]}" -v c="${C[zc]}" 'BEGIN { printf "%.0f", n / (1 / a + 1 / b + 1 / c) }')
log "SHA-256 ${C[sha]} MB/s, AES-256-GCM ${C[aes]} MB/s, zstd -3 ${C[zc]}/${C[zd]} MB/s per core; write ${C[write]} MB/s"

# ---------------------------------------------------------------------- runs

declare -A DS # DS[N.files|dirs|links|bytes|changed|name]
for d in "${datasets[@]}"; do
  path=$(ds_path "$d")
  read -r DS[$d.files] DS[$d.dirs] DS[$d.links] DS[$d.bytes] < <(tree_stats "$path")
  log "dataset $d: $path: ${DS[$d.files]} files, ${DS[$d.dirs]} folders, ${DS[$d.bytes]} bytes"
  for ((rep = 1; rep <= repeats; rep++)); do
    for t in "${tools[@]}"; do
      k=$t.$d.$rep
      set_repo "$t"
      restore=$run/restore
      rm -rf "$restore"
      mkdir -p "$restore"
      init_cmd "$t"
      untimed "$k.init" "$run" "${cmd[@]}" || continue
      backup_cmd "$t" first "$path"
      timed "$k.first" "$run" "${cmd[@]}" || continue
      before=$(du -sb "$repo" | cut -f1)
      DS[$d.changed]=$(apply_change "$d")
      DS[$d.final_bytes]=$(tree_stats "$path" | cut -d' ' -f4)
      backup_cmd "$t" second "$path"
      if timed "$k.second" "$run" "${cmd[@]}"; then
        R[$k.added]=$(($(du -sb "$repo" | cut -f1) - before))
        backup_cmd "$t" nochange "$path"
        if timed "$k.nochange" "$run" "${cmd[@]}"; then
          R[$k.repo]=$(du -sb "$repo" | cut -f1)
          restore_cmd "$t" nochange
          if timed "$k.restore" "$restore" "${cmd[@]}"; then
            if diff -r -q --no-dereference "$path" "$restore$path" >"$logs/$k.diff" 2>&1; then
              R[$k.verified]=yes
            else
              R[$k.verified]="NO ($(wc -l <"$logs/$k.diff") differences)"
              log "$k: restored copy DIFFERS; see $logs/$k.diff"
            fi
          fi
        fi
      fi
      undo_change "$d"
      rm -rf "$repo" "$restore"
    done
  done
done

# -------------------------------------------------------------------- report

# stat KEYSUFFIX TOOL DS: "median min max" over the repeats that have a value.
stat_of() {
  local vals=() v rep
  for ((rep = 1; rep <= repeats; rep++)); do
    v=${R[$2.$3.$rep.$1]-}
    [[ -n $v ]] && vals+=("$v")
  done
  [[ ${#vals[@]} -gt 0 ]] || { echo "- - -"; return; }
  printf '%s\n' "${vals[@]}" | sort -g | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}
# secs: median, and [min-max] when there are several repeats.
secs() {
  local m lo hi
  read -r m lo hi < <(stat_of "$@")
  [[ $m == - ]] && { echo "—"; return; }
  if [[ $repeats -gt 1 ]]; then
    awk -v m="$m" -v a="$lo" -v b="$hi" 'BEGIN { printf "%.2f [%.2f–%.2f]", m, a, b }'
  else
    awk -v m="$m" 'BEGIN { printf "%.2f", m }'
  fi
}
median() { local m; read -r m _ _ < <(stat_of "$@"); [[ $m == - ]] && echo "—" || echo "$m"; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s == "—" || s <= 0) { print "—"; exit } r = b / 1e6 / s; printf (r < 10 ? "%.1f" : "%.0f"), r }'; }
int() { awk -v v="$1" 'BEGIN { if (v == "—") print v; else printf "%.0f", v }'; }
per_sec() { awk -v n="$1" -v s="$2" 'BEGIN { if (s == "—" || s <= 0) print "—"; else printf "%.0f", n / s }'; }
mb() { awk -v b="$1" 'BEGIN { if (b == "—") print "—"; else printf (b < 1e7 ? "%.1f" : "%.0f"), b / 1e6 }'; }
frac() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "—" || b <= 0) print "—"; else printf "%.0f%%", 100 * a / b }'; }
verified() {
  local rep v out=yes
  for ((rep = 1; rep <= repeats; rep++)); do
    v=${R[$1.$2.$rep.verified]-FAILED (see logs)}
    [[ $v == yes ]] || out=$v
  done
  echo "$out"
}

cpu_model=$(lscpu | awk -F: '/^Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
fs_dev=$(df -P "$work" | awk 'NR == 2 { print $1 }')
fs_type=$(df -PT "$work" | awk 'NR == 2 { print $2 }')
disk=$(lsblk -ndo NAME,SIZE,ROTA,MODEL "$fs_dev" 2>/dev/null | awk '{ r = $3 == 1 ? "rotational" : "non-rotational"; m = ""; for (i = 4; i <= NF; i++) m = m " " $i; printf "%s %s %s%s", $1, $2, r, m }')
[[ -n $disk ]] || disk=$fs_dev
ds_title() {
  case $1 in
    1) if [[ $small == 1 ]]; then echo "1 (small: generated text files)"; else echo "1 kernel tree"; fi ;;
    2) echo "2 big files" ;;
    3) echo "3 tiny files" ;;
  esac
}

report() {
  local small_note=
  [[ $small == 1 ]] && small_note=" (BENCH_SMALL: harness check, not figures)"
  echo "## $(date -u +%Y-%m-%d): $(IFS=,; echo "${tools[*]}" | sed 's/,/, /g') on datasets $(IFS=,; echo "${datasets[*]}")${small_note}"
  echo
  echo "Command: \`$command_line\`"
  echo
  echo "| dataset | tool | first backup s | MB/s | files/s | CPU % | peak RSS MB | repo MB | 1% changed s | added MB | no-change s | restore s | MB/s | restore matches |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  local d t first restore
  for d in "${datasets[@]}"; do
    for t in "${tools[@]}"; do
      first=$(median first.s "$t" "$d")
      restore=$(median restore.s "$t" "$d")
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$(ds_title "$d")" "$t" \
        "$(secs first.s "$t" "$d")" "$(rate "${DS[$d.bytes]}" "$first")" \
        "$(per_sec "${DS[$d.files]}" "$first")" \
        "$(int "$(median first.cpu "$t" "$d")")" "$(int "$(median first.rss "$t" "$d")")" \
        "$(mb "$(median repo "$t" "$d")")" \
        "$(secs second.s "$t" "$d")" "$(mb "$(median added "$t" "$d")")" \
        "$(secs nochange.s "$t" "$d")" \
        "$(secs restore.s "$t" "$d")" "$(rate "${DS[$d.final_bytes]:-${DS[$d.bytes]}}" "$restore")" \
        "$(verified "$t" "$d")"
    done
  done
  echo
  echo "Hardware ceiling, measured in the same run ($ncores cores):"
  echo
  echo "| measure | MB/s |"
  echo "|---|---:|"
  echo "| SHA-256, one core (openssl speed -evp sha256, 1 MiB blocks) | ${C[sha]} |"
  echo "| AES-256-GCM, one core (openssl speed -evp aes-256-gcm) | ${C[aes]} |"
  echo "| zstd level 3 compress / decompress, one core (zstd -b3 -T1, 64 MiB of dataset ${datasets[0]}) | ${C[zc]} / ${C[zd]} |"
  echo "| backup CPU bound: $ncores cores / (1/SHA + 1/AES + 1/zstd) | ${C[cpu]} |"
  echo "| sequential write (dd bs=4M oflag=direct conv=fsync) | ${C[write]} |"
  for d in "${datasets[@]}"; do
    echo "| cold read of dataset $d (8 parallel readers, cache dropped; ${C[readf.$d]} files/s) | ${C[read.$d]} |"
  done
  if has_tool cairn; then
    echo
    echo "cairn against the ceiling (backup: min(cold read, CPU bound); restore: sequential write):"
    echo
    local bceil b r f
    for d in "${datasets[@]}"; do
      bceil=$(awk -v a="${C[read.$d]}" -v b="${C[cpu]}" 'BEGIN { print (a < b ? a : b) }')
      b=$(rate "${DS[$d.bytes]}" "$(median first.s cairn "$d")")
      r=$(rate "${DS[$d.final_bytes]:-${DS[$d.bytes]}}" "$(median restore.s cairn "$d")")
      f=$(per_sec "${DS[$d.files]}" "$(median first.s cairn "$d")")
      echo "- dataset $d: first backup $b MB/s = $(frac "$b" "$bceil") of $bceil MB/s, $f files/s = $(frac "$f" "${C[readf.$d]}") of the cold read's ${C[readf.$d]}; restore $r MB/s = $(frac "$r" "${C[write]}") of ${C[write]} MB/s."
    done
  fi
  echo
  for d in "${datasets[@]}"; do
    echo "- Dataset $(ds_title "$d"): ${DS[$d.files]} files, ${DS[$d.dirs]} folders, ${DS[$d.links]} symlinks, $(mb "${DS[$d.bytes]}") MB of file data; the 1% change touched ${DS[$d.changed]:-?} $([[ $d == 2 ]] && echo "blocks of $(change_block) bytes" || echo files)."
  done
  [[ -f $work/linux-source-6.1.version ]] && has_dataset 1 && [[ $small == 0 ]] &&
    echo "- Kernel: linux-source-6.1 $(cat "$work/linux-source-6.1.version") (Debian 12)."
  echo "- Each figure: median of $repeats run(s)$([[ $repeats -gt 1 ]] && echo ", [min–max]"); each run a fresh repository."
  echo "  Seconds are wall-clock including a final \`sync\`; MB/s = 10^6 bytes of file data per second; files/s, CPU % = (user+sys)/wall"
  echo "  and peak RSS (GNU time %M) of the first backup; added MB = repository growth from the second backup;"
  echo "  repo MB = \`du -sb\` after all three backups; restore = the last backup, compared with \`diff -r --no-dereference\`."
  echo "- Page cache: $cache_note."
  echo "- Machine: $cpu_model, $ncores cores, $mem RAM, disk $disk ($fs_type), Linux $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  for t in "${tools[@]}"; do echo "- $(version_of "$t")."; done
  echo
}

out=$run/report.md
report >"$out"
cat "$out"
if [[ $results != none ]]; then
  # Newest first: the new section goes above the first existing one.
  if [[ -f $results ]] && grep -q '^## ' "$results"; then
    awk -v f="$out" '!done && /^## / { while ((getline l < f) > 0) print l; done = 1 } { print }' "$results" >"$results.tmp"
    mv "$results.tmp" "$results"
  else
    cat "$out" >>"$results"
  fi
  log "report added to $results"
fi
