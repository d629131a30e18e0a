#!/usr/bin/env bash
# Approvals through svcconn-server (Azure's Approvals - Query/Update, and
# svcconn's bypass), tried as the parties would: an agent's job start
# waits on an approval check (202 waiting, one pending approval listed
# with its requester and frozen approvers); the requester's approval is
# refused (403 over the API, exit 5 from `svcconn approve --server`) and
# audited as approval-refused; a user who is no approver is refused; a
# malformed update is a 400 that decides nothing; another approver's
# approval through the CLI succeeds, is audited once, and the job start
# is then granted. A rejection denies the stage (403); bypass is the
# Administrator's only. `svcconn approvals` prints the same (text, JSON)
# against the server as on the server's store.
# SIGKILL: 20 rounds of many concurrent requests (approvals, job starts
# of an approval-gated and of an exclusive-lock pipeline) with the server
# killed -9 at a varying point; after each restart, invariants only: every
# decision the server acknowledged (200) is in the store and audited
# exactly once; no run has a decision without its audit record or the
# reverse; no decided run is still "pending" (a stale status); at the end, restarted past the lease, the lock is free and a
# new job gets it, every acknowledged approval lets its run start, and
# the store passes its integrity checks (svcconn list, SQLite's).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_approvals
audits() { svcconn audit --json | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"] == sys.argv[1]))' "$1"; }

svcconn init >/dev/null
printf 'approvals-secret-1f0c' > "$work/s"
for c in regA regK regL; do
  svcconn create dockerregistry "$c" --scheme UsernamePassword --set registry=https://a.example.test \
    --set username=u --secret password=@"$work/s" --grant-all-pipelines >/dev/null
done
rm -f "$work/s"
svcconn checks regA add approval --approvers alice,bob --min 1 >/dev/null
svcconn checks regK add approval --approvers bob >/dev/null
svcconn checks regL add exclusive-lock >/dev/null
pipeline() { # connection
  printf 'resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: %s\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' "$1"
}
svcconn pools create dev --trusted >/dev/null
tok() { SVCCONN_USER=$1 svcconn tokens create "$2" --scopes "$2" 2>/dev/null; }
tadmin=$(tok admin full); talice=$(tok alice approvals); tbob=$(tok bob approvals)
tcarol=$(tok carol approvals); tread=$(tok bob endpoints:read)
for u in admin alice bob carol; do
  v=t$u; printf '%s\n' "${!v}" > "$work/tok.$u"; chmod 600 "$work/tok.$u"
done

srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
proj="$base/default/default"
reg=$(svcconn agents registration-token --pool dev 2>/dev/null)
req 201 -H "Authorization: Bearer $reg" --data '{"name":"b1"}' "$base/_apis/svcconn/agents"
cred=$(jget token <<<"$body")
# each connection's pipeline as a JSON string (python once: it is slow
# to start on a loaded machine)
for c in regA regK regL; do
  pipeline "$c" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' > "$work/yaml.$c"
done
# jobreq PIPELINE CONNECTION RUN: the body of a job start requested by alice
jobreq() {
  printf '{"pipeline":"%s","yaml":%s,"job":"Build","runId":"%s","requestedBy":"alice"}' \
    "$1" "$(cat "$work/yaml.$2")" "$3"
}
# start PIPELINE CONNECTION RUN WANT: a job start as b1
start() {
  jobreq "$1" "$2" "$3" > "$work/req.json"
  req "$4" -H "Authorization: Bearer $cred" --data-binary @"$work/req.json" "$proj/_apis/svcconn/jobs"
}
# remote USER ARGS...: svcconn ARGS against the server with USER's token
remote() { env -u SVCCONN_USER SVCCONN_HOME="$work/nostore" SVCCONN_TOKEN_FILE="$work/tok.$1" \
  "$SVC_BIN_DIR/svcconn" "${@:2}" --server "$base" --ca "$work/cert.pem"; }
patchj() { # TOKEN JSON WANT
  req "$3" -X PATCH -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data "$2" "$proj/_apis/pipelines/approvals"
}

# ---- a job start waits on the approval ---------------------------------------
start app regA 1 202
[ "$(jget status <<<"$body")" = waiting ] || fail "the job start does not wait: $body"
req 200 -H "Authorization: Bearer $tbob" "$proj/_apis/pipelines/approvals?state=pending&\$expand=steps"
[ "$(jget count <<<"$body")" = 1 ] || fail "not one pending approval: $body"
id=$(jget value.0.id <<<"$body")
[ "$(jget value.0.status <<<"$body")" = pending ] || fail "status: $body"
[ "$(jget value.0.requestedBy <<<"$body")" = alice ] || fail "requestedBy: $body"
[ "$(jget value.0.connection.name <<<"$body")" = regA ] || fail "connection: $body"
[ "$(jget value.0.steps.1.assignedApprover.uniqueName <<<"$body")" = bob ] || fail "steps: $body"
req 200 -H "Authorization: Bearer $tbob" "$proj/_apis/pipelines/approvals/$id"
[ "$(jget pipeline.name <<<"$body")" = app ] || fail "one approval: $body"
req 404 -H "Authorization: Bearer $tbob" "$proj/_apis/pipelines/approvals/nosuch"
# the approvals scope (or full) is needed: endpoints:read is not it
req 403 -H "Authorization: Bearer $tread" "$proj/_apis/pipelines/approvals"
# the CLI against the server prints what it prints on the server's store
for args in "approvals" "approvals --json" "approvals --pending"; do
  loc=$(svcconn $args) || fail "local $args"
  rem=$(remote bob $args) || fail "remote $args"
  [ "$loc" = "$rem" ] || fail "'$args' differs: local: $loc remote: $rem"
done

# ---- the requester may not approve; no approver may not either ----------------
r0=$(audits approval-refused)
patchj "$talice" "[{\"approvalId\":\"$id\",\"status\":\"approved\",\"comment\":\"mine\"}]" 403
grep -q "requested this run" <<<"$body" || fail "no reason for the requester: $body"
out=$(remote alice approve "$id" 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "the requester's CLI approval exited $rc: $out"
grep -q "requested this run and may not approve it" <<<"$out" || fail "CLI refusal: $out"
patchj "$tcarol" "[{\"approvalId\":\"$id\",\"status\":\"approved\"}]" 403
grep -q "not an approver" <<<"$body" || fail "no reason for carol: $body"
[ "$(audits approval-refused)" = $((r0 + 3)) ] || fail "the refusals were not audited: $((r0 + 3)) != $(audits approval-refused)"
# malformed updates decide nothing
patchj "$tbob" "{\"approvalId\":\"$id\",\"status\":\"approved\"}" 400
patchj "$tbob" "[{\"approvalId\":\"$id\",\"status\":\"maybe\"}]" 400
patchj "$tbob" "[{\"approvalId\":\"$id\",\"status\":\"deferred\"}]" 400
patchj "$tbob" "[{\"approvalId\":\"$id\",\"status\":\"rejected\",\"deferredTo\":\"2030-01-01T00:00:00Z\"}]" 400
[ "$(audits approval)" = 0 ] || fail "a refused or malformed update recorded a decision"
start app regA 1 202

# ---- another approver's approval (the CLI) is the decision -----------------
out=$(remote bob approve "$id" --comment ok) || fail "bob's approval: $out"
[ "$out" = "approved $id" ] || fail "approve printed: $out"
[ "$(audits approval)" = 1 ] || fail "the approval is not audited once"
out=$(remote bob approve "$id" 2>&1) && fail "approved twice: $out"
req 200 -H "Authorization: Bearer $tbob" "$proj/_apis/pipelines/approvals/$id?\$expand=steps"
[ "$(jget status <<<"$body")" = approved ] || fail "not approved: $body"
[ "$(jget steps.1.actualApprover.uniqueName <<<"$body")" = bob ] || fail "steps: $body"
[ "$(jget steps.1.comment <<<"$body")" = ok ] || fail "comment: $body"
start app regA 1 201
[ "$(jget endpoints.0.name <<<"$body")" = regA ] || fail "granted without the connection: $body"
jid=$(jget jobId <<<"$body")
req 200 -H "Authorization: Bearer $cred" --data '{"result":"Succeeded"}' "$proj/_apis/svcconn/jobs/$jid/complete"

# ---- rejection and bypass ---------------------------------------------------
start app regA 2 202
id2=$(svcconn approvals --pending --json | python3 -c 'import json,sys; print([a["id"] for a in json.load(sys.stdin) if a["runId"] == "2"][0])')
out=$(remote bob reject "$id2" --comment no) || fail "reject: $out"
[ "$out" = "rejected $id2" ] || fail "reject printed: $out"
start app regA 2 403
[ "$(jget status <<<"$body")" = denied ] || fail "a rejected run was not denied: $body"
start app regA 3 202
id3=$(svcconn approvals --pending --json | python3 -c 'import json,sys; print([a["id"] for a in json.load(sys.stdin) if a["runId"] == "3"][0])')
out=$(remote bob bypass "$id3" 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "bob (no Administrator) bypassed (exit $rc): $out"
out=$(remote admin bypass "$id3") || fail "admin's bypass: $out"
[ "$out" = "bypassed $id3" ] || fail "bypass printed: $out"
req 200 -H "Authorization: Bearer $tbob" "$proj/_apis/pipelines/approvals/$id3"
[ "$(jget status <<<"$body")" = skipped ] || fail "bypassed status: $body"
start app regA 3 201
# an agent decides nothing, whatever its name
req 403 -X PATCH -H "Authorization: Bearer $cred" --data '[]' "$proj/_apis/pipelines/approvals"

# ---- SIGKILL while approvals and job starts are in flight -------------------------
# check ROUND: the invariants after a restart: every acknowledged decision
# ($ack) recorded and audited exactly once; no run with decisions without
# their audit records or the reverse.  Prints regK's pending approvals.
check() {
  req 200 -H "Authorization: Bearer $tbob" "$proj/_apis/pipelines/approvals?\$expand=steps"
  printf '%s' "$body" > "$work/approvals.json"
  svcconn audit --json > "$work/audit.json"
  python3 - "$work/approvals.json" "$work/audit.json" "$ack" <<'EOF' || fail "round $1: an invariant does not hold"
import json, sys
apps = {a["id"]: a for a in json.load(open(sys.argv[1]))["value"]}
audit = [e for e in json.load(open(sys.argv[2])) if e["action"] == "approval"]
acked = [l.strip() for l in open(sys.argv[3]) if l.strip()]
count = {}
for e in audit:
    count[e["detail"]["check_run"]] = count.get(e["detail"]["check_run"], 0) + 1
ok = True
for a in acked:
    decided = [s for s in apps[a]["steps"] if s["actualApprover"]]
    if count.get(a) != 1 or len(decided) != 1:
        print("acknowledged %s: %s audit records, %d decisions" % (a, count.get(a), len(decided)), file=sys.stderr)
        ok = False
for i, a in apps.items():
    decided = sum(1 for s in a["steps"] if s["actualApprover"])
    if decided != count.get(i, 0):
        print("run %s: %d decisions, %d audit records" % (i, decided, count.get(i, 0)), file=sys.stderr)
        ok = False
    # every check here needs one decision: a decided run is no longer
    # pending (the decision and the status are one transaction)
    if decided and a["checkRunStatus"] == "pending":
        print("run %s: decided, its status still pending (stale)" % i, file=sys.stderr)
        ok = False
print(" ".join(i for i, a in apps.items()
               if a["connection"]["name"] == "regK" and a["checkRunStatus"] == "pending"))
sys.exit(0 if ok else 1)
EOF
}
ack="$work/acked"; : > "$ack"
run=100
pend=
for round in $(seq 1 20); do
  d=$work/round$round; mkdir -p "$d"
  cpids=()
  k=0
  for a in $pend; do
    k=$((k + 1))
    curl -sS --cacert "$work/cert.pem" -o "$d/dec$k.body" -w '%{http_code}' -X PATCH \
      -H "Authorization: Bearer $tbob" --data "[{\"approvalId\":\"$a\",\"status\":\"approved\"}]" \
      "$proj/_apis/pipelines/approvals" > "$d/dec$k.code" 2>/dev/null &
    cpids+=($!); echo "$a" > "$d/dec$k.id"
  done
  for i in 1 2 3 4; do
    run=$((run + 1))
    if ((i % 2)); then jobreq gated regK "$run"; else jobreq locked regL "$run"; fi > "$d/job$i.json"
    curl -sS --cacert "$work/cert.pem" -o "$d/job$i.body" -w '%{http_code}' \
      -H "Authorization: Bearer $cred" --data-binary @"$d/job$i.json" \
      "$proj/_apis/svcconn/jobs" > "$d/job$i.code" 2>/dev/null &
    cpids+=($!)
  done
  # kill at a point that varies from round to round (no timing assertion)
  sleep "0.0$(( (round * 37) % 10 ))"
  kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
  for p in "${cpids[@]}"; do wait "$p" 2>/dev/null || true; done
  for f in "$d"/dec*.code; do
    [ -e "$f" ] || continue
    [ "$(cat "$f")" = 200 ] && cat "${f%.code}.id" >> "$ack"
  done
  start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
  pend=$(check "$round")
done
[ -s "$ack" ] || fail "no decision was acknowledged in 20 rounds"

# ---- after a restart past the lease: the lock is free, approvals count ------------
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
later=$(( $(date +%s) + 7200 ))
SVCCONN_NOW=$later start_server --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
start locked regL 9999 201
# every acknowledged approval lets its run start (the gate sees the decision)
for r in $(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["value"]; ids=set(open(sys.argv[2]).read().split()); print(" ".join(x["runId"] for x in a if x["id"] in ids))' "$work/approvals.json" "$ack"); do
  start gated regK "$r" 201
done
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
# the store's integrity: every connection's MAC and the versions list, and SQLite's
svcconn list >/dev/null || fail "the store fails its integrity check"
python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0]; sys.exit(0 if r == "ok" else print(r) or 1)' \
  "$SVCCONN_HOME/store.db" || fail "SQLite's integrity check failed"
echo "server_approvals: $(wc -l < "$ack") acknowledged decisions across 20 SIGKILLs; ok"
