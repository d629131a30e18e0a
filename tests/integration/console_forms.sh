#!/usr/bin/env bash
# The console's New service connection and Edit forms (docs/console.md) in
# a real headless Chromium (Debian's `chromium`, puppeteer-core from npm,
# as console.sh) against svcconn-server on its HTTPS listener and a real
# Docker registry on loopback (fixtures/registry: docker-registry with
# htpasswd).  lib/console_forms.js holds the browser's steps (see its
# header); here, before them, the CLI's error for a registry that is not
# a URL (the form must show the same text), and after them what reached
# the store: the connection as edited, its stored password still
# verifying with `svcconn verify`, and no password in the server's log;
# and /favicon.ico a 404 the sign-in's rate limit does not count.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup console_forms
command -v chromium >/dev/null || fail "needs Debian's chromium (.ci/deps)"
command -v docker-registry >/dev/null || fail "needs docker-registry (.ci/deps)"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
node_deps_install "$deps/console" puppeteer-core@23
. "$SVC_SOURCE_DIR/fixtures/registry/server.sh"

good="Reg-good-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
bad="Reg-WRONG-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$good" > "$work/good"
printf '%s' "$bad" > "$work/bad"
registry_start "$work/registry" ci "$good" || fail "docker-registry did not start"
pids+=("$reg_pid")
regurl="http://127.0.0.1:$reg_port/v1/"

svcconn init >/dev/null
svcconn security --grant carol=Reader >/dev/null
for u in admin carol; do
  SVCCONN_USER=$u svcconn tokens create "forms-$u" --scopes full > "$work/tok.$u" 2>/dev/null
  chmod 600 "$work/tok.$u"
done
# the CLI's refusal of a registry that is not a URL (nothing is stored)
set +e
svcconn create dockerregistry x --scheme UsernamePassword --set registry=not-a-url \
  --set username=ci --secret password=@"$work/bad" 2> "$work/clierr" >/dev/null
set -e
grep -q "registry" "$work/clierr" || fail "the CLI did not refuse the registry: $(cat "$work/clierr")"

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
shots="$SVC_BIN_DIR/../console-screenshots"
mkdir -p "$shots"
BASE="https://127.0.0.1:$port" WORK=$work SHOTS=$shots REG_URL=$regurl SVC_BIN=$SVC_BIN_DIR/svcconn \
  CLI_ERR_FILE=$work/clierr NODE_PATH="$deps/console/node_modules" \
  node "$SVC_SOURCE_DIR/tests/integration/lib/console_forms.js" || fail "the browser's steps failed"

# /favicon.ico, which browsers fetch on their own: a 404 that the rate
# limit of failed authentications (10 by default) does not count
for i in $(seq 12); do
  code=$(curl -sS --cacert "$work/cert.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/favicon.ico")
  [ "$code" = 404 ] || fail "/favicon.ico answered $code the ${i}th time"
done
code=$(curl -sS --cacert "$work/cert.pem" -o /dev/null -w '%{http_code}' \
  --data-urlencode "token@$work/tok.admin" --data project=default "https://127.0.0.1:$port/console/signin")
[ "$code" = 303 ] || fail "a sign-in after the icon's 404s answered $code"

# what the browser did is in the store
svcconn show regF --json > "$work/show" || fail "regF was not stored"
grep -q '"description": "edited in the console"' "$work/show" || fail "the edit did not reach the store: $(cat "$work/show")"
grep -q "\"registry\": \"$regurl\"" "$work/show" || fail "the registry changed: $(cat "$work/show")"
out=$(svcconn verify regF) || fail "the stored password no longer verifies: $out"
[ "$out" = "ok: GET http://127.0.0.1:$reg_port/v2/: login succeeded" ] || fail "verify regF: $out"
svcconn show regX >/dev/null 2>&1 && fail "the Reader's forged New stored a connection"
grep -qF "$good" "$work/log" && fail "the password is in the server's log"
grep -qF "$bad" "$work/log" && fail "the wrong password is in the server's log"
echo "console_forms: ok"
