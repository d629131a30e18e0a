#!/usr/bin/env bash
# The `sub` of a SHARED workload identity federation connection: azurerm
# connection arm-wif of project a, shared into project b as "arm-b", used
# by a job of project b (a trusted pool's agent, through b's jobs route).
# Azure's shared service endpoint is one object with one
# workloadIdentityFederationSubject, naming the project it was created in
# and its name there, which is what the cloud's federated credential
# holds: the job start answer's idToken, its
# workloadIdentityFederationSubject and a token of the oidctoken route all
# say sc://default/a/arm-wif, never b or the name in b.  A job of a says
# the same.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_wif_shared
claims() { python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))))' "$1"; }
WANT=sc://default/a/arm-wif

svcconn init >/dev/null
svcconn projects create a >/dev/null
svcconn projects create b >/dev/null
svcconn --project a create azurerm arm-wif --scheme WorkloadIdentityFederation \
  --set tenantid=72f988bf-86f1-41af-91ab-2d7cd011db47 --set serviceprincipalid=4b5c6d7e-1111-4222-8333-944455556666 \
  --set subscriptionId=0b1c2d3e-aaaa-4bbb-8ccc-0d0e0f101112 --set subscriptionName=Shop \
  --set environment=AzureCloud --grant-all-pipelines >/dev/null
svcconn --project a share arm-wif --project b --name arm-b >/dev/null
wif_id=$(svcconn --project a show arm-wif --json | jget id)
svcconn pools create dev --trusted >/dev/null
reg=$(svcconn agents registration-token --pool dev 2>/dev/null)

srv_cert
port=$(free_port)
iss="https://127.0.0.1:$port"
start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --issuer "$iss"
req 201 -H "Authorization: Bearer $reg" --data '{"name":"builder"}' "$iss/_apis/svcconn/agents"
cred=$(jget token <<<"$body")
# start PROJECT CONNECTION RUN: a job of PROJECT using CONNECTION (its name
# there), the answer in $body
start() {
  printf 'resources:\n  containers:\n    - container: c\n      image: shop.azurecr.io/app:1\n      azureSubscription: %s\njobs:\n  - job: Deploy\n    container: c\n    steps:\n      - bash: az group list\n' "$2" |
    python3 -c 'import json,sys; print(json.dumps({"pipeline": "shop", "yaml": sys.stdin.read(), "job": "Deploy", "runId": sys.argv[1]}))' "$3" > "$work/req.json"
  req 201 -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' \
    --data-binary @"$work/req.json" "$iss/default/$1/_apis/svcconn/jobs"
}
# subjects PROJECT: the answer's idToken sub, its workloadIdentityFederationSubject
# and an oidctoken route token's sub must all be $WANT
subjects() {
  local ep sub tok uri
  [ "$(jget endpoints.0.id <<<"$body")" = "$wif_id" ] || fail "$1's job did not get arm-wif: $body"
  sub=$(claims "$(jget endpoints.0.authorization.parameters.idToken <<<"$body")" | jget sub)
  [ "$sub" = "$WANT" ] || fail "$1's idToken sub: $sub"
  ep=$(jget endpoints.0.authorization.parameters.workloadIdentityFederationSubject <<<"$body")
  [ "$ep" = "$WANT" ] || fail "$1's workloadIdentityFederationSubject: $ep"
  tok=$(jget token <<<"$body"); uri=$(jget oidcRequestUri <<<"$body")
  req 200 -X POST -H "Authorization: Bearer $tok" --data '{}' "$uri?api-version=7.1&serviceConnectionId=$wif_id"
  sub=$(claims "$(jget oidcToken <<<"$body")" | jget sub)
  [ "$sub" = "$WANT" ] || fail "$1's oidctoken sub: $sub"
}
start b arm-b 1
subjects b
echo "ok: a job of b using the shared arm-b gets sub $WANT (answer, subject, oidctoken route)"
start a arm-wif 2
subjects a
echo "ok: a job of a gets the same sub"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "server_wif_shared: ok"
