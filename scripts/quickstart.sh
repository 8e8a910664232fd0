#!/usr/bin/env bash
# Builds cairn and walks through one backup and restore of a sample directory.
#
#   scripts/quickstart.sh
#
# Everything it makes is under ./cairn-demo/ in the current directory
# (CAIRN_DEMO_DIR overrides): a local repository (repo/), its password file
# (password, mode 0600), a sample directory (sample/) and one restore-<time>/
# per run. Running it again reuses the repository and adds a new backup.
# Exits non-zero if any step fails or the restored copy differs from the source.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1-}" in
  -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "quickstart.sh: takes no arguments" >&2; exit 2 ;;
esac

demo=${CAIRN_DEMO_DIR:-$PWD/cairn-demo}
step_name="start"
step() {
  step_name=$1
  echo
  echo "==> $1"
}
trap 'rc=$?; [[ $rc -ne 0 ]] && echo "quickstart: FAILED at step \"$step_name\" (exit $rc)" >&2' EXIT

step "Install build dependencies"
"$root/scripts/install-deps.sh" build

step "Build cairn (release, build/)"
"$root/scripts/build.sh" release --target cairn
cairn=${CAIRN_BIN:-$root/build/cairn}

step "Prepare the demo in $demo"
mkdir -p "$demo"
demo=$(cd "$demo" && pwd -P)
export CAIRN_REPO=$demo/repo
export CAIRN_PASSWORD_FILE=$demo/password
unset CAIRN_PASSWORD
if [[ ! -s $CAIRN_PASSWORD_FILE ]]; then
  (umask 077 && head -c 24 /dev/urandom | base64 >"$CAIRN_PASSWORD_FILE")
fi
chmod 600 "$CAIRN_PASSWORD_FILE"
echo "repository:    $CAIRN_REPO"
echo "password file: $CAIRN_PASSWORD_FILE (mode $(stat -c %a "$CAIRN_PASSWORD_FILE"))"

sample=$demo/sample
if [[ ! -d $sample ]]; then
  mkdir -p "$sample/notes" "$sample/data/2024" "$sample/empty-dir"
  printf 'cairn quickstart sample\n' >"$sample/README.txt"
  printf -- '- back up\n- restore\n- check\n' >"$sample/notes/todo.md"
  printf 'first line\nsecond line\n' >"$sample/notes/file with spaces.txt"
  seq 1 2000 | awk '{print $1 ",value-" $1 "," $1 * 7}' >"$sample/data/2024/records.csv"
  printf '#!/bin/sh\necho hello\n' >"$sample/data/run.sh"
  chmod 755 "$sample/data/run.sh"
  : >"$sample/data/empty.txt"
  ln -s notes/todo.md "$sample/latest-todo"
  head -c $((5 * 1024 * 1024)) /dev/urandom >"$sample/data/blob-5MiB.bin"
fi
echo "sample:        $sample ($(find "$sample" | wc -l) entries, $(du -sh "$sample" | cut -f1))"

stamp=$(date -u +%Y%m%d-%H%M%S)
backup=demo-$stamp
restore_dir=$demo/restore-$stamp

step "Initialise the repository unless it exists (cairn repo init)"
rc=0
"$cairn" backup get >/dev/null 2>&1 || rc=$?
case $rc in
  0)
    echo "$CAIRN_REPO is already a repository: reusing it" ;;
  10)
    "$cairn" repo init ;;
  12)
    echo "quickstart: $CAIRN_REPO exists but $CAIRN_PASSWORD_FILE does not open it;" >&2
    echo "quickstart: remove $demo to start over" >&2
    exit 1 ;;
  *)
    echo "quickstart: cannot open $CAIRN_REPO (cairn exit $rc):" >&2
    "$cairn" backup get >&2 || true
    exit 1 ;;
esac

step "Back up the sample (cairn backup create $backup --path $sample)"
"$cairn" backup create "$backup" --path "$sample"

step "List backups (cairn backup get)"
"$cairn" backup get

step "Restore it (cairn restore create --from-backup $backup --target $restore_dir)"
"$cairn" restore create --from-backup "$backup" --target "$restore_dir"

step "Compare the restored copy with the source"
# Restored paths are the backed-up absolute paths re-rooted under the target.
restored=$restore_dir$sample
echo "diff -r $sample $restored"
if ! diff -r --no-dereference "$sample" "$restored"; then
  echo "quickstart: the restored copy differs from the source" >&2
  exit 1
fi
# Same entries, types, modes and symlink targets.
listing() { (cd "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort); }
if ! diff <(listing "$sample") <(listing "$restored"); then
  echo "quickstart: the restored tree's entries, types or modes differ from the source" >&2
  exit 1
fi
echo "restored copy matches the source"

step "Check the repository (cairn repo check)"
"$cairn" repo check

echo
echo "Done. To keep exploring:"
echo "  export CAIRN_REPO=$CAIRN_REPO CAIRN_PASSWORD_FILE=$CAIRN_PASSWORD_FILE"
echo "  $cairn backup describe $backup --details"
