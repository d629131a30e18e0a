# authfix.sh - start the loopback fixture servers of authfix.py for a test.
# Sourced; needs $work (the test's directory) and $work/creds (KEY=VALUE
# lines), and a fail function.  authfix_start makes the Kubernetes
# fixture's certificate ($work/kube.crt, $work/kube.key), starts the
# servers (log: $work/fixture.log) and sets fix_pid, port and tlsport; the
# test's cleanup kills $fix_pid.
authfix_start() {
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  openssl req -x509 -newkey rsa:2048 -nodes -days 60 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/kube.key" -out "$work/kube.crt" 2>/dev/null
  mkfifo "$work/ports"
  "$py" "$(dirname -- "${BASH_SOURCE[0]}")/authfix.py" "$work/creds" "$work/kube.crt" \
    "$work/kube.key" > "$work/ports" 2> "$work/fixture.log" &
  fix_pid=$!
  read -r port tlsport < "$work/ports" || fail "the fixture servers did not start"
}
