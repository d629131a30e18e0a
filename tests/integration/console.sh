#!/usr/bin/env bash
# The web console (docs/console.md) in a real headless Chromium (Debian's
# `chromium`, driven by puppeteer-core from npm, installed here on the first
# run) against svcconn-server on its HTTPS listener with the test's
# certificate.  Chromium runs as this user (root in CI) with --no-sandbox,
# passed only here, and --ignore-certificate-errors for the test
# certificate.  lib/console_browser.js holds the steps; see its header
# for what each proves.  Screenshots of every page go to
# $SVC_BIN_DIR/../console-screenshots/.  Then, with curl: a list of 21
# connections paginated (20, then 1, the search kept in the links); a
# session in use ended by --console-max-age, one left alone by
# --console-idle-timeout; refused sign-ins counted toward the address's
# rate limit (429 for the next, even with a good token).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup console
command -v chromium >/dev/null || fail "needs Debian's chromium (.ci/deps)"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
node_deps_install "$deps/console" puppeteer-core@23

svcconn init >/dev/null
# a secret drawn at random: the pages' source must never hold it
secret="console-secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$secret" > "$work/secret"
mk() { # NAME [OPTIONS...]
  svcconn create dockerregistry "$1" --scheme UsernamePassword --set registry=https://r.example.test \
    --set username=u --secret password=@"$work/secret" "${@:2}" >/dev/null
}
mk regA --grant-all-pipelines --description "approval-gated registry"
mk regP --description "needs a permission"
mk regV --description "the victim of the attacks"
svcconn create generic '<img src=x onerror=alert(1)>' --url https://x.example.test --set username=u \
  --secret password=@"$work/secret" --description '</script><script>alert(2)</script>' >/dev/null
svcconn checks regA add approval --approvers alice,bob --min 1 >/dev/null
svcconn security --grant carol=Reader >/dev/null
for u in admin alice bob carol; do
  SVCCONN_USER=$u svcconn tokens create "console-$u" --scopes full > "$work/tok.$u" 2>/dev/null
  chmod 600 "$work/tok.$u"
done
svcconn pools create dev --trusted >/dev/null

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
reg=$(svcconn agents registration-token --pool dev 2>/dev/null)
printf 'Authorization: Bearer %s\n' "$reg" > "$work/hdr.reg"
req 201 -H @"$work/hdr.reg" --data '{"name":"b1"}' "$base/_apis/svcconn/agents"
printf 'Authorization: Bearer %s\n' "$(jget token <<<"$body")" > "$work/hdr.agent"
chmod 600 "$work/hdr.reg" "$work/hdr.agent"

shots="$SVC_BIN_DIR/../console-screenshots"
mkdir -p "$shots"
id() { svcconn show "$1" --json | jget id; }
BASE=$base WORK=$work SHOTS=$shots SECRET_FILE=$work/secret \
  ID_A=$(id regA) ID_P=$(id regP) ID_V=$(id regV) ID_X=$(id '<img src=x onerror=alert(1)>') \
  NODE_PATH="$deps/console/node_modules" \
  node "$SVC_SOURCE_DIR/tests/integration/lib/console_browser.js" || fail "the browser's steps failed"
# what the browser did is in the store: regP's pipeline permitted, regV gone
svcconn permissions regP --json | grep -q '"deploy"' || fail "the permit did not reach the store"
svcconn show regV >/dev/null 2>&1 && fail "regV was not deleted through the console"
# no secret in the server's log either
grep -q "$secret" "$work/log" && fail "the secret is in the server's log"
grep -q "svcp_" "$work/log" && fail "a token is in the server's log"

# ---- with curl: pagination, the session's time-outs, the sign-in's rate limit ----
for i in $(seq -w 1 21); do
  svcconn create generic "page$i" --url https://p.example.test --set username=u \
    --secret password=@"$work/secret" >/dev/null
done
signin() { # JAR TOKENFILE: a sign-in (the token from its file, not argv); its status
  curl -sS --cacert "$work/cert.pem" -c "$1" -o /dev/null -w '%{http_code}' \
    --data-urlencode "token@$2" --data project=default "$base/console/signin"
}
page() { # JAR PATH: the page's status ("303 LOCATION" for a redirect), its body in $work/body
  local code
  code=$(curl -sS --cacert "$work/cert.pem" -b "$1" -o "$work/body" -D "$work/head" -w '%{http_code}' "$base/console/default/default/$2")
  [ "$code" = 303 ] && code="303 $(sed -n 's/^Location: \([^\r]*\).*/\1/ip' "$work/head")"
  echo "$code"
}
[ "$(signin "$work/jar" "$work/tok.admin")" = 303 ] || fail "curl's sign-in"
[ "$(page "$work/jar" 'connections?q=page')" = 200 ] || fail "the searched list"
grep -q "Page 1 of 2 (21 in all)" "$work/body" || fail "no pager on 21 connections: $(cat "$work/body")"
grep -q "page20" "$work/body" && ! grep -q "page21" "$work/body" || fail "page 1 is not the first 20"
grep -q 'href="/console/default/default/connections?q=page&amp;page=2"' "$work/body" || fail "no link to page 2"
[ "$(page "$work/jar" 'connections?q=page&page=2')" = 200 ] || fail "page 2"
grep -q "page21" "$work/body" && ! grep -q "page20" "$work/body" || fail "page 2 is not the 21st"

kill "$pid"; wait "$pid" 2>/dev/null || true
start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --console-idle-timeout 3 --console-max-age 8 --max-auth-failures 2
# the absolute time-out ends a session in use (a request a second); the
# idle one a session left alone (margins of a second or more: the clock
# counts whole seconds)
# (B first: the time B's sign-in takes on a loaded machine is not A's)
[ "$(signin "$work/jarB" "$work/tok.admin")" = 303 ] || fail "sign-in B"
[ "$(signin "$work/jarA" "$work/tok.admin")" = 303 ] || fail "sign-in A"
for t in 1 2 3 4; do
  sleep 1
  [ "$(page "$work/jarA" connections)" = 200 ] || fail "session A ended after ${t} s of use"
done
[ "$(page "$work/jarB" connections)" = "303 /console/signin" ] || fail "session B outlived its idle time-out"
for t in 5 6 7 8 9 10; do
  sleep 1
  a=$(page "$work/jarA" connections)
done
[ "$a" = "303 /console/signin" ] || fail "session A outlived its maximum age: $a"
# refused sign-ins count toward the address's rate limit, as the API's
printf 'svcp_0123456789abcdef_%043d\n' 0 > "$work/tok.bad"
[ "$(signin "$work/jarC" "$work/tok.bad")" = 401 ] || fail "a bad token's sign-in"
[ "$(signin "$work/jarC" "$work/tok.bad")" = 401 ] || fail "a bad token's second sign-in"
[ "$(signin "$work/jarC" "$work/tok.admin")" = 429 ] || fail "the sign-in is not rate-limited"
echo "console: ok ($(ls "$shots" | wc -l) screenshots in $shots)"
