#!/usr/bin/env bash
# A verification's outbound call does not hold svcconn-server's store.
# A "registry" on loopback accepts connections and never answers (a
# service that hangs); POST .../endpoints/{id}/verify of a connection to
# it waits on that call, and meanwhile other requests -- a list, a create,
# the health route -- are answered (each asserted to finish while the
# verification is still running: its curl alive, the hanging service
# holding its connection).  Once the service closes the connection the
# verification answers 200 with a failed outcome and is audited once.
# SQLite store: what is shown is the server's lock, not the database's.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_verify_unlocked
audits() { svcconn audit --json | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"] == sys.argv[1]))' "$1"; }

# the hanging service: accepts, reads, never answers; quits (closing every
# connection) when $work/release appears
python3 -c '
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16); s.settimeout(0.1)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while not os.path.exists(sys.argv[2]):
    try:
        c, _ = s.accept(); conns.append(c)
        open(sys.argv[3], "a").write("connected\n")
    except socket.timeout:
        pass
' "$work/hangport" "$work/release" "$work/hits" &
pids+=("$!")
for i in $(seq 100); do [ -s "$work/hangport" ] && break; [ "$i" = 100 ] && fail "the hanging service did not start"; sleep 0.1; done
hport=$(cat "$work/hangport")

svcconn init >/dev/null
printf 'pw' > "$work/pw"
svcconn create dockerregistry hang --scheme UsernamePassword --set registry="http://127.0.0.1:$hport" \
  --set registrytype=Others --set username=u --secret password=@"$work/pw" >/dev/null
id=$(svcconn show hang --json | jget id)
tok=$(svcconn tokens create full --scopes full 2>/dev/null)
srv_cert
start_server --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
base="https://127.0.0.1:$port"
eps="$base/default/default/_apis/serviceendpoint/endpoints"
A=(-H "Authorization: Bearer $tok")

v0=$(audits verify)
curl -sS --cacert "$work/cert.pem" "${A[@]}" -X POST -o "$work/verify" -w '%{http_code}' \
  "$eps/$id/verify" > "$work/verify.code" &
vpid=$!
for i in $(seq 300); do
  [ -s "$work/hits" ] && break
  kill -0 "$vpid" 2>/dev/null || fail "the verification ended before it reached the service: $(cat "$work/verify")"
  [ "$i" = 300 ] && fail "the verification did not call the service"
  sleep 0.1
done
# the verification waits on the service: other requests are served
req 200 "${A[@]}" "$eps"
grep -q '"hang"' <<<"$body" || fail "list: $body"
req 200 "${A[@]}" -H 'Content-Type: application/json' --data \
  '{"name":"meanwhile","type":"generic","url":"https://m.example.test","authorization":{"scheme":"UsernamePassword","parameters":{"username":"u","password":"p"}}}' "$eps"
req 200 "$base/_apis/svcconn/health"
kill -0 "$vpid" 2>/dev/null || fail "the verification had ended: the requests above were not served beside it"
echo "ok: a list, a create and the health route were answered while a verification waited on its service"

# the service goes away: the verification answers, audited once
touch "$work/release"
wait "$vpid" || fail "curl of the verification failed"
[ "$(cat "$work/verify.code")" = 200 ] || fail "verify answered $(cat "$work/verify.code"): $(cat "$work/verify")"
out=$(jget outcome < "$work/verify")
[ "$out" != ok ] && [ "$out" != null ] || fail "a hanging service verified as '$out': $(cat "$work/verify")"
[ "$(audits verify)" = $((v0 + 1)) ] || fail "verify audited $(( $(audits verify) - v0 )) times"
svcconn list | grep -q meanwhile || fail "the create made meanwhile is not stored"
echo "ok: the verification then answered (outcome $out) and was audited once"
