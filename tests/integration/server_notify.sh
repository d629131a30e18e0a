#!/usr/bin/env bash
# A job start that waits, on SQLite (docs/server.md "Waiting job starts"):
# one server, and the CLI writing the same store file.
#   `svcconn-agent run --server --wait` of a job gated by an approval: the
#   agent's one ask is held by the server; bob approves with the local CLI
#   (another process: the server sees it by PRAGMA data_version); the run
#   then starts and succeeds -- with one job start request in the
#   server's log (the agent did not ask again on a clock), answered well
#   before the minute (< 10 s after the approval).
#   A start held behind an exclusive lock is woken at once by the end of
#   the holder's job through the same server (its own commit).
#   A server stopped (SIGTERM) while it holds a start lets it go and exits
#   0.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_notify
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

svcconn init >/dev/null
printf 'notify-secret-51c9' > "$work/s"
for c in regA regL; do
  svcconn create dockerregistry "$c" --scheme UsernamePassword --set registry=https://a.example.test \
    --set registrytype=Others --set username=u --secret password=@"$work/s" --grant-all-pipelines >/dev/null
done
rm -f "$work/s"
svcconn checks regA add approval --approvers bob >/dev/null
svcconn checks regL add exclusive-lock >/dev/null
svcconn pools create dev --trusted >/dev/null

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
jobs="$base/default/default/_apis/svcconn/jobs"
starts() { grep -c '"POST /default/default/_apis/svcconn/jobs" ' "$work/log" || true; }

a=$work/agent
mkdir -p "$a/jobs" "$a/src"; chmod 700 "$a/jobs"
svcconn agents registration-token --pool dev 2>/dev/null |
  HOME=$a "$SVC_BIN_DIR/svcconn-agent" register --server "$base" --ca "$work/cert.pem" \
    --registration-token-file - --name builder >/dev/null || fail "the agent did not register"
as_agent() {
  env -u SVCCONN_HOME HOME="$a" SVCCONN_JOBS_DIR="$a/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"
}
printf 'jobs:\n  - job: Build\n    steps:\n      - task: Docker@2\n        inputs:\n          command: login\n          containerRegistry: %s\n' regA \
  > "$a/src/approve.yml"

# ---- run --server --wait: the approval by the local CLI releases the held ask ----------
n0=$(starts)
(cd "$a/src" && as_agent run approve.yml --server "$base" --pipeline app --run-id 5 --wait \
   --tasks-dir "$SVC_SOURCE_DIR/fixtures/agent-tasks" > "$work/run.out" 2>&1; echo $? > "$work/run.rc";
 now_ms > "$work/run.t") &
runpid=$!
for i in $(seq 200); do
  id=$(svcconn approvals --pending --json | python3 -c 'import json,sys
l=[a["id"] for a in json.load(sys.stdin) if a["runId"] == "5"]; print(l[0] if l else "")')
  [ -n "$id" ] && break
  [ "$i" = 200 ] && fail "the run's approval did not appear: $(cat "$work/run.out")"
  sleep 0.1
done
sleep 1
kill -0 "$runpid" 2>/dev/null || fail "the run did not wait: $(cat "$work/run.out")"
[ "$(starts)" = "$n0" ] || fail "the held ask was answered already: $(tail -n 3 "$work/log")"
tapp=$(now_ms)
SVCCONN_USER=bob svcconn approve "$id" >/dev/null || fail "bob's approval (local CLI)"
wait "$runpid"
[ "$(cat "$work/run.rc")" = 0 ] || fail "run --server --wait exited $(cat "$work/run.rc"): $(cat "$work/run.out")"
grep -q "summary: 1 step(s) run, 0 failed; exit 0" "$work/run.out" || fail "the run: $(cat "$work/run.out")"
[ "$(starts)" = $((n0 + 1)) ] || fail "the agent asked $(( $(starts) - n0 )) times, not once: $(grep svcconn/jobs "$work/log")"
grep -q '"POST /default/default/_apis/svcconn/jobs" 201' "$work/log" || fail "the held ask was not granted"
dt=$(( $(cat "$work/run.t") - tapp ))
[ "$dt" -lt 10000 ] || fail "the run ended $dt ms after the approval"
echo "measured: approval by the local CLI -> run --server --wait started, ran and ended in $dt ms (one ask)"
echo "ok: run --server --wait is held on the server and released by an approval of the local CLI"

# ---- lock: the server's own commit wakes its held start ----------------------------
jobreq() { # RUN [EXTRA]
  printf '{"pipeline":"lock","yaml":%s,"job":"Build","runId":"%s"%s}' \
    "$(printf 'jobs:\n  - job: Build\n    steps:\n      - task: Docker@2\n        inputs:\n          command: login\n          containerRegistry: regL\n' |
       python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" "$1" "${2:-}"
}
cred=$(svcconn agents registration-token --pool dev 2>/dev/null)
req 201 -H "Authorization: Bearer $cred" --data '{"name":"b2"}' "$base/_apis/svcconn/agents"
cred=$(jget token <<<"$body")
jobreq 1 > "$work/r1.json"
req 201 -H "Authorization: Bearer $cred" --data-binary @"$work/r1.json" "$jobs"
job1=$(jget jobId <<<"$body")
jobreq 2 ',"wait":60' > "$work/r2.json"
( curl -sS --cacert "$work/cert.pem" -o "$work/r2.body" -w '%{http_code}' -H "Authorization: Bearer $cred" \
    --data-binary @"$work/r2.json" "$jobs" > "$work/r2.code" || true; now_ms > "$work/r2.t" ) &
heldpid=$!
sleep 1
kill -0 "$heldpid" 2>/dev/null || fail "lock: answered at once: $(cat "$work/r2.body")"
tend=$(now_ms)
req 200 -H "Authorization: Bearer $cred" --data '{"result":"Succeeded"}' "$jobs/$job1/complete"
wait "$heldpid"
[ "$(cat "$work/r2.code")" = 201 ] || fail "lock: answered $(cat "$work/r2.code"): $(cat "$work/r2.body")"
dt=$(( $(cat "$work/r2.t") - tend ))
[ "$dt" -lt 10000 ] || fail "lock: answered $dt ms after the holder ended"
echo "measured: lock released through the same server -> held start granted in $dt ms"
echo "ok: a held start is woken by the server's own commit"

# ---- stopping: a held start is let go, the server exits cleanly --------------------
jobreq 3 ',"wait":60' > "$work/r3.json"
( curl -sS --cacert "$work/cert.pem" -o "$work/r3.body" -w '%{http_code}' -H "Authorization: Bearer $cred" \
    --data-binary @"$work/r3.json" "$jobs" > "$work/r3.code" 2>/dev/null || true ) &
heldpid=$!
sleep 1
kill -0 "$heldpid" 2>/dev/null || fail "stop: answered at once: $(cat "$work/r3.body")"
kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly with a held start"
wait "$heldpid"
c=$(cat "$work/r3.code")
[ "$c" = 202 ] || [ "$c" = 000 ] || fail "stop: the held start answered $c: $(cat "$work/r3.body")"
echo "ok: a server stopped while a start is held answers it ($c) and exits cleanly"
