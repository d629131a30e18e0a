#!/usr/bin/env bash
# svcconn-server on loopback with a certificate made here by openssl, and
# curl as its client: personal access tokens (valid, missing, wrong,
# revoked, expired, short of scope: 401/403 and an audit record each),
# the rate limit of failed authentications (429 with Retry-After), the body
# cap (413), plain HTTP refused without the flag and off loopback, the Unix
# socket naming its peer by SO_PEERCRED (root, and nobody through setpriv),
# the service endpoint resources with a secret that appears in no
# response, no log line and not in the store file, a 400 naming the field
# for malformed JSON, the OpenAPI document served as it is in docs/, and a
# clean stop on SIGTERM.
set -euo pipefail
# (no "| grep -q" on output: grep leaving early would fail the pipe)
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server

SECRET=server-test-secret-7f3a91
svcconn init >/dev/null
# tokens: the admin's manage and read tokens, one revoked, one expired
tok=$(svcconn tokens create manage --scopes endpoints:manage 2>/dev/null)
rtok=$(svcconn tokens create reader --scopes endpoints:read 2>/dev/null)
vtok=$(svcconn tokens create gone --scopes full 2>/dev/null)
past=$(( $(date +%s) - 3 * 86400 ))
xtok=$(SVCCONN_NOW=$past svcconn tokens create old --days 1 --scopes full 2>/dev/null)
vid=$(echo "$vtok" | cut -d_ -f2); xid=$(echo "$xtok" | cut -d_ -f2)
svcconn tokens revoke "$vid" >/dev/null
[ "$(svcconn tokens list | grep -c '^[0-9a-f]\{16\} ')" = 4 ] || fail "tokens list does not show 4 tokens"
out=$(svcconn tokens list)
grep -q "$SECRET\|svcp_" <<<"$out" && fail "tokens list shows a token"
# only an Administrator lists or revokes others' tokens
SVCCONN_USER=bob svcconn tokens list --all >/dev/null 2>&1 && fail "bob listed everybody's tokens"
SVCCONN_USER=bob svcconn tokens revoke "$xid" >/dev/null 2>&1 && fail "bob revoked admin's token"

srv_cert

# ---- plain HTTP: refused without the flag, and off loopback ------------
out=$("$SVC_BIN_DIR/svcconn-server" --listen 127.0.0.1:0 2>&1) && fail "served without TLS or the flag"
grep -q "needs --tls-cert" <<<"$out" || fail "no reason for refusing plain HTTP: $out"
out=$("$SVC_BIN_DIR/svcconn-server" --listen 0.0.0.0:0 --insecure-http-on-loopback 2>&1) \
  && fail "served plain HTTP on 0.0.0.0"
grep -q "only on a loopback address" <<<"$out" || fail "wrong refusal: $out"
out=$("$SVC_BIN_DIR/svcconn-server" --listen 192.0.2.1:8080 --insecure-http-on-loopback 2>&1) \
  && fail "served plain HTTP on 192.0.2.1"
grep -q "only on a loopback address" <<<"$out" || fail "wrong refusal: $out"
start_server --listen 127.0.0.1:0 --insecure-http-on-loopback
[ "$(curl -sS -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/_apis/connectionData" | jget authenticatedUser.providerDisplayName)" = admin ] \
  || fail "plain HTTP on loopback with the flag did not answer"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly on SIGTERM"

# ---- a socket path that is not this user's socket is refused ----------
touch "$work/notasocket"
out=$("$SVC_BIN_DIR/svcconn-server" --unix-socket "$work/notasocket" 2>&1) && fail "replaced a regular file by the socket"
grep -q "is not a socket of this user" <<<"$out" || fail "wrong refusal: $out"

# ---- HTTPS and the socket ---------------------------------------------------
# the socket's directory is reachable by others (the unprivileged peer)
chmod 0711 "$work"; mkdir -m 0755 "$work/run"
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --unix-socket "$work/run/s.sock" --unix-socket-mode 0660 --max-body 4096 \
  --max-auth-failures 6 --auth-failure-window 60
base="https://127.0.0.1:$port"
api="$base/default/default/_apis/serviceendpoint/endpoints"
: > "$work/responses"
# req EXPECTED_STATUS CURL_ARGS...: the body into $body, all bodies kept
req() {
  local want=$1; shift
  local code
  code=$(curl -sS --cacert "$work/cert.pem" -o "$work/body" -w '%{http_code}' "$@") || fail "curl $*"
  body=$(cat "$work/body"); printf '%s\n' "$body" >> "$work/responses"
  [ "$code" = "$want" ] || fail "$* answered $code, not $want: $body"
}
auth=(-H "Authorization: Bearer $tok")
failures() { svcconn audit --json | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"] == "token-auth-failed"))'; }

req 200 "${auth[@]}" "$base/_apis/connectionData"
[ "$(echo "$body" | jget authentication.method)" = token ] || fail "not authenticated by token"
req 200 -u ":$tok" "$base/_apis/connectionData?api-version=7.1"
[ "$(echo "$body" | jget authorizedUser.providerDisplayName)" = admin ] || fail "Basic with the token as password: $body"

# create, read, list, update, delete; the secret is write-only
printf '{"name":"gh","type":"generic","url":"https://api.example.test","description":"first",
  "authorization":{"scheme":"UsernamePassword","parameters":{"username":"u","password":"%s"}}}' "$SECRET" > "$work/gh.json"
req 200 "${auth[@]}" -H 'Content-Type: application/json' --data-binary @"$work/gh.json" "$api?api-version=7.1"
id=$(echo "$body" | jget id)
[ "$(echo "$body" | jget authorization.parameters.password)" = null ] || fail "the secret came back: $body"
[ "$(echo "$body" | jget authorization.parameters.username)" = u ] || fail "username lost: $body"
[ "$(echo "$body" | jget createdBy.displayName)" = admin ] || fail "createdBy: $body"
req 200 "${auth[@]}" "$api/$id"
[ "$(echo "$body" | jget name)" = gh ] || fail "get by id: $body"
req 200 "${auth[@]}" "$api?endpointNames=other,GH"
[ "$(echo "$body" | jget count)" = 1 ] || fail "endpointNames: $body"
req 200 "${auth[@]}" "$api?endpointNames=other"
[ "$(echo "$body" | jget count)" = 0 ] || fail "endpointNames other: $body"
req 200 "${auth[@]}" -X PUT -H 'Content-Type: application/json' \
  --data '{"name":"gh","type":"generic","url":"https://api2.example.test","description":"second","authorization":{"scheme":"UsernamePassword","parameters":{"username":"u2","password":null}}}' "$api/$id"
[ "$(echo "$body" | jget url)" = https://api2.example.test ] || fail "put: $body"
# the secret kept through the PUT: the store still has it (export shows it)
svcconn export gh --include-secrets -o "$work/exp.yml" >/dev/null 2>&1
grep -q "$SECRET" "$work/exp.yml" || fail "PUT without the secret lost it"
rm -f "$work/exp.yml"
req 200 "${auth[@]}" "$base/_apis/serviceendpoint/types"
[ "$(echo "$body" | jget count)" -gt 20 ] || fail "types: $body"
# malformed JSON and a field of the wrong type: 400 naming where
req 400 "${auth[@]}" --data '{"name": "x", "type": ' "$api"
grep -q 'not valid JSON.*line 1, column' <<<"$body" || fail "malformed JSON: $body"
req 400 "${auth[@]}" --data '{"name":"x","type":"generic","url":"https://x.test","authorization":{"scheme":"UsernamePassword","parameters":{"username":5}}}' "$api"
grep -q "field 'authorization.parameters.username' must be a string" <<<"$body" || fail "field type: $body"
req 400 "${auth[@]}" --data '{"name":"x","type":"generic","authorization":{"scheme":"UsernamePassword","parameters":{"username":"a"}}}' "$api"
grep -q "field 'url'" <<<"$body" || fail "missing url not named: $body"
[ "$(echo "$body" | jget typeKey)" = ArgumentException ] || fail "typeKey: $body"
# another project, no resource
req 404 "${auth[@]}" "$base/other/proj/_apis/serviceendpoint/endpoints"
req 404 "${auth[@]}" "$base/default/default/_apis/nothing"
# 413: a body over the cap, refused before authentication
head -c 8192 /dev/zero | tr '\0' 'a' > "$work/big"
req 413 "${auth[@]}" --data-binary @"$work/big" "$api"
[ "$(echo "$body" | jget typeKey)" = RequestBodyTooLargeException ] || fail "413 body: $body"
# headers over the connection's memory cap: 431 from libmicrohttpd
code=$(curl -sS --cacert "$work/cert.pem" -o /dev/null -w '%{http_code}' \
  -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$base/_apis/openapi.json")
[ "$code" = 431 ] || fail "oversized headers: $code"
# the OpenAPI document is docs/openapi.json, served without a token
req 200 "$base/_apis/openapi.json"
echo "$body" | python3 -c 'import json,sys; a=json.load(sys.stdin); b=json.load(open(sys.argv[1])); sys.exit(a != b)' \
  "$SVC_SOURCE_DIR/docs/openapi.json" || fail "the served OpenAPI document is not docs/openapi.json"

# ---- the Unix socket: the peer by SO_PEERCRED --------------------------------
[ "$(stat -c %a "$work/run/s.sock")" = 660 ] || fail "socket mode $(stat -c %a "$work/run/s.sock")"
out=$(curl -sS --unix-socket "$work/run/s.sock" http://localhost/_apis/connectionData)
[ "$(echo "$out" | jget authenticatedUser.providerDisplayName)" = "$(id -un)" ] || fail "socket peer: $out"
[ "$(echo "$out" | jget authentication.method)" = unixSocket ] || fail "socket method: $out"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  out=$(setpriv --reuid=65534 --regid=65534 --groups="$(id -g)" -- \
    curl -sS --unix-socket "$work/run/s.sock" http://localhost/_apis/connectionData)
  [ "$(echo "$out" | jget authenticatedUser.providerDisplayName)" = "$(id -un 65534)" ] \
    || fail "the unprivileged peer is not named: $out"
  # nobody holds no role: sees no connection
  out=$(setpriv --reuid=65534 --regid=65534 --groups="$(id -g)" -- \
    curl -sS --unix-socket "$work/run/s.sock" http://localhost/default/default/_apis/serviceendpoint/endpoints)
  [ "$(echo "$out" | jget count)" = 0 ] || fail "nobody sees connections: $out"
  echo "socket: peer named $(id -un 65534) through SO_PEERCRED"
fi

# ---- refusals: 401/403, each audited -------------------------------------------
n0=$(failures)
req 401 "$base/_apis/connectionData"
req 401 -H "Authorization: Bearer ${tok%?}x" "$base/_apis/connectionData"
req 401 -H "Authorization: Bearer $vtok" "$base/_apis/connectionData"
req 401 -H "Authorization: Bearer $xtok" "$base/_apis/connectionData"
req 403 -H "Authorization: Bearer $rtok" --data @"$work/gh.json" "$api"
grep -q "endpoints:manage" <<<"$body" || fail "403 does not name the scope: $body"
n1=$(failures)
[ $((n1 - n0)) = 5 ] || fail "$((n1 - n0)) audit records for 5 refusals"
audit=$(svcconn audit --json)
for t in "$vid" "$xid" "$(echo "$tok" | cut -d_ -f2)"; do
  grep -q "\"tokenId\": \"$t\"" <<<"$audit" || fail "no audit record names token $t"
done
grep -q "revoked" <<<"$audit" && grep -q "expired" <<<"$audit" || fail "audit does not say why"
for t in "$tok" "$vtok" "$xtok" "$rtok"; do
  grep -qF "${t:22}" <<<"$audit" && fail "a token's secret is in the audit log"
done
# the sixth failure is counted; the seventh request is refused with 429
req 401 -H "Authorization: Bearer svcp_0000000000000000_nope" "$base/_apis/connectionData"
code=$(curl -sS --cacert "$work/cert.pem" -D "$work/headers" -o "$work/body" -w '%{http_code}' \
  "${auth[@]}" "$base/_apis/connectionData")
[ "$code" = 429 ] || fail "rate limit: $code"
grep -qi '^Retry-After: [0-9]' "$work/headers" || fail "429 without Retry-After"
cat "$work/body" >> "$work/responses"
# the socket is not rate-limited with the address
out=$(curl -sS --unix-socket "$work/run/s.sock" http://localhost/_apis/connectionData)
grep -q unixSocket <<<"$out" \
  || fail "the socket was blocked too"

# the socket's peer holds no role on the store: its delete is refused
code=$(curl -sS --unix-socket "$work/run/s.sock" -o /dev/null -w '%{http_code}' -X DELETE \
  "http://localhost/default/default/_apis/serviceendpoint/endpoints/$id")
[ "$code" = 403 ] || fail "delete by $(id -un) without a role: $code"

kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly on SIGTERM"
[ -e "$work/run/s.sock" ] && fail "the socket was left behind"
grep -q "stopping (SIGTERM)" "$work/log" || fail "no stop in the log"

# delete with the manage token, through a new server (the rate limit is
# per process): 204, then 404
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"; api="$base/default/default/_apis/serviceendpoint/endpoints"
req 204 "${auth[@]}" -X DELETE "$api/$id"
req 404 "${auth[@]}" "$api/$id"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
cat "$work/log" >> "$work/alllog"
grep -q '"DELETE /default/default/_apis/serviceendpoint/endpoints/[0-9a-f-]*" 204' "$work/log" \
  || fail "the log has no line for the delete"

# ---- the secret is nowhere: responses, logs, the store's files --------------
grep -qF "$SECRET" "$work/responses" && fail "the secret is in a response"
grep -qF "$SECRET" "$work/log" "$work/alllog" && fail "the secret is in the server's log"
for f in "$SVCCONN_HOME"/store.db*; do
  grep -qaF "$SECRET" "$f" && fail "the secret is in $f in plaintext"
done
for t in "$tok" "$rtok" "$vtok" "$xtok"; do
  grep -qaF "${t:22}" "$SVCCONN_HOME"/store.db* && fail "a token is in the store"
done
echo "server: all checks passed"
