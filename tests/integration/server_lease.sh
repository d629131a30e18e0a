#!/usr/bin/env bash
# The lease of a server's job, with the server's --job-lease 10: a job
# that holds an exclusive lock runs longer than its lease and keeps the
# lock while its broker renews it (the server's log shows the renewals;
# another job of the lock waits, exit 4; nothing is expired); after the
# broker is killed with SIGKILL nothing renews it, and the server expires
# the job when its last lease ends (job-expired audited, the lock
# released): the other job is then granted.  No sleep synchronises:
# every wait is a bounded poll for a state (renewals logged, a job
# granted).  Also: --job-lease outside 10..86400 is refused.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_lease
LEASE=10

svcconn init >/dev/null
printf 'lease-secret-%s' "$(openssl rand -hex 8)" > "$work/s"
svcconn create dockerregistry regL --scheme UsernamePassword --set registry=https://l.example.test \
  --set username=u --secret password=@"$work/s" --grant-all-pipelines >/dev/null
rm -f "$work/s"
svcconn checks regL add exclusive-lock >/dev/null
svcconn pools create dev --trusted >/dev/null
printf 'resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: regL\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' > "$work/app.yml"

# ---- the option's bounds ------------------------------------------------------------
for bad in 0 86401 ten; do
  rc=0; out=$("$SVC_BIN_DIR/svcconn-server" --listen 127.0.0.1:0 --insecure-http-on-loopback \
    --job-lease "$bad" 2>&1) || rc=$?
  [ "$rc" = 2 ] && grep -q "job-lease takes a number from 1 to 86400" <<<"$out" ||
    fail "--job-lease $bad: exit $rc: $out"
done
rc=0; out=$("$SVC_BIN_DIR/svcconn-server" --listen 127.0.0.1:0 --insecure-http-on-loopback \
  --job-lease 5 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "a job's lease is 10 to 86400 seconds, not 5" <<<"$out" ||
  fail "--job-lease 5: exit $rc: $out"
echo "ok: --job-lease outside 10..86400 is refused"

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --job-lease "$LEASE"
base="https://127.0.0.1:$port"
mkdir -p "$work/a" "$work/a/jobs"; chmod 700 "$work/a/jobs"
svcconn agents registration-token --pool dev 2>/dev/null |
  HOME=$work/a "$SVC_BIN_DIR/svcconn-agent" register --server "$base" --ca "$work/cert.pem" \
    --registration-token-file - --name builder >/dev/null || fail "the agent did not register"
# the agent, in its home, no store; a child of this shell (its job's
# broker lives as long as this shell)
agent() { env -u SVCCONN_HOME HOME="$work/a" SVCCONN_JOBS_DIR="$work/a/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"; }
# start RUN DIR: job-start of run RUN, its exit code in $rc, its output in
# $work/out; in this shell, not a subshell (the job's broker watches the
# process that started the job)
start() {
  rc=0
  agent job-start --server "$base" --pipeline app --pipeline-file "$work/app.yml" \
    --job Build --run-id "$1" --job-dir "$2" > "$work/out" 2>&1 || rc=$?
}
renewals() { grep -c "\"POST /default/default/_apis/svcconn/jobs/$1/renew\" 200" "$work/log" || true; }

# ---- job 1 holds regL's lock past its lease, renewed by its broker ----------------------
J1=$work/a/jobs/one
t0=$(date +%s)
start 1 "$J1"
[ "$rc" = 0 ] || fail "job 1 did not start: $(cat "$work/out")"
id1=$(sed -n 's/^SYSTEM_JOBID=//p' "$work/out")
[ -n "$id1" ] || fail "job 1 has no id: $(cat "$work/out")"
# bounded poll: three renewals (each halfway through the lease, >= 5 s
# apart) take job 1 past its first lease
for _ in $(seq 1 120); do
  [ "$(renewals "$id1")" -ge 3 ] && break
  sleep 0.5
done
n=$(renewals "$id1"); t1=$(date +%s)
[ "$n" -ge 3 ] || fail "job 1's broker renewed its lease $n times in 60 s"
[ $((t1 - t0)) -gt "$LEASE" ] || fail "3 renewals in $((t1 - t0)) s: not past the $LEASE s lease"
start 2 "$work/a/jobs/two"
[ "$rc" = 4 ] && grep -q "waiting on checks" "$work/out" ||
  fail "job 2 was not held by job 1's lock $((t1 - t0)) s in (exit $rc): $(cat "$work/out")"
svcconn audit --json | grep -q '"job-expired"' && fail "job 1 expired although renewed"
echo "measured: job 1 kept regL $((t1 - t0)) s with a $LEASE s lease, $n renewals"
echo "ok: a job running past its lease keeps its lock while its broker renews it"

# ---- the broker killed: the lease ends, the server expires the job ----------------------
kill -KILL "$(tr -dc 0-9 < "$J1/broker.pid")"
tk=$(date +%s)
# bounded poll: job 2 is granted once job 1's last lease has ended
rc=4
for _ in $(seq 1 $((LEASE * 4))); do
  start 3 "$work/a/jobs/three"
  [ "$rc" = 4 ] || break
  sleep 1
done
tg=$(date +%s)
[ "$rc" = 0 ] || fail "job 3 was not granted $((tg - tk)) s after job 1's broker died (exit $rc): $(cat "$work/out")"
[ $((tg - tk)) -le $((LEASE + 5)) ] || fail "job 1's lock outlived its lease: $((tg - tk)) s"
out=$(svcconn audit --json)
python3 -c 'import json, sys
sys.exit(0 if any(e["action"] == "job-expired" and e["detail"].get("jobId") == sys.argv[1]
                  for e in json.load(sys.stdin)) else 1)' "$id1" <<<"$out" ||
  fail "job 1's expiry is not audited: $out"
echo "measured: job 1's lock released $((tg - tk)) s after its broker was killed (lease $LEASE s)"
agent job-end --job-dir "$work/a/jobs/three" --result Succeeded >/dev/null || fail "job 3's job-end"
echo "ok: with its broker killed, the job expires when its lease ends and its lock goes to the next job"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "server_lease: ok"
