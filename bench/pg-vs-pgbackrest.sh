#!/usr/bin/env bash
# PostgreSQL 15 backup and restore with cairn beside pgBackRest 2.45, in one
# run (issue 7's measurement), printing a Markdown table.
#
#   bench/pg-vs-pgbackrest.sh [--keep]
#
#   SCALE=N              pgbench -i -s N (default 50, about 770 MB)
#   PGBENCH_SECONDS=N    pgbench run before the incremental backup (default 20)
#   PUSH_SEGMENTS=N      WAL segments pushed to time archive-push (default 10)
#   RESTORE_RUNS=N       restores of the incremental per tool, median reported
#                        (default 3)
#   DROP_CACHES=0        never drop the page cache (default: drop before each
#                        timed run when the kernel allows it)
#   BENCH_WORK=DIR       scratch directory (default /var/tmp/cairn-bench-pg),
#                        emptied first; postgres must be able to reach it
#   BENCH_RESULTS=FILE   also append the report to FILE
#   CAIRN_BIN=FILE       cairn binary (default: build/cairn, built first)
#   --keep               keep clusters, repositories and logs under BENCH_WORK
#
# Two clusters are initialised identically (same scale, own data directory
# and Unix socket, no TCP), one archiving through `cairn pg archive-push`,
# the other through `pgbackrest archive-push` (--compress-type=zst
# --process-max=2, repository on the same disk as cairn's). For each tool:
# full backup (time, and MB/s of database size), pgbench for PGBENCH_SECONDS,
# incremental backup (time, and bytes stored: growth of the repository with
# the WAL archive idle before and after), restore of that backup into a new
# directory (pgbackrest restore --process-max=2), and archive-push latency:
# PUSH_SEGMENTS fresh 16 MiB segments, made while archive_command is
# /bin/true so that neither repository holds them, pushed one by one.
# Timed runs end with `sync`. Runs as root (commands go through runuser -u
# postgres) or as postgres. Progress goes to stderr, the report to stdout.
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scale=${SCALE:-50}
pgbench_seconds=${PGBENCH_SECONDS:-20}
pushes=${PUSH_SEGMENTS:-10}
restore_runs=${RESTORE_RUNS:-3}
work=${BENCH_WORK:-/var/tmp/cairn-bench-pg}
results=${BENCH_RESULTS-}
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) keep=1 ;;
    -h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pg-vs-pgbackrest.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

pgbin=/usr/lib/postgresql/15/bin
tools=(cairn pgbackrest)
declare -A port=([cairn]=54401 [pgbackrest]=54402)
declare -A R # R[tool.metric] = value

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { log "FAILED: $*"; exit 1; }
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---------------------------------------------------------------- preparation

if [[ $(id -u) -eq 0 ]]; then
  log "dependencies"
  "$root/scripts/install-deps.sh" bench >&2
elif [[ $(id -un) != postgres ]]; then
  die "run as root or as postgres"
fi
[[ -x $pgbin/initdb ]] || die "no PostgreSQL 15 in $pgbin (scripts/install-deps.sh bench)"
command -v pgbackrest >/dev/null || die "no pgbackrest (scripts/install-deps.sh bench)"

cairn_src=${CAIRN_BIN:-$root/build/cairn}
if [[ -z ${CAIRN_BIN-} ]]; then
  log "building cairn (release)"
  "$root/scripts/build.sh" release --target cairn >&2
fi
[[ -x $cairn_src ]] || die "no cairn binary at $cairn_src"

# Everything lives under $work, owned by postgres; cairn is copied there so
# that postgres can run it wherever the checkout is.
for t in "${tools[@]}"; do
  if [[ -f $work/$t-data/postmaster.pid ]]; then as_pg "$pgbin/pg_ctl" -D "$work/$t-data" -m immediate -w stop >&2 || true; fi
done
rm -rf "$work"
mkdir -p "$work/bin" "$work/logs"
work=$(cd "$work" && pwd -P)
logs=$work/logs
install -m 0755 "$cairn_src" "$work/bin/cairn"
printf 'bench-password\n' >"$work/cairn.pw"
chmod 0600 "$work/cairn.pw"
[[ $(id -u) -eq 0 ]] && chown -R postgres: "$work"

cairn=(env "CAIRN_PASSWORD_FILE=$work/cairn.pw" "$work/bin/cairn" --no-progress --repo "$work/cairn-repo")
cairn_cmd="${cairn[*]}" # for archive_command and sh -c (no spaces in $work)
cat >"$work/pgbackrest.conf" <<EOF
[global]
repo1-path=$work/pgbackrest-repo
repo1-retention-full=10
compress-type=zst
process-max=2
start-fast=y
archive-async=n
log-level-console=warn
log-level-file=info
log-path=$logs
lock-path=$work/pgbackrest-lock
spool-path=$work/pgbackrest-spool

[bench]
pg1-path=$work/pgbackrest-data
pg1-port=${port[pgbackrest]}
pg1-socket-path=$work/sock-pgbackrest
EOF
pgbr=(pgbackrest "--config=$work/pgbackrest.conf" --stanza=bench)
pgbr_cmd="${pgbr[*]}"

cleanup() {
  for t in "${tools[@]}"; do
    for d in "$work/$t-data" "$work/$t-restore"; do
      if [[ -f $d/postmaster.pid ]]; then as_pg "$pgbin/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true; fi
    done
  done
  if [[ $keep -eq 0 ]]; then rm -rf "$work"; else log "kept $work"; fi
}
trap cleanup EXIT

if [[ ${DROP_CACHES:-1} != 0 ]] && (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
  can_drop=1
  cache_note="dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before each timed backup and restore"
else
  can_drop=0
  cache_note="NOT dropped (DROP_CACHES=0 or not permitted): timed runs may read a warm page cache"
fi
drop_caches() { if [[ $can_drop -eq 1 ]]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi; }

# timed TOOL STEP CMD...: runs CMD as postgres, then sync; R[TOOL.STEP_s] = seconds.
timed() {
  local tool=$1 step=$2
  shift 2
  local tf=$logs/$tool.$step.time
  drop_caches
  log "$tool: $step"
  echo "### $step: $*" >>"$logs/$tool.log"
  if ! as_pg /usr/bin/time -f '%e %M' -o "$tf" sh -c '"$@" && sync' sh "$@" >>"$logs/$tool.log" 2>&1; then
    tail -n 20 "$logs/$tool.log" >&2
    die "$tool: $step"
  fi
  local secs kb
  read -r secs kb < <(tail -n 1 "$tf")
  R[$tool.${step}_s]=$secs
  R[$tool.${step}_rss]=$((kb / 1024))
  log "$tool: $step took ${secs}s, peak RSS $((kb / 1024)) MB"
}

run() { # TOOL STEP CMD...: as postgres, logged, untimed
  local tool=$1 step=$2
  shift 2
  echo "### $step: $*" >>"$logs/$tool.log"
  as_pg "$@" >>"$logs/$tool.log" 2>&1 || { tail -n 20 "$logs/$tool.log" >&2; die "$tool: $step"; }
}

sql() { # TOOL QUERY
  as_pg psql -h "$work/sock-$1" -p "${port[$1]}" -U postgres -d postgres -Atq -v ON_ERROR_STOP=1 -c "$2"
}

# Switches to a new WAL segment and waits until the archiver has nothing
# left to push (no .ready file in pg_wal/archive_status), so that a
# repository's size is not measured while archiving is behind. (Comparing
# last_archived_wal with the switched segment's name fails when the last
# archived file is a backup history file or the switch found an empty
# segment.)
archive_idle() { # TOOL
  local t=$1 status=$work/$1-data/pg_wal/archive_status
  sql "$t" "select pg_switch_wal()" >/dev/null
  for _ in $(seq 600); do
    compgen -G "$status/*.ready" >/dev/null || return 0
    sleep 0.5
  done
  die "$t: WAL was not archived within 5 minutes (see $logs/$t-postgres.log)"
}

repo_bytes() { du -sb "$work/$1-repo" | cut -f1; }

# -------------------------------------------------------------- the clusters

for t in "${tools[@]}"; do
  data=$work/$t-data
  sock=$work/sock-$t
  as_pg mkdir -p "$sock"
  log "$t: initdb, $([[ $t == cairn ]] && echo "cairn repo init" || echo "pgbackrest stanza-create"), pgbench -i -s $scale"
  run "$t" initdb "$pgbin/initdb" -D "$data" -A trust -U postgres
  if [[ $t == cairn ]]; then
    archive_command="$cairn_cmd pg archive-push --stanza bench %p"
  else
    archive_command="$pgbr_cmd archive-push %p"
  fi
  cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$sock'
port = ${port[$t]}
wal_level = replica
archive_mode = on
archive_command = '$archive_command'
max_wal_size = 4GB
EOF
  run "$t" start "$pgbin/pg_ctl" -D "$data" -l "$logs/$t-postgres.log" -w -t 120 start
  if [[ $t == cairn ]]; then
    run "$t" init "${cairn[@]}" repo init
    run "$t" stanza "${cairn[@]}" pg stanza create bench --pg-path "$data" --pg-socket-path "$sock" \
      --pg-port "${port[$t]}"
  else
    run "$t" stanza "${pgbr[@]}" stanza-create
  fi
  run "$t" pgbench-init pgbench -i -s "$scale" -h "$sock" -p "${port[$t]}" -U postgres postgres
  sql "$t" checkpoint >/dev/null
  archive_idle "$t"
  R[$t.db_bytes]=$(sql "$t" "select sum(pg_database_size(oid)) from pg_database")
done

# ------------------------------------------------------------------ backups

for t in "${tools[@]}"; do
  sock=$work/sock-$t
  if [[ $t == cairn ]]; then
    timed "$t" full "${cairn[@]}" pg backup --stanza bench --type full
  else
    timed "$t" full "${pgbr[@]}" backup --type=full
  fi
  archive_idle "$t"

  log "$t: pgbench for ${pgbench_seconds}s"
  echo "### pgbench -T $pgbench_seconds" >>"$logs/$t.log"
  R[$t.tps]=$(as_pg pgbench -T "$pgbench_seconds" -c 2 -j 2 -h "$sock" -p "${port[$t]}" -U postgres postgres \
    2>>"$logs/$t.log" | tee -a "$logs/$t.log" | awk '/^tps/ { printf "%.0f", $3 }')
  archive_idle "$t"
  before=$(repo_bytes "$t")
  if [[ $t == cairn ]]; then
    timed "$t" incr "${cairn[@]}" pg backup --stanza bench --type incr
  else
    timed "$t" incr "${pgbr[@]}" backup --type=incr
  fi
  archive_idle "$t"
  R[$t.incr_bytes]=$(($(repo_bytes "$t") - before))
done

# ------------------------------------------------------------------ restore

# Each run restores into an empty directory; the tools take turns, so that
# both see the same drift of a shared machine, and the median is reported.
for run in $(seq "$restore_runs"); do
  for t in "${tools[@]}"; do
    target=$work/$t-restore
    rm -rf "$target"
    as_pg mkdir -m 0700 "$target"
    if [[ $t == cairn ]]; then
      timed "$t" "restore$run" "${cairn[@]}" pg restore --stanza bench --pg-path "$target"
    else
      timed "$t" "restore$run" "${pgbr[@]}" restore --pg1-path="$target" --process-max=2
    fi
    R[$t.restore_runs]="${R[$t.restore_runs]-} ${R[$t.restore${run}_s]}"
    R[$t.restore_rss]=${R[$t.restore${run}_rss]}
  done
done
for t in "${tools[@]}"; do
  R[$t.restore_s]=$(tr ' ' '\n' <<<"${R[$t.restore_runs]}" | grep . | sort -n |
    awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : sprintf("%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2)}')
  R[$t.restore_bytes]=$(du -sb "$work/$t-restore" | cut -f1)
done

# ------------------------------------------------------- archive-push latency

for t in "${tools[@]}"; do
  data=$work/$t-data
  log "$t: $pushes fresh WAL segments"
  sql "$t" "alter system set archive_command = '/bin/true'" >/dev/null
  sql "$t" "select pg_reload_conf()" >/dev/null
  first=$(sql "$t" "select pg_walfile_name(pg_current_wal_lsn())")
  sql "$t" "create table walgen as select g, md5(g::text) as m from generate_series(1, $((300000 * (pushes + 1)))) g" \
    >/dev/null
  last=$(sql "$t" "select pg_walfile_name(pg_switch_wal())")
  segs=$work/$t-segments
  as_pg mkdir -p "$segs"
  mapfile -t names < <(as_pg ls "$data/pg_wal" | grep -E '^[0-9A-F]{24}$' |
    awk -v a="$first" -v b="$last" '$0 > a && $0 <= b' | sort | head -n "$pushes")
  [[ ${#names[@]} -gt 0 ]] || die "$t: no finished WAL segment to push"
  for n in "${names[@]}"; do as_pg cp "$data/pg_wal/$n" "$segs/$n"; done
  if [[ $t == cairn ]]; then
    push_cmd="$cairn_cmd pg archive-push --stanza bench"
  else
    push_cmd="$pgbr_cmd archive-push"
  fi
  script="set -e; for f in ${names[*]}; do $push_cmd $segs/\$f; done"
  timed "$t" push sh -c "$script"
  R[$t.push_n]=${#names[@]}
  R[$t.push_ms]=$(awk -v s="${R[$t.push_s]}" -v n="${#names[@]}" 'BEGIN { printf "%.0f", s * 1000 / n }')
done

# -------------------------------------------------------------------- report

mb() { awk -v b="$1" 'BEGIN { if (b == "") print "—"; else printf (b < 1e7 ? "%.1f" : "%.0f"), b / 1e6 }'; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) print "—"; else printf "%.0f", b / 1e6 / s }'; }

report=$(
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  fs=$(df -PT "$work" | awk 'NR == 2 { print $2 }')
  echo "## $(date -u +%Y-%m-%d): PostgreSQL 15, pgbench -s $scale, cairn beside pgBackRest"
  echo
  echo "Command: \`SCALE=$scale PGBENCH_SECONDS=$pgbench_seconds PUSH_SEGMENTS=$pushes bench/pg-vs-pgbackrest.sh\`"
  echo
  echo "| tool | database MB | full backup s | MB/s | peak RSS MB | incr backup s | incr stored MB | restore s | MB/s | archive-push ms/segment |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for t in "${tools[@]}"; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$(mb "${R[$t.db_bytes]}")" \
      "${R[$t.full_s]}" "$(rate "${R[$t.db_bytes]}" "${R[$t.full_s]}")" "${R[$t.full_rss]}" \
      "${R[$t.incr_s]}" "$(mb "${R[$t.incr_bytes]}")" \
      "${R[$t.restore_s]}" "$(rate "${R[$t.restore_bytes]}" "${R[$t.restore_s]}")" "${R[$t.push_ms]}"
  done
  echo
  echo "- Database MB: sum of pg_database_size after \`pgbench -i -s $scale\`; full backup MB/s = that / time."
  echo "- Incremental: after \`pgbench -T $pgbench_seconds -c 2 -j 2\` (tps: cairn's cluster ${R[cairn.tps]}, pgBackRest's ${R[pgbackrest.tps]});"
  echo "  stored MB = growth of the repository (\`du -sb\`) across the backup, the WAL archive idle before and after."
  echo "- Restore: the incremental backup into an empty directory, $restore_runs runs per tool taking turns, median"
  echo "  (cairn:${R[cairn.restore_runs]} s; pgBackRest:${R[pgbackrest.restore_runs]} s); MB/s = restored directory size / time."
  echo "- archive-push: ${R[cairn.push_n]} and ${R[pgbackrest.push_n]} fresh 16 MiB segments (bulk insert), pushed one at a time; mean wall time."
  echo "- Seconds are wall-clock and include a final \`sync\`. Page cache: $cache_note."
  echo "- pgBackRest $(pgbackrest version | awk '{ print $2 }'): --compress-type=zst --process-max=2, repository on the same disk; cairn $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), default settings."
  echo "- Machine: $(nproc) cores, $cpu, $mem RAM, Linux $(uname -r), $fs file system."
)
echo "$report"
if [[ -n $results ]]; then
  printf '\n%s\n' "$report" >>"$results"
  log "report appended to $results"
fi
