#!/usr/bin/env bash
# Agents run their jobs from svcconn-server through the hooks
# (`svcconn-agent job-start --server`, `step`, `job-end`), tried as an
# attacker would.  A server on loopback (TLS, generated certificate); two
# agents with separate HOMEs and no store: builder1 of a trusted pool sends
# its own YAML (pipeline app, connection regA), builder2 of an untrusted
# pool runs the REGISTERED pipeline web, which the server reads itself
# from a git server on loopback (connection regB).  Each job's real step
# (the Docker@2 login step, its command a bash script) reads its
# endpoint's password from ENDPOINT_AUTH_PARAMETER_* and prints it: the
# output shows *** (raw and base64); its SystemVssConnection token is the
# server's job token (svcj_, masked), its collection URI the server's
# https://host/ORG/; with that token the step reads its own job's
# endpoints (200) and not the other job's (403); the agent's credential
# does not exist in the step's sandbox.  After job-end the token
# is refused (401), and neither secret nor either job token is in the
# agents' homes, the jobs roots or /tmp, raw or base64.  A broker killed
# with SIGKILL mid-job leaves its exclusive lock only until the lease:
# meanwhile another job waits (exit 4, as a local job-start); the server,
# restarted past the lease, expires the job and grants the lock.  Agent 2
# also runs the registered pipeline whole with `run --server --commit`,
# and as a fork's run (--fork --fork-secrets claimed): no secret, the
# history says why; agent 1's trusted YAML as a fork's run gets its
# secrets only with --fork-secrets; --var reg=regB makes the server
# compile and grant regB instead of the YAML's default regA.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_agent_run
command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ] ||
  fail "lighttpd is not installed; this test needs a real git server on loopback (.ci/deps installs it)"
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
pw='Agent-run-git-s3cret-5150'
SECRET_A=agentrun-secretA-$(openssl rand -hex 8)   # random: the source tree may lie under /tmp
SECRET_B=agentrun-secretB-$(openssl rand -hex 8)

# ---- the git server with the registered pipeline ------------------------------
. "$SVC_SOURCE_DIR/fixtures/git/server.sh"
H="$work/srv"
git_server_start "$H" ciuser "$pw" || fail "cannot start lighttpd"
pids+=("$git_httpd_pid")
gbase="http://127.0.0.1:$git_port/git"
pipeline() { # CONNECTION
  printf 'jobs:\n  - job: Build\n    steps:\n      - task: Docker@2\n        inputs:\n          command: login\n          containerRegistry: %s\n' "$1"
}
git init -q --bare "$H/repos/web.git"
git init -q "$work/seed"
pipeline regB > "$work/seed/azure-pipelines.yml"
(cd "$work/seed" && git add -A && git -c user.name=t -c user.email=t@t commit -qm web &&
 git push -q "$H/repos/web.git" HEAD:refs/heads/main)
commit=$(git -C "$work/seed" rev-parse HEAD)
git -C "$H/repos/web.git" symbolic-ref HEAD refs/heads/main

# ---- the store, on the server's side only ---------------------------------------
svcconn init >/dev/null
printf '%s' "$pw" > "$work/pw"; printf '%s' "$SECRET_A" > "$work/sa"; printf '%s' "$SECRET_B" > "$work/sb"
svcconn create externaltfs repo --url "$gbase" --scheme UsernamePassword \
  --set username=ciuser --secret password=@"$work/pw" >/dev/null
for c in A B; do
  svcconn create dockerregistry "reg$c" --scheme UsernamePassword --set registry="https://$c.example.test" \
    --set registrytype=Others --set username="u$c" --secret password=@"$work/s${c,,}" --grant-all-pipelines >/dev/null
done
rm -f "$work/pw" "$work/sa" "$work/sb"
svcconn checks regB add exclusive-lock >/dev/null
svcconn pipelines register web --connection repo --url "$gbase/web.git" \
  --path azure-pipelines.yml --branch main >/dev/null 2>&1 || fail "cannot register the pipeline"
svcconn pools create dev --trusted >/dev/null
svcconn pools create linux >/dev/null
pipeline regA > "$work/app.yml"

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
jobs="$base/default/default/_apis/svcconn/jobs"

# ---- two agents, separate homes, no store ------------------------------------------
for i in 1 2; do
  pool=dev; [ "$i" = 2 ] && pool=linux
  mkdir -p "$work/a$i" "$work/a$i/jobs"; chmod 700 "$work/a$i/jobs"
  svcconn agents registration-token --pool "$pool" 2>/dev/null |
    HOME=$work/a$i agent register --server "$base" --ca "$work/cert.pem" \
      --registration-token-file - --name "builder$i" >/dev/null || fail "agent $i did not register"
done
# as N svcconn-agent ARGS: as agent N, in its home, with its jobs root and
# no store; a child of this shell (a job's daemons live as long as the
# process that started the job)
as() {
  local n=$1; shift; shift
  env -u SVCCONN_HOME HOME="$work/a$n" SVCCONN_JOBS_DIR="$work/a$n/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"
}
J1=$work/a1/jobs/j; J2=$work/a2/jobs/j
s0=$(date +%s%N)
as 1 agent job-start --server "$base" --pipeline app --pipeline-file "$work/app.yml" \
  --job Build --run-id 1 --job-dir "$J1" > "$work/start1" 2> "$work/start1.err" ||
  fail "agent 1's job did not start: $(cat "$work/start1.err")"
s1=$(date +%s%N)
as 2 agent job-start --server "$base" --pipeline web --commit "$commit" \
  --job Build --run-id 2 --job-dir "$J2" > "$work/start2" 2> "$work/start2.err" ||
  fail "agent 2's job did not start: $(cat "$work/start2.err")"
s2=$(date +%s%N)
echo "measured: job-start --server (whole command, broker and sandbox ready): agent YAML $(( (s1 - s0) / 1000000 )) ms, registered pipeline fetched from git $(( (s2 - s1) / 1000000 )) ms"
grep -q "registered pipeline 'web' at $commit" "$work/start2.err" || fail "job 2's source: $(cat "$work/start2.err")"
id1=$(sed -n 's/^SYSTEM_JOBID=//p' "$work/start1"); id2=$(sed -n 's/^SYSTEM_JOBID=//p' "$work/start2")
[ -n "$id1" ] && [ -n "$id2" ] || fail "no job ids: $(cat "$work/start1")"
grep -qx "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI=$base/default/" "$work/start1" || fail "collection URI: $(cat "$work/start1")"
grep -qx "SYSTEM_TEAMPROJECT=default" "$work/start1" || fail "project: $(cat "$work/start1")"
for f in "$work/start1" "$work/start2" "$work/start1.err" "$work/start2.err"; do
  grep -qF -e "$SECRET_A" -e "$SECRET_B" -e svcj_ "$f" && fail "job-start printed a secret or a job token"
done
echo "ok: two agents without a store started a trusted-YAML job and a registered pipeline's job"

# ---- the steps ---------------------------------------------------------------------
cat > "$work/step.sh" <<'SH'
pw=$(env | sed -n 's/^ENDPOINT_AUTH_PARAMETER_.*_PASSWORD=//p')
tok=$ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN
echo "secret=$pw"
echo "b64=$(printf %s "$pw" | base64)"
echo "token=$tok"
echo "rtoken=$(printf %s "$tok" | rev)"
echo "sysurl=$ENDPOINT_URL_SYSTEMVSSCONNECTION uri=$SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"
code() { curl -sS -o /dev/null -w '%{http_code}' --cacert "$CERT" -H "Authorization: Bearer $tok" "$1"; }
echo "own=$(code "$JOBS/$OWN/endpoints") other=$(code "$JOBS/$OTHER/endpoints")"
if cat "$CRED" >/dev/null 2>&1; then echo cred=readable; else echo cred=hidden; fi
SH
step() { # N OWN OTHER
  as "$1" agent step --job-dir "$work/a$1/jobs/j" --step 0 --env-file "$work/env$1" -- \
    bash "$work/step.sh" > "$work/out$1" 2>&1 || fail "agent $1's step failed: $(cat "$work/out$1")"
}
for i in 1 2; do
  [ -r "$work/a$i/.config/svcconn-agent/credential" ] || fail "agent $i has no credential to hide"
  own=$id1 other=$id2; [ "$i" = 2 ] && own=$id2 other=$id1
  printf 'CERT=%s\nJOBS=%s\nOWN=%s\nOTHER=%s\nCRED=%s\n' "$work/cert.pem" "$jobs" "$own" "$other" \
    "$work/a$i/.config/svcconn-agent/credential" > "$work/env$i"
done
step 1; step 2
for i in 1 2; do
  o="$work/out$i"
  grep -qx 'secret=\*\*\*' "$o" || fail "agent $i: the password is not masked (or absent): $(cat "$o")"
  grep -qx 'b64=\*\*\*' "$o" || fail "agent $i: the base64 password is not masked: $(cat "$o")"
  grep -qx 'token=\*\*\*' "$o" || fail "agent $i: the job token is not masked: $(cat "$o")"
  grep -qx "sysurl=$base/default/ uri=$base/default/" "$o" || fail "agent $i: SystemVssConnection URL: $(cat "$o")"
  grep -qx 'own=200 other=403' "$o" || fail "agent $i: the job token's reach: $(cat "$o")"
  grep -qx 'cred=hidden' "$o" || fail "agent $i: the step read the agent's credential"
  grep -qF -e "$SECRET_A" -e "$SECRET_B" "$o" && fail "agent $i: a secret in the output"
done
t1=$(sed -n 's/^rtoken=//p' "$work/out1" | rev); t2=$(sed -n 's/^rtoken=//p' "$work/out2" | rev)
[[ $t1 == svcj_* && $t2 == svcj_* ]] || fail "System.AccessToken is not the server's job token"
echo "ok: each step reads its own password (masked raw and base64) and its own job with System.AccessToken (200), not the other's (403)"

# ---- job-end: the server records it, the token ends ------------------------------------
as 1 agent job-end --job-dir "$J1" --result Succeeded >/dev/null || fail "agent 1's job-end"
as 2 agent job-end --job-dir "$J2" --result Failed >/dev/null || fail "agent 2's job-end"
for t in "$t1" "$t2"; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$work/cert.pem" -H "Authorization: Bearer $t" "$jobs/$id1/endpoints")
  [ "$code" = 401 ] || fail "a job token after job-end answered $code"
done
out=$(svcconn history regA --json); grep -q '"result": *"Succeeded"' <<<"$out" || fail "job 1's result not recorded"
out=$(svcconn history regB --json); grep -q '"result": *"Failed"' <<<"$out" || fail "job 2's result not recorded"
echo "ok: job-end records the results on the server; the job tokens are refused afterwards (401)"
# after job-end: step and job-end say the job has ended (no store is looked for)
rc=0; out=$(as 1 agent step --job-dir "$J1" --step 0 -- true 2>&1) || rc=$?
[ "$rc" != 0 ] && grep -qF "step: no job is running in '$J1': it has ended (job-end)" <<<"$out" ||
  fail "step after job-end (exit $rc): $out"
grep -q "store" <<<"$out" && fail "step after job-end speaks of a store: $out"
rc=0; out=$(as 1 agent job-end --job-dir "$J1" --result Succeeded 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -qF "job-end: no job is running in '$J1': it has ended (job-end)" <<<"$out" ||
  fail "job-end after job-end (exit $rc): $out"
echo "ok: step and job-end after job-end say the job has ended"

# ---- run --server of the registered pipeline at its commit ------------------------------
# agent 2 (untrusted pool) runs web at $commit from its checkout (the
# file gives the run its jobs; the server compiles its own copy)
rc=0; out=$(cd "$work/seed" && as 2 agent run azure-pipelines.yml --server "$base" --pipeline web \
  --commit "$commit" --run-id 6 --tasks-dir "$SVC_SOURCE_DIR/fixtures/agent-tasks" 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "run --server of the registered pipeline exited $rc: $out"
grep -qx '\[Build/Docker@2\] secret=\*\*\*' <<<"$out" || fail "run --server: regB's password not masked (or absent): $out"
grep -qF "$SECRET_B" <<<"$out" && fail "run --server printed regB's secret"
out=$(svcconn history regB --json); grep -q '"runId": *"6"' <<<"$out" || fail "run 6's job is not in regB's history: $out"
echo "ok: run --server runs the registered pipeline at its commit, its job completed on the server"

# ---- forks: the server decides what a fork's run gets ------------------------------------
# agent 2 (untrusted pool) runs the registered pipeline as a fork's run,
# claiming the pipeline allows forks secrets: the server withholds them
rc=0; out=$(cd "$work/seed" && as 2 agent run azure-pipelines.yml --server "$base" --pipeline web \
  --commit "$commit" --run-id 7 --fork --fork-secrets --tasks-dir "$SVC_SOURCE_DIR/fixtures/agent-tasks" 2>&1) || rc=$?
grep -q "job Build has no connections: a pull request from a fork of a registered pipeline: its secrets are withheld" <<<"$out" ||
  fail "run --server --fork of the registered pipeline (exit $rc) does not say the secrets were withheld: $out"
grep -qx '\[Build/Docker@2\] secret=' <<<"$out" || fail "the fork's step saw a password: $out"
grep -qF "$SECRET_B" <<<"$out" && fail "the fork's run printed regB's secret"
out=$(svcconn history regB --json)
grep -qF "at $commit ($gbase/web.git, azure-pipelines.yml); a pull request from a fork of a registered pipeline: its secrets are withheld" <<<"$out" ||
  fail "regB's history does not say why run 7 got no secret: $out"
# agent 1 (trusted pool) sends its YAML: the local rule, --fork-secrets decides
rc=0; out=$(as 1 agent run "$work/app.yml" --server "$base" --pipeline app --run-id 8 --fork \
  --tasks-dir "$SVC_SOURCE_DIR/fixtures/agent-tasks" 2>&1) || rc=$?
grep -q "step Docker@2 skipped: References service endpoint. PRs from repository forks are not allowed" <<<"$out" ||
  fail "run --server --fork of the trusted YAML (exit $rc) did not skip the step: $out"
grep -q "secret=" <<<"$out" && fail "the fork's step ran without --fork-secrets: $out"
rc=0; out=$(as 1 agent run "$work/app.yml" --server "$base" --pipeline app --run-id 9 --fork --fork-secrets \
  --tasks-dir "$SVC_SOURCE_DIR/fixtures/agent-tasks" 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "run --server --fork --fork-secrets of the trusted YAML exited $rc: $out"
grep -qx '\[Build/Docker@2\] secret=\*\*\*' <<<"$out" || fail "the trusted fork's step did not get regA's password: $out"
out=$(svcconn history regA --json)
grep -q "pipeline YAML: agent-supplied, trusted pool 'dev' (agent 'builder1'); a pull request from a fork: secrets made available to forks" <<<"$out" ||
  fail "regA's history does not say the fork was allowed secrets: $out"
grep -q "a pull request from a fork: its secrets are withheld (the pipeline does not make them available to forks)" <<<"$out" ||
  fail "regA's history does not say why run 8 got none: $out"
echo "ok: a fork's run of the registered pipeline gets no secret even claiming --fork-secrets; the trusted YAML's gets them only with --fork-secrets; the history says which"

# ---- --var: the server compiles with the run's variables ------------------------------------
printf 'variables:\n  reg: regA\njobs:\n  - job: Build\n    steps:\n      - task: Docker@2\n        inputs:\n          command: login\n          containerRegistry: $(reg)\n' > "$work/var.yml"
rc=0; out=$(as 1 agent run "$work/var.yml" --server "$base" --pipeline app --run-id 10 --var reg=regB \
  --tasks-dir "$SVC_SOURCE_DIR/fixtures/agent-tasks" 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "run --server --var reg=regB exited $rc: $out"
grep -qx '\[Build/Docker@2\] secret=\*\*\*' <<<"$out" || fail "--var reg=regB: no masked password: $out"
out=$(svcconn history regB --json); grep -q '"runId": *"10"' <<<"$out" || fail "--var reg=regB: run 10 did not use regB: $out"
out=$(svcconn history regA --json); grep -q '"runId": *"10"' <<<"$out" && fail "--var reg=regB: run 10 used regA too"
echo "ok: --var reg=regB makes the server compile, gate and grant regB instead of the YAML's regA"

# ---- nothing secret on the agents' disks ------------------------------------------------
forms=()
for s in "$SECRET_A" "$SECRET_B" "$t1" "$t2"; do
  forms+=(-e "$s" -e "$(printf %s "$s" | base64)")
done
grep -rqaF "${forms[@]}" "$work/a1" "$work/a2" && fail "a secret or job token on an agent's disk"
grep -rqaF "${forms[@]}" /tmp --exclude-dir="$(basename "$work")" 2>/dev/null && fail "a secret or job token in /tmp"
echo "ok: neither secret nor job token (raw or base64) in the agents' homes, job dirs or /tmp"

# ---- SIGKILL mid-job: the lease ends it ---------------------------------------------------
as 2 agent job-start --server "$base" --pipeline web --commit "$commit" \
  --job Build --run-id 3 --job-dir "$J2" > /dev/null 2>&1 || fail "job 3 did not start"
kill -KILL "$(cat "$J2/broker.pid")"
rc=0; out=$(as 1 agent job-start --server "$base" --pipeline web --commit "$commit" \
  --job Build --run-id 4 --job-dir "$work/a1/jobs/k" 2>&1) || rc=$?
[ "$rc" = 4 ] && grep -q "waiting on checks" <<<"$out" || fail "regB's lock was not held by job 3 (exit $rc): $out"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
later=$(( $(date +%s) + 3600 ))
SVCCONN_NOW=$later start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
as 1 agent job-start --server "$base" --pipeline web --commit "$commit" \
  --job Build --run-id 5 --job-dir "$work/a1/jobs/k" > /dev/null 2> "$work/k.err" ||
  fail "after the lease, the lock was still held: $(cat "$work/k.err")"
out=$(svcconn audit --json); grep -q '"job-expired"' <<<"$out" || fail "job 3 was not expired"
as 1 agent job-end --job-dir "$work/a1/jobs/k" --result Succeeded >/dev/null || fail "job 5's job-end"
echo "ok: a broker killed mid-job holds regB's exclusive lock only until its lease ends"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "server_agent_run: ok"
