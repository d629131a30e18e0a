#!/usr/bin/env bash
# svcconn's OIDC tokens checked by a real, maintained JWT library: `jose`
# from npm (installed by this test, not vendored), whose jwtVerify() with
# createLocalJWKSet() over the store's JWKS, and issuer, audience and
# algorithm checks, is what a relying party runs.  A store made by
# `svcconn init` signs through the public API (tests/support/oidctool.c,
# linked to libsvcconn); keys rotate with `svcconn oidc rotate`.
#
# Accepted: a good RS256 token and a good ES256 one, with the claims Azure
# DevOps gives (sub sc://org/project/connection).  Refused: a changed
# payload (another connection in sub), a changed signature, the wrong
# audience, the wrong issuer, an expired token, a token whose header
# names another algorithm, and a token signed by a rotated-out key once
# that key is dropped (while it was still published it was accepted).
# Time is SVCCONN_NOW's, and jose is told the same time (currentDate).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}" "${OIDC_TOOL:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
libs=$deps/../node-jose
node_deps_install "$libs" jose@5
work=$(mktemp -d /tmp/svcoidc.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME=$work/home SVCCONN_USER=admin
fail() { echo "FAIL: $*"; exit 1; }
svcconn=$SVC_BIN_DIR/svcconn
iss=https://svcconn.example.com/contoso
T0=1800000000
"$svcconn" init >/dev/null

# the relying party: verify TOKEN with JWKS at time NOW for issuer and
# audience; prints "ok SUB" or "refused CODE"
cat > "$work/verify.js" <<'JS'
const jose = require(process.env.JOSE);
const fs = require('fs');
const [jwksFile, token, iss, aud, now] = process.argv.slice(2);
const jwks = jose.createLocalJWKSet(JSON.parse(fs.readFileSync(jwksFile, 'utf8')));
jose.jwtVerify(token, jwks, {
  issuer: iss, audience: aud, algorithms: ['RS256', 'ES256'],
  currentDate: new Date(Number(now) * 1000),
}).then(
  (r) => console.log('ok ' + r.payload.sub + ' ' + r.protectedHeader.alg),
  (e) => console.log('refused ' + (e.code || e.name)));
JS
export JOSE=$libs/node_modules/jose
verify() { node "$work/verify.js" "$@"; }
at() { SVCCONN_NOW=$1 "${@:2}"; }
issue() { at "$1" "$OIDC_TOOL" "$SVCCONN_HOME" issue "$iss" contoso "Web Shop" "${2:-azure-prod}" "${@:3}"; }
jwks() { at "$1" "$OIDC_TOOL" "$SVCCONN_HOME" jwks > "$2"; }
expect() { # expect WANT OUTPUT
  [ "$2" = "$1" ] || fail "wanted '$1', got '$2'"
}

# a good RS256 token (the first key is made on first use)
tok=$(issue $T0)
jwks $T0 "$work/jwks0"
expect "ok sc://contoso/Web Shop/azure-prod RS256" "$(verify "$work/jwks0" "$tok" "$iss" api://AzureADTokenExchange $((T0 + 5)))"
# the discovery document points at the JWKS below the issuer
at $T0 "$OIDC_TOOL" "$SVCCONN_HOME" discovery "$iss" | grep -q "\"jwks_uri\":\"$iss/.well-known/jwks\"" \
  || fail "discovery does not name the JWKS"

# a changed payload: the same signature over another connection's subject
IFS=. read -r h p s <<< "$tok"
pad=$(( (4 - ${#p} % 4) % 4 ))
p2=$( { printf '%s' "$p"; head -c "$pad" /dev/zero | tr '\0' '='; } | tr '_-' '/+' | base64 -d \
  | sed 's/azure-prod/azure-test/' | base64 -w0 | tr '/+' '_-' | tr -d '=')
[ "$p2" != "$p" ] || fail "the payload was not changed"
expect "refused ERR_JWS_SIGNATURE_VERIFICATION_FAILED" "$(verify "$work/jwks0" "$h.$p2.$s" "$iss" api://AzureADTokenExchange $((T0 + 5)))"
# a changed signature (one character of it)
c=${s:10:1}; [ "$c" = A ] && r=B || r=A
expect "refused ERR_JWS_SIGNATURE_VERIFICATION_FAILED" "$(verify "$work/jwks0" "$h.$p.${s:0:10}$r${s:11}" "$iss" api://AzureADTokenExchange $((T0 + 5)))"
# a header that names another algorithm
h2=$(printf '{"alg":"HS256","kid":"x","typ":"JWT"}' | base64 -w0 | tr '/+' '_-' | tr -d '=')
expect "refused ERR_JOSE_ALG_NOT_ALLOWED" "$(verify "$work/jwks0" "$h2.$p.$s" "$iss" api://AzureADTokenExchange $((T0 + 5)))"
# the wrong audience, the wrong issuer
expect "refused ERR_JWT_CLAIM_VALIDATION_FAILED" "$(verify "$work/jwks0" "$tok" "$iss" sts.amazonaws.com $((T0 + 5)))"
expect "refused ERR_JWT_CLAIM_VALIDATION_FAILED" "$(verify "$work/jwks0" "$tok" https://svcconn.example.com/other api://AzureADTokenExchange $((T0 + 5)))"
# expired: ten minutes by default; a token asked for with 60 s lasts 60 s
expect "ok sc://contoso/Web Shop/azure-prod RS256" "$(verify "$work/jwks0" "$tok" "$iss" api://AzureADTokenExchange $((T0 + 599)))"
expect "refused ERR_JWT_EXPIRED" "$(verify "$work/jwks0" "$tok" "$iss" api://AzureADTokenExchange $((T0 + 600)))"
short=$(issue $T0 azure-prod sts.amazonaws.com 60)
expect "ok sc://contoso/Web Shop/azure-prod RS256" "$(verify "$work/jwks0" "$short" "$iss" sts.amazonaws.com $((T0 + 59)))"
expect "refused ERR_JWT_EXPIRED" "$(verify "$work/jwks0" "$short" "$iss" sts.amazonaws.com $((T0 + 60)))"

# rotate to ES256 ten seconds later: new tokens are ES256, the old key is
# still published (its last token expires at T0+600) and its token passes
SVCCONN_NOW=$((T0 + 10)) "$svcconn" oidc rotate --alg ES256 >/dev/null
es=$(issue $((T0 + 20)))
jwks $((T0 + 20)) "$work/jwks1"
expect "ok sc://contoso/Web Shop/azure-prod ES256" "$(verify "$work/jwks1" "$es" "$iss" api://AzureADTokenExchange $((T0 + 25)))"
expect "ok sc://contoso/Web Shop/azure-prod RS256" "$(verify "$work/jwks1" "$tok" "$iss" api://AzureADTokenExchange $((T0 + 25)))"
IFS=. read -r h p s <<< "$es"
c=${s:10:1}; [ "$c" = A ] && r=B || r=A
expect "refused ERR_JWS_SIGNATURE_VERIFICATION_FAILED" "$(verify "$work/jwks1" "$h.$p.${s:0:10}$r${s:11}" "$iss" api://AzureADTokenExchange $((T0 + 25)))"

# `svcconn oidc keys` shows both, the RS256 one retired, no private key
keys=$(SVCCONN_NOW=$((T0 + 20)) "$svcconn" oidc keys)
grep -q "ES256 .* current" <<< "$keys" || fail "no current ES256 key: $keys"
grep -q "RS256 .* 2027-01-15T08:00:10Z / 2027-01-15T08:15:00Z" <<< "$keys" || fail "the retired key's times: $keys"
if grep -qi "PRIVATE\|BEGIN" <<< "$keys"; then fail "a key listing shows a private key"; fi

# once the last RS256 token has expired and the leeway passed, the key is
# dropped: the JWKS no longer has it, and its token (even at a time when
# it had not expired) is refused for want of a key
jwks $((T0 + 600 + 300)) "$work/jwks2"
expect "refused ERR_JWKS_NO_MATCHING_KEY" "$(verify "$work/jwks2" "$tok" "$iss" api://AzureADTokenExchange $((T0 + 25)))"
expect "ok sc://contoso/Web Shop/azure-prod ES256" "$(verify "$work/jwks2" "$es" "$iss" api://AzureADTokenExchange $((T0 + 25)))"
# a non-admin may not rotate
if SVCCONN_USER=mallory "$svcconn" oidc rotate 2>/dev/null; then fail "mallory rotated the keys"; fi
echo "oidc_jose: ok"
