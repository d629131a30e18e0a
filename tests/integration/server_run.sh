#!/usr/bin/env bash
# A registered agent runs a whole pipeline through svcconn-server
# (`svcconn-agent run --server`), with no store and no key on its side
# (--fork and --var go to the server: server_agent_run.sh and
# server_registered_job.sh):
# a two-job pipeline (Build, then Deploy with dependsOn), each job
# started on the server with the run's id and its own connection (regA,
# regB), its task step (a Docker@2 whose handler, on the agent, prints its
# endpoint's password raw and base64) showing *** only, and each job
# completed there with its result: the server's usage history has both
# jobs of the run, Succeeded.  Neither secret is left on the agent's
# disk (its home, its jobs root, /tmp; raw or base64).  A job waiting on
# the server's approval stops the run with exit 4, as a local run.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_run
SECRET_A=serverrun-secretA-$(openssl rand -hex 8)   # random: the source tree may lie under /tmp
SECRET_B=serverrun-secretB-$(openssl rand -hex 8)

# ---- the store, on the server's side only ---------------------------------------
svcconn init >/dev/null
printf '%s' "$SECRET_A" > "$work/sa"; printf '%s' "$SECRET_B" > "$work/sb"
for c in A B; do
  svcconn create dockerregistry "reg$c" --scheme UsernamePassword --set registry="https://$c.example.test" \
    --set registrytype=Others --set username="u$c" --secret password=@"$work/s${c,,}" --grant-all-pipelines >/dev/null
done
rm -f "$work/sa" "$work/sb"
svcconn pools create dev --trusted >/dev/null
srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"

# ---- the agent: its own home, no store ---------------------------------------------
a=$work/agent
mkdir -p "$a/jobs" "$a/src"; chmod 700 "$a/jobs"
svcconn agents registration-token --pool dev 2>/dev/null |
  HOME=$a "$SVC_BIN_DIR/svcconn-agent" register --server "$base" --ca "$work/cert.pem" \
    --registration-token-file - --name builder >/dev/null || fail "the agent did not register"
# the agent's Docker@2: a Bash handler that prints the registry password
tasks=$SVC_SOURCE_DIR/fixtures/agent-tasks
as_agent() {
  env -u SVCCONN_HOME HOME="$a" SVCCONN_JOBS_DIR="$a/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"
}
cat > "$a/src/azure-pipelines.yml" <<'YAML'
jobs:
  - job: Build
    steps:
      - task: Docker@2
        inputs:
          command: login
          containerRegistry: regA
  - job: Deploy
    dependsOn: Build
    steps:
      - task: Docker@2
        inputs:
          command: login
          containerRegistry: regB
YAML

# ---- run --server: both jobs granted there, steps masked ------------------------------
t0=$(date +%s%N)
rc=0
out=$(cd "$a/src" && as_agent run azure-pipelines.yml --server "$base" --pipeline app \
  --run-id 77 --tasks-dir "$tasks" 2>&1) || rc=$?
t1=$(date +%s%N)
[ "$rc" = 0 ] || fail "run --server exited $rc: $out"
echo "measured: run --server of two jobs (each started, run and completed on the server) $(( (t1 - t0) / 1000000 )) ms"
for j in Build Deploy; do
  grep -qx "\[$j/Docker@2\] secret=\*\*\*" <<<"$out" || fail "job $j: the password is not masked (or absent): $out"
  grep -qx "\[$j/Docker@2\] b64=\*\*\*" <<<"$out" || fail "job $j: the base64 password is not masked: $out"
  grep -qx "\[$j/Docker@2\] token=\*\*\*" <<<"$out" || fail "job $j: the job token is not masked: $out"
done
grep -qF -e "$SECRET_A" -e "$SECRET_B" -e svcj_ <<<"$out" && fail "a secret or job token in run's output"
grep -q "summary: 2 step(s) run, 0 failed; exit 0" <<<"$out" || fail "run's summary: $out"
echo "ok: run --server ran Build and Deploy, each with its own connection from the server, masked"

# ---- the server's history: both jobs of run 77, with their results --------------------
for c in A B; do
  h=$(svcconn history "reg$c" --json)
  grep -q '"result": *"Succeeded"' <<<"$h" || fail "reg$c's job result not recorded: $h"
  grep -q '"runId": *"77"' <<<"$h" || fail "reg$c's job is not of run 77: $h"
done
h=$(svcconn history regA --json); grep -q '"job": *"Build"' <<<"$h" || fail "regA's job: $h"
h=$(svcconn history regB --json); grep -q '"job": *"Deploy"' <<<"$h" || fail "regB's job: $h"
echo "ok: the server's usage history has Build (regA) and Deploy (regB) of run 77, Succeeded"

# ---- nothing secret on the agent's disk --------------------------------------------------
forms=()
for s in "$SECRET_A" "$SECRET_B"; do forms+=(-e "$s" -e "$(printf %s "$s" | base64)"); done
grep -rqaF "${forms[@]}" "$a" && fail "a secret on the agent's disk"
grep -rqaF "${forms[@]}" /tmp --exclude-dir="$(basename "$work")" 2>/dev/null && fail "a secret in /tmp"
[ -z "$(ls -A "$a/jobs")" ] || fail "the run left job directories: $(ls -A "$a/jobs")"
echo "ok: neither secret (raw or base64) in the agent's home, jobs root or /tmp"

# ---- a waiting gate: exit 4, as a local run -----------------------------------------------
svcconn checks regB add approval --approvers alice --min 1 >/dev/null
rc=0
out=$(cd "$a/src" && as_agent run azure-pipelines.yml --server "$base" --pipeline app \
  --run-id 78 --tasks-dir "$tasks" 2>&1) || rc=$?
[ "$rc" = 4 ] || fail "a job waiting on the server's approval: run --server exited $rc: $out"
# the server gates a job with every connection of its stage: Build waits
grep -q "job Build: regB: approval: waiting for 1 more approval(s) from alice" <<<"$out" ||
  fail "the waiting gate's item is not said: $out"
grep -q "summary: 0 step(s) run, 0 failed; exit 4" <<<"$out" || fail "run 78's summary: $out"
echo "ok: a job waiting on an approval on the server stops the run with exit 4, as locally"

kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "server_run: ok"
