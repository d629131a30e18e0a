#!/usr/bin/env bash
# Someone who can write store.db but does not have the master key, using
# the sqlite3 shell on the file: each change they make to a connection (a
# secret row made plaintext, a new URL, swapped names, an added or dropped
# field, an older ciphertext, an older copy of the whole row, with or
# without the store's list of versions) is refused by `svcconn show`, `list`,
# `show --json`, `list --json`, `export`, a job of `svcconn-agent run` and its job-start
# hook, with an error
# naming the connection, and the secret reaches none of their outputs; a
# job that names only an intact connection still runs.
# Then edit, rename, rekey, import and delete still work and verify; and a
# FIFO at the key file is refused at once instead of blocking.
set -euo pipefail
: "${SVC_BIN_DIR:?}"
command -v sqlite3 >/dev/null || { echo "store_tamper: needs the sqlite3 shell"; exit 1; }
work=$(mktemp -d /tmp/svctamper.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
db="$SVCCONN_HOME/store.db"
sql() { sqlite3 "$db" "$@"; }
fail() { echo "store_tamper: $*"; exit 1; }

SECRET=gh-real-secret-5150
OLD_SECRET=gh-older-secret-0451
printf '%s\n' "$OLD_SECRET" > "$work/old"
printf '%s\n' "$SECRET" > "$work/pw"
printf 'other-secret-7788\n' > "$work/other"
svcconn init >/dev/null
svcconn create generic gh --url https://api.example.test --set username=u \
  --secret password=@"$work/old" --grant-all-pipelines >/dev/null
svcconn create generic other --url https://other.example.test --set username=o \
  --secret password=@"$work/other" --grant-all-pipelines >/dev/null
# what an attacker may have kept from earlier: gh's older ciphertext, and
# the whole older row with its MAC and the store's list of versions
old_sealed=$(sql "SELECT hex(sealed) FROM fields f JOIN connections c ON c.id = f.conn_id WHERE c.name = 'gh' AND f.key = 'password'")
old_mac=$(sql "SELECT version || ',' || hex(mac) FROM conn_macs m JOIN connections c ON c.id = m.conn_id WHERE c.name = 'gh'")
old_manifest=$(sql "SELECT hex(value) FROM meta WHERE key = 'conn_manifest'")
old_entries=$(sql "SELECT group_concat('(''' || conn_id || ''', ' || version || ')') FROM conn_manifest")
svcconn edit gh --secret password=@"$work/pw" >/dev/null
svcconn edit other --description "written since" >/dev/null
gh_id=$(sql "SELECT id FROM connections WHERE name = 'gh'")

# a task that prints what it was given
mkdir -p "$work/tasks/ShowV1"
cat > "$work/tasks/ShowV1/task.json" <<'JSON'
{ "id": "3e1f2a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b", "name": "Show",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "inputs": [ { "name": "conn", "type": "connectedService:generic" } ],
  "execution": { "Bash": { "target": "show.sh" } } }
JSON
cat > "$work/tasks/ShowV1/show.sh" <<SH
id=\$INPUT_CONN
echo "step ran: url \$(printenv "ENDPOINT_URL_\$id")"
printenv "ENDPOINT_AUTH_PARAMETER_\${id}_PASSWORD" > "$work/step.out"
SH
cat > "$work/job.yml" <<'YAML'
steps:
  - task: Show@1
    inputs:
      conn: gh
YAML

# the store as it is now, to go back to before each attack
snapshot="$work/snapshot"
cp -a "$SVCCONN_HOME" "$snapshot"
restore() { rm -rf "$SVCCONN_HOME"; cp -a "$snapshot" "$SVCCONN_HOME"; }

# names_changed WHAT WHO NAME EITHER OUT: OUT (WHO's error) names
# connection NAME as failing its integrity check; with EITHER = either
# (two connections changed: swapped names), whichever of gh and other is
# checked first
names_changed() {
  if [ "$4" = either ]; then
    grep -qE "connection '(gh|other)' failed its integrity check" <<<"$5" ||
      fail "$1: $2 names neither changed connection: $5"
  else
    grep -qF "connection '$3' failed its integrity check" <<<"$5" ||
      fail "$1: $2 does not name '$3': $5"
  fi
}

# every reader refuses, names the connection, and leaks nothing
refused() {
  local what=$1 name=${2:-gh} out rc
  for cmd in "show $name" "show $name --json" list "list --json" \
             "export $name --include-secrets -o $work/out.yml"; do
    rm -f "$work/out.yml"
    set +e; out=$(svcconn $cmd 2>&1); rc=$?; set -e
    [ "$rc" -ne 0 ] || fail "$what: 'svcconn $cmd' was accepted: $out"
    # a list names the first connection it refuses: one changed too
    case $cmd in list*) want="failed its integrity check: the store was changed without the key" ;;
                 *) want="connection '$name' failed its integrity check: the store was changed without the key" ;; esac
    grep -qF "$want" <<<"$out" || fail "$what: 'svcconn $cmd' did not name '$name': $out"
    for s in "$SECRET" "$OLD_SECRET" attacker-value; do
      if grep -qF "$s" <<<"$out" || grep -qsF "$s" "$work/out.yml"; then
        fail "$what: 'svcconn $cmd' leaked $s"
      fi
    done
  done
  rm -f "$work/step.out"
  set +e
  out=$(cd "$work" && agent run job.yml --pipeline demo --tasks-dir "$work/tasks" 2>&1); rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "$what: the job ran: $out"
  names_changed "$what" "the job's error" "$name" "${3:-}" "$out"
  ! grep -q 'step ran' <<<"$out" || fail "$what: the step ran: $out"
  [ ! -s "$work/step.out" ] || fail "$what: the step got a password"
  for s in "$SECRET" "$OLD_SECRET" attacker-value; do
    ! grep -qF "$s" <<<"$out" || fail "$what: the job leaked $s"
  done
  # the same job through the hooks: job-start refuses it
  rm -rf "$work/jd"
  set +e
  out=$(cd "$work" && agent job-start --pipeline-file job.yml --pipeline demo --job Job --run-id 1 \
    --tasks-dir "$work/tasks" --job-dir "$work/jd" 2>&1); rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "$what: job-start accepted it: $out"
  names_changed "$what" "job-start's error" "$name" "${3:-}" "$out"
  for s in "$SECRET" "$OLD_SECRET" attacker-value; do
    ! grep -qF "$s" <<<"$out" || fail "$what: job-start leaked $s"
    ! grep -rqsF "$s" "$work/jd" || fail "$what: job-start wrote $s"
  done
}

# the untouched store works: the job gets the current password
out=$(cd "$work" && agent run job.yml --pipeline demo --tasks-dir "$work/tasks" 2>&1) ||
  fail "untouched store: $out"
grep -q 'step ran: url https://api.example.test' <<<"$out" || fail "untouched: $out"
[ "$(cat "$work/step.out")" = "$SECRET" ] || fail "untouched: wrong password"

# 1. the secret row made plaintext
restore
sql "UPDATE fields SET secret = 0, value = 'attacker-value', sealed = NULL, key_id = NULL WHERE conn_id = '$gh_id' AND key = 'password'"
refused "plaintext secret row"

# 2. a new URL: the next job would send the password there
restore
sql "UPDATE connections SET url = 'https://evil.example.test' WHERE id = '$gh_id'"
refused "changed URL"

# 3. a changed data field, type or scheme
restore
sql "UPDATE fields SET value = 'admin' WHERE conn_id = '$gh_id' AND key = 'username'"
refused "changed data field"
restore
sql "UPDATE connections SET scheme = 'Token' WHERE id = '$gh_id'"
refused "changed scheme"

# 4. swapped names
restore
sql "UPDATE connections SET name = 'tmp' WHERE name = 'gh';
     UPDATE connections SET name = 'gh' WHERE name = 'other';
     UPDATE connections SET name = 'other' WHERE name = 'tmp';"
refused "swapped names" gh either

# 5. a field added, a field dropped
restore
sql "INSERT INTO fields (conn_id, key, kind, secret, value) VALUES ('$gh_id', 'extra', 1, 0, 'attacker-value')"
refused "added field"
restore
sql "DELETE FROM fields WHERE conn_id = '$gh_id' AND key = 'username'"
refused "dropped field"

# 6. gh's older ciphertext put back (it still opens with the key)
restore
sql "UPDATE fields SET sealed = x'$old_sealed' WHERE conn_id = '$gh_id' AND key = 'password'"
refused "older ciphertext"

# 7. the whole older row with its MAC, with and without the older list
restore
sql "UPDATE fields SET sealed = x'$old_sealed' WHERE conn_id = '$gh_id' AND key = 'password';
     UPDATE conn_macs SET version = ${old_mac%%,*}, mac = x'${old_mac#*,}' WHERE conn_id = '$gh_id'"
refused "older row and MAC"
sql "UPDATE meta SET value = CAST(x'$old_manifest' AS TEXT) WHERE key = 'conn_manifest';
     DELETE FROM conn_manifest; INSERT INTO conn_manifest VALUES $old_entries"
# gh now matches the older list, but 'other' (written since) does not:
# whichever connection is read, the store is refused
refused "older row, MAC and list" other
set +e; out=$(svcconn show gh --json 2>&1); rc=$?; set -e
[ "$rc" -ne 0 ] || fail "older row, MAC and list: gh was accepted: $out"
grep -qF "connection 'other' failed its integrity check" <<<"$out" || fail "older list: $out"
! grep -qF "$OLD_SECRET" <<<"$out" || fail "older list: leaked"

# 8. a connection added without the key
restore
sql "INSERT INTO connections (id, project_id, name, type, scheme, url, created_by, created_at, updated_by, updated_at, all_pipelines)
     SELECT '00000000-0000-4000-8000-00000000beef', id, 'planted', 'generic', 'UsernamePassword', 'https://evil.example.test', 'x', 't', 'x', 't', 1
     FROM projects WHERE name = 'default';
     INSERT INTO fields (conn_id, key, kind, secret, value) VALUES ('00000000-0000-4000-8000-00000000beef', 'password', 1, 0, 'attacker-value')"
refused "planted connection" planted
set +e; out=$(svcconn list 2>&1); rc=$?; set -e
[ "$rc" -ne 0 ] && grep -qF "connection 'planted' failed its integrity check" <<<"$out" ||
  fail "list accepted a planted connection: $out"
# it is deleted like any connection, and the store works again
svcconn delete planted >/dev/null
svcconn show gh >/dev/null

# 9. a connection's rows removed without the key: refused until its id is
# deleted, which accepts that
restore
sql "DELETE FROM connections WHERE name = 'other'"
set +e; out=$(svcconn show gh 2>&1); rc=$?; set -e
[ "$rc" -ne 0 ] && grep -q "was removed without the key" <<<"$out" || fail "removed row: $out"
other_id=$(echo "$out" | sed -n "s/.*connection id '\([0-9a-f-]*\)'.*/\1/p")
svcconn delete "$other_id" >/dev/null
svcconn show gh >/dev/null

# a changed row refuses only its own connection; it can be deleted
restore
sql "UPDATE connections SET url = 'https://evil.example.test' WHERE id = '$gh_id'"
svcconn show other >/dev/null || fail "a connection with an intact row is refused"
# a job that names only the other one runs: its plan reads the connections
# it names, not every one, while the list still refuses gh
sed 's/conn: gh/conn: other/' "$work/job.yml" > "$work/job-other.yml"
rm -f "$work/step.out"
out=$(cd "$work" && agent run job-other.yml --pipeline demo --tasks-dir "$work/tasks" 2>&1) ||
  fail "a job naming only an intact connection was refused: $out"
grep -q 'step ran: url https://other.example.test' <<<"$out" || fail "job of other: $out"
[ "$(cat "$work/step.out")" = other-secret-7788 ] || fail "job of other: wrong password"
set +e; out=$(svcconn list 2>&1); rc=$?; set -e
[ "$rc" -ne 0 ] && grep -qF "connection 'gh' failed its integrity check" <<<"$out" ||
  fail "list accepted a changed row: $out"
svcconn delete gh >/dev/null
svcconn show other >/dev/null
svcconn list >/dev/null

# legitimate edits, rename, rekey, import and delete keep verifying
restore
svcconn edit gh --url https://api2.example.test >/dev/null
svcconn rename gh gh2 >/dev/null
svcconn rename other gh >/dev/null
svcconn rename gh2 other2 >/dev/null
svcconn rekey >/dev/null
svcconn export --include-secrets -o "$work/all.yml" >/dev/null
svcconn delete other2 >/dev/null
svcconn import "$work/all.yml" --replace >/dev/null
svcconn show other2 --json | grep -q 'https://api2.example.test' || fail "import"
svcconn list >/dev/null
svcconn delete gh >/dev/null
svcconn rename other2 gh >/dev/null
out=$(cd "$work" && agent run job.yml --pipeline demo --tasks-dir "$work/tasks" 2>&1) ||
  fail "after edits: $out"
grep -q 'step ran: url https://api2.example.test' <<<"$out" || fail "after edits: $out"
[ "$(cat "$work/step.out")" = "$SECRET" ] || fail "after edits: wrong password"
# and a change made without the key after all that is still refused
sql "UPDATE connections SET url = 'https://evil.example.test' WHERE name = 'gh'"
refused "changed URL after rekey"

# a FIFO at the key file: refused at once, naming it, instead of blocking
restore
rm "$SVCCONN_HOME/master.key"
mkfifo "$SVCCONN_HOME/master.key"
set +e; out=$(timeout 10 "$SVC_BIN_DIR/svcconn" list 2>&1); rc=$?; set -e
[ "$rc" -ne 124 ] || fail "a FIFO at master.key blocks svcconn"
[ "$rc" -ne 0 ] && grep -qF "master key '$SVCCONN_HOME/master.key' is not a regular file" <<<"$out" ||
  fail "FIFO at master.key: exit $rc: $out"
mkfifo "$work/keyfifo"
set +e; out=$(SVCCONN_KEY_FILE="$work/keyfifo" timeout 10 "$SVC_BIN_DIR/svcconn" list 2>&1); rc=$?; set -e
[ "$rc" -ne 124 ] || fail "a FIFO at SVCCONN_KEY_FILE blocks svcconn"
[ "$rc" -ne 0 ] && grep -qF "'$work/keyfifo' is not a regular file" <<<"$out" ||
  fail "FIFO at SVCCONN_KEY_FILE: exit $rc: $out"
echo "store_tamper: every change without the key refused"
