#!/usr/bin/env bash
# Signing in to the web console with a password (docs/console.md,
# docs/server.md "Users' passwords") in Debian's chromium through
# puppeteer-core, against svcconn-server on HTTPS.  First the command line:
# a user sets its own password from standard input, the Administrator
# another's through --server, a user cannot set another's (there, nor
# locally), `users list` shows names and times (the Administrator all, a
# user itself) and never a hash.  Then lib/console_password.js (its header
# says what each step proves): the sign-in page offers a password and a
# token; a wrong password and an unknown user are refused (401) with one
# message next to the password field; the right one signs in; refusals
# lead to the 429 page.  Then the attacker's view: neither password is in
# the server's log, the store's file (database and write-ahead log), the
# audit log, or (checked by the browser) any page's source, request URL
# or history entry; the hashes are Argon2id PHC strings; and a 429 of the
# sign-in is an HTML page with Retry-After, not JSON.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup console_password
command -v chromium >/dev/null || fail "needs Debian's chromium (.ci/deps)"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
node_deps_install "$deps/console" puppeteer-core@23

svcconn init >/dev/null
# passwords drawn at random: no file or page may ever hold them
pw_alice="alice-pw-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')"
pw_bob="bob-pw-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$pw_alice" > "$work/pw.alice"
printf '%s' "$pw_bob" > "$work/pw.bob"
printf 'app-secret' > "$work/secret"
svcconn create generic app --url https://x.example.test --set username=u \
  --secret password=@"$work/secret" >/dev/null
svcconn security --grant alice=Reader >/dev/null
for u in admin alice; do
  SVCCONN_USER=$u svcconn tokens create "cli-$u" --scopes full > "$work/tok.$u" 2>/dev/null
  chmod 600 "$work/tok.$u"
done

# ---- the command line: locally and through --server ----------------------------
out=$(printf '%s\n' "$pw_alice" | SVCCONN_USER=alice svcconn users passwd)
[ "$out" = "set the password of 'alice'" ] || fail "alice's passwd: $out"
out=$(printf 'x%s\n' "$pw_alice" | SVCCONN_USER=alice svcconn users passwd bob 2>&1) \
  && fail "alice set bob's password: $out"
grep -q "needs the Administrator role" <<<"$out" || fail "alice's refusal: $out"
printf '%s\n' "short" | svcconn users passwd admin 2>"$work/err" && fail "a 5-byte password was taken"
grep -q "8 to 1024 bytes" "$work/err" || fail "the short password's message: $(cat "$work/err")"

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --max-auth-failures 3
base="https://127.0.0.1:$port"
remote() { # USER ARGS...: svcconn --server as USER's token
  SVCCONN_TOKEN_FILE="$work/tok.$1" SVCCONN_CA="$work/cert.pem" \
    "$SVC_BIN_DIR/svcconn" --server "$base" "${@:2}"
}
out=$(printf '%s\n' "$pw_bob" | remote admin users passwd bob)
[ "$out" = "set the password of 'bob'" ] || fail "the Administrator's passwd of bob over --server: $out"
out=$(printf 'y%s\n' "$pw_bob" | remote alice users passwd bob 2>&1) \
  && fail "alice set bob's password over --server: $out"
grep -q "needs the Administrator role" <<<"$out" || fail "alice's refusal over --server: $out"
remote admin users list --json > "$work/users.json"
python3 - "$work/users.json" <<'PY' || fail "users list (admin): $(cat "$work/users.json")"
import json, sys
users = json.load(open(sys.argv[1]))
assert [u["name"] for u in users] == ["alice", "bob"], users
assert all(set(u) == {"name", "changed"} and u["changed"].endswith("Z") for u in users), users
PY
out=$(remote alice users list)
grep -q "^alice " <<<"$out" && ! grep -q "^bob" <<<"$out" || fail "alice's list: $out"
grep -q 'argon2' <<<"$(remote admin users list --json)" && fail "a hash in the list"
# the API's answer holds no hash either
curl -sS --cacert "$work/cert.pem" -H "Authorization: Bearer $(cat "$work/tok.admin")" \
  "$base/_apis/svcconn/users" > "$work/users.api"
grep -q '"name": *"bob"' "$work/users.api" && ! grep -q 'argon2\|phc' "$work/users.api" \
  || fail "GET /_apis/svcconn/users: $(cat "$work/users.api")"

# ---- the browser ------------------------------------------------------------------
shots="$SVC_BIN_DIR/../console-screenshots"
mkdir -p "$shots"
BASE=$base WORK=$work SHOTS=$shots NODE_PATH="$deps/console/node_modules" \
  node "$SVC_SOURCE_DIR/tests/integration/lib/console_password.js" || fail "the browser's steps failed"

# ---- what an attacker with the log, the store or the audit finds ----------------
for f in "$work/log" "$SVCCONN_HOME"/store.db*; do
  grep -qF -e "$pw_alice" -e "$pw_bob" "$f" && fail "a password is in $f"
done
grep -qa '\$argon2id\$v=19\$m=19456,t=2,p=1\$' "$SVCCONN_HOME"/store.db* \
  || fail "no Argon2id PHC string in the store"
svcconn audit --json > "$work/audit.json"
grep -qF -e "$pw_alice" -e "$pw_bob" "$work/audit.json" && fail "a password is in the audit log"
for a in password-set password-auth-failed; do
  grep -q "\"$a\"" "$work/audit.json" || fail "no '$a' in the audit log"
done

# ---- the 429 answer with curl: a page, with Retry-After, no JSON ---------------
code=$(curl -sS --cacert "$work/cert.pem" -o "$work/body" -D "$work/head" -w '%{http_code}' \
  --data-urlencode "user=alice" --data-urlencode "password@$work/pw.alice" \
  --data project=default "$base/console/signin")
[ "$code" = 429 ] || fail "the blocked sign-in answered $code"
grep -qi '^Content-Type: text/html' "$work/head" || fail "the 429 is not HTML: $(cat "$work/head")"
grep -qi '^Retry-After: [0-9]' "$work/head" || fail "the 429 has no Retry-After"
grep -q 'try again in [0-9]* seconds' "$work/body" || fail "the 429 page does not say when: $(cat "$work/body")"
grep -q '"message"' "$work/body" && fail "the 429 page is JSON"
echo "console_password: ok"
