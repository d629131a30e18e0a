#!/usr/bin/env bash
# bench_fleet.sh - job starts per second of a fleet of agents against one
# svcconn-server on SQLite, one on PostgreSQL, and two on the same
# PostgreSQL database with the agents split between them (issue 15).
# Each configuration gets a fresh store with one Docker registry
# connection and no check; AGENTS agents (threads of bench_server's
# `fleet` mode, each registered with its own one-time registration
# token, each on its own kept-alive HTTPS connection) make JOBS job
# starts each, each followed by its complete, all at once.  Prints the
# three rates and their ratios, measured in the same run; the goal is
# that two servers give at least 1.6x one on PostgreSQL (exit 1 below
# it, or on any error).  The PostgreSQL is a cluster of its own on
# loopback (tests/support/pg.sh, Debian's postgresql 15), which runs with
# fsync off (its data is thrown away): a commit then costs no disk flush.
# BENCH_PG_DURABLE=1 turns fsync and full_page_writes on, as a production
# database has them (synchronous_commit is on either way); the settings in
# force are printed with the results.
# BENCH_CONNS=N adds N more connections to each store (Generic, imported
# in one transaction), which no job names: a job start's cost must not
# grow with them.
# Usage: SVC_BIN_DIR=<dir with svcconn, svcconn-server> BENCH=<bench_server>
#        bash bench/bench_fleet.sh   (BENCH_AGENTS=8, BENCH_JOBS=50,
#        BENCH_PG_DURABLE=0, BENCH_CONNS=0)
set -euo pipefail
: "${SVC_BIN_DIR:?set SVC_BIN_DIR to the directory of the built executables}"
BENCH=${BENCH:-$SVC_BIN_DIR/../bench/bench_server}
AGENTS=${BENCH_AGENTS:-8}; JOBS=${BENCH_JOBS:-50}; CONNS=${BENCH_CONNS:-0}
TARGET=1.6
pg_sh="$(cd "$(dirname "$0")/.." && pwd)/tests/support/pg.sh"
tmp=$(mktemp -d); spids=()
cleanup() {
  local p
  for p in "${spids[@]}"; do kill "$p" 2>/dev/null || true; done
  bash "$pg_sh" stop "$tmp/pg" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
unset SVCCONN_DATABASE
export SVCCONN_USER=bench
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" \
  -out "$tmp/cert.pem" -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
printf 'bench-secret-value-1234' > "$tmp/pw"
# the other connections, as export files of at most 5000 (an import file
# is at most 1 MiB)
for ((k = 0; k * 5000 < CONNS; k++)); do
  { echo "apiVersion: svcconn/v1"; echo "connections:"
    for ((i = k * 5000 + 1; i <= CONNS && i <= (k + 1) * 5000; i++)); do
      printf '  - {name: "other-%s", type: generic, scheme: UsernamePassword, url: "https://h%s.example.test", auth: {username: u, password: "p-%s"}}\n' "$i" "$i" "$i"
    done; } > "$tmp/others.$k.yml"
done
bash "$pg_sh" start "$tmp/pg"
pgurl=$(cat "$tmp/pg/url")
if [ "${BENCH_PG_DURABLE:-0}" = 1 ]; then
  psql -q "$pgurl" -c "ALTER SYSTEM SET fsync = on" \
    -c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
fi
echo "PostgreSQL: $(psql -At "$pgurl" -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name)
  FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')")"

# store NAME [DATABASE]: a fresh store in $tmp/NAME (on DATABASE, a new
# database of the cluster, when given) with the connection, the pool and
# AGENTS registration tokens in $tmp/NAME.reg
store() {
  export SVCCONN_HOME="$tmp/$1"
  if [ -n "${2:-}" ]; then
    psql -q "$pgurl" -c "CREATE DATABASE $2" >/dev/null
    svcconn init --database "${pgurl%/*}/$2" >/dev/null
  else
    svcconn init >/dev/null
  fi
  svcconn create dockerregistry reg --scheme UsernamePassword --set registry=https://r.example.test \
    --set username=u --secret password=@"$tmp/pw" --grant-all-pipelines >/dev/null
  for f in "$tmp"/others.*.yml; do [ -e "$f" ] && svcconn import "$f" >/dev/null; done
  svcconn pools create dev --trusted >/dev/null
  mkdir "$tmp/$1.reg"
  for i in $(seq 0 $((AGENTS - 1))); do
    svcconn agents registration-token --pool dev 2>/dev/null > "$tmp/$1.reg/reg.$i"
  done
}
# serve NAME: a server on the store $tmp/NAME; its URL in $url
serve() {
  local log="$tmp/$1.log.${#spids[@]}" port i
  "$SVC_BIN_DIR/svcconn-server" --home "$tmp/$1" --listen 127.0.0.1:0 --tls-cert "$tmp/cert.pem" \
    --tls-key "$tmp/key.pem" --max-per-ip 64 2>"$log" &
  spids+=($!)
  for i in $(seq 200); do grep -q "listening on" "$log" && break; sleep 0.05; done
  port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$log" | head -n1)
  [ -n "$port" ] || { cat "$log"; exit 2; }
  url="https://127.0.0.1:$port"
}
# cpu PID...: the CPU seconds (user + system) PIDs have used so far
cpu() {
  local p t=0
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}
# pgprocs: the cluster's processes (its postmaster's children: the
# servers' sessions live as long as the servers)
pgprocs() { pgrep -P "$(head -n1 "$(cat "$tmp/pg/data")/data/postmaster.pid")" || true; }
# xacts DB: the transactions database DB has committed and rolled back
# (a backend that goes idle reports its counts up to 10 s later: the
# caller waits that long after the run)
xacts() {
  psql -At "$pgurl" -c "SELECT pg_stat_force_next_flush(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$1'" | tail -n1
}
# fleet NAME URLS [DB]: the fleet against URLS (comma-separated); its
# rate in $rate; with the servers' and PostgreSQL's CPU time a job start
# (and its complete), and DB's transactions a job start
rc=0
fleet() {
  local out c0 c1 p0 p1 x0=0 x1=0 per n=$((AGENTS * JOBS))
  c0=$(cpu "${spids[@]}"); p0=$(cpu $(pgprocs)); [ -z "${3:-}" ] || x0=$(xacts "$3")
  out=$("$BENCH" fleet "$2" "$tmp/cert.pem" "$tmp/$1.reg" "$AGENTS" "$JOBS") || rc=1
  c1=$(cpu "${spids[@]}"); p1=$(cpu $(pgprocs))
  if [ -n "${3:-}" ]; then sleep 11; x1=$(xacts "$3"); fi
  per='BEGIN { printf "%.1f ms", (b - a) * 1000 / n }'
  echo "$1: $out; CPU a job start: servers $(awk -v a="$c0" -v b="$c1" -v n=$n "$per"), PostgreSQL $(awk -v a="$p0" -v b="$p1" -v n=$n "$per"); $(( (x1 - x0) / n )) transactions"
  rate=$(sed -n 's/.*, \([0-9.]*\) job starts\/s$/\1/p' <<<"$out")
}
stop_servers() {
  local p
  for p in "${spids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  spids=()
}

echo "connections no job names: $CONNS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
store sqlite; serve sqlite; fleet sqlite "$url"; r_sqlite=$rate; stop_servers
store pg1 bench_pg1; serve pg1; fleet pg1 "$url" bench_pg1; r_pg1=$rate; stop_servers
store pg2 bench_pg2; serve pg2; u1=$url; serve pg2; fleet pg2 "$u1,$url" bench_pg2; r_pg2=$rate; stop_servers
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v s="$r_sqlite" -v p1="$r_pg1" -v p2="$r_pg2" -v t="$TARGET" 'BEGIN {
  printf "job starts/s: 1 server on SQLite %.1f, 1 on PostgreSQL %.1f, 2 on PostgreSQL %.1f\n", s, p1, p2
  printf "1 on PostgreSQL / 1 on SQLite: %.2fx; 2 on PostgreSQL / 1 on PostgreSQL: %.2fx (goal >= %.1fx)\n", p1 / s, p2 / p1, t
  exit !(p2 / p1 >= t) }' || rc=1
exit "$rc"
