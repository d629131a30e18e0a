#!/usr/bin/env bash
# Jobs of REGISTERED pipelines through svcconn-server, tried as an agent of
# an untrusted pool would: the server reads the pipeline's YAML itself from
# a real git server on loopback (lighttpd + git http-backend behind basic
# auth, through the repository's stored connection) at the commit the
# agent names, compiles and gates it, and grants only the connections that
# commit's YAML references:
#  - an untrusted pool's agent starts a job by commit (201), gets the
#    secret of the connection of THAT commit's YAML and not the other's;
#    without a commit, the head of the registered branch is read;
#  - the usage history names "registered pipeline 'NAME' at COMMIT (url,
#    path)";
#  - the same agent sending its own YAML is still refused (403);
#  - an unknown pipeline is a 404 naming it, YAML and a commit together a
#    400, a commit that is not one a 400 naming it;
#  - a fork's run (fork: true), even claiming forkSecrets, gets no endpoint
#    and its job token none, Build.Reason PullRequest, the answer, the
#    usage history and the audit saying why;
#  - hostile variables (not Azure's shape, a NUL, a bad name, too long)
#    and non-boolean fork fields are 400s naming the field.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_registered_job
command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ] ||
  fail "lighttpd is not installed; this test needs a real git server on loopback (.ci/deps installs it)"
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
pw='Reg-job-git-s3cret-9021'
SECRET_A=regjob-secretA-3c81f0
SECRET_B=regjob-secretB-d4e277

# ---- the git server and the application's repository ------------------------
. "$SVC_SOURCE_DIR/fixtures/git/server.sh"
H="$work/srv"
git_server_start "$H" ciuser "$pw" || fail "cannot start lighttpd"
pids+=("$git_httpd_pid")
gbase="http://127.0.0.1:$git_port/git"
git init -q --bare "$H/repos/app.git"
git init -q "$work/seed"
mkdir -p "$work/seed/ci"
commit_yaml() {   # CONNECTION: a commit on main whose pipeline uses it, its id printed
  printf 'resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: %s\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' "$1" \
    > "$work/seed/ci/azure-pipelines.yml"
  (cd "$work/seed" && git add -A && git -c user.name=t -c user.email=t@t commit -qm "$1" &&
   git push -q "$H/repos/app.git" HEAD:refs/heads/main && git rev-parse HEAD)
}
cA=$(commit_yaml regA)
cB=$(commit_yaml regB)
git -C "$H/repos/app.git" symbolic-ref HEAD refs/heads/main

# ---- the store ----------------------------------------------------------------
svcconn init >/dev/null
printf '%s' "$pw" > "$work/pw"; printf '%s' "$SECRET_A" > "$work/sa"; printf '%s' "$SECRET_B" > "$work/sb"
svcconn create externaltfs repo --url "$gbase" --scheme UsernamePassword \
  --set username=ciuser --secret password=@"$work/pw" >/dev/null
for c in A B; do
  svcconn create dockerregistry "reg$c" --scheme UsernamePassword --set registry="https://$c.example.test" \
    --set username="u$c" --secret password=@"$work/s${c,,}" --grant-all-pipelines >/dev/null
done
rm -f "$work/pw" "$work/sa" "$work/sb"
svcconn pipelines register app --connection repo --url "$gbase/app.git" \
  --path ci/azure-pipelines.yml --branch main >/dev/null 2>&1 || fail "cannot register the pipeline"
svcconn pools create linux >/dev/null   # not trusted
reg=$(svcconn agents registration-token --pool linux 2>/dev/null)

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
jobs="$base/default/default/_apis/svcconn/jobs"
mkdir -p "$work/a1"
printf '%s' "$reg" | HOME=$work/a1 agent register --server "$base" --ca "$work/cert.pem" \
  --registration-token-file - --name builder1 >/dev/null || fail "the agent did not register"
cred=$(cat "$work/a1/.config/svcconn-agent/credential")
start() {   # WANT JSON
  req "$1" -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' --data "$2" "$jobs"
}

# ---- a job at commit cA: regA's secret only -----------------------------------
start 201 "{\"pipeline\":\"app\",\"commit\":\"$cA\",\"job\":\"Build\",\"runId\":\"1\"}"
[ "$(jget endpoints.0.name <<<"$body")" = regA ] || fail "the job at $cA: $body"
[ "$(jget endpoints.0.authorization.parameters.password <<<"$body")" = "$SECRET_A" ] || fail "no regA secret: $body"
grep -qF "$SECRET_B" <<<"$body" && fail "the job at $cA got regB's secret"
grep -qF "$pw" <<<"$body" && fail "the job got the repository's password"
[ "$(jget source <<<"$body")" = "registered pipeline 'app' at $cA ($gbase/app.git, ci/azure-pipelines.yml)" ] ||
  fail "the source: $(jget source <<<"$body")"
out=$(svcconn history regA --json)
grep -qF "registered pipeline 'app' at $cA ($gbase/app.git, ci/azure-pipelines.yml)" <<<"$out" ||
  fail "the usage history does not name the registered pipeline: $(svcconn history regA --json)"
echo "ok: an untrusted pool's agent runs the registered pipeline at $cA and gets regA only"

# ---- without a commit: the branch's head (cB, regB) ---------------------------
start 201 '{"pipeline":"app","job":"Build","runId":"2"}'
[ "$(jget endpoints.0.name <<<"$body")" = regB ] || fail "the job at the head: $body"
grep -qF "$SECRET_A" <<<"$body" && fail "the job at the head got regA's secret"
[ "$(jget source <<<"$body")" = "registered pipeline 'app' at $cB ($gbase/app.git, ci/azure-pipelines.yml)" ] ||
  fail "the head's source: $(jget source <<<"$body")"
echo "ok: without a commit the head of the registered branch ($cB) is compiled"

# ---- refusals ---------------------------------------------------------------------
yaml=$(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' < "$work/seed/ci/azure-pipelines.yml")
start 403 "{\"pipeline\":\"app\",\"yaml\":$yaml,\"job\":\"Build\",\"runId\":\"3\"}"
grep -q "not trusted" <<<"$body" || fail "no reason for the untrusted YAML: $body"
start 404 '{"pipeline":"nosuch","job":"Build","runId":"4"}'
grep -q "no pipeline named 'nosuch' is registered" <<<"$body" || fail "unknown pipeline: $body"
start 400 "{\"pipeline\":\"app\",\"yaml\":$yaml,\"commit\":\"$cA\",\"job\":\"Build\",\"runId\":\"5\"}"
grep -q "not both" <<<"$body" || fail "YAML and a commit: $body"
start 400 '{"pipeline":"app","commit":"main","job":"Build","runId":"6"}'
grep -q "commit 'main' is not a full commit id" <<<"$body" || fail "a branch name as a commit: $body"
echo "ok: agent YAML from an untrusted pool 403, an unknown pipeline 404, YAML with a commit and a bad commit 400"

# ---- a fork's run of the registered pipeline: no secret, whatever it claims -----------
# the untrusted pool's agent says the pipeline allows forks their secrets:
# not heeded (a registered pipeline's fork runs get none)
start 201 "{\"pipeline\":\"app\",\"commit\":\"$cA\",\"job\":\"Build\",\"runId\":\"7\",\"fork\":true,\"forkSecrets\":true}"
[ "$(jget endpoints <<<"$body")" = "[]" ] || fail "a fork's run got endpoints: $body"
grep -qF "$SECRET_A" <<<"$body" && fail "a fork's run got regA's secret"
[ "$(jget job.connections <<<"$body")" = "[]" ] || fail "a fork's job record names connections: $body"
[ "$(jget job.reason <<<"$body")" = PullRequest ] || fail "a fork's Build.Reason: $(jget job.reason <<<"$body")"
grep -q "fork of a registered pipeline: its secrets are withheld" <<<"$(jget secretsWithheld <<<"$body")" ||
  fail "no reason for the withheld secrets: $body"
ftok=$(jget token <<<"$body"); fid=$(jget jobId <<<"$body")
req 200 -H "Authorization: Bearer $ftok" "$jobs/$fid/endpoints"
[ "$(jget count <<<"$body")" = 0 ] || fail "a fork's job token reads endpoints: $body"
out=$(svcconn history regA --json)
grep -qF "registered pipeline 'app' at $cA ($gbase/app.git, ci/azure-pipelines.yml); a pull request from a fork of a registered pipeline: its secrets are withheld" <<<"$out" ||
  fail "the usage history does not say why the fork's run got no secret: $out"
out=$(svcconn audit --json)
grep -q "job-start.*its secrets are withheld\|its secrets are withheld.*job-start" <<<"$(tr -d '\n' <<<"$out")" ||
  fail "the audit's job-start does not say why: $out"
echo "ok: a fork's run of the registered pipeline (forkSecrets claimed) gets no endpoint, its token none; history and audit say why"

# ---- hostile variables and fork fields: 400 naming the request and field ---------------
bad() {   # JSON-MEMBERS MESSAGE: a start with them is a 400 saying MESSAGE
  start 400 "{\"pipeline\":\"app\",\"job\":\"Build\",\"runId\":\"8\",$1}"
  grep -qF -- "$2" <<<"$body" || fail "$1: $body"
}
bad '"variables":["a=b"]' "field 'variables' must be an object"
bad '"variables":{"a":"b"}' "field 'variables.a' must be"
# (jansson refuses \u0000 in any string of the body already)
bad '"variables":{"a":{"value":"x\u0000y"}}' "/_apis/svcconn/jobs' must be a JSON object"
bad '"variables":{"a b$(x)":{"value":"1"}}' "variable 'a b\$(x)': a name has at most 256 letters, digits"
bad "\"variables\":{\"v\":{\"value\":\"$(head -c 40000 /dev/zero | tr '\0' x)\"}}" \
  "variable 'v': its value is longer than 32768 bytes"
bad '"fork":"yes"' "field 'fork' must be true or false"
bad '"forkSecrets":1' "field 'forkSecrets' must be true or false"
echo "ok: hostile variables and fork fields are 400s naming the field"

for s in "$SECRET_A" "$SECRET_B" "$pw"; do
  grep -rqF "$s" "$work/a1" && fail "a secret on the agent's disk"
  grep -qF "$s" "$work/log" && fail "a secret in the server's log"
done
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "server_registered_job: ok"
