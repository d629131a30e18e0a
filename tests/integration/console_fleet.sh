#!/usr/bin/env bash
# The web console's sessions shared by a fleet (docs/scale.md, issues 15
# and 16): two svcconn-server processes on one store, with no stickiness
# (curl sends each request to the server it names), first on one SQLite
# store directory, then on one PostgreSQL database of the ctest fixture
# "pg" ($SVCCONN_TEST_PG).  On each:
#   - a sign-in through server A works on server B: the list loads, and a
#     Delete confirmed with the CSRF token of a page of A, posted to B,
#     deletes the connection (the token is derived from the cookie, the
#     same on every server); the same post with a wrong token is a 403
#     that deletes nothing;
#   - the database holds the SHA-256 of the cookie's id and never the id,
#     neither in hex nor as bytes: the SQLite file and its write-ahead
#     log, or pg_dump's output, searched for both;
#   - a forged cookie of the right form, and a malformed one, lead to the
#     sign-in on both servers;
#   - a sign-out through B ends the session on A (its row gone);
#   - a session signed in with a token ends on the other server when the
#     token is revoked, and one signed in with a password ends when the
#     password is changed, and when it is removed; ended rows are purged
#     by the next sign-in;
#   - (SQLite) svcconn migrate leaves the live session behind: the copy's
#     console_sessions is empty, listed with 0 rows.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}" "${SVCCONN_TEST_PG:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup console_fleet
unset SVCCONN_DATABASE
srv_cert
pgbase=$(cat "$SVCCONN_TEST_PG/url")
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
dbname="svcconsfleet_$$"
dropdb() { psql -q "$pgbase" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1 || true; }
cleanup() { srv_cleanup; dropdb; }
trap cleanup EXIT

signin() { # JAR BASE FIELDS...: a sign-in through BASE (secrets from files); its status
  local jar=$1 b=$2; shift 2
  curl -sS --cacert "$work/cert.pem" -c "$jar" -o /dev/null -w '%{http_code}' \
    "$@" --data project=default "$b/console/signin"
}
page() { # JAR BASE PATH: the page's status ("303 LOCATION" for a redirect), its body in $work/body
  local code
  code=$(curl -sS --cacert "$work/cert.pem" -b "$1" -o "$work/body" -D "$work/head" \
    -w '%{http_code}' "$2/console/default/default/$3")
  [ "$code" = 303 ] && code="303 $(sed -n 's/^Location: \([^\r]*\).*/\1/ip' "$work/head")"
  echo "$code"
}
post() { # JAR BASE PATH FIELDS...: a POST's status, its body in $work/body
  local jar=$1 b=$2 p=$3; shift 3
  curl -sS --cacert "$work/cert.pem" -b "$jar" -o "$work/body" -w '%{http_code}' \
    "$@" "$b/console/$p"
}
passwd() { { cat "$1"; echo; } | svcconn users passwd admin >/dev/null; } # FILE: admin's password
cookie() { awk '$6 == "svcconn_session" { print $7 }' "$1"; }
csrf() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$work/body" | head -n1; }
sha256() { python3 -c 'import hashlib, sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())' "$1"; }

# fleet LABEL SQL: servers A and B on the store of $SVCCONN_HOME; SQL a
# command reading one value from its database
fleet() {
  local label=$1 sql=$2 a b id tok_id c h forged n
  mk() { svcconn create generic "$1" --url https://f.example.test --set username=u \
    --secret password=@"$work/secret" >/dev/null; }
  printf 'fleet-secret-%s' "$(openssl rand -hex 8)" > "$work/secret"
  mk victim
  svcconn tokens create fleet --scopes full --json > "$work/tok.json" 2>/dev/null
  jget token < "$work/tok.json" > "$work/tok"
  tok_id=$(jget id < "$work/tok.json")
  chmod 600 "$work/tok" "$work/tok.json"
  SRV_LOG=$work/logA start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
  a="https://127.0.0.1:$port"
  SRV_LOG=$work/logB start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
  b="https://127.0.0.1:$port"

  # ---- signed in through A, used through B ----
  [ "$(signin "$work/jar" "$a" --data-urlencode "token@$work/tok")" = 303 ] || fail "$label: sign-in through A"
  c=$(cookie "$work/jar")
  [ ${#c} = 64 ] || fail "$label: no session cookie: $(cat "$work/jar")"
  [ "$(page "$work/jar" "$b" connections)" = 200 ] || fail "$label: the cookie of A is refused by B"
  grep -q "victim" "$work/body" || fail "$label: B's list lacks the connection"
  id=$(svcconn show victim --json | jget id)
  [ "$(page "$work/jar" "$a" "connections/$id/delete")" = 200 ] || fail "$label: A's Delete page"
  h=$(csrf)
  [ ${#h} = 64 ] || fail "$label: no CSRF token on A's page"
  [ "$(post "$work/jar" "$b" "default/default/connections/$id/delete" --data "csrf=$(printf '%064d' 7)")" = 403 ] \
    || fail "$label: B took a wrong CSRF token"
  svcconn show victim >/dev/null || fail "$label: a post with a wrong CSRF token deleted the connection"
  [ "$(post "$work/jar" "$b" "default/default/connections/$id/delete" --data "csrf=$h")" = 303 ] \
    || fail "$label: B refused A's CSRF token: $(cat "$work/body")"
  if svcconn show victim >/dev/null 2>&1; then fail "$label: the Delete posted to B deleted nothing"; fi

  # ---- the database keys the session by the id's hash, never the id ----
  [ "$($sql "SELECT count(*) FROM console_sessions WHERE id_hash = '$(sha256 "$c")'")" = 1 ] \
    || fail "$label: no session row keyed by the cookie's hash"
  if [ "$label" = sqlite ]; then
    cat "$SVCCONN_HOME"/store.db* > "$work/db.raw"
  else
    "$pgbin/pg_dump" "${pgbase%/*}/$dbname" > "$work/db.raw" || fail "pg_dump failed"
  fi
  grep -q "$(sha256 "$c")" "$work/db.raw" || fail "$label: the database's bytes lack the session's hash"
  if grep -qiF "$c" "$work/db.raw"; then fail "$label: the cookie's value is in the database"; fi
  python3 - "$work/db.raw" "$c" <<'EOF' || fail "$label: the cookie's id is in the database as bytes"
import sys
sys.exit(bytes.fromhex(sys.argv[2]) in open(sys.argv[1], "rb").read())
EOF

  # ---- a forged cookie, right in form, and a malformed one: the sign-in ----
  forged=$(openssl rand -hex 32)
  printf '127.0.0.1\tFALSE\t/console\tTRUE\t0\tsvcconn_session\t%s\n' "$forged" > "$work/forged"
  printf '127.0.0.1\tFALSE\t/console\tTRUE\t0\tsvcconn_session\t%s\n' "${c:0:63}g" > "$work/bad"
  for s in "$a" "$b"; do
    [ "$(page "$work/forged" "$s" connections)" = "303 /console/signin" ] || fail "$label: a forged cookie was taken"
    [ "$(page "$work/bad" "$s" connections)" = "303 /console/signin" ] || fail "$label: a malformed cookie was taken"
  done

  # ---- signed out through B: refused by A, its row gone ----
  [ "$(page "$work/jar" "$b" connections)" = 200 ] || fail "$label: the session before its sign-out"
  h=$(csrf)
  [ "$(post "$work/jar" "$b" signout --data "csrf=$h")" = 303 ] || fail "$label: sign-out through B"
  [ "$(page "$work/jar" "$a" connections)" = "303 /console/signin" ] || fail "$label: A took a cookie signed out through B"
  [ "$($sql "SELECT count(*) FROM console_sessions WHERE id_hash = '$(sha256 "$c")'")" = 0 ] \
    || fail "$label: the signed-out session's row is left"

  # ---- the credential gone ends its sessions on every server ----
  [ "$(signin "$work/jar2" "$a" --data-urlencode "token@$work/tok")" = 303 ] || fail "$label: second sign-in"
  [ "$(page "$work/jar2" "$b" connections)" = 200 ] || fail "$label: the second session on B"
  svcconn tokens revoke "$tok_id" >/dev/null
  [ "$(page "$work/jar2" "$b" connections)" = "303 /console/signin" ] || fail "$label: a revoked token's session lives on B"
  printf 'fleet-pw-%s' "$(openssl rand -hex 8)" > "$work/pw"
  passwd "$work/pw"
  [ "$(signin "$work/jar3" "$a" --data user=admin --data-urlencode "password@$work/pw")" = 303 ] \
    || fail "$label: the password sign-in"
  [ "$(page "$work/jar3" "$b" connections)" = 200 ] || fail "$label: the password session on B"
  printf 'fleet-pw2-%s' "$(openssl rand -hex 8)" > "$work/pw2"
  passwd "$work/pw2"
  [ "$(page "$work/jar3" "$b" connections)" = "303 /console/signin" ] || fail "$label: a changed password's session lives on"
  [ "$(signin "$work/jar4" "$b" --data user=admin --data-urlencode "password@$work/pw2")" = 303 ] \
    || fail "$label: the new password's sign-in"
  [ "$(page "$work/jar4" "$a" connections)" = 200 ] || fail "$label: the new password's session on A"
  svcconn users passwd admin --remove >/dev/null
  [ "$(page "$work/jar4" "$a" connections)" = "303 /console/signin" ] || fail "$label: a removed password's session lives on"
  # every ended session is purged by the next sign-in
  svcconn tokens create fleet2 --scopes full > "$work/tok2" 2>/dev/null
  [ "$(signin "$work/jar5" "$b" --data-urlencode "token@$work/tok2")" = 303 ] || fail "$label: the last sign-in"
  [ "$($sql "SELECT count(*) FROM console_sessions")" = 1 ] || fail "$label: ended sessions were not purged"
  if grep -q "fleet-pw\|svcp_" "$work/logA" "$work/logB"; then fail "$label: a secret is in a server's log"; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
  echo "console_fleet: $label ok"
}

# ---- two servers on one SQLite store ----
export SVCCONN_HOME=$work/sqlite
svcconn init >/dev/null
sqlite_q() { sqlite3 "$SVCCONN_HOME/store.db" "$1"; }
fleet sqlite sqlite_q
# svcconn migrate leaves the live session behind: listed with 0 rows
svcconn migrate --to "$work/copy" > "$work/migrate" 2>&1 || fail "migrate: $(cat "$work/migrate")"
grep -q "^console_sessions  *0 " "$work/migrate" || fail "migrate's sessions: $(cat "$work/migrate")"
[ "$(sqlite_q "SELECT count(*) FROM console_sessions")" = 1 ] || fail "migrate changed the source's sessions"
[ "$(sqlite3 "$work/copy/store.db" "SELECT count(*) FROM console_sessions")" = 0 ] \
  || fail "migrate copied a live session"

# ---- two servers on one PostgreSQL database ----
export SVCCONN_HOME=$work/pg
psql -q "$pgbase" -c "CREATE DATABASE $dbname" >/dev/null
svcconn init --database "${pgbase%/*}/$dbname" >/dev/null
pg_q() { psql -At "${pgbase%/*}/$dbname" -c "$1"; }
fleet postgresql pg_q
echo "console_fleet: ok"
