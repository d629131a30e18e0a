#!/usr/bin/env bash
# A fleet on PostgreSQL (issue 15): one database, TWO svcconn-server
# processes on it (their own ports, one store directory: the master key
# and the database's location), FOUR registered agents, processes of
# their own (tests/support/fleetagent.c: each agent's credential and
# svcconn's API client, the calls svcconn-agent makes to start and
# complete a job), each alternating between the two servers from job to
# job.  Every job uses one of two shared connections, each with an
# approval check (approver bob; the requester alice) and an exclusive
# lock (sequential).  An approver (a Python client of the API, bob's
# token) decides each pending approval through the OTHER server than the
# one its job starts on.  At the end of each phase a job per connection
# runs through svcconn-agent's own hooks (job-start --server, step in its
# sandbox, job-end): the locks are free again.
#
# The lock is proven by the steps themselves: each step does `mkdir
# LOCKS/CONNECTION` (atomic; fails when it exists) first, sleeps a little
# and removes it last, in a directory all agents share; one failed mkdir
# is two runs holding the same lock at the same time.
#
# Phase 1 (FLEET_JOBS, 50 an agent: 200 jobs): every job granted, its
# step run, its end recorded; invariants read afterwards from the store
# (the CLI, the API) and the agents' and approver's own logs: exactly one
# decision and one audit record per approval, every decision acknowledged
# to the approver; one job-start and one job-complete audit record per
# job, with the job ids the agents were given; per run and connection one
# "granted" usage record finished Succeeded, and a "waiting" record for
# each change of what a run answered 202 waits for (one at least, none
# repeated); no job expired; the store's integrity.
# Phase 2 (FLEET_KILL_JOBS an agent): the same while server A, then
# server B, is killed with SIGKILL mid-run and restarted (--job-lease
# 10; 60 in phase 1, where no job may expire): an agent whose job start gets no answer retries it on the other
# server; a job whose end got no answer ends by its lease (job-expired,
# Failed); afterwards every job-start record's job ended exactly once
# (completed or expired), every acknowledged end and decision is in the
# store once, no usage record is left unfinished, and the probe's jobs
# are granted once the leases have passed (no lock held forever).
# Phase 3 (FLEET_PG_JOBS an agent): the same while PostgreSQL is
# restarted (tests/support/pg.sh down/up; the servers answer 503 and
# reconnect), on a cluster of the test's own (the fixture's serves tests
# running beside this one), the store moved there by pg_dump.
# No timed assertion: bounded polls for states, and invariants.
# Needs the ctest fixture "pg" ($SVCCONN_TEST_PG).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}" "${SVCCONN_TEST_PG:?}" "${FLEET_AGENT:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup fleet_pg
unset SVCCONN_DATABASE
JOBS=${FLEET_JOBS:-50}
KILL_JOBS=${FLEET_KILL_JOBS:-8}
PG_JOBS=${FLEET_PG_JOBS:-8}
# the servers' --job-lease: long while nothing is disrupted (a job is
# not expired by a loaded machine's queueing: nothing renews the 50 ms
# jobs of fleetagent), the shortest when a kill leaves jobs to expire
LEASE=60
AGENTS=4
pg_sh="$SVC_SOURCE_DIR/tests/support/pg.sh"

# ---- the store on a database of its own -----------------------------------------
pgbase=$(cat "$SVCCONN_TEST_PG/url")
dbname="svcfleet_$$"
psql -q "$pgbase" -c "CREATE DATABASE $dbname" >/dev/null
dropdb() { psql -q "$pgbase" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1 || true; }
# on exit: the servers, the database, phase 3's cluster, the work directory
fleet_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  dropdb
  bash "$pg_sh" stop "$work/pg" >/dev/null 2>&1 || true
  srv_cleanup
}
trap fleet_cleanup EXIT
svcconn init --database "${pgbase%/*}/$dbname" >/dev/null
printf 'fleet-secret-%s' "$(openssl rand -hex 8)" > "$work/s"
for c in regA regB; do
  svcconn create dockerregistry "$c" --scheme UsernamePassword --set registry=https://f.example.test \
    --set username=u --secret password=@"$work/s" --grant-all-pipelines >/dev/null
  svcconn checks "$c" add approval --approvers bob >/dev/null
  svcconn checks "$c" add exclusive-lock >/dev/null
  printf 'lockBehavior: sequential\nresources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: %s\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' \
    "$c" > "$work/$c.yml"
done
rm -f "$work/s"
svcconn pools create dev --trusted >/dev/null
SVCCONN_USER=bob svcconn tokens create approver --scopes approvals 2>/dev/null > "$work/tok.bob"
chmod 600 "$work/tok.bob"
srv_cert
mkdir -m 700 "$work/locks"

# ---- two servers on the one database ------------------------------------------------
ports=("$(free_port)" "$(free_port)")
spid=(0 0)
names=(A B)
# serve I: server I (0 A, 1 B) started on its port, its log in $work/srvI.log
serve() {
  SRV_LOG="$work/srv$1.log" start_server --listen "127.0.0.1:${ports[$1]}" \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --job-lease "$LEASE" --max-per-ip 64
  spid[$1]=$pid
}
# stop_server N: SIGTERM, and it must exit 0; else its exit status and the
# end of its log (a sanitizer's report is there) say why
stop_server() {
  local rc=0
  kill -TERM "${spid[$1]}"; wait "${spid[$1]}" || rc=$?
  [ "$rc" = 0 ] && return 0
  echo "server ${names[$1]} exited $rc; the end of its log:"
  grep -n -m 5 -E 'Sanitizer|runtime error|^    #[0-9]' "$work/srv$1.log" || true
  tail -n 40 "$work/srv$1.log"
  fail "server ${names[$1]} did not stop cleanly"
}
serve 0; serve 1
urls=("https://127.0.0.1:${ports[0]}" "https://127.0.0.1:${ports[1]}")

# ---- four agents, each registered through one of the servers ------------------------------
for n in $(seq 0 $((AGENTS - 1))); do
  mkdir -p "$work/a$n/jobs"; chmod 700 "$work/a$n/jobs"
  svcconn agents registration-token --pool dev 2>/dev/null |
    HOME=$work/a$n "$SVC_BIN_DIR/svcconn-agent" register --server "${urls[$((n % 2))]}" \
      --ca "$work/cert.pem" --registration-token-file - --name "agent$n" >/dev/null ||
    fail "agent $n did not register"
done
# agent N PHASE JOBS: agent N's JOBS jobs of PHASE through the API
# client svcconn-agent uses (tests/support/fleetagent.c says how: run ids,
# servers, the step's lock directory, retries); its log of events in
# $work/agentN.PHASE.log
agent() {
  "$FLEET_AGENT" "$work/a$1/.config/svcconn-agent" "${urls[0]}" "${urls[1]}" "$work" \
    "$work/locks" "$1" "$2" "$3" > "$work/agent$1.$2.log" 2> "$work/agent$1.$2.err"
}

# the approver: bob's client of the API on both servers, deciding each
# pending approval through the server its job does not start on; stops
# when $work/stop exists.  Its log: "ack APPROVAL RUN SERVER" for a 200,
# "answer CODE APPROVAL RUN SERVER BODY" else, "down SERVER" unreachable.
cat > "$work/approver.py" <<'EOF'
import http.client, json, os, ssl, sys, time
cert, tokfile, stop, log = sys.argv[1:5]
ports = [int(p) for p in sys.argv[5:]]
token = open(tokfile).read().strip()
ctx = ssl.create_default_context(cafile=cert)
conns = [None] * len(ports)
out = open(log, "a", buffering=1)
hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
base = "/default/default/_apis/pipelines/approvals"
def call(i, method, path, body=None):
    if conns[i] is None:
        conns[i] = http.client.HTTPSConnection("127.0.0.1", ports[i], context=ctx, timeout=30)
    try:
        conns[i].request(method, path, body=body, headers=hdr)
        r = conns[i].getresponse()
        return r.status, r.read().decode()
    except (OSError, http.client.HTTPException):
        conns[i].close()
        conns[i] = None
        return None, ""
def home(run):  # the server the run's jobs start on (see agent())
    run = int(run)
    return (run // 1000 % 10 + run % 1000) % 2
while not os.path.exists(stop):
    for i in range(len(ports)):
        code, body = call(i, "GET", base + "?state=pending")
        if code != 200:
            out.write("down %d %s\n" % (i, code))
            continue
        for a in json.loads(body)["value"]:
            if home(a["runId"]) == i:
                continue
            code, body = call(i, "PATCH", base, json.dumps([{"approvalId": a["id"], "status": "approved"}]))
            if code == 200:
                out.write("ack %s %s %d\n" % (a["id"], a["runId"], i))
            else:
                out.write("answer %s %s %s %d %s\n" % (code, a["id"], a["runId"], i, body.replace("\n", " ")))
    time.sleep(0.3)
EOF

# phase PHASE JOBS: the agents and the approver, in the background
phase_start() {
  rm -f "$work/stop"
  apid=
  python3 "$work/approver.py" "$work/cert.pem" "$work/tok.bob" "$work/stop" "$work/approver.$1.log" \
    "${ports[@]}" &
  apid=$!; pids+=("$apid")
  agpids=()
  for n in $(seq 0 $((AGENTS - 1))); do
    agent "$n" "$1" "$2" &
    agpids+=($!); pids+=($!)
  done
}
# phase_end PHASE: the agents done, a probe (below), the approver
# stopped.  After a disruption (its end in $settled, SECONDS), the probe
# waits until a lease has passed since: the job-start records of jobs
# whose answer was lost then have their lease ended, and the probe's
# requests expire them (a lock's lease, which starts a little earlier in
# the same start, could let the probe in before the job's own ends)
settled=0
phase_end() {
  local p
  for p in "${agpids[@]}"; do wait "$p" || fail "an agent's loop failed"; done
  while [ "$SECONDS" -le $((settled + LEASE + 1)) ]; do sleep 1; done
  probe "$1"
  touch "$work/stop"; wait "$apid" || fail "the approver failed"
}
# ends PHASE: the jobs the agents have ended so far in PHASE
ends() { cat "$work"/agent*."$1".log 2>/dev/null | grep -c ' end ' || true; }
# wait_ends PHASE N: bounded poll until N jobs of PHASE have ended
wait_ends() {
  local i
  for i in $(seq 1 1200); do
    [ "$(ends "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  fail "phase $1: fewer than $2 jobs ended in 2 minutes"
}

# probe PHASE: a job per connection through svcconn-agent's hooks
# (job-start --server, step in its sandbox, job-end), granted once the
# leases of the jobs a kill left have passed (tried again while it
# waits), its step making and removing the lock directory: no lock is
# held forever
# hooks ARGS...: svcconn-agent ARGS as agent 0, in its home, no store;
# called in this shell (a job's broker lives as long as the process that
# started the job)
hooks() { env -u SVCCONN_HOME HOME="$work/a0" SVCCONN_JOBS_DIR="$work/a0/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"; }
probe() {
  local c rc i dir k=0
  for c in regA regB; do
    k=$((k + 1))
    dir=$work/probe.$1.$c
    for i in $(seq 1 $((LEASE * 8))); do
      rc=0
      hooks job-start --server "${urls[0]}" --pipeline fleet \
        --pipeline-file "$work/$c.yml" --job Build --run-id "$(( $1 * 10000 + 9000 + k ))" \
        --requested-by alice --job-dir "$dir" > "$dir.env" 2> "$dir.err" || rc=$?
      [ "$rc" = 4 ] || [ "$rc" = 1 ] || break
      sleep 0.5
    done
    [ "$rc" = 0 ] || fail "phase $1: no job of $c granted after the leases: exit $rc: $(cat "$dir.err")"
    hooks step --job-dir "$dir" --step 0 -- \
      bash -c 'mkdir "$1" && rmdir "$1"' step "$work/locks/$c" > "$dir.step" 2>&1 ||
      fail "phase $1: the probe's step (the lock directory of $c left behind?): $(cat "$dir.step")"
    hooks job-end --job-dir "$dir" --result Succeeded >/dev/null ||
      fail "phase $1: the probe's job-end"
  done
}

# check PHASE STRICT: the invariants of PHASE (STRICT 1: nothing was
# disrupted, so everything was answered) from the store and the logs
check() {
  req 200 -H "Authorization: Bearer $(cat "$work/tok.bob")" \
    "${urls[0]}/default/default/_apis/pipelines/approvals?\$expand=steps"
  printf '%s' "$body" > "$work/approvals.json"
  svcconn audit --json > "$work/audit.json" || fail "svcconn audit"
  for c in regA regB; do svcconn history "$c" --json > "$work/history.$c.json" || fail "history $c"; done
  python3 - "$work" "$1" "$2" <<'EOF' || fail "phase $1: an invariant does not hold"
import glob, json, sys
work, phase, strict = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
lo, hi = phase * 10000, phase * 10000 + 9999
bad = []
def inphase(run):
    return run.isdigit() and lo <= int(run) < hi and int(run) % 10000 < 9000
# the agents' logs
starts, granted, steps, ends = {}, {}, {}, {}
for f in glob.glob("%s/agent*.%d.log" % (work, phase)):
    for l in open(f):
        w = l.split()[1:]
        if w[0] == "start":
            starts.setdefault(w[1], []).append(int(w[3]))
            if w[3] == "0":
                granted[w[1]] = w[4]
        elif w[0] == "step":
            steps[w[1]] = int(w[2])
        elif w[0] == "end":
            ends[w[1]] = int(w[2])
runs = sorted(starts)
for r in runs:
    codes = starts[r]
    if r not in granted:
        bad.append("run %s was never granted: %s" % (r, codes))
    if steps.get(r) != 0:
        bad.append("run %s: its step exited %s (9: a lock violation)" % (r, steps.get(r)))
    if strict and any(c not in (0, 4) for c in codes):
        bad.append("run %s: a job start answered %s undisturbed" % (r, codes))
    if strict and ends.get(r) != 0:
        bad.append("run %s: its job-end exited %s undisturbed" % (r, ends.get(r)))
# the audit log, this phase's records
audit = [e for e in json.load(open(work + "/audit.json"))
         if inphase(str(e["detail"].get("runId", e["detail"].get("run_id", ""))))]
def by(kind):
    out = {}
    for e in audit:
        if e["action"] == kind:
            out.setdefault(e["detail"]["jobId"], []).append(e)
    return out
jstart, jdone, jexp = by("job-start"), by("job-complete"), by("job-expired")
for k, v in list(jstart.items()) + list(jdone.items()) + list(jexp.items()):
    if len(v) != 1:
        bad.append("job %s: %d %s records" % (k, len(v), v[0]["action"]))
for k in jstart:
    if (k in jdone) == (k in jexp):
        bad.append("job %s started: completed %s, expired %s" % (k, k in jdone, k in jexp))
for k in list(jdone) + list(jexp):
    if k not in jstart:
        bad.append("job %s ended without a job-start record" % k)
acked_jobs = {granted[r]: r for r in granted}
for j, r in acked_jobs.items():
    if j not in jstart:
        bad.append("run %s: job %s acknowledged, no job-start record" % (r, j))
    if ends.get(r) == 0 and j not in jdone:
        bad.append("run %s: job %s's end acknowledged, no job-complete record" % (r, j))
    if ends.get(r) not in (None, 0) and j not in jexp:
        bad.append("run %s: job %s's end unanswered and it did not expire" % (r, j))
if strict:
    if set(jstart) != set(acked_jobs):
        bad.append("job-start records %d, jobs the agents were given %d" % (len(jstart), len(acked_jobs)))
    if jexp:
        bad.append("%d jobs expired undisturbed" % len(jexp))
# approvals: one decision and one audit record each
apps = {a["id"]: a for a in json.load(open(work + "/approvals.json"))["value"]
        if inphase(a["runId"])}
dec_audit = {}
for e in audit:
    if e["action"] == "approval":
        dec_audit[e["detail"]["check_run"]] = dec_audit.get(e["detail"]["check_run"], 0) + 1
acks, answers = [], []
for l in open("%s/approver.%d.log" % (work, phase)):
    w = l.split()
    if w[0] == "ack" and inphase(w[2]):
        acks.append(w[1])
    elif w[0] == "answer" and inphase(w[3]):
        answers.append(l.strip())
for i, a in apps.items():
    decided = sum(1 for s in a["steps"] if s["actualApprover"])
    if decided != 1 or dec_audit.get(i, 0) != 1:
        bad.append("approval %s (run %s): %d decisions, %d audit records" % (i, a["runId"], decided, dec_audit.get(i, 0)))
    if a["status"] != "approved":
        bad.append("approval %s: %s" % (i, a["status"]))
if len(set(acks)) != len(acks):
    bad.append("an approval was acknowledged twice")
for i in acks:
    if i not in apps:
        bad.append("acknowledged approval %s is not in the store" % i)
if strict and (set(acks) != set(apps) or answers):
    bad.append("approvals %d, acknowledged %d, other answers %s" % (len(apps), len(acks), answers[:3]))
if len(apps) != len(runs):
    bad.append("%d approvals for %d runs" % (len(apps), len(runs)))
# the usage history: per run one granted record (more only for a job
# whose answer was lost), every one finished; waiting records as above
hist = []
for c in ("regA", "regB"):
    hist += [u for u in json.load(open("%s/history.%s.json" % (work, c))) if inphase(u["runId"])]
for r in runs:
    us = [u for u in hist if u["runId"] == r]
    g = [u for u in us if u["decision"] == "granted"]
    w = [u for u in us if u["decision"] == "waiting"]
    others = [u["decision"] for u in us if u["decision"] not in ("granted", "waiting")]
    if len({u["connection"] for u in us}) != 1:
        bad.append("run %s: usage records on %s" % (r, sorted({u["connection"] for u in us})))
    if not g or any(u["result"] is None for u in g) or others:
        bad.append("run %s: granted records %s, others %s" % (r, [u["result"] for u in g], others))
    if strict and (len(g) != 1 or g[0]["result"] != "Succeeded"):
        bad.append("run %s: granted records %s" % (r, [u["result"] for u in g]))
    # a run asked again while it waits for the same thing is recorded
    # once: at least one waiting record if it was answered 202, at most
    # one per 202, never the same one twice in a row
    n202 = starts[r].count(4)
    seq = sorted(us, key=lambda u: u["id"])
    again = [a for a, b in zip(seq, seq[1:]) if a["decision"] == b["decision"] == "waiting"
             and a["message"] == b["message"]]
    if (n202 and not w) or (strict and len(w) > n202) or again:
        bad.append("run %s: %d waiting records (%d repeated), %d answers 202" % (r, len(w), len(again), n202))
    if ends.get(r) == 0 and not any(u["result"] == "Succeeded" for u in g):
        bad.append("run %s: its acknowledged end is not in the history" % r)
for b in bad[:20]:
    print("  " + b, file=sys.stderr)
print("phase %d: %d runs, %d job starts answered 202, %d job-start records (%d completed, %d expired), %d approvals (%d acknowledged), %d usage records"
      % (phase, len(runs), sum(c.count(4) for c in starts.values()), len(jstart), len(jdone), len(jexp),
         len(apps), len(acks), len(hist)))
sys.exit(1 if bad else 0)
EOF
  # the store's integrity: every connection's MAC and the versions list,
  # and every secret unsealed
  svcconn list >/dev/null || fail "phase $1: the store fails its integrity check"
  svcconn export regA regB --include-secrets -o "$work/export.yml" >/dev/null 2>&1 ||
    fail "phase $1: the secrets do not unseal"
  rm -f "$work/export.yml"
}

# ---- phase 1: 4 agents x JOBS jobs, nothing disrupted ----------------------------------
t0=$SECONDS
phase_start 1 "$JOBS"
phase_end 1
check 1 1
echo "measured: phase 1, $((AGENTS * JOBS)) jobs, $((SECONDS - t0)) s"
echo "ok: $((AGENTS * JOBS)) jobs of 4 agents on 2 servers of one database: every approval decided once through the other server, no lock held twice, every record once"

# ---- phase 2: each server killed with SIGKILL mid-run, and restarted -------------------------
t0=$SECONDS
LEASE=10
for s in 0 1; do
  stop_server "$s"
  serve "$s"
done
phase_start 2 "$KILL_JOBS"
for s in 0 1; do
  wait_ends 2 $(( AGENTS * KILL_JOBS * (s + 1) / 3 ))
  kill -KILL "${spid[$s]}"; wait "${spid[$s]}" 2>/dev/null || true
  sleep 0.5
  serve "$s"
  settled=$SECONDS
done
phase_end 2
check 2 0
echo "measured: phase 2, $((AGENTS * KILL_JOBS)) jobs, $((SECONDS - t0)) s"
echo "ok: server A then B killed with SIGKILL mid-run and restarted: jobs retried or expired by their lease, nothing lost or doubled, no lock held twice or forever"

# ---- phase 3: PostgreSQL restarted mid-run ------------------------------------------------
t0=$SECONDS
for s in 0 1; do stop_server "$s"; done
# a cluster of this test's own: the fixture's serves other tests
bash "$pg_sh" start "$work/pg"
own=$(cat "$work/pg/url")
psql -q "$own" -c "CREATE DATABASE fleet" >/dev/null
# the same store (its rows; the key stays in the store directory) moved
# there with PostgreSQL's own dump and restore
pg_dump "${pgbase%/*}/$dbname" | psql -q "${own%/*}/fleet" >/dev/null
printf '%s\n' "${own%/*}/fleet" > "$SVCCONN_HOME/database"
dropdb
serve 0; serve 1
phase_start 3 "$PG_JOBS"
wait_ends 3 $(( AGENTS * PG_JOBS / 3 ))
bash "$pg_sh" down "$work/pg"
sleep 1
bash "$pg_sh" up "$work/pg"
settled=$SECONDS
phase_end 3
check 3 0
unavail=$(cat "$work"/srv?.log | grep -c '" 503$' || true)
echo "measured: phase 3, $((AGENTS * PG_JOBS)) jobs, $((SECONDS - t0)) s; $unavail answers 503 while PostgreSQL was down"
echo "ok: PostgreSQL restarted mid-run: the servers reconnected; jobs retried or expired by their lease, nothing lost or doubled, no lock held twice or forever"
for s in 0 1; do stop_server "$s"; done
echo "fleet_pg: ok"
