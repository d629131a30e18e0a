#!/usr/bin/env bash
# svcconn-server survives its PostgreSQL (docs/scale.md).  A PostgreSQL of
# this test's own (support/pg.sh: the shared fixture's must not stop under
# the other tests), a server on it (TLS, --database), an agent of a
# trusted pool.  While PostgreSQL runs, requests succeed and a job starts.
# With PostgreSQL stopped: every request that needs the store is a 503 in
# the API's error shape with Retry-After (an endpoint list, a create, a
# token's authentication, the console's sign-in and pages), the health
# route is 503 {"database":"unavailable"} naming nothing of the database,
# routes that need no store still answer, the server is alive and has
# answered no 500.  The agent: a job started while the database is down
# fails cleanly (exit 1, "503", no job directory, nothing recorded: the
# documented behaviour for a request that is not idempotent), while the
# end of the job started before (idempotent) waits, tried again after
# Retry-After, and is recorded once PostgreSQL is back.  With PostgreSQL
# started again the same requests succeed without restarting the server;
# a restart of PostgreSQL between two requests (a dead connection the
# server does not know of yet) costs the next request nothing.  A stuck
# writer elsewhere (a session holding the store's advisory write lock)
# makes a write a 503 "busy" after lock_timeout -- the role's own 2 s,
# which the server keeps instead of its default -- not a hang, while the
# health route's read still answers 200.  Afterwards
# every connection reads back with its secret (each row's MAC and the
# list's checked), and the audit and usage history hold exactly one record
# per acknowledged change: none for the refused ones, none twice.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_pg_restart
command -v psql >/dev/null || fail "needs psql (Debian's postgresql-client)"
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
pg() { bash "$SVC_SOURCE_DIR/tests/support/pg.sh" "$1" "$work/pg"; }
unset SVCCONN_DATABASE
pg start
trap 'pg stop || true; srv_cleanup' EXIT
url=$(cat "$work/pg/url")
# code METHOD PATH [CURLARGS]: the status, the body in $work/body and the
# headers in $work/hdr
code() {
  local m=$1 p=$2; shift 2
  curl -sS --cacert "$work/cert.pem" -X "$m" -o "$work/body" -D "$work/hdr" \
    -w '%{http_code}' "$@" "$base$p" || echo 000
}
# unavailable METHOD PATH [CURLARGS]: a 503 with Retry-After, JSON in the API's shape
unavailable() {
  local c
  c=$(code "$@")
  [ "$c" = 503 ] || fail "$1 $2 answered $c, not 503, while the database is down: $(cat "$work/body")"
  grep -qi '^retry-after: [1-9]' "$work/hdr" || fail "$1 $2: no Retry-After: $(cat "$work/hdr")"
}
json_unavailable() {
  unavailable "$@"
  [ "$(jget typeKey < "$work/body")" = ServiceUnavailableException ] ||
    fail "$1 $2: not the API's error shape: $(cat "$work/body")"
  grep -q "127.0.0.1\|postgres" "$work/body" && fail "$1 $2 names the database: $(cat "$work/body")"
  return 0
}
audits() { svcconn audit --json | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"] == sys.argv[1]))' "$1"; }

# ---- a store on this PostgreSQL, a server, an agent --------------------------------
svcconn init --database "$url" >/dev/null
# the role's own lock_timeout, kept by the server (its default is 15 s)
psql -q "$url" -c "ALTER ROLE postgres SET lock_timeout = '2s'" >/dev/null
SECRET=pgrestart-$(openssl rand -hex 8)
printf '%s' "$SECRET" > "$work/sa"
svcconn create dockerregistry regA --scheme UsernamePassword --set registry=https://a.example.test \
  --set username=ua --secret password=@"$work/sa" --grant-all-pipelines >/dev/null
rm -f "$work/sa"
svcconn pools create dev --trusted >/dev/null
tok=$(svcconn tokens create full --scopes full 2>/dev/null)
printf '%s' "$tok" > "$work/tok"
srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --database "$url"
base="https://127.0.0.1:$port"
A=(-H "Authorization: Bearer $tok")
eps=/default/default/_apis/serviceendpoint/endpoints
mkdir -p "$work/a1/jobs"; chmod 700 "$work/a1/jobs"
svcconn agents registration-token --pool dev 2>/dev/null |
  HOME=$work/a1 agent register --server "$base" --ca "$work/cert.pem" \
    --registration-token-file - --name builder1 >/dev/null || fail "the agent did not register"
as() { env -u SVCCONN_HOME HOME="$work/a1" SVCCONN_JOBS_DIR="$work/a1/jobs" "$SVC_BIN_DIR/svcconn-agent" "$@"; }
printf 'jobs:\n  - job: Build\n    steps:\n      - task: Docker@2\n        inputs:\n          command: login\n          containerRegistry: regA\n' > "$work/app.yml"
job_start() { # RUN JOBDIR
  as job-start --server "$base" --pipeline app --pipeline-file "$work/app.yml" \
    --job Build --run-id "$1" --job-dir "$2"
}
# endpoint NAME: a create's body
endpoint() {
  printf '{"name":"%s","type":"generic","url":"https://%s.example.test","authorization":{"scheme":"UsernamePassword","parameters":{"username":"u","password":"p-%s"}}}' "$1" "$1" "$1"
}
created=0
create() { # NAME STATUS
  local c
  c=$(code POST "$eps" "${A[@]}" -H 'Content-Type: application/json' --data "$(endpoint "$1")")
  [ "$c" = "$2" ] || fail "creating $1 answered $c, not $2: $(cat "$work/body")"
  if [ "$c" = 200 ]; then created=$((created + 1)); fi
}

# ---- the database up: everything works -------------------------------------------------
[ "$(code GET /_apis/svcconn/health)" = 200 ] || fail "health: $(cat "$work/body")"
[ "$(jget database < "$work/body")" = ok ] || fail "health body: $(cat "$work/body")"
[ "$(code GET "$eps" "${A[@]}")" = 200 ] || fail "list: $(cat "$work/body")"
create before 200
signin() { # [JAR]: the console's sign-in (the token from its file): its status
  curl -sS --cacert "$work/cert.pem" -c "${1:-$work/jar}" -o "$work/body" -D "$work/hdr" -w '%{http_code}' \
    --data-urlencode "token@$work/tok" --data project=default "$base/console/signin"
}
page() { # PATH: the console page's status, its body in $work/body
  curl -sS --cacert "$work/cert.pem" -b "$work/jar" -o "$work/body" -D "$work/hdr" -w '%{http_code}' \
    "$base/console/default/default/$1"
}
[ "$(signin)" = 303 ] || fail "the console's sign-in"
[ "$(page connections)" = 200 ] || fail "the console's list"
job_start 1 "$work/a1/jobs/j1" > "$work/start1" 2> "$work/start1.err" ||
  fail "the job did not start: $(cat "$work/start1.err")"
echo "ok: with PostgreSQL up the server answers, a job starts"

# ---- the database down: 503 with Retry-After, alive --------------------------------------
pg down
json_unavailable GET "$eps" "${A[@]}"
json_unavailable GET /_apis/connectionData "${A[@]}"
create during 503
[ "$(jget typeKey < "$work/body")" = ServiceUnavailableException ] || fail "create: $(cat "$work/body")"
unavailable GET /_apis/svcconn/health
[ "$(cat "$work/body")" = '{"database":"unavailable"}' ] || fail "health says more: $(cat "$work/body")"
# what needs no store still answers
[ "$(code GET /_apis/openapi.json)" = 200 ] || fail "the OpenAPI document while the database is down"
# the console: 503 pages, at sign-in and in a session
c=$(signin "$work/jar2")
[ "$c" = 503 ] || fail "the console's sign-in answered $c while the database is down"
grep -qi '^retry-after:' "$work/hdr" || fail "the console's 503 has no Retry-After"
grep -q "cannot be reached" "$work/body" || fail "the console's page does not say why: $(cat "$work/body")"
c=$(page connections)
[ "$c" = 503 ] || fail "the console's list answered $c while the database is down"
grep -qi '^retry-after:' "$work/hdr" || fail "the console's page has no Retry-After"
grep -q "<h1>Unavailable</h1>" "$work/body" || fail "the console's page: $(cat "$work/body")"
grep -q "127.0.0.1:\|postgres" "$work/body" && fail "the console's page names the database"
# a job started now fails cleanly: not tried again (a start is not
# idempotent), no job directory, exit 1 saying why
rc=0; job_start 2 "$work/a1/jobs/j2" > "$work/start2" 2> "$work/start2.err" || rc=$?
[ "$rc" = 1 ] || fail "a job start while the database is down exited $rc: $(cat "$work/start2.err")"
grep -q "503: server .* cannot reach its database now; nothing was retried" "$work/start2.err" ||
  fail "the agent does not say why: $(cat "$work/start2.err")"
[ -z "$(ls -A "$work/a1/jobs/j2" 2>/dev/null)" ] || fail "a refused start left a job directory: $(ls -A "$work/a1/jobs/j2")"
# the end of job 1 (idempotent) waits for the database: tried again after Retry-After
as job-end --job-dir "$work/a1/jobs/j1" --result Succeeded > "$work/end1" 2> "$work/end1.err" &
endpid=$!
log_wait '"POST .*/jobs/.*/complete" 503' 2 "$endpid" "job-end (tried again after a 503)" "$work/end1.err"
kill -0 "$pid" 2>/dev/null || fail "the server died without its database"
grep -q '" 500$' "$work/log" && fail "the server answered 500: $(grep '" 500$' "$work/log")"
grep -q "cannot be reached" "$work/log" || fail "the log does not say what failed"
echo "ok: with PostgreSQL down every store request is 503 with Retry-After, health 503, the server alive"
echo "ok: a job start is refused cleanly (exit 1, 503 named); a job's end is tried again"

# ---- the database back: served again, without a restart ----------------------------
t0=$(date +%s%N)
pg up
for i in $(seq 100); do
  [ "$(code GET /_apis/svcconn/health)" = 200 ] && break
  [ "$i" = 100 ] && fail "health stayed $(cat "$work/body") after PostgreSQL came back"
  sleep 0.1
done
t1=$(date +%s%N)
echo "measured: health 200 again $(( (t1 - t0) / 1000000 )) ms after pg_ctl start began"
wait "$endpid" || fail "job-end failed once the database was back: $(cat "$work/end1.err")"
grep -q "job ended: Succeeded" "$work/end1" || fail "job-end: $(cat "$work/end1")"
[ "$(code GET "$eps" "${A[@]}")" = 200 ] || fail "list after the restart: $(cat "$work/body")"
create after 200
job_start 3 "$work/a1/jobs/j3" > "$work/start3" 2> "$work/start3.err" ||
  fail "a job did not start after the database came back: $(cat "$work/start3.err")"
as job-end --job-dir "$work/a1/jobs/j3" --result Succeeded >/dev/null 2>&1 || fail "job 3's end"
echo "ok: PostgreSQL back: the same requests succeed without restarting the server"

# a restart the server does not see (its connection dead, unknown to it):
# the next request reconnects inside it
pg down
pg up
t0=$(date +%s%N)
[ "$(code GET "$eps" "${A[@]}")" = 200 ] || fail "the first request after an unseen restart: $(cat "$work/body")"
t1=$(date +%s%N)
create unseen 200
echo "measured: first request after an unseen PostgreSQL restart: 200 in $(( (t1 - t0) / 1000000 )) ms (reconnect included)"
kill -0 "$pid" 2>/dev/null || fail "the server is gone"
grep -q '" 500$' "$work/log" && fail "the server answered 500: $(grep '" 500$' "$work/log")"

# ---- a stuck writer on another server: 503 "busy", not a hang -------------------------
psql -q "$url" -c "SELECT pg_advisory_xact_lock($((0x73766363))); SELECT pg_sleep(120)" >/dev/null 2>&1 &
holder=$!; pids+=("$holder")
for i in $(seq 100); do
  [ "$(psql -At "$url" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
  [ "$i" = 100 ] && fail "the stuck writer did not take the write lock"
  sleep 0.1
done
create stuck 503
grep -qi '^retry-after: [1-9]' "$work/hdr" || fail "the busy 503 has no Retry-After"
grep -q "is busy (canceling statement due to lock timeout)" "$work/log" || fail "the log does not say the database was busy"
[ "$(code GET /_apis/svcconn/health)" = 200 ] || fail "health (a read) while a writer is stuck: $(cat "$work/body")"
psql -q "$url" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
create unstuck 200
echo "ok: a writer stuck elsewhere makes a write 503 (busy, Retry-After) after the lock time-out, not a hang; reads go on"

# ---- nothing lost, nothing doubled --------------------------------------------------
out=$(svcconn list --json) || fail "the store's list does not pass its checks: $out"
for n in regA before after unseen unstuck; do
  grep -q "\"$n\"" <<<"$out" || fail "connection $n is missing: $out"
done
grep -q '"during"\|"stuck"' <<<"$out" && fail "a create refused with 503 was stored"
svcconn export --include-secrets -o "$work/all.yml" >/dev/null 2>&1 || fail "the secrets do not read back (integrity)"
grep -q "$SECRET" "$work/all.yml" || fail "regA's secret did not read back"
rm -f "$work/all.yml"
[ "$(audits create)" = $((created + 1)) ] || fail "audit: $(audits create) creates for $((created + 1)) acknowledged"
hist=$(svcconn history regA --json)
n=$(python3 -c 'import json,sys; h=json.load(sys.stdin); print(len(h), sum(1 for e in h if e.get("result") == "Succeeded"))' <<<"$hist")
[ "$n" = "2 2" ] || fail "usage history of regA: want 2 records, both Succeeded (jobs 1 and 3), got $n: $hist"
echo "ok: afterwards the store passes its checks; audit and history hold one record per acknowledged change"
