#!/usr/bin/env bash
# A store on PostgreSQL through the command line: `svcconn init --database`
# records the location in the store directory's 0600 file "database" (no
# store.db), later commands find it there; a connection made through the
# CLI is read back with its secret, which the database holds only sealed;
# a second init on the same database is refused; a location with a
# password on the command line is refused and the password is in no
# output.  Needs the ctest fixture "pg" ($SVCCONN_TEST_PG).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVCCONN_TEST_PG:?}"
work=$(mktemp -d /tmp/svcstorepg.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
unset SVCCONN_DATABASE
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
fail() { echo "store_pg: $*"; exit 1; }

base=$(cat "$SVCCONN_TEST_PG/url")
dbname="svcstorepg_$$"
psql -q "$base" -c "CREATE DATABASE $dbname" >/dev/null
url="${base%/*}/$dbname"

svcconn init --database "$url" >/dev/null
[ -f "$SVCCONN_HOME/database" ] || fail "no file 'database' in the store directory"
[ "$(stat -c %a "$SVCCONN_HOME/database")" = 600 ] || fail "'database' is not 0600"
[ "$(cat "$SVCCONN_HOME/database")" = "$url" ] || fail "'database' does not hold the location"
[ ! -e "$SVCCONN_HOME/store.db" ] || fail "init made store.db too"

SECRET=pg-secret-$RANDOM$RANDOM
printf '%s\n' "$SECRET" > "$work/pw"
svcconn create generic gh --url https://api.example.test --set username=u \
  --secret password=@"$work/pw" >/dev/null
out=$(svcconn list --json)
grep -q '"gh"' <<<"$out" || fail "list does not show the connection: $out"
out=$(svcconn export gh --include-secrets -o "$work/export.yml" 2>&1) || fail "export failed: $out"
grep -q "$SECRET" "$work/export.yml" || fail "the secret did not come back"
# the database holds the secret only sealed
dump=$(psql -At "$url" -c "SELECT encode(sealed, 'escape') FROM fields; SELECT value FROM fields WHERE value IS NOT NULL")
if grep -q "$SECRET" <<<"$dump"; then fail "the secret is in the database in the clear"; fi
n=$(psql -At "$url" -c "SELECT count(*) FROM fields WHERE secret = 1")
[ "$n" = 1 ] || fail "expected one sealed field, got $n"

# a second store on the same database is refused
if out=$(SVCCONN_HOME="$work/other" svcconn init --database "$url" 2>&1); then
  fail "a second init on the same database succeeded"
fi
grep -q "exists already at 'postgresql://127.0.0.1:" <<<"$out" || fail "unexpected: $out"

# no password on the command line, and none repeated in any message
if out=$(SVCCONN_HOME="$work/third" svcconn init --database "postgresql://u:hunter2-$$@127.0.0.1:1/x" 2>&1); then
  fail "a password on the command line was taken"
fi
if grep -q "hunter2" <<<"$out"; then fail "the password is in the message: $out"; fi
printf 'postgresql://u:hunter2-%s@127.0.0.1:1/x\n' "$$" > "$work/loc"
if out=$(SVCCONN_HOME="$work/third" svcconn init --database @"$work/loc" 2>&1); then
  fail "init on a closed port succeeded"
fi
grep -q "cannot be reached" <<<"$out" || fail "unexpected: $out"
if grep -q "hunter2" <<<"$out"; then fail "the password is in the message: $out"; fi
[ ! -e "$work/third/database" ] || fail "a failed init left its 'database' file"
psql -q "$base" -c "DROP DATABASE $dbname" >/dev/null
echo "store_pg: ok"
