#!/usr/bin/env bash
# Projects through the real CLI and svcconn-server on loopback
# (docs/projects.md): two projects, a and b, each with a connection; a
# user with a role in a only gets 404 for /ORG/b/... (as for a project
# that does not exist) and does not see b in /_apis/projects, nor b's
# connection by id under a; a job of project b cannot use a's connection
# until it is shared into b ('svcconn share'), and Azure DevOps' share
# call (PATCH /ORG/_apis/serviceendpoint/endpoints/ID with project
# references) and unshare call (DELETE ...?projectIds=) work the same.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup projects
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }

SECRET_A=projects-secretA-2c81e0
SECRET_B=projects-secretB-9ad4f7
svcconn init >/dev/null
svcconn projects create a --description "team a" >/dev/null
svcconn projects create b >/dev/null
svcconn projects create B >/dev/null 2>&1 && fail "a second project named b"
printf '%s' "$SECRET_A" > "$work/sa"; printf '%s' "$SECRET_B" > "$work/sb"
svcconn --project a create dockerregistry reg --scheme UsernamePassword \
  --set registry=https://a.example.test --set username=ua \
  --secret password=@"$work/sa" --grant-all-pipelines >/dev/null
# the same name in b is another connection
SVCCONN_PROJECT=b svcconn create dockerregistry reg --scheme UsernamePassword \
  --set registry=https://b.example.test --set username=ub \
  --secret password=@"$work/sb" --grant-all-pipelines >/dev/null
rm -f "$work/sa" "$work/sb"
ida=$(svcconn --project a show reg --json | jget id)
idb=$(svcconn show reg --project b --json | jget id)
[ "$ida" != "$idb" ] || fail "one connection for two projects"
out=$(svcconn list)
grep -q reg <<<"$out" && fail "the default project lists a's or b's connection: $out"
svcconn security --project a --grant alice=User >/dev/null
out=$(SVCCONN_USER=alice svcconn projects list)
grep -q '^a ' <<<"$out" || fail "alice does not see a: $out"
grep -q '^b ' <<<"$out" && fail "alice sees b: $out"
out=$(SVCCONN_USER=alice svcconn --project b list 2>&1) && fail "alice listed b"
grep -q "no project named 'b'" <<<"$out" || fail "wrong refusal for b: $out"
atok=$(SVCCONN_USER=alice svcconn tokens create t --scopes endpoints:read 2>/dev/null)
amtok=$(SVCCONN_USER=alice svcconn tokens create tm --scopes endpoints:manage 2>/dev/null)
mtok=$(svcconn tokens create m --scopes full 2>/dev/null)

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
ep=_apis/serviceendpoint/endpoints

# ---- alice: a, not b -------------------------------------------------------
req 200 -H "Authorization: Bearer $atok" "$base/default/a/$ep"
[ "$(jget count <<<"$body")" = 1 ] || fail "a's endpoints for alice: $body"
[ "$(jget value.0.id <<<"$body")" = "$ida" ] || fail "not a's reg: $body"
[ "$(jget value.0.serviceEndpointProjectReferences.0.projectReference.name <<<"$body")" = a ] \
  || fail "the project reference is not a: $body"
grep -qF "$SECRET_A" <<<"$body" && fail "a secret in a response"
req 404 -H "Authorization: Bearer $atok" "$base/default/b/$ep"
msg_b=$(jget message <<<"$body"); key_b=$(jget typeKey <<<"$body")
req 404 -H "Authorization: Bearer $atok" "$base/default/nosuch/$ep"
msg_n=$(jget message <<<"$body"); key_n=$(jget typeKey <<<"$body")
[ "$key_b" = "$key_n" ] || fail "b ($key_b) and a missing project ($key_n) differ"
[ "${msg_b/\'b\'/X}" = "${msg_n/\'nosuch\'/X}" ] || fail "b and a missing project answer differently: $msg_b / $msg_n"
grep -qF "$SECRET_B" <<<"$msg_b" && fail "b's secret in a 404"
# b's connection under a, by id: not found, never refused
req 404 -H "Authorization: Bearer $atok" "$base/default/a/$ep/$idb"
req 200 -H "Authorization: Bearer $atok" "$base/default/_apis/projects"
names=$(python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["count"] == len(d["value"]); print(" ".join(p["name"] for p in d["value"]))' <<<"$body")
[ "$names" = "a default" ] || fail "alice's projects: $names"
[ "$(jget value.0.state <<<"$body")" = wellFormed ] || fail "no state: $body"
req 200 -H "Authorization: Bearer $mtok" "$base/default/_apis/projects"
[ "$(jget count <<<"$body")" = 3 ] || fail "the administrator's projects: $body"

# ---- a job of b: only b's connections until one is shared -------------------
svcconn pools create dev --trusted >/dev/null
svcconn agents registration-token --pool dev 2>/dev/null > "$work/reg"
mkdir -p "$work/ag"
HOME=$work/ag agent register --server "$base" --ca "$work/cert.pem" \
  --registration-token-file "$work/reg" --name builder >/dev/null || fail "the agent did not register"
cred=$(cat "$work/ag/.config/svcconn-agent/credential")
pipeline() { # connection
  printf 'resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: %s\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' "$1"
}
# start PROJECT CONNECTION RUN STATUS: the answer in $body
start() {
  python3 -c 'import json,sys; print(json.dumps({"pipeline": "app", "yaml": sys.stdin.read(), "job": "Build", "runId": sys.argv[1], "requestedBy": "alice"}))' \
    "$3" < <(pipeline "$2") > "$work/req.json"
  req "$4" -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' \
    --data-binary @"$work/req.json" "$base/default/$1/_apis/svcconn/jobs"
}
start b reg 1 201
[ "$(jget endpoints.0.id <<<"$body")" = "$idb" ] || fail "b's job did not get b's reg: $body"
grep -qF "$SECRET_A" <<<"$body" && fail "b's job got a's secret"
req 200 -H "Authorization: Bearer $cred" --data '{"result":"Succeeded"}' \
  "$base/default/b/_apis/svcconn/jobs/$(jget jobId <<<"$body")/complete"
start b from-a 2 400
grep -qF "$SECRET_A" <<<"$body" && fail "a refused job got a's secret"
grep -q "from-a" <<<"$body" || fail "the refusal does not name the connection: $body"
svcconn --project a share reg --project b --name from-a >/dev/null
out=$(svcconn --project b list)
grep -q "^from-a " <<<"$out" || fail "the share is not listed in b: $out"
start b from-a 3 201
[ "$(jget endpoints.0.authorization.parameters.password <<<"$body")" = "$SECRET_A" ] \
  || fail "b's job did not get the shared connection: $body"
req 200 -H "Authorization: Bearer $cred" --data '{"result":"Succeeded"}' \
  "$base/default/b/_apis/svcconn/jobs/$(jget jobId <<<"$body")/complete"
svcconn --project a unshare reg --project b >/dev/null
start b from-a 4 400

# ---- Azure's share and unshare calls ------------------------------------------
pida=$(svcconn projects list --json | python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin) if p["name"] == "a"][0])')
req 204 -H "Authorization: Bearer $mtok" -H 'Content-Type: application/json' -X PATCH \
  --data "[{\"projectReference\": {\"id\": \"$pida\", \"name\": \"a\"}, \"name\": \"reg-of-b\", \"description\": \"b's\"}]" \
  "$base/default/$ep/$idb"
req 200 -H "Authorization: Bearer $atok" "$base/default/a/$ep"
[ "$(jget count <<<"$body")" = 2 ] || fail "a does not see b's shared connection: $body"
req 200 -H "Authorization: Bearer $atok" "$base/default/a/$ep/$idb"
[ "$(jget name <<<"$body")" = reg-of-b ] || fail "not its name in a: $body"
[ "$(jget isShared <<<"$body")" = True ] || fail "not isShared: $body"
[ "$(jget serviceEndpointProjectReferences.0.projectReference.name <<<"$body")" = b ] || fail "owner not first: $body"
[ "$(jget serviceEndpointProjectReferences.1.name <<<"$body")" = reg-of-b ] || fail "share not listed: $body"
grep -qF "$SECRET_B" <<<"$body" && fail "b's secret to alice"
# alice (User in a only) can neither share nor unshare b's connection: it
# is not found for her
req 404 -H "Authorization: Bearer $amtok" -X DELETE "$base/default/$ep/$idb?projectIds=$pida"
req 404 -H "Authorization: Bearer $amtok" -H 'Content-Type: application/json' -X PATCH \
  --data "[{\"projectReference\": {\"name\": \"a\"}, \"name\": \"x\"}]" "$base/default/$ep/$idb"
req 204 -H "Authorization: Bearer $mtok" -X DELETE "$base/default/$ep/$idb?projectIds=$pida"
req 404 -H "Authorization: Bearer $atok" "$base/default/a/$ep/$idb"
req 200 -H "Authorization: Bearer $mtok" "$base/default/b/$ep/$idb"

# ---- the command line against the server, in a project ---------------------
printf '%s\n' "$atok" > "$work/atokf"; chmod 600 "$work/atokf"
rcli() { SVCCONN_TOKEN_FILE="$work/atokf" SVCCONN_CA="$work/cert.pem" svcconn --server "$base" "$@"; }
out=$(rcli --project a list) || fail "alice's remote list of a: $out"
grep -q "^reg .*$ida" <<<"$out" || fail "the remote list of a: $out"
rc=0; out=$(rcli --project b list 2>&1) || rc=$?
[ "$rc" = 3 ] || fail "alice's remote list of b exited $rc, not 3 (not found): $out"
rc=0; out=$(SVCCONN_PROJECT=b rcli show reg 2>&1) || rc=$?
[ "$rc" = 3 ] || fail "alice's remote show in b exited $rc: $out"

# ---- the audit log names every change --------------------------------------
out=$(svcconn audit --json)
for a in project-create share unshare; do
  grep -q "\"$a\"" <<<"$out" || fail "no '$a' audit record"
done
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "projects: ok"
