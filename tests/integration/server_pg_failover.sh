#!/usr/bin/env bash
# svcconn-server across a failover to a streaming replica (docs/scale.md).
# A PostgreSQL primary and a streaming standby of this test's own
# (support/pg.sh standby), with synchronous replication
# (synchronous_standby_names on the primary, as docs/scale.md recommends),
# and one server on the two-host location
# postgresql://P,S/postgres?target_session_attrs=read-write, which the
# store's init took as well.  Before the failover, through the server:
# connections created, a job started and completed, a job waiting on an
# approval that is then approved through the API and started, a third job
# left running.  A second server on the standby alone (read-only, no
# target_session_attrs): a write is a 503 naming the read-only database in
# its log, never a 500, it stays alive and nothing of the refused write
# is anywhere.  Then the primary is stopped hard (pg_ctl -m immediate)
# and, after requests found it gone, the standby promoted: meanwhile every
# request that needs the store is a 503 (never a 500, the server alive),
# and the running job's end (sent while the database is away) is tried
# again; once the server reconnects to the promoted standby (polled, no
# timing asserted; the time from promote to the first 200 is printed as
# "measured:"), the connections' list, show, the audit log, the usage
# history and the approvals read exactly as acknowledged before, the job
# end is recorded once, new writes and a job work, and the store passes
# its integrity checks with every secret readable.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_pg_failover
command -v psql >/dev/null || fail "needs psql (Debian's postgresql-client)"
pg() { bash "$SVC_SOURCE_DIR/tests/support/pg.sh" "$@"; }
unset SVCCONN_DATABASE
trap 'pg stop "$work/pgs" || true; pg stop "$work/pgp" || true; srv_cleanup' EXIT
pg start "$work/pgp"
pg standby "$work/pgp" "$work/pgs"
purl=$(cat "$work/pgp/url"); surl=$(cat "$work/pgs/url")
pport=$(cat "$work/pgp/port"); sport=$(cat "$work/pgs/port")
# synchronous: a commit is answered once the standby has it
psql -q "$purl" -c "ALTER SYSTEM SET synchronous_standby_names = 'standby'" \
  -c "SELECT pg_reload_conf()" >/dev/null
for i in $(seq 100); do
  [ "$(psql -At "$purl" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")" = sync ] && break
  [ "$i" = 100 ] && fail "the standby did not become synchronous: $(psql -At "$purl" -c 'TABLE pg_stat_replication')"
  sleep 0.1
done
url="postgresql://postgres@127.0.0.1:$pport,127.0.0.1:$sport/postgres?target_session_attrs=read-write"

# code METHOD PATH [CURLARGS]: the status, the body in $work/body, the
# headers in $work/hdr (000: no answer)
code() {
  local m=$1 p=$2; shift 2
  curl -sS --cacert "$work/cert.pem" -X "$m" -o "$work/body" -D "$work/hdr" \
    -w '%{http_code}' "$@" "$base$p" 2>/dev/null || echo 000
}

# ---- a store on the two-host location; a server, an agent, an approver -----------------
out=$(svcconn init --database "$url") || fail "init on the two-host location: $out"
grep -q "postgres@\|target_session" <<<"$out" && fail "init prints the location as given: $out"
printf 'failover-%s' "$(openssl rand -hex 8)" > "$work/sa"
SECRET=$(cat "$work/sa")
for c in regA regB; do
  svcconn create dockerregistry "$c" --scheme UsernamePassword --set registry=https://f.example.test \
    --set username=u --secret password=@"$work/sa" --grant-all-pipelines >/dev/null
done
rm -f "$work/sa"
svcconn checks regB add approval --approvers bob >/dev/null
svcconn pools create dev --trusted >/dev/null
tok=$(svcconn tokens create full --scopes full 2>/dev/null)
SVCCONN_USER=bob svcconn tokens create approver --scopes approvals 2>/dev/null > "$work/tok.bob"
srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --database "$url"
base="https://127.0.0.1:$port"; spid=$pid
A=(-H "Authorization: Bearer $tok")
B=(-H "Authorization: Bearer $(cat "$work/tok.bob")")
eps=/default/default/_apis/serviceendpoint/endpoints
apps=/default/default/_apis/pipelines/approvals
mkdir -p "$work/a1/jobs"; chmod 700 "$work/a1/jobs"
svcconn agents registration-token --pool dev 2>/dev/null |
  HOME=$work/a1 "$SVC_BIN_DIR/svcconn-agent" register --server "$base" --ca "$work/cert.pem" \
    --registration-token-file - --name builder1 >/dev/null || fail "the agent did not register"
as() { env -u SVCCONN_HOME HOME="$work/a1" SVCCONN_JOBS_DIR="$work/a1/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"; }
for c in regA regB; do
  printf 'jobs:\n  - job: Build\n    steps:\n      - task: Docker@2\n        inputs:\n          command: login\n          containerRegistry: %s\n' "$c" > "$work/$c.yml"
done
job_start() { # CONN RUN JOBDIR: svcconn-agent job-start's exit status
  local rc=0
  as job-start --server "$base" --pipeline app --pipeline-file "$work/$1.yml" \
    --job Build --run-id "$2" --requested-by alice --job-dir "$3" > "$3.out" 2> "$3.err" || rc=$?
  return "$rc"
}
endpoint() { # NAME: a create's body
  printf '{"name":"%s","type":"generic","url":"https://%s.example.test","authorization":{"scheme":"UsernamePassword","parameters":{"username":"u","password":"p-%s"}}}' "$1" "$1" "$1"
}
create() { # NAME STATUS
  local c
  c=$(code POST "$eps" "${A[@]}" -H 'Content-Type: application/json' --data "$(endpoint "$1")")
  [ "$c" = "$2" ] || fail "creating $1 answered $c, not $2: $(cat "$work/body")"
}
no500() {
  kill -0 "$spid" 2>/dev/null || fail "the server died"
  if grep -q '" 500$' "$work/log"; then fail "the server answered 500: $(grep '" 500$' "$work/log")"; fi
}

# ---- before: writes acknowledged by the primary ----------------------------------------
[ "$(code GET /_apis/svcconn/health)" = 200 ] || fail "health: $(cat "$work/body")"
create web1 200
create web2 200
job_start regA 1 "$work/a1/jobs/j1" || fail "job 1 did not start: $(cat "$work/a1/jobs/j1.err")"
as job-end --job-dir "$work/a1/jobs/j1" --result Succeeded >/dev/null 2>&1 || fail "job 1's end"
# job 2 waits for bob's approval (exit 4), approved through the API, then starts
rc=0; job_start regB 2 "$work/a1/jobs/j2" || rc=$?
[ "$rc" = 4 ] || fail "job 2 (approval) exited $rc, not 4 (waiting): $(cat "$work/a1/jobs/j2.err")"
[ "$(code GET "$apps?state=pending" "${B[@]}")" = 200 ] || fail "approvals: $(cat "$work/body")"
aid=$(jget value.0.id < "$work/body")
[ "$aid" != null ] || fail "no pending approval: $(cat "$work/body")"
c=$(code PATCH "$apps" "${B[@]}" -H 'Content-Type: application/json' \
  --data "[{\"approvalId\":\"$aid\",\"status\":\"approved\"}]")
[ "$c" = 200 ] || fail "approving answered $c: $(cat "$work/body")"
job_start regB 2 "$work/a1/jobs/j2" || fail "job 2 did not start once approved: $(cat "$work/a1/jobs/j2.err")"
as job-end --job-dir "$work/a1/jobs/j2" --result Succeeded >/dev/null 2>&1 || fail "job 2's end"
# job 3 runs across the failover
job_start regA 3 "$work/a1/jobs/j3" || fail "job 3 did not start: $(cat "$work/a1/jobs/j3.err")"
echo "ok: on the primary: 2 creates, 2 jobs ended (one after an approval through the API), 1 running"

# ---- a server on the standby alone: read-only ---------------------------------------------
SRV_LOG=$work/ro.log start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" --database "$surl"
ropid=$pid; pbase=$base; base="https://127.0.0.1:$port"
# reads are served; a write is refused by PostgreSQL (25006) and answered
# 503, its transaction rolled back; after the driver's hold-off it
# connects again (to the standby again: nothing else is named) and the
# next write is refused the same way
[ "$(code GET /_apis/svcconn/health)" = 200 ] || fail "the read-only server's health: $(cat "$work/body")"
[ "$(code GET "$eps" "${A[@]}")" = 200 ] || fail "a list on the standby: $(cat "$work/body")"
[ "$(jget count < "$work/body")" = 4 ] || fail "the standby does not have the four connections: $(cat "$work/body")"
create ro1 503
grep -qi '^retry-after: [1-9]' "$work/hdr" || fail "the read-only 503 has no Retry-After"
sleep 1.2
create ro2 503
[ "$(grep -c "database 'postgresql://127.0.0.1:$sport/postgres' is read-only (a standby, not the primary): cannot execute INSERT in a read-only transaction" "$work/ro.log")" = 2 ] ||
  fail "the read-only server's log does not name the read-only database twice: $(cat "$work/ro.log")"
[ "$(code GET "$eps" "${A[@]}")" = 200 ] || fail "a list on the standby after the refused writes: $(cat "$work/body")"
kill -0 "$ropid" 2>/dev/null || fail "the read-only server died"
if grep -q '" 500$' "$work/ro.log"; then fail "the read-only server answered 500: $(cat "$work/ro.log")"; fi
kill "$ropid"; wait "$ropid" 2>/dev/null || true
base=$pbase
out=$(svcconn list --json) || fail "list: $out"
if grep -q '"ro[12]"' <<<"$out"; then fail "a write refused on the standby is stored"; fi
echo "ok: a server on the standby alone: reads 200, each write 503 (read-only, named in its log), nothing stored"

# ---- what was acknowledged --------------------------------------------------------------
# snapshot NAME: the store's views, as the CLI and the API give them
snapshot() {
  svcconn list --json > "$work/$1.list" || fail "$1: list"
  svcconn show regB --json > "$work/$1.show" || fail "$1: show"
  svcconn audit --json > "$work/$1.audit" || fail "$1: audit"
  for c in regA regB; do svcconn history "$c" --json > "$work/$1.history.$c" || fail "$1: history $c"; done
  [ "$(code GET "$apps?\$expand=steps" "${B[@]}")" = 200 ] || fail "$1: approvals: $(cat "$work/body")"
  cp "$work/body" "$work/$1.approvals"
}
snapshot before

# ---- the primary crashes; the standby is promoted ------------------------------------------
pg crash "$work/pgp"
for i in 1 2 3; do
  c=$(code GET "$eps" "${A[@]}")
  [ "$c" = 503 ] || fail "a list with the primary gone answered $c, not 503: $(cat "$work/body")"
  grep -qi '^retry-after: [1-9]' "$work/hdr" || fail "the 503 has no Retry-After"
done
create lost 503
[ "$(code GET /_apis/svcconn/health)" = 503 ] || fail "health with the primary gone: $(cat "$work/body")"
# job 3's end, sent now, is tried again until the database is back
as job-end --job-dir "$work/a1/jobs/j3" --result Succeeded > "$work/end3" 2> "$work/end3.err" &
endpid=$!
log_wait '"POST .*/jobs/.*/complete" 503' 1 "$endpid" "job 3's end" "$work/end3.err"
no500
# the log names the database by both hosts, not by the location as given
grep -q "database 'postgresql://127.0.0.1:$pport,127.0.0.1:$sport/postgres' cannot be reached" "$work/log" ||
  fail "the log does not name the two-host database: $(grep -m3 'cannot' "$work/log")"
if grep -q "target_session\|postgres@" "$work/log"; then fail "the log prints the location as given"; fi
echo "ok: the primary gone: 503 with Retry-After, health 503, the server alive, no 500"
t0=$(date +%s%N)
pg promote "$work/pgs"
tp=$(date +%s%N)
for i in $(seq 300); do
  c=$(code GET "$eps" "${A[@]}")
  [ "$c" = 200 ] && break
  [ "$c" = 503 ] || fail "a list during the failover answered $c, not 503: $(cat "$work/body")"
  [ "$i" = 300 ] && fail "the server did not reach the promoted standby: $(cat "$work/body")"
  sleep 0.1
done
t1=$(date +%s%N)
echo "measured: first 200 $(( (t1 - t0) / 1000000 )) ms after pg_ctl promote began, $(( (t1 - tp) / 1000000 )) ms after it returned ($i requests)"
no500
wait "$endpid" || fail "job 3's end failed after the failover: $(cat "$work/end3.err")"
grep -q "job ended: Succeeded" "$work/end3" || fail "job 3's end: $(cat "$work/end3")"

# ---- nothing acknowledged lost, nothing doubled ---------------------------------------------
snapshot after
for f in list show approvals; do
  cmp -s "$work/before.$f" "$work/after.$f" ||
    fail "the $f differs after the failover: $(diff "$work/before.$f" "$work/after.$f" | head -20)"
done
# the audit log: the records before, then job 3's end (acknowledged after)
python3 - "$work/before.audit" "$work/after.audit" <<'PY' || fail "the audit log after the failover"
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
new = [e for e in a if e not in b]
assert [e for e in a if e in b] == b, "records before the failover changed or went missing"
assert [(e["action"], e["detail"].get("runId")) for e in new] == [("job-complete", "3")], new
PY
cmp -s "$work/before.history.regB" "$work/after.history.regB" || fail "regB's history differs after the failover"
# regA's: job 1 and job 3 (granted before; its end, acknowledged after)
python3 - "$work/before.history.regA" "$work/after.history.regA" <<'PY' || fail "regA's history"
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
assert len(b) == 2 and len(a) == 2, (b, a)
for x, y in zip(b, a):
    k = {k: v for k, v in x.items() if k not in ("result", "finishedAt", "finished")}
    assert k == {k: v for k, v in y.items() if k not in ("result", "finishedAt", "finished")}, (x, y)
assert sorted(e.get("result") for e in a) == ["Succeeded", "Succeeded"], a
PY
grep -q '"lost"' "$work/after.list" && fail "a create refused with 503 was stored"
echo "ok: after the failover: list, show, audit, approvals as acknowledged; job 3's end recorded once"

# ---- the promoted standby takes new writes ---------------------------------------------------
create after 200
job_start regA 4 "$work/a1/jobs/j4" || fail "job 4 did not start after the failover: $(cat "$work/a1/jobs/j4.err")"
as job-end --job-dir "$work/a1/jobs/j4" --result Succeeded >/dev/null 2>&1 || fail "job 4's end"
out=$(svcconn list --json) || fail "the store's list does not pass its checks: $out"
for n in regA regB web1 web2 after; do grep -q "\"$n\"" <<<"$out" || fail "connection $n is missing"; done
svcconn export --include-secrets -o "$work/all.yml" >/dev/null 2>&1 || fail "the secrets do not read back (integrity)"
[ "$(grep -c "$SECRET" "$work/all.yml")" = 2 ] || fail "regA's and regB's secret did not read back"
rm -f "$work/all.yml"
no500
echo "ok: on the promoted standby: new writes and a job work, the store passes its checks"
