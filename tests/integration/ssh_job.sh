#!/usr/bin/env bash
# SSH connections in a job, against a real OpenSSH sshd on a free loopback
# port (its own host key, a git user with git-shell, a bare repo).  A job
# granted an SSH connection gets a job-private known_hosts (the pinned host
# key) and a per-job ssh-agent holding the connection's key, added with
# "ssh-add -" from a socket pair (a passphrase through svcconn-askpass and
# the broker); a step's git clones over ssh through GIT_SSH_COMMAND.  A
# wrong pin fails the clone (host key verification), no pin makes job-start
# refuse with the how-to; job-end (and the sweep after a SIGKILL) leaves no
# ssh-agent, socket or known_hosts; the key is in no file of the job
# directory or workspace and in no process's argv.  Needs root (useradd).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"

sshd=/usr/sbin/sshd
if [ ! -x "$sshd" ]; then
  echo "FAIL: sshd is not installed; this test needs a real SSH server on loopback" \
       "(.ci/deps installs it: apt-get install openssh-server)"
  exit 1
fi
for t in ssh ssh-agent ssh-add ssh-keygen git useradd userdel usermod; do
  command -v "$t" >/dev/null || { echo "FAIL: $t is not installed"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: this test needs root (it adds a system user for sshd)"; exit 1; }
[ -x "$SVC_BIN_DIR/svcconn-askpass" ] || { echo "FAIL: no svcconn-askpass in $SVC_BIN_DIR"; exit 1; }

work=$(mktemp -d /tmp/svcsshjob.XXXXXX)
chmod 755 "$work"          # the git user reaches its home below it
guser="svcssh$$"
sshd_pid=""
cleanup() {
  local f p
  sshd_stop
  # brokers and ssh-agents this test started, if any is still running
  for f in $(find "$work" -name broker.pid -o -name ssh-agent.pid 2>/dev/null); do
    p=$(head -c 20 "$f" 2>/dev/null | tr -dc 0-9)
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  sshd_user_del "$guser" || true
  rm -rf "$work"
}
trap cleanup EXIT
. "$SVC_SOURCE_DIR/tests/integration/lib/sshd.sh"
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
# 0 when some process's argv holds the fixed string $1
in_any_argv() {
  local f
  for f in /proc/[0-9]*/cmdline; do
    tr '\0' ' ' < "$f" 2>/dev/null | grep -qF -- "$1" && return 0
  done
  return 1
}

# ---- the server -------------------------------------------------------------
S="$work/srv"
mkdir -p "$S/keys" "$S/authorized_keys" "$S/log"
sshd_user_add "$guser" "$S/home" /usr/bin/git-shell
ssh-keygen -q -t ed25519 -N '' -f "$S/keys/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$S/keys/other_host_key"            # the wrong pin
ssh-keygen -q -t ed25519 -N '' -C ci-key -f "$work/ci_key"
pp='pass-Phrase-4-ssh-job'
ssh-keygen -q -t ed25519 -N "$pp" -C ci-key-pp -f "$work/ci_key_pp"
cat "$work/ci_key.pub" "$work/ci_key_pp.pub" | sed 's/^/restrict /' > "$S/authorized_keys/$guser"
chmod 644 "$S/authorized_keys/$guser"
git init -q --bare "$S/home/repo.git"
git init -q "$work/seed"
(cd "$work/seed" && echo "hello over ssh" > README &&
 git add README && git -c user.name=t -c user.email=t@t commit -qm init &&
 git push -q "$S/home/repo.git" HEAD:refs/heads/main)
git -C "$S/home/repo.git" symbolic-ref HEAD refs/heads/main
chown -R "$guser:" "$S/home"

port=""
sshd_start_free "$S" "$guser" && port=$sshd_port
[ -n "$port" ] || { cat "$S/log/sshd.log" 2>/dev/null; fail "cannot start sshd"; }
url="ssh://$guser@127.0.0.1:$port$S/home/repo.git"
echo "sshd on 127.0.0.1:$port (user $guser, git-shell)"

# ---- the store: SSH connections, a task with an SSH input, the pipeline -----
pin="127.0.0.1 $(cut -d' ' -f1,2 "$S/keys/host_key.pub")"
wrong="127.0.0.1 $(cut -d' ' -f1,2 "$S/keys/other_host_key.pub")"
svcconn init >/dev/null
mk() { # NAME KEYFILE [hostKey] [passphrase]
  local extra=()
  [ -n "${3:-}" ] && extra+=(--set "hostKey=$3")
  if [ -n "${4:-}" ]; then printf '%s' "$4" > "$work/pp.tmp"; extra+=(--secret "password=@$work/pp.tmp"); fi
  svcconn create ssh "$1" --set Host=127.0.0.1 --set Port="$port" --set username="$guser" \
    --secret PrivateKey=@"$2" "${extra[@]}" --grant-all-pipelines >/dev/null
  rm -f "$work/pp.tmp"
}
mk sshok "$work/ci_key" "$pin"
mk sshpp "$work/ci_key_pp" "$pin" "$pp"
mk sshwrong "$work/ci_key" "$wrong"
mk sshnopin "$work/ci_key"
keyline=$(sed -n 2p "$work/ci_key")          # a line of each private key's body
keyline_pp=$(sed -n 2p "$work/ci_key_pp")
mkdir -p "$work/tasks/SshCloneV1" "$work/ws"
cat > "$work/tasks/SshCloneV1/task.json" <<'JSON'
{
  "id": "7d1f2e8b-3c4d-4e5f-9a0b-1c2d3e4f5a6b",
  "name": "SshClone",
  "friendlyName": "git clone over ssh",
  "description": "Test task: clones a repository over ssh with the job's ssh-agent.",
  "author": "svcconn",
  "category": "Utility",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "instanceNameFormat": "clone",
  "inputs": [
    { "name": "sshConnection", "type": "connectedService:ssh", "label": "SSH host", "required": true },
    { "name": "repoUrl", "type": "string", "label": "Repository URL", "required": true },
    { "name": "dest", "type": "string", "label": "Directory", "required": true }
  ],
  "execution": { "Bash": { "target": "clone.sh" } }
}
JSON
cat > "$work/tasks/SshCloneV1/clone.sh" <<'SH'
set -eu
git clone -q "$INPUT_REPOURL" "$INPUT_DEST"
SH
{
  echo "jobs:"
  for j in sshok sshpp sshwrong sshnopin; do
    cat <<YAML
  - job: $j
    steps:
      - task: SshClone@1
        inputs:
          sshConnection: $j
          repoUrl: $url
          dest: clone-$j
YAML
    [ "$j" = sshok ] && printf '      - script: echo plain\n        name: plain\n'
  done
} > "$work/p.yml"
start() { # JOBDIR JOB
  agent job-start --pipeline-file "$work/p.yml" --pipeline sshp --job "$2" --run-id 1 \
    --tasks-dir "$work/tasks" --job-dir "$1" >/dev/null
}
clone() { # JOBDIR
  (cd "$work/ws" && agent step --job-dir "$1" --step 0 -- \
     env -u DISPLAY bash "$work/tasks/SshCloneV1/clone.sh" < /dev/null)
}
no_key_anywhere() { # JOBDIR
  local k
  for k in "$keyline" "$keyline_pp" "$pp"; do
    if grep -rqF -- "$k" "$1" "$work/ws" 2>/dev/null; then
      grep -rlF -- "$k" "$1" "$work/ws"
      fail "a private key or passphrase was written under the job directory or workspace"
    fi
    in_any_argv "$k" && fail "a private key or passphrase is in a process's argv"
  done
  return 0
}

# ---- a job with a pinned key: agent, known_hosts, clone over ssh ------------
J="$work/jobs/ok"
start "$J" sshok || fail "job-start of a pinned SSH connection failed"
[ -S "$J/ssh-agent.sock" ] || fail "no ssh-agent.sock after job-start"
[ "$(stat -c %a "$J/known_hosts")" = 600 ] || fail "known_hosts is not 0600"
grep -qxF "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$S/keys/host_key.pub")" "$J/known_hosts" \
  || { cat "$J/known_hosts"; fail "known_hosts does not pin [127.0.0.1]:$port"; }
apid=$(tr -dc 0-9 < "$J/ssh-agent.pid")
alive "$apid" || fail "the job's ssh-agent is not running"
[ "$(SSH_AUTH_SOCK="$J/ssh-agent.sock" ssh-add -l | wc -l)" = 1 ] || fail "the agent does not hold one key"
agent step --job-dir "$J" --step 0 -- /usr/bin/env > "$work/env.txt"
rj=$(realpath "$J")
grep -qx "SSH_AUTH_SOCK=$rj/ssh-agent.sock" "$work/env.txt" || fail "no SSH_AUTH_SOCK"
grep -qx "GIT_SSH_COMMAND=ssh -F /dev/null -o IdentitiesOnly=no -o UserKnownHostsFile=$rj/known_hosts -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null" \
  "$work/env.txt" || { grep GIT_SSH "$work/env.txt"; fail "GIT_SSH_COMMAND is not the job's"; }
clone "$J" > "$work/ok.log" 2>&1 || { cat "$work/ok.log" "$S/log/sshd.log"; fail "clone over ssh failed"; }
grep -q 'hello over ssh' "$work/ws/clone-sshok/README" || fail "the clone has no README"
grep -q "Accepted publickey for $guser" "$S/log/sshd.log" || fail "sshd saw no key login"
no_key_anywhere "$J"
echo "pinned host key: agent with the key, known_hosts 0600, clone over ssh ok"
# a step that references no SSH connection: no SSH_AUTH_SOCK, and the
# job's ssh-agent is not there to be found (its sandbox hides it)
agent step --job-dir "$J" --step plain -- bash -c \
  "env; SSH_AUTH_SOCK='$rj/ssh-agent.sock' ssh-add -L; ls -la '$rj'" > "$work/plain.txt" 2>&1 || true
grep -q '^SSH_AUTH_SOCK=' "$work/plain.txt" && fail "a step without an SSH connection got SSH_AUTH_SOCK"
grep -q '^GIT_SSH_COMMAND=' "$work/plain.txt" && fail "a step without an SSH connection got GIT_SSH_COMMAND"
grep -q "$(cut -d' ' -f2 "$work/ci_key.pub")" "$work/plain.txt" && fail "a plain step listed the job's key"
grep -q 'ssh-agent.sock' "$work/plain.txt" && fail "a plain step sees the job's ssh-agent socket"
echo "a step without an SSH connection: no SSH_AUTH_SOCK, no agent to find"

agent job-end --job-dir "$J" --result Succeeded >/dev/null
for _ in $(seq 1 60); do alive "$apid" || break; sleep 0.05; done
alive "$apid" && fail "the ssh-agent outlived job-end"
for f in ssh-agent.sock ssh-agent.pid known_hosts; do
  [ -e "$J/$f" ] && fail "$f left after job-end"
done
echo "job-end: no ssh-agent, socket or known_hosts left"

# ---- a passphrase-protected key: ssh-add asks svcconn-askpass -> broker ----
P="$work/jobs/pp"
start "$P" sshpp || { cat "$P/broker.log" 2>/dev/null; fail "job-start with a passphrase key failed"; }
[ "$(SSH_AUTH_SOCK="$P/ssh-agent.sock" ssh-add -l | wc -l)" = 1 ] || fail "the passphrase key is not in the agent"
grep -q "passphrase of SSH connection 'sshpp' given to ssh-add" "$P/broker.log" || fail "the broker did not note the passphrase"
# given once: a second ask (as a step could) gets nothing
ppid_conn=$(svcconn show sshpp | awk '/^ID:/ {print $2; exit}')
[ -n "$ppid_conn" ] || fail "no id of connection sshpp"
if SVCCONN_JOB_DIR="$P" SVCCONN_SSH_CONNECTION="$ppid_conn" \
   "$SVC_BIN_DIR/svcconn-askpass" prompt > "$work/again.out" 2> "$work/again.err"; then
  fail "the broker gave the passphrase twice"
fi
[ -s "$work/again.out" ] && fail "a second ask got an answer"
grep -q 'no passphrase' "$work/again.err" || { cat "$work/again.err"; fail "no refusal of a second ask"; }
clone "$P" > "$work/pp.log" 2>&1 || { cat "$work/pp.log"; fail "clone with the passphrase key failed"; }
grep -q 'hello over ssh' "$work/ws/clone-sshpp/README" || fail "the clone has no README"
no_key_anywhere "$P"
papid=$(tr -dc 0-9 < "$P/ssh-agent.pid")
agent job-end --job-dir "$P" --result Succeeded >/dev/null
for _ in $(seq 1 60); do alive "$papid" || break; sleep 0.05; done
alive "$papid" && fail "the ssh-agent outlived job-end"
echo "passphrase key: answered by svcconn-askpass through the broker, clone ok"

# ---- a wrong pin: the clone fails host key verification ---------------------
W="$work/jobs/wrong"
start "$W" sshwrong || fail "job-start with a (wrong) pin failed"
clone "$W" > "$work/wrong.log" 2>&1 && fail "a clone with a wrong pinned host key worked"
grep -q 'Host key verification failed' "$work/wrong.log" || { cat "$work/wrong.log"; fail "no host key verification failure"; }
[ -e "$work/ws/clone-sshwrong/README" ] && fail "a wrong pin cloned something"
agent job-end --job-dir "$W" --result Failed >/dev/null
echo "wrong pin: Host key verification failed"

# ---- no pin: job-start refuses, with the how-to -----------------------------
N="$work/jobs/nopin"
if agent job-start --pipeline-file "$work/p.yml" --pipeline sshp --job sshnopin --run-id 1 \
     --tasks-dir "$work/tasks" --job-dir "$N" > "$work/nopin.out" 2> "$work/nopin.err"; then
  fail "job-start accepted an SSH connection without a pinned host key"
fi
grep -qF 'svcconn edit sshnopin --set hostKey="127.0.0.1 ssh-ed25519 AAAA..."' "$work/nopin.err" \
  || { cat "$work/nopin.err"; fail "no how-to in the refusal"; }
grep -qF "ssh-keyscan -p $port 127.0.0.1" "$work/nopin.err" || fail "no ssh-keyscan hint"
grep -qF "svcconn verify sshnopin --pin-host-key" "$work/nopin.err" || fail "no verify --pin-host-key hint"
for f in ssh-agent.sock ssh-agent.pid known_hosts broker.sock; do
  [ -e "$N/$f" ] && fail "$f exists after a refused job-start"
done
agent job-end --job-dir "$N" --result Failed >/dev/null 2>&1 || true
echo "no pin: job-start refuses with how to pin one"

# ---- pinning from the server: svcconn verify --pin-host-key -----------------
svcconn verify sshnopin --pin-host-key > "$work/pin.out" 2>&1 \
  || { cat "$work/pin.out"; fail "verify --pin-host-key failed"; }
svcconn show sshnopin --json > "$work/pin.json"
grep -qF "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$S/keys/host_key.pub")" "$work/pin.json" \
  || { cat "$work/pin.out" "$work/pin.json"; fail "the server's host key was not pinned"; }
N2="$work/jobs/pinned"
start "$N2" sshnopin || fail "job-start after pinning failed"
clone "$N2" > "$work/pinned.log" 2>&1 || { cat "$work/pinned.log"; fail "clone after pinning failed"; }
agent job-end --job-dir "$N2" --result Succeeded >/dev/null
svcconn verify sshwrong > "$work/wrongpin.out" 2>&1 && fail "verify accepted a wrong pinned host key"
grep -q "hostkey" "$work/wrongpin.out" || { cat "$work/wrongpin.out"; fail "verify did not report the host key"; }
echo "pinned from the server with verify --pin-host-key; a wrong pin fails verify"

# ---- a killed job's ssh-agent is swept by the next job-start ---------------
D="$work/wd/.svcconn"
start "$D/1/ok" sshok
kpid=$(tr -dc 0-9 < "$D/1/ok/broker.pid")
kapid=$(tr -dc 0-9 < "$D/1/ok/ssh-agent.pid")
kill -KILL "$kpid"
while alive "$kpid"; do sleep 0.05; done
alive "$kapid" || fail "SIGKILL of the broker left no ssh-agent to sweep"
start "$D/2/ok" sshok
for _ in $(seq 1 60); do alive "$kapid" || break; sleep 0.05; done
alive "$kapid" && fail "the ssh-agent of the killed job was not swept"
for f in ssh-agent.sock ssh-agent.pid known_hosts; do
  [ -e "$D/1/ok/$f" ] && fail "$f of the killed job was not swept"
done
lapid=$(tr -dc 0-9 < "$D/2/ok/ssh-agent.pid")
alive "$lapid" || fail "the live job's ssh-agent was swept"
for r in 1 2; do agent job-end --job-dir "$D/$r/ok" --result Succeeded >/dev/null; done
alive "$lapid" && fail "the ssh-agent of run 2 outlived job-end"
echo "a killed job's ssh-agent swept; a live one kept"

# no ssh-agent of ours is left at all
for f in /proc/[0-9]*/cmdline; do
  if tr '\0' ' ' < "$f" 2>/dev/null | grep -q "^ssh-agent .*$work"; then
    fail "an ssh-agent of this test is still running: $(tr '\0' ' ' < "$f")"
  fi
done
echo "ssh job: all checks passed"
