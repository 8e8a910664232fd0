#!/usr/bin/env bash
# Installs the Debian 12 packages cairn needs, and nothing when they are all there.
#
#   scripts/install-deps.sh [build|test|s3|bench]...     (default: build)
#
#   build   compiler, CMake, Ninja and the libraries cairn links against
#   test    build + s3 + what the test suite uses at run time
#   s3      a single-node Ceph cluster with the RADOS Gateway (scripts/ceph-rgw.sh)
#   bench   build + the peers and tools of bench/ (restic, borgbackup, pgBackRest, GNU time)
#
# Idempotent: asks dpkg which packages are missing and, only if some are, runs
# `apt-get update` once and installs exactly those. Runs as root, or through
# sudo when not root.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config
  libssl-dev libzstd-dev libargon2-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libcurl4-openssl-dev libpq-dev
  libcctz-dev libcpp-httplib-dev libyaml-cpp-dev
)
# util-linux: mount/unshare for the fs tests; diffutils: tree comparisons;
# clang + libclang-rt-14-dev: libFuzzer and the sanitizer runtimes of scripts/fuzz.sh;
# faketime: runs cairn with a skewed clock against the S3 server.
# postgresql: the real PostgreSQL 15 server the pg tests start.
test_pkgs=(util-linux diffutils clang libclang-rt-14-dev faketime postgresql)
# kubectl (Debian's kubernetes-client) drives the fake Kubernetes API server
# of tests/k8s_support in the k8s tests. A kubectl already on PATH (another
# packaging) is used as it is.
command -v kubectl >/dev/null 2>&1 || test_pkgs+=(kubernetes-client)
# The S3 tests run against a real Ceph RGW (scripts/ceph-rgw.sh); curl signs its setup requests.
s3_pkgs=(ceph-mon ceph-osd ceph-mgr radosgw ceph-common uuid-runtime curl)
# time: /usr/bin/time for peak RSS; xz-utils: the kernel tarball;
# ca-certificates: lets `apt-get download` fetch over https mirrors;
# openssl, zstd: the hardware ceiling of bench/run.sh (openssl speed, zstd -b3);
# pgbackrest, postgresql: bench/pg-vs-pgbackrest.sh.
bench_pkgs=(restic borgbackup time xz-utils ca-certificates openssl zstd pgbackrest postgresql)

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

groups=("$@")
[[ ${#groups[@]} -eq 0 ]] && groups=(build)

wanted=()
for g in "${groups[@]}"; do
  case "$g" in
    build) wanted+=("${build_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${s3_pkgs[@]}") ;;
    s3) wanted+=("${s3_pkgs[@]}") ;;
    bench) wanted+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-deps: unknown group '$g' (expected build, test, s3 or bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  # Skip duplicates (groups overlap).
  case " ${missing[*]-} " in *" $p "*) continue ;; esac
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all packages for '${groups[*]}' are installed"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=(env)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env)
else
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: not root and sudo is not available; install them as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
apt_opts=(-o Acquire::Retries=3 -o DPkg::Lock::Timeout=300)
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update -q
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -q \
  --no-install-recommends "${missing[@]}"
