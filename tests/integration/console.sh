#!/usr/bin/env bash
# The web console (docs/console.md) in a real headless Chromium (Debian's
# `chromium`, driven by puppeteer-core from npm, installed here on the first
# run) against svcconn-server on its HTTPS listener with the test's
# certificate.  Chromium runs as this user (root in CI) with --no-sandbox,
# passed only here, and --ignore-certificate-errors for the test
# certificate.  lib/console_browser.js holds the steps; see its header
# for what each proves.  Screenshots of every page go to
# $SVC_BIN_DIR/../console-screenshots/.
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
echo "console: ok ($(ls "$shots" | wc -l) screenshots in $shots)"
