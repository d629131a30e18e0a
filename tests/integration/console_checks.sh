#!/usr/bin/env bash
# The console's Approvals and checks tab of a connection (docs/console.md)
# in a real headless Chromium (Debian's `chromium`, puppeteer-core from
# npm, as console_security.sh) against svcconn-server on its HTTPS
# listener.  lib/console_checks.js holds the browser's steps (see its
# header) and checks each change with `svcconn checks`.  Here, before
# them: a connection, an Administrator (the store's admin) and a Reader
# (dave), and the CLI's refusal of a timeout that is not one; after them:
# what reached the store.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup console_checks
command -v chromium >/dev/null || fail "needs Debian's chromium (.ci/deps)"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
node_deps_install "$deps/console" puppeteer-core@23

printf '%s' "chk-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$work/secret"
svcconn init >/dev/null
svcconn create generic regC --url https://x.example.test --set username=u \
  --secret password=@"$work/secret" --description "the connection whose checks change" >/dev/null
svcconn security regC --grant dave=Reader >/dev/null
for u in admin dave; do
  SVCCONN_USER=$u svcconn tokens create "chk-$u" --scopes full > "$work/tok.$u" 2>/dev/null
  chmod 600 "$work/tok.$u"
done
out=$(svcconn checks regC --json)
[ "$out" = "[]" ] || fail "regC has checks already: $out"
# the CLI's refusal of a timeout that is not one (the page must say the same)
set +e
svcconn checks regC add approval --approvers bob --timeout abc 2> "$work/timeouterr" >/dev/null
set -e
# (whole: the wrapped message of the duration's parser is not overwritten)
grep -qF "invalid --timeout 'abc': invalid duration 'abc' (want a number and a unit" "$work/timeouterr" ||
  fail "the CLI's refusal of timeout abc: $(cat "$work/timeouterr")"
[ "$(svcconn checks regC --json)" = "[]" ] || fail "the CLI's refused add added a check"

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
shots="$SVC_BIN_DIR/../console-screenshots"
mkdir -p "$shots"
BASE="https://127.0.0.1:$port" WORK=$work SHOTS=$shots SVC_BIN=$SVC_BIN_DIR/svcconn \
  ID_C=$(svcconn show regC --json | jget id) TIMEOUT_ERR_FILE=$work/timeouterr \
  NODE_PATH="$deps/console/node_modules" \
  node "$SVC_SOURCE_DIR/tests/integration/lib/console_checks.js" || fail "the browser's steps failed"

# what the browser left: the markup approval check alone
out=$(svcconn checks regC --json | python3 -c 'import json,sys
print(";".join(c["kind"] + "=" + ",".join(c["config"].get("approvers", []))
               for c in json.load(sys.stdin)))')
[ "$out" = 'approval=<img src=x onerror=alert(1)>' ] || fail "regC's checks at the end: $out"
echo "console_checks: ok"
