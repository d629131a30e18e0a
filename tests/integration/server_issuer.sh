#!/usr/bin/env bash
# svcconn-server as the OIDC issuer (--issuer): the discovery document and
# the JWKS served over HTTPS without authentication, checked by the real
# `jose` npm library as a relying party does it: createRemoteJWKSet()
# fetches the JWKS from the running server (trusting the test's CA through
# NODE_EXTRA_CA_CERTS) and jwtVerify() accepts a token issued for the store
# (tests/support/oidctool.c, the public API), with the issuer and audience
# checked.  After `svcconn oidc rotate` (another process) the server
# publishes the new key at once and a token signed with it verifies too;
# without a rotation the JWKS is served from memory, unchanged.  Without
# --issuer neither document is served (404); an issuer that is not https
# (nor http on loopback) is refused at start.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}" "${OIDC_TOOL:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
libs=$deps/../node-jose
node_deps_install "$libs" jose@5
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_issuer
svcconn init >/dev/null
srv_cert


# ---- refused issuers; no issuer, no documents ---------------------------------
out=$("$SVC_BIN_DIR/svcconn-server" --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" \
      --tls-key "$work/key.pem" --issuer http://build.example.com 2>&1) && fail "a plain-http issuer was served"
grep -q "issuer" <<<"$out" || fail "no message for a plain-http issuer: $out"
port=$(free_port)
start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
code=$(curl -sS -o "$work/none.json" -w '%{http_code}' --cacert "$work/cert.pem" \
  "https://127.0.0.1:$port/.well-known/jwks")
[ "$code" = 404 ] || fail "without --issuer the JWKS answered $code"
grep -q "start it with --issuer URL" "$work/none.json" || fail "no message without --issuer: $(cat "$work/none.json")"
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "ok: an issuer that is not https is refused; without --issuer nothing is published (404)"

# ---- the issuer served over HTTPS ------------------------------------------------
port=$(free_port)
iss="https://127.0.0.1:$port"
start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --issuer "$iss"
curl -sS --fail --cacert "$work/cert.pem" "$iss/.well-known/openid-configuration" > "$work/disc.json" ||
  fail "no discovery document"
python3 - "$work/disc.json" "$iss" <<'PY' || fail "wrong discovery document: $(cat "$work/disc.json")"
import json, sys
d = json.load(open(sys.argv[1])); iss = sys.argv[2]
assert d["issuer"] == iss and d["jwks_uri"] == iss + "/.well-known/jwks", d
assert "RS256" in d["id_token_signing_alg_values_supported"], d
PY

cat > "$work/verify.js" <<'JS'
// The relying party: discovery, then the JWKS fetched from the server.
const jose = require(process.env.JOSE);
const [iss, token, aud] = process.argv.slice(2);
(async () => {
  const disc = await (await fetch(iss + '/.well-known/openid-configuration')).json();
  if (disc.issuer !== iss) throw new Error('discovery names issuer ' + disc.issuer);
  const jwks = jose.createRemoteJWKSet(new URL(disc.jwks_uri));
  const r = await jose.jwtVerify(token, jwks, { issuer: iss, audience: aud,
                                                algorithms: ['RS256', 'ES256'] });
  console.log('ok ' + r.payload.sub + ' ' + r.protectedHeader.kid);
})().catch((e) => console.log('refused ' + (e.code || e.name) + ' ' + e.message));
JS
export JOSE=$libs/node_modules/jose NODE_EXTRA_CA_CERTS=$work/cert.pem
verify() { node "$work/verify.js" "$@"; }
issue() { "$OIDC_TOOL" "$SVCCONN_HOME" issue "$1" contoso "Web Shop" azure-prod; }
kid_of() { python3 -c 'import base64,json,sys; h=sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h+"="*(-len(h)%4)))["kid"])' "$1"; }

tok1=$(issue "$iss")
kid1=$(kid_of "$tok1")
res=$(verify "$iss" "$tok1" api://AzureADTokenExchange)
[ "$res" = "ok sc://contoso/Web Shop/azure-prod $kid1" ] || fail "jose did not verify the token: $res"
res=$(verify "$iss" "$tok1" sts.amazonaws.com)
case $res in refused\ ERR_JWT_CLAIM_VALIDATION_FAILED*) ;; *) fail "a wrong audience was accepted: $res";; esac
tokx=$(issue "https://other.example.com")
res=$(verify "$iss" "$tokx" api://AzureADTokenExchange)
case $res in refused\ ERR_JWT_CLAIM_VALIDATION_FAILED*) ;; *) fail "another issuer's token was accepted: $res";; esac
echo "ok: jose fetched the JWKS from the server over HTTPS and verified a token of the store ($kid1)"

# ---- served from memory; a rotation is published at once ---------------------------
curl -sS --cacert "$work/cert.pem" "$iss/.well-known/jwks" > "$work/j1"
curl -sS --cacert "$work/cert.pem" "$iss/.well-known/jwks" > "$work/j2"
cmp -s "$work/j1" "$work/j2" || fail "the JWKS changed without a rotation"
svcconn oidc rotate >/dev/null
tok2=$(issue "$iss")
kid2=$(kid_of "$tok2")
[ "$kid2" != "$kid1" ] || fail "the rotation made no new key"
curl -sS --cacert "$work/cert.pem" "$iss/.well-known/jwks" > "$work/j3"
python3 - "$work/j3" "$kid1" "$kid2" <<'PY' || fail "the rotated JWKS is wrong: $(cat "$work/j3")"
import json, sys
kids = [k["kid"] for k in json.load(open(sys.argv[1]))["keys"]]
assert kids[0] == sys.argv[3] and sys.argv[2] in kids and len(kids) == 2, kids
PY
res=$(verify "$iss" "$tok2" api://AzureADTokenExchange)
[ "$res" = "ok sc://contoso/Web Shop/azure-prod $kid2" ] || fail "the new key's token was refused: $res"
res=$(verify "$iss" "$tok1" api://AzureADTokenExchange)
[ "$res" = "ok sc://contoso/Web Shop/azure-prod $kid1" ] || fail "the retired key's token was refused while published: $res"
echo "ok: the JWKS is served unchanged from memory; after 'svcconn oidc rotate' it publishes the new key first and keeps the retired one"

# ---- measured: the JWKS from memory ---------------------------------------------------
python3 - "$iss" "$work/cert.pem" <<'PY'
import http.client, ssl, sys, time
from urllib.parse import urlparse
u = urlparse(sys.argv[1]); ctx = ssl.create_default_context(cafile=sys.argv[2])
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
t = []
for _ in range(200):
    s = time.perf_counter(); c.request("GET", "/.well-known/jwks"); r = c.getresponse(); r.read()
    assert r.status == 200
    t.append((time.perf_counter() - s) * 1000)
t.sort()
print("measured: GET /.well-known/jwks, 200 requests on one connection: p50 %.2f ms, p99 %.2f ms" % (t[100], t[197]))
PY

# a sanitizer build's report from the server (leak, overflow) fails the test
kill "$pid"; wait "$pid" 2>/dev/null || true
! grep -q 'Sanitizer\|runtime error' "$work/log" || { cat "$work/log"; fail "sanitizer report from the server"; }
