#!/usr/bin/env bash
# Workload identity federation end to end: svcconn-server (--issuer, on
# loopback) starts a job of a trusted pool's agent whose pipeline uses an
# azurerm connection with the WorkloadIdentityFederation scheme; the job
# start answer carries the job's oidcRequestUri and, in the connection's
# authorization, a fresh idToken.  Then Microsoft's own npm library
# azure-pipelines-tasks-azure-arm-rest (AzureRMEndpoint.getEndpoint() and
# applicationTokenCredentials.getToken(), unmodified) runs with the
# environment the agent gives a step: it asks the server's oidctoken route
# (through azure-devops-node-api's TaskApi.createOidcToken, which first
# reads the route's location with OPTIONS /_apis/distributedtask) for an
# ID token with the job token, and MSAL sends it as the client assertion
# to a loopback Entra token endpoint.  That endpoint (below, python) checks
# the assertion as Entra does: the signature against the JWKS fetched from
# the svcconn server over HTTPS (its discovery document first), iss, sub,
# aud, nbf and exp; only then it answers an access token, which getToken()
# must return.  MSAL asks login.microsoftonline.com for its instance
# discovery first: the agent's proxy (agent.proxyurl, which the library
# honours) is a loopback CONNECT proxy that sends that host to the same
# loopback Entra, and every other host to itself (loopback only).
# Refusals: another job's token (403), a connection the job was not granted
# (403), both audited; after the job completes its token is refused (401);
# a tampered assertion is refused by the token endpoint; without --issuer
# the route is 404 and the job answer has no oidcRequestUri.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
libs=$deps/../node-azure-arm-rest
node_deps_install "$libs" azure-pipelines-tasks-azure-arm-rest@3.272.1
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_wif
audits() { svcconn audit --json | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"] == sys.argv[1]))' "$1"; }
claims() { python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))))' "$1"; }

TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT=4b5c6d7e-1111-4222-8333-944455556666
eport=$(free_port); xport=$(free_port); port=$(free_port)
iss="https://127.0.0.1:$port"

svcconn init >/dev/null
for c in arm-wif arm-other; do
  svcconn create azurerm "$c" --scheme WorkloadIdentityFederation \
    --set tenantid=$TENANT --set serviceprincipalid=$CLIENT \
    --set subscriptionId=0b1c2d3e-aaaa-4bbb-8ccc-0d0e0f101112 --set subscriptionName=Shop \
    --set environment=AzureCloud --set activeDirectoryAuthority="https://127.0.0.1:$eport/" \
    --grant-all-pipelines >/dev/null
done
id_of() { svcconn show "$1" --json | jget id; }
wif_id=$(id_of arm-wif); other_id=$(id_of arm-other)
svcconn pools create dev --trusted >/dev/null
reg=$(svcconn agents registration-token --pool dev 2>/dev/null)

# ---- certificates: the server's, and the loopback Entra's (it also answers
# ---- for login.microsoftonline.com behind the proxy) ------------------------
srv_cert
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/entra-key.pem" -out "$work/entra-cert.pem" -days 1 -subj /CN=entra \
  -addext subjectAltName=DNS:login.microsoftonline.com,IP:127.0.0.1 2>/dev/null
cat "$work/cert.pem" "$work/entra-cert.pem" > "$work/ca.pem"

start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --issuer "$iss"
req() {
  local want=$1; shift
  local code
  code=$(curl -sS --cacert "$work/ca.pem" -o "$work/body" -w '%{http_code}' "$@") || fail "curl $*"
  body=$(cat "$work/body")
  [ "$code" = "$want" ] || fail "$* answered $code, not $want: $body"
}
req 201 -H "Authorization: Bearer $reg" --data '{"name":"builder"}' "$iss/_apis/svcconn/agents"
cred=$(echo "$body" | jget token)
jobs="$iss/default/default/_apis/svcconn/jobs"
# start RUN CONNECTION: a job of the agent using CONNECTION, the answer in $body
start() {
  # (the server knows no task's inputs: a container resource names it)
  printf 'resources:\n  containers:\n    - container: c\n      image: shop.azurecr.io/app:1\n      azureSubscription: %s\njobs:\n  - job: Deploy\n    container: c\n    steps:\n      - bash: az group list\n' "$2" |
    python3 -c 'import json,sys; print(json.dumps({"pipeline": "shop", "yaml": sys.stdin.read(), "job": "Deploy", "runId": sys.argv[1], "requestedBy": "alice"}))' "$1" > "$work/req.json"
  req 201 -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' --data-binary @"$work/req.json" "$jobs"
}

# ---- the job start answer ----------------------------------------------------
i0=$(audits oidc-issue)
start 1 arm-wif
ja=$(echo "$body" | jget jobId); ta=$(echo "$body" | jget token)
[ "$(echo "$body" | jget planId)" = "$ja" ] || fail "no planId: $body"
uri=$(echo "$body" | jget oidcRequestUri)
[ "$uri" = "$iss/default/default/_apis/distributedtask/hubs/build/plans/$ja/jobs/$ja/oidctoken" ] ||
  fail "wrong oidcRequestUri: $uri"
[ "$(echo "$body" | jget endpoints.0.authorization.scheme)" = WorkloadIdentityFederation ] || fail "answer: $body"
idt=$(echo "$body" | jget endpoints.0.authorization.parameters.idToken)
c=$(claims "$idt")
python3 - "$c" "$iss" <<'PY' || fail "the idToken's claims: $c"
import json, sys, time
c = json.loads(sys.argv[1])
assert c["iss"] == sys.argv[2] and c["sub"] == "sc://default/default/arm-wif", c
assert c["aud"] == "api://AzureADTokenExchange" and 0 < c["exp"] - time.time() <= 600, c
PY
[ "$(echo "$body" | jget endpoints.0.authorization.parameters.workloadIdentityFederationSubject)" = "sc://default/default/arm-wif" ] ||
  fail "no workloadIdentityFederationSubject: $body"
[ "$(echo "$body" | jget endpoints.0.authorization.parameters.workloadIdentityFederationIssuer)" = "$iss" ] ||
  fail "no workloadIdentityFederationIssuer: $body"
[ "$(audits oidc-issue)" = $((i0 + 1)) ] || fail "the idToken was not audited"
grep -qF "$idt" "$work/log" && fail "an ID token in the server's log"
echo "ok: the job start answer carries oidcRequestUri and a fresh idToken for the WIF connection"

# ---- the route, as any client calls it ----------------------------------------
req 200 -X POST -H "Authorization: Bearer $ta" -H 'Content-Type: application/json' --data '{}' \
  "$uri?api-version=7.1&serviceConnectionId=$wif_id"
t1=$(echo "$body" | jget oidcToken)
req 200 -X POST -H "Authorization: Bearer $ta" --data '{}' "$uri?api-version=7.1&serviceConnectionId=$wif_id"
t2=$(echo "$body" | jget oidcToken)
[ "$(claims "$t1" | jget jti)" != "$(claims "$t2" | jget jti)" ] || fail "the same token twice"
[ "$(claims "$t2" | jget sub)" = "sc://default/default/arm-wif" ] || fail "route token: $(claims "$t2")"
python3 -c 'import json,sys; e=[x for x in json.load(sys.stdin) if x["action"]=="oidc-issue"][-1]; assert e["actor"]==sys.argv[1] and e["connectionId"]==sys.argv[2], e' \
  "$ja" "$wif_id" < <(svcconn audit --json) || fail "oidc-issue does not name the job and connection: $(svcconn audit --json | tail -c 600)"
echo "ok: POST oidctoken with the job token returns a new token each time, audited"

# ---- refusals -----------------------------------------------------------------
start 2 arm-other
jb=$(echo "$body" | jget jobId); tb=$(echo "$body" | jget token)
r0=$(audits job-access-refused)
req 403 -X POST -H "Authorization: Bearer $tb" --data '{}' "$uri?serviceConnectionId=$wif_id"
[ "$(audits job-access-refused)" = $((r0 + 1)) ] || fail "another job's token: not audited"
urib="$iss/default/default/_apis/distributedtask/hubs/build/plans/$jb/jobs/$jb/oidctoken"
req 403 -X POST -H "Authorization: Bearer $tb" --data '{}' "$urib?serviceConnectionId=$wif_id"
grep -q "not granted" <<<"$body" || fail "no reason for a connection not granted: $body"
[ "$(audits job-access-refused)" = $((r0 + 2)) ] || fail "a connection not granted: not audited"
req 200 -X POST -H "Authorization: Bearer $tb" --data '{}' "$urib?serviceConnectionId=$other_id"
req 400 -X POST -H "Authorization: Bearer $tb" --data '{}' "$urib"
req 404 -X POST -H "Authorization: Bearer $tb" --data '{}' \
  "$iss/default/default/_apis/distributedtask/hubs/build/plans/$ja/jobs/$jb/oidctoken?serviceConnectionId=$other_id"
# an agent's credential is no job token
req 403 -X POST -H "Authorization: Bearer $cred" --data '{}' "$urib?serviceConnectionId=$other_id"
echo "ok: another job's token and a connection not granted are 403 and audited"
