#!/usr/bin/env bash
# The console's Security page of a connection and its audit log page
# (docs/console.md) in a real headless Chromium (Debian's `chromium`,
# puppeteer-core from npm, as console.sh) against svcconn-server on its
# HTTPS listener.  lib/console_security.js holds the browser's steps (see
# its header); it checks each change the pages make with the command line
# (`svcconn security`), and each audit filter against `svcconn audit` with
# the same filter.  Here, before them: audit records at known times
# (SVCCONN_NOW) for the time range, a connection and an actor whose names
# hold markup; after them: what reached the store.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup console_security
command -v chromium >/dev/null || fail "needs Debian's chromium (.ci/deps)"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
node_deps_install "$deps/console" puppeteer-core@23

printf '%s' "sec-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$work/secret"
mk() { # NAME [OPTIONS...]
  svcconn create generic "$1" --url https://x.example.test --set username=u \
    --secret password=@"$work/secret" "${@:2}" >/dev/null
}
# the records of the time range: two in January, one in March
SVCCONN_NOW=2026-01-10T08:00:00Z svcconn init >/dev/null
SVCCONN_NOW=2026-01-20T09:30:00Z mk regS --description "the connection whose roles change"
SVCCONN_NOW=2026-03-05T12:00:00Z mk regOld --description "made in March"
# a connection and an actor whose names are markup (the actor may create)
xname='x"><script>alert(3)</script>'
xactor='eve"<script>alert(4)</script>'
svcconn security --grant "$xactor=Creator" >/dev/null
SVCCONN_USER=$xactor mk "$xname" --description '<img src=x onerror=alert(5)>'
for u in admin dave; do
  SVCCONN_USER=$u svcconn tokens create "sec-$u" --scopes full > "$work/tok.$u" 2>/dev/null
  chmod 600 "$work/tok.$u"
done
# dave holds no role before the browser's steps
out=$(svcconn security regS --json)
grep -q '"dave"' <<<"$out" && fail "dave holds a role on regS already: $out"
# the CLI's refusal of a time that is not one (the page must say the same)
set +e
svcconn audit --from 2026-13-45 2> "$work/timeerr" >/dev/null
set -e
grep -q "2026-13-45" "$work/timeerr" || fail "the CLI took a wrong time: $(cat "$work/timeerr")"

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
shots="$SVC_BIN_DIR/../console-screenshots"
mkdir -p "$shots"
id() { svcconn show "$1" --json | jget id; }
BASE="https://127.0.0.1:$port" WORK=$work SHOTS=$shots SVC_BIN=$SVC_BIN_DIR/svcconn \
  ID_S=$(id regS) ID_X=$(id "$xname") XNAME=$xname XACTOR=$xactor \
  TIME_ERR_FILE=$work/timeerr NODE_PATH="$deps/console/node_modules" \
  node "$SVC_SOURCE_DIR/tests/integration/lib/console_security.js" || fail "the browser's steps failed"

# what the browser did is in the store: dave Reader on regS beside its
# creator (his forged changes refused), erin added, changed and removed
out=$(svcconn security regS --json | python3 -c 'import json,sys
print(",".join(sorted(r["principal"] + "=" + r["role"] for r in json.load(sys.stdin)["roles"])))')
[ "$out" = "admin=Administrator,dave=Reader" ] || fail "regS's roles: $out"
# the page's changes were audited under the admin's name, as the CLI's are
n=$(svcconn audit --action role-set --connection regS --actor admin --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 4 ] || fail "$n role-set records of regS by admin, not 4 (dave, erin, erin, erin)"
echo "console_security: ok"
