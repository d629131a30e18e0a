#!/usr/bin/env bash
# Agents of svcconn-server, tried as an attacker would: pools (only the
# store's Administrator makes them), one-time registration tokens
# exchanged by `svcconn-agent register` (the token read from a file or
# stdin, never argv) for a credential written 0600 in the agent's own
# config dir and stored on the server only as a hash; a spent, expired,
# wrong-kind or forged registration token is a 401 with an audit record;
# an agent authenticates as an agent (not as the user of the same name:
# no roles, no endpoints); a revoked agent is refused at once; guessing
# registration tokens is rate-limited (429) like guessing tokens.
# Jobs: two agents of a trusted pool, with separate homes and no store,
# start jobs of two pipelines that the server compiles and gates itself;
# each answer carries only its own job's connection with its secret; a
# job token opens only its own job (another job's is 403, audited), ends
# with the job (401 after complete); an untrusted pool's agent sending YAML
# is 403 (audited); the usage history names the YAML's source; SIGKILL of
# the server while a job holds an exclusive lock leaves nothing held: after
# a restart past the lease the job is expired, its lock released, its token
# refused, its usage finished as Failed.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_agents
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
audits() { svcconn audit --json | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"] == sys.argv[1]))' "$1"; }

svcconn init >/dev/null
SECRET_A=agents-secretA-5b1c9e
SECRET_B=agents-secretB-77d20f
printf '%s' "$SECRET_A" > "$work/sa"; printf '%s' "$SECRET_B" > "$work/sb"
svcconn create dockerregistry regA --scheme UsernamePassword --set registry=https://a.example.test \
  --set username=ua --secret password=@"$work/sa" --grant-all-pipelines >/dev/null
svcconn create dockerregistry regB --scheme UsernamePassword --set registry=https://b.example.test \
  --set username=ub --secret password=@"$work/sb" --grant-all-pipelines >/dev/null
rm -f "$work/sa" "$work/sb"
svcconn checks regB add exclusive-lock >/dev/null
pipeline() { # connection
  printf 'resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: %s\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' "$1"
}
# ---- pools: the Administrator only ------------------------------------
svcconn pools create linux >/dev/null
svcconn pools create dev --trusted >/dev/null
svcconn pools create linux >/dev/null 2>&1 && fail "a pool was created twice"
SVCCONN_USER=bob svcconn pools create evil >/dev/null 2>&1 && fail "bob (no role) created a pool"
SVCCONN_USER=bob svcconn agents registration-token --pool linux >/dev/null 2>&1 \
  && fail "bob issued a registration token"
out=$(svcconn pools list)
grep -q '^dev .*yes' <<<"$out" || fail "dev is not trusted: $out"
grep -q '^linux .*no' <<<"$out" || fail "linux is trusted: $out"
svcconn agents registration-token --pool nosuch >/dev/null 2>&1 && fail "a token for a missing pool"

reg1=$(svcconn agents registration-token --pool linux 2>/dev/null)
reg2=$(svcconn agents registration-token --pool dev --hours 1 2>/dev/null)
past=$(( $(date +%s) - 2 * 3600 ))
regx=$(SVCCONN_NOW=$past svcconn agents registration-token --pool linux --hours 1 2>/dev/null)
[[ $reg1 == svcr_* ]] || fail "not a registration token: $reg1"
# neither registration tokens nor agents' credentials are personal tokens
svcconn tokens list --all | grep -q svcr_ && fail "tokens list shows a token"
[ "$(svcconn tokens list --all | grep -c '^[0-9a-f]\{16\} ')" = 0 ] || fail "registration tokens listed as personal tokens"

srv_cert
# (this test makes more refusals than the default limit allows: raised)
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --max-auth-failures 1000
base="https://127.0.0.1:$port"

# ---- registration -----------------------------------------------------------
mkdir -p "$work/a1" "$work/a2"
printf '%s\n' "$reg1" > "$work/reg1"
HOME=$work/a1 agent register --server "$base" --ca "$work/cert.pem" \
  --registration-token-file "$work/reg1" --name builder1 >/dev/null \
  || fail "agent 1 did not register"
cred1f=$work/a1/.config/svcconn-agent/credential
[ "$(stat -c %a "$cred1f")" = 600 ] || fail "credential mode $(stat -c %a "$cred1f")"
[ "$(stat -c %a "$(dirname "$cred1f")")" = 700 ] || fail "config dir not 0700"
cred1=$(cat "$cred1f")
[[ $cred1 == svca_* ]] || fail "not an agent credential"
grep -q '"pool": "linux"' "$work/a1/.config/svcconn-agent/agent.json" || fail "agent.json: $(cat "$work/a1/.config/svcconn-agent/agent.json")"
# the token from stdin, and a second agent in its own home
printf '%s' "$reg2" | HOME=$work/a2 agent register --server "$base" --ca "$work/cert.pem" \
  --registration-token-file - --name builder2 >/dev/null || fail "agent 2 did not register"
cred2=$(cat "$work/a2/.config/svcconn-agent/credential")

# the server holds hashes only: no token, credential in the store file
for s in "$reg1" "$reg2" "$cred1" "$cred2"; do
  grep -rqaF "${s#svc?_*_}" "$SVCCONN_HOME" && fail "a token's secret is in the store"
done

# a spent token, an expired one, a forged one, one of another kind: 401s, audited
f0=$(audits token-auth-failed)
req 401 -H "Authorization: Bearer $reg1" --data '{"name":"again"}' "$base/_apis/svcconn/agents"
req 401 -H "Authorization: Bearer $regx" --data '{"name":"late"}' "$base/_apis/svcconn/agents"
req 401 -H "Authorization: Bearer ${reg1%?}x" --data '{"name":"forged"}' "$base/_apis/svcconn/agents"
req 401 -H "Authorization: Bearer $cred1" --data '{"name":"kind"}' "$base/_apis/svcconn/agents"
req 401 --data '{"name":"none"}' "$base/_apis/svcconn/agents"
f1=$(audits token-auth-failed)
[ $((f1 - f0)) -ge 4 ] || fail "refused registrations not audited ($f0 -> $f1)"
out=$(HOME=$work/a1 agent register --server "$base" --ca "$work/cert.pem" \
  --registration-token-file "$work/reg1" --name other --config-dir "$work/a1/other" 2>&1) \
  && fail "a spent registration token registered again"
grep -q "refused the registration (401)" <<<"$out" || fail "wrong refusal: $out"
# a name taken is a 409 and leaves the token unspent
reg3=$(svcconn agents registration-token --pool linux 2>/dev/null)
req 409 -H "Authorization: Bearer $reg3" --data '{"name":"BUILDER1"}' "$base/_apis/svcconn/agents"
req 201 -H "Authorization: Bearer $reg3" --data '{"name":"admin"}' "$base/_apis/svcconn/agents"
credadm=$(echo "$body" | jget token)
# TLS is verified: without --ca the self-signed server is refused
out=$(HOME=$work/a1 agent register --server "$base" --registration-token-file "$work/reg1" \
  --name x --config-dir "$work/x" 2>&1) && fail "registered without trusting the certificate"
grep -qi "tls\|certificate" <<<"$out" || fail "no TLS refusal: $out"

# ---- an agent is an agent: no roles, no endpoints ---------------------------
req 200 -H "Authorization: Bearer $cred1" "$base/_apis/connectionData"
[ "$(echo "$body" | jget authentication.method)" = agentToken ] || fail "agent not authenticated as one: $body"
[ "$(echo "$body" | jget authenticatedUser.providerDisplayName)" = builder1 ] || fail "whoami: $body"
req 403 -H "Authorization: Bearer $cred1" "$base/default/default/_apis/serviceendpoint/endpoints"
# the agent called 'admin' does not hold the user admin's Administrator role
req 403 -H "Authorization: Bearer $credadm" "$base/default/default/_apis/serviceendpoint/endpoints"
# an agent credential is no personal token: prefixed as one, it is refused
req 401 -H "Authorization: Bearer svcp_${cred1#svca_}" "$base/_apis/connectionData"

# ---- list and revoke ---------------------------------------------------------
out=$(svcconn agents list)
grep -q '^builder1 *linux' <<<"$out" || fail "agents list: $out"
grep -q '^builder2 *dev' <<<"$out" || fail "agents list: $out"
grep -qF "$cred1" <<<"$out" && fail "agents list shows a credential"
SVCCONN_USER=bob svcconn agents revoke builder1 >/dev/null 2>&1 && fail "bob revoked an agent"
svcconn agents revoke builder1 >/dev/null
req 401 -H "Authorization: Bearer $cred1" "$base/_apis/connectionData"
req 200 -H "Authorization: Bearer $cred2" "$base/_apis/connectionData"
svcconn agents list | grep -q '^builder1 .*Z *[0-9-]*T' || fail "revocation not listed: $(svcconn agents list)"
for a in pool-create agent-registration-token-create agent-register agent-revoke; do
  [ "$(audits "$a")" -ge 1 ] || fail "no audit record '$a'"
done
# nothing of the server's secrets or the tokens in the server's log
for s in "$reg1" "$reg2" "$cred1" "$cred2" "$credadm"; do
  grep -qF "$s" "$work/log" && fail "a token in the server's log"
done

# ---- jobs -------------------------------------------------------------------
reg4=$(svcconn agents registration-token --pool dev 2>/dev/null)
mkdir -p "$work/a3"
printf '%s' "$reg4" | HOME=$work/a3 agent register --server "$base" --ca "$work/cert.pem" \
  --registration-token-file - --name builder3 >/dev/null || fail "agent 3 did not register"
cred3=$(cat "$work/a3/.config/svcconn-agent/credential")
jobs="$base/default/default/_apis/svcconn/jobs"
# start AGENT_CRED PIPELINE CONNECTION RUN: the answer in $body
start() {
  python3 -c 'import json,sys; print(json.dumps({"pipeline": sys.argv[1], "yaml": sys.stdin.read(), "job": "Build", "runId": sys.argv[2], "requestedBy": "alice"}))' \
    "$2" "$4" < <(pipeline "$3") > "$work/req.json"
  req "$5" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data-binary @"$work/req.json" "$jobs"
}
start "$cred2" app regA 1 201
j1=$(echo "$body" | jget jobId); t1=$(echo "$body" | jget token)
[ "$(echo "$body" | jget endpoints.0.authorization.parameters.password)" = "$SECRET_A" ] || fail "job 1 did not get regA's secret: $body"
grep -qF "$SECRET_B" <<<"$body" && fail "job 1 got regB's secret"
[ "$(echo "$body" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["endpoints"]))')" = 1 ] || fail "job 1 got more than its connection"
start "$cred3" web regB 7 201
j2=$(echo "$body" | jget jobId); t2=$(echo "$body" | jget token)
[ "$(echo "$body" | jget endpoints.0.name)" = regB ] || fail "job 2: $body"
grep -qF "$SECRET_A" <<<"$body" && fail "job 2 got regA's secret"
[[ $t1 == svcj_* && $t2 == svcj_* ]] || fail "not job tokens"
# the usage history names the YAML's source
svcconn history regA --json | grep -q "agent-supplied, trusted pool 'dev' (agent 'builder2')" \
  || fail "the usage history does not name the source: $(svcconn history regA --json)"
# a job token opens its own job only
req 200 -H "Authorization: Bearer $t1" "$jobs/$j1/endpoints"
[ "$(echo "$body" | jget value.0.authorization.parameters.password)" = "$SECRET_A" ] || fail "own endpoints: $body"
r0=$(audits job-access-refused)
req 403 -H "Authorization: Bearer $t1" "$jobs/$j2/endpoints"
grep -qF "$SECRET_B" <<<"$body" && fail "job 1's token read job 2's secret"
[ "$(audits job-access-refused)" -gt "$r0" ] || fail "the refusal was not audited"
# an agent's credential is no job token, a job token no agent credential
req 403 -H "Authorization: Bearer $cred2" "$jobs/$j1/endpoints"
req 403 -H "Authorization: Bearer $t1" -X POST "$jobs/$j1/renew"
# another agent cannot renew or complete a job it did not start
req 403 -H "Authorization: Bearer $cred3" -X POST "$jobs/$j1/renew"
req 403 -H "Authorization: Bearer $cred3" --data '{"result":"Failed"}' "$jobs/$j1/complete"
req 200 -H "Authorization: Bearer $cred2" -X POST "$jobs/$j1/renew"
# an untrusted pool's agent may not supply YAML; a revoked agent is refused
r0=$(audits job-access-refused)
start "$credadm" app regA 2 403
grep -q "not trusted" <<<"$body" || fail "no reason for the untrusted pool: $body"
[ "$(audits job-access-refused)" -gt "$r0" ] || fail "the untrusted pool's refusal was not audited"
start "$cred1" app regA 3 401
# a user's token is no agent: it starts no job
utok=$(svcconn tokens create full --scopes full 2>/dev/null)
start "$utok" app regA 4 403
# complete: the token ends with the job
req 200 -H "Authorization: Bearer $cred2" --data '{"result":"Succeeded"}' "$jobs/$j1/complete"
req 401 -H "Authorization: Bearer $t1" "$jobs/$j1/endpoints"
svcconn history regA --json | grep -q '"result": *"Succeeded"' || fail "no result recorded: $(svcconn history regA --json)"

# ---- SIGKILL while job 2 holds regB's exclusive lock -----------------------
start "$cred2" other regB 1 202
[ "$(echo "$body" | jget status)" = waiting ] || fail "regB's lock is not held by job 2: $body"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
later=$(( $(date +%s) + 3600 ))
SVCCONN_NOW=$later start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"; jobs="$base/default/default/_apis/svcconn/jobs"
# the next job request sweeps: job 2 expired, its lock released
start "$cred3" web regB 8 201
[ "$(audits job-expired)" -ge 1 ] || fail "job 2 was not expired"
svcconn history regB --json | grep -q '"result": *"Failed"' || fail "job 2's usage not finished: $(svcconn history regB --json)"
req 401 -H "Authorization: Bearer $t2" "$jobs/$j2/endpoints"

# ---- nothing secret on the agents' disks ------------------------------------
for h in "$work/a1" "$work/a2" "$work/a3"; do
  for s in "$SECRET_A" "$SECRET_B" "$t1" "$t2"; do
    grep -rqF "$s" "$h" && fail "a secret or job token on agent disk $h"
  done
done
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"

# ---- guessing registration tokens is rate-limited like tokens ----------------
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --max-auth-failures 3
base="https://127.0.0.1:$port"
for i in 1 2 3; do
  req 401 -H "Authorization: Bearer svcr_000000000000000${i}_guess" --data '{"name":"g"}' "$base/_apis/svcconn/agents"
done
reg9=$(svcconn agents registration-token --pool linux 2>/dev/null)
req 429 -H "Authorization: Bearer $reg9" --data '{"name":"late"}' "$base/_apis/svcconn/agents"
# the documents stay public; the blocked address's valid token was not spent
req 200 "$base/_apis/openapi.json"
svcconn agents list | grep -q '^late ' && fail "a blocked address registered an agent"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "server_agents: ok"
