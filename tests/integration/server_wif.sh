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
# must return.  The library runs twice: with a step's environment made
# here, and as a real step of a registered agent's job (`svcconn-agent
# job-start --server`, `step`, a task step whose azureSubscription input
# names the connection), with only what the agent gives the step; after
# `job-end` that step fails.  MSAL asks login.microsoftonline.com for its
# instance discovery first: for the library's process that name resolves to
# 127.0.0.9 (a hosts-file entry made with a preloaded dns.lookup), where
# the same loopback Entra answers on port 443 (CI runs as root).  (The
# library's own proxy route, agent.proxyurl, cannot serve instead: its
# https-proxy-agent 4 / agent-base 5 tell https from http by "(https.js:"
# in a stack trace, which Node 16 and later no longer print, so every
# proxied MSAL request fails with 'Protocol "https:" not supported'.)
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
eport=$(free_port); port=$(free_port)
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
  -addext subjectAltName=DNS:login.microsoftonline.com,IP:127.0.0.1,IP:127.0.0.9 2>/dev/null
cat "$work/cert.pem" "$work/entra-cert.pem" > "$work/ca.pem"

# the azure-arm-rest probe task's manifest (its azureSubscription input is
# a connection): the server classifies the agent's step with it
mkdir -p "$work/tasks/ArmLibProbeV0"
cp "$SVC_SOURCE_DIR/fixtures/tasklibs/ArmLibProbeV0/task.json" "$work/tasks/ArmLibProbeV0/"
SVCCONN_TASKS_PATH="$work/tasks" start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" --issuer "$iss"
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
for t in "$t1" "$t2"; do grep -qF "$t" "$work/log" && fail "an ID token in the server's log"; done
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

# ---- the loopback Entra (instance discovery, tenant discovery, token) --------
cat > "$work/entra.py" <<'PY'
# A loopback stand-in for Microsoft Entra's token service, checking a
# federated client assertion as Entra does; on 127.0.0.9:443 too, for the
# instance discovery MSAL asks of login.microsoftonline.com.
import base64, json, socket, ssl, sys, threading, time, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

eport, issuer, ca, cert, key, tenant, client, sub, out = sys.argv[1:10]
eport = int(eport)
ctx_client = ssl.create_default_context(cafile=ca)

def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def num(s):
    return int.from_bytes(b64(s), "big")

def fetch(url):
    with urllib.request.urlopen(url, context=ctx_client, timeout=10) as r:
        return json.load(r)

def verify(assertion):
    """The claims of a valid assertion; raises ValueError why not."""
    h64, p64, s64 = assertion.split(".")
    head, claims, sig = json.loads(b64(h64)), json.loads(b64(p64)), b64(s64)
    if claims.get("iss") != issuer:
        raise ValueError("AADSTS700211: no matching federated identity record for issuer")
    disc = fetch(issuer + "/.well-known/openid-configuration")
    if disc["issuer"] != issuer:
        raise ValueError("discovery names another issuer")
    keys = [k for k in fetch(disc["jwks_uri"])["keys"] if k["kid"] == head.get("kid")]
    if not keys:
        raise ValueError("AADSTS700027: no key with kid " + str(head.get("kid")))
    k, data = keys[0], (h64 + "." + p64).encode()
    if head["alg"] == "RS256" and k["kty"] == "RSA":
        pub = rsa.RSAPublicNumbers(num(k["e"]), num(k["n"])).public_key()
        pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    elif head["alg"] == "ES256" and k["kty"] == "EC":
        pub = ec.EllipticCurvePublicNumbers(num(k["x"]), num(k["y"]), ec.SECP256R1()).public_key()
        pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                   data, ec.ECDSA(hashes.SHA256()))
    else:
        raise ValueError("AADSTS5002738: unsupported alg " + head["alg"])
    now = time.time()
    if claims.get("sub") != sub:
        raise ValueError("AADSTS700213: no federated identity record for subject " + str(claims.get("sub")))
    if claims.get("aud") != "api://AzureADTokenExchange":
        raise ValueError("AADSTS700212: no matching audience")
    if not (claims["nbf"] - 300 <= now < claims["exp"]) or claims["exp"] - claims["nbf"] > 86400:
        raise ValueError("AADSTS700024: client assertion is not within its valid time range")
    return claims

class Entra(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        base = "https://127.0.0.1:%d/%s" % (eport, tenant)
        path = urllib.parse.urlparse(self.path).path
        with open(out + ".requests", "a") as f:
            f.write("GET %s %s\n" % (self.headers.get("Host"), path))
        if path == "/common/discovery/instance":
            # the authority is not one of Microsoft's clouds: no metadata
            return self.reply(200, {"tenant_discovery_endpoint": base + "/v2.0/.well-known/openid-configuration",
                                    "api-version": "1.1", "metadata": []})
        if path == "/%s/v2.0/.well-known/openid-configuration" % tenant:
            return self.reply(200, {"issuer": base + "/v2.0", "token_endpoint": base + "/oauth2/v2.0/token",
                                    "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                                    "jwks_uri": base + "/discovery/v2.0/keys",
                                    "end_session_endpoint": base + "/oauth2/v2.0/logout"})
        self.reply(404, {"error": "not_found"})
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        one = lambda k: form.get(k, [""])[0]
        with open(out + ".requests", "a") as f:
            f.write("POST %s %s\n" % (self.headers.get("Host"), self.path))
        if self.path.split("?")[0] != "/%s/oauth2/v2.0/token" % tenant:
            return self.reply(404, {"error": "not_found"})
        try:
            if one("grant_type") != "client_credentials" or one("client_id") != client:
                raise ValueError("AADSTS700016: wrong grant or client " + one("client_id"))
            if one("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                raise ValueError("AADSTS7000218: no client_assertion")
            claims = verify(one("client_assertion"))
        except Exception as e:
            with open(out + ".refused", "a") as f:
                f.write("%s: %s\n" % (type(e).__name__, e))
            return self.reply(401, {"error": "invalid_client", "error_description": str(e) or type(e).__name__,
                                    "error_codes": [700211]})
        at = "entra-at-" + base64.urlsafe_b64encode(claims["jti"].encode()).decode().rstrip("=")
        with open(out, "a") as f:
            f.write(json.dumps({"access_token": at, "scope": one("scope"), "jti": claims["jti"]}) + "\n")
        self.reply(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                         "access_token": at})

sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(cert, key)
servers = []
for addr in (("127.0.0.1", eport), ("127.0.0.9", 443)):
    srv = ThreadingHTTPServer(addr, Entra)
    srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
    servers.append(srv)
threading.Thread(target=servers[1].serve_forever, daemon=True).start()
print("ready", flush=True)
servers[0].serve_forever()
PY
python3 "$work/entra.py" "$eport" "$iss" "$work/cert.pem" "$work/entra-cert.pem" \
  "$work/entra-key.pem" "$TENANT" "$CLIENT" "sc://default/default/arm-wif" "$work/issued" > "$work/entra.log" 2>&1 &
pids+=("$!")
for i in $(seq 100); do grep -q ready "$work/entra.log" && break; sleep 0.05; done
grep -q ready "$work/entra.log" || fail "the loopback Entra did not start: $(cat "$work/entra.log")"

# ---- Microsoft's azure-arm-rest library, as a step of the job runs it ----------
cat > "$work/hosts.js" <<'JS'
// A hosts-file entry for this process only: Entra's instance discovery
// host is the loopback Entra (127.0.0.9:443).
const dns = require('dns');
const lookup = dns.lookup;
dns.lookup = function (host, opts, cb) {
  if (host !== 'login.microsoftonline.com') return lookup.apply(this, arguments);
  if (typeof opts === 'function') { cb = opts; opts = {}; }
  if (opts && opts.all) return process.nextTick(cb, null, [{ address: '127.0.0.9', family: 4 }]);
  return process.nextTick(cb, null, '127.0.0.9', 4);
};
JS
cat > "$work/arm.js" <<'JS'
// AzureRMEndpoint(id).getEndpoint(), then applicationTokenCredentials.getToken():
// the library reads the step's environment (endpoint, System.* variables,
// SYSTEMVSSCONNECTION) as on an Azure agent.  The connection: the argument,
// else the step's input as the agent gives it (the connection's id; read
// before the task library takes the INPUT_ variables out of the environment).
const id = process.argv[2] || process.env.INPUT_CONNECTEDSERVICENAMEARM;
const { AzureRMEndpoint } = require(process.env.ARM_REST + '/azure-arm-endpoint');
(async () => {
  console.log('connection ' + id);
  const ep = await new AzureRMEndpoint(id).getEndpoint();
  const token = await ep.applicationTokenCredentials.getToken();
  console.log('token ' + token);
})().catch((e) => { console.log('error ' + (e && e.message ? e.message : e)); process.exit(1); });
JS
# step_env JOB_ID JOB_TOKEN CONNECTION_ID: the environment an agent gives the step
step_env() {
  local auth
  auth=$(python3 -c 'import json,sys; print(json.dumps({"scheme": "WorkloadIdentityFederation", "parameters": {"tenantid": sys.argv[1], "serviceprincipalid": sys.argv[2]}}))' "$TENANT" "$CLIENT")
  mkdir -p "$work/agtemp"
  env -i PATH="$PATH" HOME="$work" NODE_EXTRA_CA_CERTS="$work/ca.pem" ARM_REST="$libs/node_modules/azure-pipelines-tasks-azure-arm-rest" \
    AGENT_TEMPDIRECTORY="$work/agtemp" NODE_OPTIONS="--require $work/hosts.js" \
    SYSTEM_COLLECTIONURI="$iss/default/" SYSTEM_TEAMFOUNDATIONCOLLECTIONURI="$iss/default/" \
    SYSTEM_TEAMPROJECTID=default SYSTEM_TEAMPROJECT=default SYSTEM_HOSTTYPE=build \
    SYSTEM_PLANID="$1" SYSTEM_JOBID="$1" SYSTEM_OIDCREQUESTURI="$iss/default/default/_apis/distributedtask/hubs/build/plans/$1/jobs/$1/oidctoken" \
    SYSTEM_ACCESSTOKEN="$2" ENDPOINT_AUTH_SYSTEMVSSCONNECTION="{\"scheme\":\"OAuth\",\"parameters\":{\"AccessToken\":\"$2\"}}" \
    ENDPOINT_URL_SYSTEMVSSCONNECTION="$iss/default/" \
    "ENDPOINT_URL_$3=https://management.azure.com/" "ENDPOINT_AUTH_$3=$auth" \
    "ENDPOINT_AUTH_SCHEME_$3=WorkloadIdentityFederation" \
    "ENDPOINT_AUTH_PARAMETER_$3_TENANTID=$TENANT" "ENDPOINT_AUTH_PARAMETER_$3_SERVICEPRINCIPALID=$CLIENT" \
    "ENDPOINT_DATA_$3_SUBSCRIPTIONID=0b1c2d3e-aaaa-4bbb-8ccc-0d0e0f101112" "ENDPOINT_DATA_$3_SUBSCRIPTIONNAME=Shop" \
    "ENDPOINT_DATA_$3_ENVIRONMENT=AzureCloud" "ENDPOINT_DATA_$3_ACTIVEDIRECTORYAUTHORITY=https://127.0.0.1:$eport/" \
    node "$work/arm.js" "$3"
}
i0=$(audits oidc-issue)
res=$(step_env "$ja" "$ta" "$wif_id" 2>&1) || fail "azure-arm-rest failed: $res; refused: $(cat "$work/issued.refused" 2>/dev/null)"
tok=$(sed -n 's/^token //p' <<<"$res")
[ -n "$tok" ] || fail "no token from getToken(): $res"
[ "$(tail -n 1 "$work/issued" | jget access_token)" = "$tok" ] || fail "getToken() returned $tok, not the token endpoint's"
[ "$(tail -n 1 "$work/issued" | jget scope)" = "https://management.azure.com//.default" ] ||
  [ "$(tail -n 1 "$work/issued" | jget scope)" = "https://management.azure.com/.default" ] || fail "scope: $(cat "$work/issued")"
grep -q "^GET login.microsoftonline.com /common/discovery/instance" "$work/issued.requests" ||
  fail "MSAL did not ask for its instance discovery: $(cat "$work/issued.requests")"
[ "$(audits oidc-issue)" = $((i0 + 1)) ] || fail "the library's token request was not audited once"
grep -q 'POST .*/oidctoken' "$work/log" || fail "the library did not call the oidctoken route"
grep -q 'OPTIONS /default/_apis/distributedtask' "$work/log" || fail "the library did not ask the location"
echo "ok: azure-arm-rest's getToken() returned the loopback Entra's access token ($(cut -c1-20 <<<"$tok")...)"

# a tampered assertion is refused by the token endpoint
p64=$(cut -d. -f2 <<<"$t2")
bad="$(cut -d. -f1 <<<"$t2").$(python3 -c 'import base64,json,sys; p=sys.argv[1]; c=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4))); c["sub"]="sc://default/default/arm-other"; print(base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("="))' "$p64").$(cut -d. -f3 <<<"$t2")"
req 401 --data-urlencode grant_type=client_credentials --data-urlencode client_id=$CLIENT \
  --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
  --data-urlencode client_assertion="$bad" --data-urlencode scope=https://management.azure.com/.default \
  "https://127.0.0.1:$eport/$TENANT/oauth2/v2.0/token"
grep -q "InvalidSignature" "$work/issued.refused" || fail "the tampered assertion was not refused for its signature: $(cat "$work/issued.refused")"
# the genuine one passes the same checks
req 200 --data-urlencode grant_type=client_credentials --data-urlencode client_id=$CLIENT \
  --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
  --data-urlencode client_assertion="$t2" --data-urlencode scope=https://management.azure.com/.default \
  "https://127.0.0.1:$eport/$TENANT/oauth2/v2.0/token"
echo "ok: the token endpoint refuses a tampered assertion and accepts the genuine one"

# ---- the same library as a real step of a registered agent's job ---------------
# The agent (trusted pool, its own YAML: a task step whose azureSubscription
# input is arm-wif) runs job-start --server; the step gets only what the
# agent gives it: the connection's ENDPOINT_* and INPUT_*, SYSTEM_* with the
# server's job id, SYSTEM_OIDCREQUESTURI and SystemVssConnection's job token.
# What the test adds is plumbing: the library's location (--env-file), and
# in the step's own command the CA and the hosts entry (NODE_EXTRA_CA_CERTS
# and NODE_OPTIONS are on the closed list no agent may pass).
mkdir -p "$work/ag/jobs"; chmod 700 "$work/ag/jobs"
svcconn agents registration-token --pool dev 2>/dev/null |
  HOME=$work/ag "$SVC_BIN_DIR/svcconn-agent" register --server "$iss" --ca "$work/cert.pem" \
    --registration-token-file - --name runner >/dev/null || fail "the agent did not register"
as_agent() { env -u SVCCONN_HOME HOME="$work/ag" SVCCONN_JOBS_DIR="$work/ag/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"; }
printf 'jobs:\n  - job: Deploy\n    steps:\n      - task: ArmLibProbe@0\n        inputs:\n          azureSubscription: arm-wif\n' > "$work/deploy.yml"
J=$work/ag/jobs/j
i0=$(audits oidc-issue)
s0=$(date +%s%N)
as_agent job-start --server "$iss" --pipeline shop --pipeline-file "$work/deploy.yml" \
  --job Deploy --run-id 4 --job-dir "$J" > "$work/jstart" 2> "$work/jstart.err" ||
  fail "the agent's job did not start: $(cat "$work/jstart.err")"
s1=$(date +%s%N)
jc=$(sed -n 's/^SYSTEM_JOBID=//p' "$work/jstart")
[ -n "$jc" ] || fail "no job id: $(cat "$work/jstart")"
printf 'ARM_REST=%s\n' "$libs/node_modules/azure-pipelines-tasks-azure-arm-rest" > "$work/step.env"
agent_step() {
  as_agent step --job-dir "$J" --step 0 --env-file "$work/step.env" -- \
    env NODE_EXTRA_CA_CERTS="$work/ca.pem" node --require "$work/hosts.js" "$work/arm.js"
}
res=$(agent_step 2>&1) || fail "the agent's step failed: $res; refused: $(cat "$work/issued.refused" 2>/dev/null)"
s2=$(date +%s%N)
grep -qx "connection $wif_id" <<<"$res" || fail "the step's input is not the connection's id: $res"
tok=$(sed -n 's/^token //p' <<<"$res")
[ -n "$tok" ] && [ "$(tail -n 1 "$work/issued" | jget access_token)" = "$tok" ] ||
  fail "the step's getToken() returned '$tok', not the token endpoint's: $res"
python3 -c 'import json,sys; e=[x for x in json.load(sys.stdin) if x["action"]=="oidc-issue"][-1]; assert e["actor"]==sys.argv[1] and e["connectionId"]==sys.argv[2], e' \
  "$jc" "$wif_id" < <(svcconn audit --json) || fail "the step's ID token was not issued to the agent's job"
[ "$(audits oidc-issue)" = $((i0 + 2)) ] || fail "the job start and the step's request: not one oidc-issue each"
echo "ok: as a real step of a registered agent's job, azure-arm-rest's getToken() returned the loopback Entra's access token"
echo "measured: job-start --server with a WIF connection $(( (s1 - s0) / 1000000 )) ms; the step (node, getEndpoint, oidctoken, MSAL discovery and token) $(( (s2 - s1) / 1000000 )) ms"
as_agent job-end --job-dir "$J" --result Succeeded >/dev/null || fail "the agent's job-end"
i0=$(audits oidc-issue); n0=$(wc -l < "$work/issued")
res=$(agent_step 2>&1) && fail "the step ran after job-end: $res"
[ "$(audits oidc-issue)" = "$i0" ] && [ "$(wc -l < "$work/issued")" = "$n0" ] ||
  fail "an ID token or an access token after job-end"
echo "ok: after job-end the same step fails, with no ID token issued and no access token: $(head -n 1 <<<"$res")"

# ---- the job ends: its token with it ------------------------------------------
req 200 -H "Authorization: Bearer $cred" --data '{"result":"Succeeded"}' "$jobs/$ja/complete"
req 401 -X POST -H "Authorization: Bearer $ta" --data '{}' "$uri?serviceConnectionId=$wif_id"
res=$(step_env "$ja" "$ta" "$wif_id" 2>&1) && fail "azure-arm-rest got a token after the job ended: $res"
echo "ok: after the job completes its token gets no ID token (401)"

# ---- without --issuer: no route, no oidcRequestUri ----------------------------
kill "$pid"; wait "$pid" 2>/dev/null || true
start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
req 404 -X POST -H "Authorization: Bearer $tb" --data '{}' "$urib?serviceConnectionId=$other_id"
grep -q "no OIDC issuer" <<<"$body" || fail "no reason without --issuer: $body"
start 3 arm-wif
[ "$(echo "$body" | jget oidcRequestUri)" = null ] || fail "an oidcRequestUri without an issuer: $body"
[ "$(echo "$body" | jget endpoints.0.authorization.parameters.idToken)" = null ] || fail "an idToken without an issuer"
echo "ok: without --issuer the route is 404 and the job answer has no oidcRequestUri"
