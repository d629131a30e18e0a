#!/usr/bin/env bash
# The bodies of svcconn-server's answers that carry secrets are wiped
# once sent: after 20 granted job starts (each answer carrying the
# connection's password), the server's memory (read through
# /proc/PID/mem, as root) holds the password nowhere, while it is still
# serving.  Plain HTTP on loopback, so that no TLS library keeps copies
# of its own.  Skipped (exit 0, said) where /proc/PID/mem cannot be read.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup server_wipe
SECRET=wipe-secret-$(openssl rand -hex 12)

svcconn init >/dev/null
printf '%s' "$SECRET" > "$work/s"
svcconn create dockerregistry regW --scheme UsernamePassword --set registry=https://w.example.test \
  --set username=u --secret password=@"$work/s" --grant-all-pipelines >/dev/null
rm -f "$work/s"
svcconn pools create dev --trusted >/dev/null
reg=$(svcconn agents registration-token --pool dev 2>/dev/null)
start_server --listen 127.0.0.1:0 --insecure-http-on-loopback
base="http://127.0.0.1:$port"
body=$(curl -sS -H "Authorization: Bearer $reg" -H 'Content-Type: application/json' \
  --data '{"name":"builder"}' "$base/_apis/svcconn/agents")
cred=$(jget token <<<"$body")
[ -n "$cred" ] && [ "$cred" != null ] || fail "the agent did not register: $body"
yaml=$(printf 'resources:\n  containers:\n    - container: c\n      image: x.example.test/i:1\n      endpoint: regW\njobs:\n  - job: Build\n    container: c\n    steps:\n      - bash: echo hi\n' |
  python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')
got=0
for i in $(seq 1 20); do
  out=$(curl -sS -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' \
    --data "{\"pipeline\":\"app\",\"yaml\":$yaml,\"job\":\"Build\",\"runId\":\"$i\"}" \
    "$base/default/default/_apis/svcconn/jobs")
  grep -qF "$SECRET" <<<"$out" && got=$((got + 1))
done
[ "$got" = 20 ] || fail "only $got of 20 job answers carried the password"
# the server's readable, writable mappings (heap, stacks, anonymous)
found=$(python3 - "$pid" "$SECRET" <<'EOF'
import re, sys
pid, secret = sys.argv[1], sys.argv[2].encode()
hits = 0
try:
    maps = open("/proc/%s/maps" % pid).read().splitlines()
    mem = open("/proc/%s/mem" % pid, "rb", 0)
except OSError as e:
    print("skip: %s" % e)
    sys.exit(0)
CHUNK = 16 << 20
for line in maps:
    f = line.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    # writable mappings; not the sanitizers' reserved shadow (terabytes)
    if not f[1].startswith("rw") or hi - lo > (1 << 32):
        continue
    tail = b""
    for at in range(lo, hi, CHUNK):
        try:
            mem.seek(at)
            data = tail + mem.read(min(CHUNK, hi - at))
        except (OSError, ValueError, OverflowError):
            tail = b""
            continue
        hits += data.count(secret)
        tail = data[-(len(secret) - 1):]
print(hits)
EOF
)
case "$found" in
  skip:*) echo "server_wipe: skipped ($found)"; exit 0 ;;
esac
echo "measured: the password found $found time(s) in the server's memory after 20 answers carried it"
[ "$found" = 0 ] || fail "the password is in the server's memory $found time(s) after its answers were sent"
kill -TERM "$pid"; wait "$pid" || fail "the server did not stop cleanly"
echo "server_wipe: ok"
