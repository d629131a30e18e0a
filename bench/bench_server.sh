#!/usr/bin/env bash
# bench_server.sh - what svcconn-server costs a job start, and a fleet of
# agents against one server (issue 12).  Measured in the same run:
#  (a) the median of N job starts (each followed by its complete) of one
#      pipeline through the server (HTTPS on loopback, libcurl, one
#      kept-alive connection; POST .../_apis/svcconn/jobs, then
#      .../jobs/{id}/complete) against the same N in process
#      (svc_ops_job_start/complete on a copy of the same store: compile,
#      gate, usage history, job token; what the server calls, without
#      HTTP, TLS and authentication, and without any sandbox, which runs
#      on the agent after a start either way).  Prints the ratio; the
#      goal is <= 2x (exit 1 past it).
#  (b) AGENTS agents (threads, each registered with its own one-time
#      registration token, each on its own kept-alive connection) x JOBS
#      job starts and completes each, all at once against one server:
#      errors (must be 0: exit 1 otherwise), p50 and p99 of a job start,
#      job starts per second.
# Usage: SVC_BIN_DIR=<dir with svcconn, svcconn-server> BENCH=<bench_server>
#        bash bench/bench_server.sh   (BENCH_N=200, BENCH_AGENTS=20, BENCH_JOBS=50)
set -euo pipefail
: "${SVC_BIN_DIR:?set SVC_BIN_DIR to the directory of the built executables}"
BENCH=${BENCH:-$SVC_BIN_DIR/../bench/bench_server}
N=${BENCH_N:-200}; AGENTS=${BENCH_AGENTS:-20}; JOBS=${BENCH_JOBS:-50}
TARGET=2
tmp=$(mktemp -d); spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"' EXIT
export SVCCONN_HOME="$tmp/home" SVCCONN_USER=bench
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
svcconn init >/dev/null
printf 'bench-secret-value-1234' > "$tmp/pw"
svcconn create dockerregistry reg --scheme UsernamePassword --set registry=https://r.example.test \
  --set username=u --secret password=@"$tmp/pw" --grant-all-pipelines >/dev/null
svcconn pools create dev --trusted >/dev/null
mkdir "$tmp/reg"
for i in $(seq 0 $((AGENTS - 1))) local remote; do
  svcconn agents registration-token --pool dev 2>/dev/null > "$tmp/reg/reg.$i"
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" \
  -out "$tmp/cert.pem" -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
# (a) in process on a copy of the store (its own usage history and jobs)
cp -a "$SVCCONN_HOME" "$tmp/local"
local_ms=$("$BENCH" local "$tmp/local" "$tmp/reg/reg.local" "$N" | sed -n 's/^local //p')
"$SVC_BIN_DIR/svcconn-server" --listen 127.0.0.1:0 --tls-cert "$tmp/cert.pem" \
  --tls-key "$tmp/key.pem" --max-per-ip 64 2>"$tmp/log" &
spid=$!
for i in $(seq 200); do grep -q "listening on" "$tmp/log" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/log" | head -n1)
[ -n "$port" ] || { cat "$tmp/log"; exit 2; }
url="https://127.0.0.1:$port"
remote_ms=$("$BENCH" remote "$url" "$tmp/cert.pem" "$tmp/reg/reg.remote" "$N" | sed -n 's/^remote //p')
ratio=$(awk -v a="$remote_ms" -v b="$local_ms" 'BEGIN { printf "%.2f", a / b }')
echo "job start + complete, median of $N: local ${local_ms} ms, through the server ${remote_ms} ms: ${ratio}x (goal <= ${TARGET}x)"
# (b) the fleet
rc=0
"$BENCH" fleet "$url" "$tmp/cert.pem" "$tmp/reg" "$AGENTS" "$JOBS" || rc=1
awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r <= t) }' || rc=1
exit "$rc"
