#!/usr/bin/env bash
# `svcconn verify` and "verify and save" (`create --verify`, `edit --verify`)
# against a real Docker registry: Debian's docker-registry (distribution
# 2.x) with htpasswd authentication (a bcrypt file made here by htpasswd -B,
# the password on its standard input) on a free loopback port, plain HTTP.
# Right password: create --verify stores, verify says ok (exit 0) and its
# JSON has outcome "ok" and status 200.  Wrong password: create --verify
# and edit --verify store nothing (exit 1, "failed (auth)"), a stored wrong
# password fails verify with outcome "auth" and status 401.  Every
# verification is in the audit log.  A stopped registry fails with
# "connect".
set -euo pipefail
: "${SVC_BIN_DIR:?}"

fail() { echo "FAIL: $*"; exit 1; }
command -v docker-registry >/dev/null 2>&1 ||
  fail "docker-registry is not installed (.ci/deps installs it: apt-get install docker-registry)"
command -v htpasswd >/dev/null 2>&1 ||
  fail "htpasswd is not installed (.ci/deps installs it: apt-get install apache2-utils)"

work=$(mktemp -d /tmp/svcverifyreg.XXXXXX)
reg_pid=""
cleanup() {
  if [ -n "$reg_pid" ]; then
    kill "$reg_pid" 2>/dev/null || true
    wait "$reg_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
good='Reg-pw-good-7f3a'
bad='Reg-pw-WRONG-0000'

# ---- the registry -----------------------------------------------------------
. "${SVC_SOURCE_DIR:?}/fixtures/registry/server.sh"
registry_start "$work" ci "$good" || fail "docker-registry did not start"
port=$reg_port
echo "docker-registry with htpasswd auth on 127.0.0.1:$port"

printf '%s' "$good" > "$work/good"
printf '%s' "$bad" > "$work/bad"
svcconn init >/dev/null
create() {
  svcconn create dockerregistry reg --scheme UsernamePassword \
    --set registrytype=Others --set registry="http://127.0.0.1:$port/v1/" \
    --set username=ci "$@"
}

# ---- create --verify: a wrong password stores nothing -----------------------
set +e
create --secret password=@"$work/bad" --verify > "$work/out" 2> "$work/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "create --verify with a wrong password: exit $rc, want 1"
grep -q "verification failed (auth): GET http://127.0.0.1:$port/v2/: credentials refused (HTTP 401 Unauthorized); nothing stored" "$work/err" ||
  fail "create --verify: unexpected message: $(cat "$work/err")"
set +e; svcconn show reg >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 3 ] || fail "a connection was stored after a failed verification"

# ---- the right password: stored, verify ok ----------------------------------
create --secret password=@"$work/good" --verify > "$work/out" ||
  fail "create --verify with the right password failed"
grep -q "^verified: GET http://127.0.0.1:$port/v2/: login succeeded" "$work/out" ||
  fail "create --verify: $(cat "$work/out")"
grep -q "^created connection 'reg'" "$work/out" || fail "not created: $(cat "$work/out")"
out=$(svcconn verify reg) || fail "verify reg: exit $?"
[ "$out" = "ok: GET http://127.0.0.1:$port/v2/: login succeeded" ] || fail "verify: $out"
svcconn verify reg --json > "$work/json" || fail "verify --json: exit $?"
for want in '"name": "reg"' '"type": "dockerregistry"' '"outcome": "ok"' \
            "\"target\": \"GET http://127.0.0.1:$port/v2/\"" '"httpStatus": 200'; do
  grep -qF "$want" "$work/json" || fail "verify --json lacks $want: $(cat "$work/json")"
done

# ---- edit --verify with a wrong password keeps the stored one ---------------
set +e
svcconn edit reg --secret password=@"$work/bad" --verify > "$work/out" 2> "$work/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "edit --verify with a wrong password: exit $rc, want 1"
grep -q "verification failed (auth)" "$work/err" || fail "edit --verify: $(cat "$work/err")"
svcconn verify reg >/dev/null || fail "the stored password changed after a failed edit --verify"

# ---- a stored wrong password fails verify -----------------------------------
svcconn edit reg --secret password=@"$work/bad" >/dev/null
set +e
out=$(svcconn verify reg); rc=$?
svcconn verify reg --json > "$work/json"; rcj=$?
set -e
[ "$rc" -eq 1 ] && [ "$rcj" -eq 1 ] || fail "verify with a wrong password: exit $rc/$rcj, want 1"
case "$out" in
  "failed (auth): GET http://127.0.0.1:$port/v2/: credentials refused (HTTP 401 Unauthorized)") ;;
  *) fail "verify with a wrong password: $out" ;;
esac
grep -qF '"outcome": "auth"' "$work/json" && grep -qF '"httpStatus": 401' "$work/json" ||
  fail "verify --json with a wrong password: $(cat "$work/json")"

# ---- edit --verify with only a description uses the stored secret -----------
set +e; svcconn edit reg --description x --verify >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "edit --verify did not use the stored (wrong) password"
svcconn edit reg --secret password=@"$work/good" --verify >/dev/null ||
  fail "edit --verify with the right password failed"
svcconn edit reg --description "checked" --verify >/dev/null ||
  fail "edit --verify with the stored right password failed"

# ---- the audit log, and no secret anywhere in what was printed --------------
n=$(svcconn audit | grep -c "verify" || true)
[ "$n" -ge 4 ] || fail "verifications missing from the audit log ($n)"
svcconn audit --json | grep -qF "$good" && fail "a password reached the audit log"
grep -rqF "$good" "$work/out" "$work/json" && fail "a password was printed"

# ---- the registry stops: connect ---------------------------------------------
kill "$reg_pid"; wait "$reg_pid" 2>/dev/null || true; reg_pid=""
set +e; out=$(svcconn verify reg); rc=$?; set -e
[ "$rc" -eq 1 ] || fail "verify with the registry down: exit $rc"
case "$out" in
  "failed (connect): cannot connect to 127.0.0.1:$port: Connection refused") ;;
  *) fail "verify with the registry down: $out" ;;
esac
echo "PASS: verify_registry"
