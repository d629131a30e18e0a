#!/usr/bin/env bash
# A job start that waits is woken by LISTEN/NOTIFY, across servers
# (docs/server.md "Waiting job starts").  A PostgreSQL of this test's own
# (support/pg.sh: it is restarted below), two servers A and B on it.
#   lock: a job holds regL's exclusive lock through A; a second run asks B
#     with "wait": 60 and is held (no answer after a second); ending the
#     first job through A makes B answer 201 granted -- in one request (B's
#     log has one job start line) and long before the 60 s (< 30 s; the
#     time from the end to the answer is printed).
#   approval: a run asks B with ?wait=60 and is held on regA's approval;
#     bob approves through A (the CLI against A); B answers 201 in that one
#     request.
#   restart: a run waits on B behind a lock held through A; PostgreSQL
#     stops: B answers the waiting request at once, cleanly (503 with
#     Retry-After, or 202 waiting), never a 500, and stays alive; with
#     PostgreSQL back, a new wait on B is woken by the end of the holder's
#     job through A (B's watcher listens again).
#   Without "wait" a start still answers 202 at once; a wait over the cap
#   is held at most SVC_JOB_WAIT_MAX (checked: it is accepted); a bad wait
#   is a 400.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_notify_pg
command -v psql >/dev/null || fail "needs psql (Debian's postgresql-client)"
pg() { bash "$SVC_SOURCE_DIR/tests/support/pg.sh" "$1" "$work/pg"; }
unset SVCCONN_DATABASE
pg start
trap 'pg stop || true; srv_cleanup' EXIT
url=$(cat "$work/pg/url")
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

svcconn init --database "$url" >/dev/null
printf 'notify-secret-7a1e' > "$work/s"
for c in regA regL; do
  svcconn create dockerregistry "$c" --scheme UsernamePassword --set registry=https://a.example.test \
    --set username=u --secret password=@"$work/s" --grant-all-pipelines >/dev/null
done
rm -f "$work/s"
svcconn checks regA add approval --approvers bob >/dev/null
svcconn checks regL add exclusive-lock >/dev/null
svcconn pools create dev --trusted >/dev/null
SVCCONN_USER=bob svcconn tokens create approver --scopes approvals 2>/dev/null > "$work/tok.bob"
chmod 600 "$work/tok.bob"

srv_cert
SRV_LOG=$work/logA start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" --database "$url"
pidA=$pid; baseA="https://127.0.0.1:$port"
SRV_LOG=$work/logB start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" --database "$url"
pidB=$pid; baseB="https://127.0.0.1:$port"
reg=$(svcconn agents registration-token --pool dev 2>/dev/null)
req 201 -H "Authorization: Bearer $reg" --data '{"name":"b1"}' "$baseA/_apis/svcconn/agents"
cred=$(jget token <<<"$body")
for c in regA regL; do
  printf 'resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: %s\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' "$c" |
    python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' > "$work/yaml.$c"
done
# jobreq CONNECTION RUN [EXTRA]: a job start's body
jobreq() {
  printf '{"pipeline":"app-%s","yaml":%s,"job":"Build","runId":"%s","requestedBy":"alice"%s}' \
    "$1" "$(cat "$work/yaml.$1")" "$2" "${3:-}"
}
# start BASE CONNECTION RUN WANT [EXTRA]: a job start as b1, answered WANT
start() {
  jobreq "$2" "$3" "${5:-}" > "$work/req.json"
  req "$4" -H "Authorization: Bearer $cred" --data-binary @"$work/req.json" "$1/default/default/_apis/svcconn/jobs"
}
complete() { # BASE JOBID
  req 200 -H "Authorization: Bearer $cred" --data '{"result":"Succeeded"}' "$1/default/default/_apis/svcconn/jobs/$2/complete"
}
# held NAME CONNECTION RUN [QUERY]: a job start on B with a wait, in the
# background: its status in $work/NAME.code, body in $work/NAME.body, the
# time it answered (ms) in $work/NAME.t
held() {
  jobreq "$2" "$3" "$([ -n "${4:-}" ] || echo ',"wait":60')" > "$work/$1.json"
  ( c=$(curl -sS --cacert "$work/cert.pem" -o "$work/$1.body" -w '%{http_code}' \
          -H "Authorization: Bearer $cred" --data-binary @"$work/$1.json" \
          "$baseB/default/default/_apis/svcconn/jobs${4:-}") || c=000
    now_ms > "$work/$1.t"; echo "$c" > "$work/$1.code" ) &
  heldpid=$!
}
# still_held NAME: the request has not been answered (after a second)
still_held() {
  sleep 1
  kill -0 "$heldpid" 2>/dev/null || fail "$1: answered at once ($(cat "$work/$1.code" 2>/dev/null)): $(cat "$work/$1.body" 2>/dev/null)"
}
# starts LOG: job start lines in a server's log
starts() { grep -c '"POST /default/default/_apis/svcconn/jobs" ' "$1" || true; }

# ---- validation: no wait answers at once; a bad wait is refused ------------------------
start "$baseA" regL 1 201
job1=$(jget jobId <<<"$body")
t0=$(now_ms)
start "$baseB" regL 2 202
[ "$(jget status <<<"$body")" = waiting ] || fail "not waiting: $body"
dt=$(( $(now_ms) - t0 ))
[ "$dt" -lt 30000 ] || fail "a start without wait was held $dt ms"
start "$baseB" regL 2 400 ',"wait":-1'
start "$baseB" regL 2 400 ',"wait":"soon"'
echo "ok: without a wait a waiting start answers 202 at once; a bad wait is a 400"

# ---- lock: the end of the holder's job on A wakes B's held start -----------------------
nB=$(starts "$work/logB")
held lock regL 2
still_held lock
tend=$(now_ms)
complete "$baseA" "$job1"
wait "$heldpid"
[ "$(cat "$work/lock.code")" = 201 ] || fail "lock: answered $(cat "$work/lock.code"): $(cat "$work/lock.body")"
[ "$(jget status < "$work/lock.body")" = granted ] || fail "lock: $(cat "$work/lock.body")"
dt=$(( $(cat "$work/lock.t") - tend ))
[ "$dt" -lt 10000 ] || fail "lock: answered $dt ms after the holder ended"
[ "$(starts "$work/logB")" = $((nB + 1)) ] || fail "lock: B logged $(( $(starts "$work/logB") - nB )) job starts, not 1"
job2=$(jget jobId < "$work/lock.body")
echo "measured: lock released through A -> B's held start granted in $dt ms (one request)"
echo "ok: a start held on B is granted when the lock's holder ends through A, in the same request"

# ---- approval: bob's approval through A wakes B's held start -------------------------
nB=$(starts "$work/logB")
held appr regA 3 '?wait=60'
still_held appr
id=$(svcconn approvals --pending --json | python3 -c 'import json,sys; print([a["id"] for a in json.load(sys.stdin) if a["runId"] == "3"][0])')
tend=$(now_ms)
out=$(env -u SVCCONN_USER SVCCONN_HOME="$work/nostore" SVCCONN_TOKEN_FILE="$work/tok.bob" \
  "$SVC_BIN_DIR/svcconn" approve "$id" --server "$baseA" --ca "$work/cert.pem") || fail "bob's approval: $out"
wait "$heldpid"
[ "$(cat "$work/appr.code")" = 201 ] || fail "approval: answered $(cat "$work/appr.code"): $(cat "$work/appr.body")"
dt=$(( $(cat "$work/appr.t") - tend ))
[ "$dt" -lt 10000 ] || fail "approval: answered $dt ms after the approval"
[ "$(starts "$work/logB")" = $((nB + 1)) ] || fail "approval: B logged $(( $(starts "$work/logB") - nB )) job starts, not 1"
complete "$baseB" "$(jget jobId < "$work/appr.body")"
echo "measured: approval through A -> B's held start granted in $dt ms (one request)"
echo "ok: a start held on B is granted when its approval is decided through A"

# ---- restart: PostgreSQL stops while B holds a start --------------------------------
held r1 regL 4
still_held r1
pg down
for i in $(seq 300); do
  kill -0 "$heldpid" 2>/dev/null || break
  [ "$i" = 300 ] && fail "restart: B still holds the start 30 s after PostgreSQL stopped"
  sleep 0.1
done
wait "$heldpid"
c=$(cat "$work/r1.code")
[ "$c" = 503 ] || [ "$c" = 202 ] || fail "restart: the held start answered $c: $(cat "$work/r1.body")"
kill -0 "$pidB" 2>/dev/null || fail "restart: server B died"
grep -q '" 500$' "$work/logB" && fail "restart: B answered 500: $(grep '" 500$' "$work/logB")"
echo "ok: PostgreSQL stopped: B answered its held start at once with $c"
pg up
# A and B reconnect at their next request; a new wait on B is woken by A
for i in $(seq 100); do
  [ "$(curl -sS --cacert "$work/cert.pem" -o /dev/null -w '%{http_code}' "$baseB/_apis/svcconn/health")" = 200 ] && break
  [ "$i" = 100 ] && fail "restart: B's health did not come back"
  sleep 0.1
done
nB=$(starts "$work/logB")
held r2 regL 4
still_held r2
tend=$(now_ms)
complete "$baseA" "$job2"
wait "$heldpid"
[ "$(cat "$work/r2.code")" = 201 ] || fail "after the restart: answered $(cat "$work/r2.code"): $(cat "$work/r2.body")"
dt=$(( $(cat "$work/r2.t") - tend ))
[ "$dt" -lt 10000 ] || fail "after the restart: answered $dt ms after the holder ended"
[ "$(starts "$work/logB")" = $((nB + 1)) ] || fail "after the restart: not one request on B"
complete "$baseB" "$(jget jobId < "$work/r2.body")"
echo "measured: after the PostgreSQL restart, lock released through A -> B granted in $dt ms"
echo "ok: after PostgreSQL's restart B's watcher listens again: a held start is woken by A"
kill -TERM "$pidA" "$pidB"
wait "$pidA" || fail "A did not stop cleanly"
wait "$pidB" || fail "B did not stop cleanly"
