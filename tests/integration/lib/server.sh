# svcconn-server on loopback for the tests: a work directory removed on
# exit (with every server started here stopped), a certificate for
# 127.0.0.1 made by openssl, and a server started in the background.
# Source this file after `set -euo pipefail`, then:
#   srv_setup NAME        make $work (/tmp/NAME.XXXXXX), trap its cleanup
#                         (KEEP=1 keeps it), define fail (prefixed NAME:,
#                         the server log's tail), svcconn, jget; set
#                         SVCCONN_HOME=$work/home SVCCONN_USER=admin
#   srv_cert              $work/cert.pem and $work/key.pem (P-256, for
#                         localhost and 127.0.0.1, valid a day)
#   start_server ARGS...  svcconn-server ARGS in the background, its
#                         standard error in $work/log (the previous run's
#                         appended to $work/alllog); returns once it
#                         listens: sets $pid, and $port when it printed one.
#                         SRV_LOG=FILE start_server ... logs to FILE (the
#                         previous run's appended to FILE.all) instead:
#                         for several servers at once
#   free_port             a free loopback port, for an address that must
#                         be known before the server starts
#   req STATUS CURLARGS.. curl (trusting $work/cert.pem) answering STATUS,
#                         else fail; the answer's body in $body
#   log_wait PATTERN N PID WHAT ERRFILE
#                         until $work/log has N lines matching PATTERN
#                         (polled, 30 s at most), while WHAT, process
#                         PID, runs: else fail, with ERRFILE's text
: "${SVC_BIN_DIR:?}"
srv_setup() {
  srv_name=$1
  command -v curl >/dev/null || { echo "$srv_name: needs curl"; exit 1; }
  command -v openssl >/dev/null || { echo "$srv_name: needs openssl"; exit 1; }
  work=$(mktemp -d "/tmp/$srv_name.XXXXXX")
  pids=()
  trap srv_cleanup EXIT
  export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
}
srv_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
fail() {
  echo "$srv_name: $*"
  [ -f "$work/log" ] && tail -n 20 "$work/log"
  exit 1
}
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
# jget PATH: the member PATH (a.b.0.c) of the JSON on stdin; "null" if none
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print("null" if v is None else v)' "$1"; }
srv_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start_server() {
  local log=${SRV_LOG:-$work/log} all=${SRV_LOG:+$SRV_LOG.all}
  [ -f "$log" ] && cat "$log" >> "${all:-$work/alllog}"
  : > "$log"
  "$SVC_BIN_DIR/svcconn-server" "$@" 2>"$log" &
  pid=$!; pids+=("$pid")
  local i
  for i in $(seq 200); do
    grep -q "listening on" "$log" && break
    kill -0 "$pid" 2>/dev/null || fail "the server did not start: $(cat "$log")"
    [ "$i" = 200 ] && fail "the server did not listen: $(cat "$log")"
    sleep 0.05
  done
  port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$log" | head -n1)
}

req() {
  local want=$1; shift
  local code
  code=$(curl -sS --cacert "$work/cert.pem" -o "$work/body" -w '%{http_code}' "$@") || fail "curl $*"
  body=$(cat "$work/body")
  [ "$code" = "$want" ] || fail "$* answered $code, not $want: $body"
}

log_wait() {
  local i
  for i in $(seq 300); do
    [ "$(grep -c "$1" "$work/log")" -ge "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || fail "$4 ended before the log showed $2 of '$1': $(cat "$5")"
    sleep 0.1
  done
  fail "$4: the log did not show $2 of '$1' in 30 s: $(cat "$5")"
}
