#!/usr/bin/env bash
# A throwaway single-node Ceph cluster with the RADOS Gateway, for the S3 tests.
#
#   scripts/ceph-rgw.sh up|down|env|status
#
#   up      installs the Ceph packages if missing (install-deps.sh s3), starts a
#           monitor, a manager, one in-memory (memstore) OSD and radosgw on
#           127.0.0.1, creates a test user and bucket, and writes the env file
#   down    stops the daemons and removes the scratch folder
#   env     prints the env file: `eval "$(scripts/ceph-rgw.sh env)"`
#   status  exit 0 when the gateway answers
#
# Settings (environment): CAIRN_RGW_DIR scratch folder (default /tmp/cairn-rgw),
# CAIRN_RGW_PORT gateway port (default 7480), CAIRN_RGW_MON_PORT monitor port
# (default 3300). `up` on a running gateway does nothing; `up` over a dead
# or half-started one tears it down and starts afresh. Runs as root (or through sudo for apt).
# The env file exports CAIRN_TEST_S3_ENDPOINT, _REGION, _BUCKET, _ACCESS_KEY,
# _SECRET_KEY, which tests/storage reads, and for the protected buckets
# _WRITER_ACCESS_KEY, _WRITER_SECRET_KEY (a user allowed only PutObject in
# _WRITE_ONLY_BUCKET) and _LOCKED_BUCKET (Object Lock COMPLIANCE, 1 day).
set -eEuo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${CAIRN_RGW_DIR:-/tmp/cairn-rgw}
port=${CAIRN_RGW_PORT:-7480}
mon_port=${CAIRN_RGW_MON_PORT:-3300}
endpoint="http://127.0.0.1:$port"
access_key=CAIRNTESTKEY
secret_key=cairn-test-secret-0123456789
bucket=cairn-test
region=us-east-1
# A second user that the write-only bucket's policy allows PutObject only.
writer_key=CAIRNWRITERKEY
writer_secret=cairn-writer-secret-0123456789
# Owned by cairn-test: writer may only put (testinfra.md's policy).
wonly_bucket=cairn-wonly
# Object Lock on, default retention COMPLIANCE for 1 day.
locked_bucket=cairn-locked

log() { echo "ceph-rgw: $*" >&2; }

answers() { curl -s -o /dev/null --max-time 2 "$endpoint/"; }

# The pid in pid file $1 if it is still one of our Ceph daemons (a stale pid
# file must never make us signal an unrelated process that reused the pid).
daemon_pid() {
  local pid comm
  [[ -f "$1" ]] || return 1
  pid=$(cat "$1")
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  case "$comm" in ceph-mon | ceph-mgr | ceph-osd | radosgw) echo "$pid" ;; *) return 1 ;; esac
}

stop_daemons() {
  local f pid alive
  [[ -d "$dir/run" ]] || return 0
  for f in "$dir"/run/*.pid; do
    if pid=$(daemon_pid "$f"); then kill "$pid" 2>/dev/null || true; fi
  done
  # Daemons flush their logs on TERM; give them 5 s, then KILL what is left.
  for _ in $(seq 50); do
    alive=0
    for f in "$dir"/run/*.pid; do
      daemon_pid "$f" >/dev/null && alive=1
    done
    [[ $alive -eq 0 ]] && return 0
    sleep 0.1
  done
  for f in "$dir"/run/*.pid; do
    if pid=$(daemon_pid "$f"); then kill -9 "$pid" 2>/dev/null || true; fi
  done
}

write_conf() {
  cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $1
mon host = [v2:127.0.0.1:$mon_port]
public network = 127.0.0.0/8
keyring = $dir/keyring
auth allow insecure global id reclaim = false
run dir = $dir/run
admin socket = $dir/run/\$cluster-\$name.asok
log file = $dir/log/\$cluster-\$name.log
pid file = $dir/run/\$cluster-\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
osd crush chooseleaf type = 0
[mon.a]
mon data = $dir/mon-a
[osd.0]
osd data = $dir/osd-0
osd objectstore = memstore
memstore device bytes = 4294967296
osd max object name len = 256
osd max object namespace len = 64
[mgr.x]
mgr data = $dir/mgr-x
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw data = $dir/rgw
rgw dns name = localhost
CONF
}

make_keyring() {
  local k=$dir/keyring
  ceph-authtool --create-keyring "$k" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' \
    --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool "$k" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' \
    --cap mds 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' \
    --cap mgr 'allow rw' >/dev/null
}

# s3_request METHOD PATH [BODY [HEADER...]]: one request signed as cairn-test;
# prints the HTTP status, keeps the response body in $dir/log/s3.out.
s3_request() {
  local method=$1 path=$2 body=${3-} sha md5
  shift 3 || shift $#
  printf '%s' "$body" >"$dir/log/s3.body"
  sha=$(sha256sum "$dir/log/s3.body" | cut -d' ' -f1)
  md5=$(openssl dgst -md5 -binary "$dir/log/s3.body" | base64)
  local headers=(-H "x-amz-content-sha256: $sha" -H "Content-MD5: $md5")
  for h in "$@"; do headers+=(-H "$h"); done
  curl -s -o "$dir/log/s3.out" -w '%{http_code}' -X "$method" --data-binary "@$dir/log/s3.body" "${headers[@]}" \
    --aws-sigv4 "aws:amz:$region:s3" --user "$access_key:$secret_key" "$endpoint/$path"
}

must() {
  local what=$1 code
  shift
  code=$(s3_request "$@")
  if [[ $code != 200 && $code != 204 && $code != 409 ]]; then
    log "$what failed (HTTP $code): $(cat "$dir/log/s3.out")"
    return 1
  fi
}

# The write-only bucket (the writer may PutObject and nothing else) and the
# Object Lock bucket (COMPLIANCE, 1 day), as a ransomware-protected
# location would have them.
make_protected_buckets() {
  must "creating bucket $wonly_bucket" PUT "$wonly_bucket"
  local policy
  policy=$(cat <<POLICY
{"Version":"2012-10-17","Statement":[
 {"Sid":"WriteOnly","Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/cairn-writer"]},
  "Action":["s3:PutObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"],"Resource":["arn:aws:s3:::$wonly_bucket/*"]},
 {"Sid":"NoReadNoDelete","Effect":"Deny","Principal":{"AWS":["arn:aws:iam:::user/cairn-writer"]},
  "Action":["s3:GetObject","s3:DeleteObject","s3:DeleteObjectVersion","s3:GetObjectVersion","s3:ListBucket"],
  "Resource":["arn:aws:s3:::$wonly_bucket","arn:aws:s3:::$wonly_bucket/*"]}]}
POLICY
)
  must "setting the policy of $wonly_bucket" PUT "$wonly_bucket?policy=" "$policy"
  must "creating bucket $locked_bucket" PUT "$locked_bucket" "" "x-amz-bucket-object-lock-enabled: true"
  must "setting the object lock of $locked_bucket" PUT "$locked_bucket?object-lock=" \
    '<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>'
}

write_env() {
  cat >"$dir/env" <<ENV
export CAIRN_TEST_S3_ENDPOINT=$endpoint
export CAIRN_TEST_S3_REGION=$region
export CAIRN_TEST_S3_BUCKET=$bucket
export CAIRN_TEST_S3_ACCESS_KEY=$access_key
export CAIRN_TEST_S3_SECRET_KEY=$secret_key
export CAIRN_TEST_S3_WRITER_ACCESS_KEY=$writer_key
export CAIRN_TEST_S3_WRITER_SECRET_KEY=$writer_secret
export CAIRN_TEST_S3_WRITE_ONLY_BUCKET=$wonly_bucket
export CAIRN_TEST_S3_LOCKED_BUCKET=$locked_bucket
ENV
}

up() {
  if answers; then
    if [[ -f "$dir/env" ]]; then
      log "already running at $endpoint ($dir)"
      return 0
    fi
    log "another server already answers at $endpoint: stop it, or choose another CAIRN_RGW_PORT"
    return 1
  fi
  local t0=$SECONDS
  "$root/scripts/install-deps.sh" s3 >&2
  stop_daemons
  rm -rf "$dir"
  mkdir -p "$dir"/{run,log,mon-a,osd-0,mgr-x,rgw}
  # A failed step must not leave half a cluster running.
  trap 'log "starting failed; stopping the daemons (logs in $dir/log)"; stop_daemons' ERR
  local fsid c osd_uuid id
  fsid=$(uuidgen)
  write_conf "$fsid"
  make_keyring
  c=(-c "$dir/ceph.conf")
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
  ceph-mon "${c[@]}" -i a
  ceph-mgr "${c[@]}" -i x
  osd_uuid=$(uuidgen)
  id=$(ceph "${c[@]}" --connect-timeout 60 osd new "$osd_uuid")
  ceph-osd "${c[@]}" -i "$id" --mkfs --osd-uuid "$osd_uuid" 2>>"$dir/log/mkfs.log"
  ceph-osd "${c[@]}" -i "$id" 2>>"$dir/log/osd-start.log"
  radosgw "${c[@]}" -n client.rgw.a
  local rgw_pid=$dir/run/ceph-client.rgw.a.pid
  for _ in $(seq 120); do
    answers && break
    sleep 0.5
  done
  if ! answers || ! daemon_pid "$rgw_pid" >/dev/null; then
    log "radosgw did not answer at $endpoint within 60 s (is the port taken?); logs in $dir/log"
    tail -n 20 "$dir/log/ceph-client.rgw.a.log" >&2 || true
    stop_daemons
    return 1
  fi
  radosgw-admin "${c[@]}" user create --uid=cairn-test --display-name="cairn tests" \
    --access-key="$access_key" --secret-key="$secret_key" >/dev/null
  radosgw-admin "${c[@]}" user create --uid=cairn-writer --display-name="cairn write-only client" \
    --access-key="$writer_key" --secret-key="$writer_secret" >/dev/null
  # The bucket: a signed PUT from curl (7.75+ signs SigV4 itself, but RGW
  # also wants the payload hash header, which curl 7.88 does not add).
  local code empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  for _ in $(seq 20); do
    code=$(curl -s -o "$dir/log/make-bucket.out" -w '%{http_code}' -X PUT \
      -H "x-amz-content-sha256: $empty_sha256" --aws-sigv4 "aws:amz:$region:s3" --user "$access_key:$secret_key" "$endpoint/$bucket")
    [[ $code == 200 || $code == 409 ]] && break
    sleep 0.5
  done
  if [[ $code != 200 && $code != 409 ]]; then
    log "creating bucket $bucket failed (HTTP $code): $(cat "$dir/log/make-bucket.out")"
    return 1
  fi
  make_protected_buckets
  write_env
  log "up at $endpoint in $((SECONDS - t0)) s; env in $dir/env"
}

down() {
  stop_daemons
  rm -rf "$dir"
  log "down"
}

case "${1-}" in
  up) up ;;
  down) down ;;
  env)
    [[ -f "$dir/env" ]] || { log "not running (no $dir/env); run: scripts/ceph-rgw.sh up"; exit 1; }
    cat "$dir/env"
    ;;
  status) answers ;;
  -h | --help | "") sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) log "unknown command '$1' (expected up, down, env or status)"; exit 2 ;;
esac
