#!/usr/bin/env bash
# Least privilege inside a job, tried as an attacker would (docs/security.md,
# the threat model): a step is hostile code.  Through `svcconn-agent run`
# (also a --fork run) and through the hooks, a plain script step that
# references no connection tries to
#   - read the store, its master key, and run `svcconn export
#     --include-secrets` against it;
#   - get the job's git credential with `git credential fill`, and talk to
#     the job's broker directly with the token it can see (vars-get,
#     step-grant, git-credential);
#   - read another running job's broker token and temporary files;
#   - see the processes and the descriptors of the agent;
# and writes everything it captured into the workspace ("loot").  The test
# asserts that no secret reached the step's output or any file it wrote,
# while the step that references the connection clones with it.  A job
# directory is left nowhere after `run`; without bubblewrap, jobs are
# refused unless --let-steps-read-the-store says otherwise (and then a step
# can read the store, which is what the flag's name says).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"

command -v bwrap >/dev/null 2>&1 || {
  echo "FAIL: bubblewrap is not installed (.ci/deps installs it: apt-get install bubblewrap)"; exit 1; }

work=$(mktemp -d /tmp/svclp.XXXXXX)
httpd_pid=""
cleanup() {
  local f p
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null || true
  for f in $(find "$work" -name broker.pid 2>/dev/null); do
    p=$(head -c 20 "$f" 2>/dev/null | tr -dc 0-9)
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin SVCCONN_JOBS_DIR="$work/jobsroot"
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
pw='s3cret-Pw-least-privilege-git'
apipw='api-Secret-least-privilege-42'

# ---- a real git server that wants the connection's password ---------------
. "$SVC_SOURCE_DIR/fixtures/git/server.sh"
git_server_start "$work/srv" ciuser "$pw" || fail "cannot start lighttpd"
httpd_pid=$git_httpd_pid
port=$git_port
url="http://127.0.0.1:$port/git/private.git"

printf '%s' "$pw" > "$work/pw"
printf '%s' "$apipw" > "$work/apipw"
svcconn init >/dev/null
svcconn create git gitsrv --url "http://127.0.0.1:$port/git/" --set username=ciuser \
  --secret password=@"$work/pw" --grant-all-pipelines >/dev/null
svcconn create generic api --url https://api.example.test --set username=u \
  --secret password=@"$work/apipw" --grant-all-pipelines >/dev/null
rm -f "$work/pw" "$work/apipw"
key="$SVCCONN_HOME/master.key"
[ -s "$key" ] || fail "no master key at $key"

. "$SVC_SOURCE_DIR/tests/integration/lib/gitclone_task.sh"
mkdir -p "$work/ws"
gitclone_task "$work/tasks"

# The attacker: a plain step.  It knows every path (an attacker can guess
# them), and keeps what it gets in the workspace, which is not masked.
cat > "$work/attack.sh" <<SH
set +e
loot=\$PWD/loot/\${1:-run}
mkdir -p "\$loot"
exec 3>"\$loot/all"
echo "== master key" >&3; cat "$key" >&3 2>&1
echo "== store dir" >&3; ls -la "$SVCCONN_HOME" >&3 2>&1
echo "== store db" >&3; cat "$SVCCONN_HOME/store.db" >&3 2>&1
echo "== unmount" >&3   # a user namespace of its own, then unmount the cover
unshare -rm sh -c "umount -l '$SVCCONN_HOME'; umount -l '$SVCCONN_JOBS_DIR'; ls -la '$SVCCONN_HOME'; cat '$key'" >&3 2>&1
nsenter -t 1 -m ls -la "$SVCCONN_HOME" >&3 2>&1
echo "== export" >&3
SVCCONN_HOME="$SVCCONN_HOME" "$SVC_BIN_DIR/svcconn" export --include-secrets -o "\$loot/export.yml" >&3 2>&1
cat "\$loot/export.yml" >&3 2>&1
echo "== show" >&3
SVCCONN_HOME="$SVCCONN_HOME" "$SVC_BIN_DIR/svcconn" show gitsrv --json >&3 2>&1
echo "== jobs root" >&3; ls -laR "$SVCCONN_JOBS_DIR" >&3 2>&1
echo "== other job" >&3; cat "\${OTHER_JOB:-/nonexistent}/broker.token" >&3 2>&1
cat "\${OTHER_JOB:-/nonexistent}"/tmp/* >&3 2>&1
echo "== git credential fill" >&3
printf 'protocol=http\nhost=127.0.0.1:$port\npath=git/private.git\n\n' |
  GIT_TERMINAL_PROMPT=0 git credential fill >&3 2>&1
echo "== clone" >&3
GIT_TERMINAL_PROMPT=0 git clone -q "$url" "\$loot/clone" >&3 2>&1
cat "\$loot/clone/README" >&3 2>&1
echo "== broker" >&3
python3 - "\${SVCCONN_JOB_DIR:-/nonexistent}" >&3 2>&1 <<'PY'
import os, socket, sys
d = sys.argv[1]
# the step's own token, as its git helper finds it, else the job's file
tok = os.environ.get("SVCCONN_BROKER_TOKEN")
if not tok:
    try:
        tok = open(d + "/broker.token").read().strip()
    except OSError as e:
        print("no token:", e); sys.exit(0)
for req in ("vars-get", "step-grant\nconnections=", "ssh-askpass\nconnection=x",
            "git-credential\nprotocol=http\nhost=127.0.0.1:$port\npath=git/private.git"):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(d + "/broker.sock")
    except OSError as e:
        print("no broker:", e); break
    s.sendall(("request=%s\ntoken=%s\n\n" % (req, tok)).encode())
    print(req.split("\n")[0], "->", s.recv(65536).decode().replace("\n", " "))
    s.close()
PY
echo "== env" >&3; env >&3
echo "== processes" >&3; ls /proc | grep -c '^[0-9]' >&3
echo "== fds" >&3; ls /proc/self/fd >&3
echo "attack done"
SH

cat > "$work/p.yml" <<YAML
jobs:
  - job: Build
    steps:
      - task: GitClone@1
        inputs:
          gitConnection: gitsrv
          repoUrl: $url
          dest: clone
      - script: bash "$work/attack.sh" run
        name: attack
      - script: |
          # a process left behind to watch the next step's environment
          mkdir -p loot
          (sleep 1; cat /proc/[0-9]*/environ > loot/linger 2>/dev/null; echo alive >> loot/linger) &
        name: linger
      - script: sleep 2
        name: next
YAML

# Nothing of a secret anywhere it captured, and no sign that it got one.
check_loot() { # DIR WHAT [nobroker]
  [ -s "$1/all" ] || fail "$2: the attacker left nothing to check ($1/all)"
  if grep -rqaF -e "$pw" -e "$apipw" "$1"; then
    grep -raF -e "$pw" -e "$apipw" "$1" | head -5
    fail "$2: a secret reached the step"
  fi
  grep -qa 'hello from the private repo' "$1/all" && fail "$2: the plain step cloned the private repository"
  grep -qaE ' (store\.db|master\.key)$' "$1/all" && { grep -aE ' (store\.db|master\.key)$' "$1/all"; fail "$2: the step listed the store's files"; }
  # the key is 32 random bytes: compare them, not text
  if [ -f "$1/all" ] && python3 - "$key" "$1/all" <<'PY'
import sys
k = open(sys.argv[1], 'rb').read(); a = open(sys.argv[2], 'rb').read()
sys.exit(0 if k in a else 1)
PY
  then fail "$2: the master key reached the step"; fi
  if [ "${3:-}" = nobroker ]; then
    grep -qa '^no token:' "$1/all" || fail "$2: the step found a broker token"
  else
  grep -qa '^vars-get -> status=denied' "$1/all" || { cat "$1/all"; fail "$2: vars-get with a step's token was not denied"; }
  grep -qa '^step-grant -> status=denied' "$1/all" || fail "$2: step-grant with a step's token was not denied"
  grep -qa '^ssh-askpass -> status=denied' "$1/all" || fail "$2: ssh-askpass with a step's token was not denied"
  grep -qa '^git-credential -> status=none' "$1/all" || fail "$2: the broker gave a plain step a credential"
  fi
  grep -qa '^SSH_AUTH_SOCK=' "$1/all" && fail "$2: a plain step got SSH_AUTH_SOCK"
  awk '/^== processes/{getline; exit !($1 <= 8)}' "$1/all" || fail "$2: the step sees the machine's processes"
  # 0-2, the loot file (3) and ls's own directory (4)
  awk '/^== fds/{n=0; while ((getline l) > 0 && l !~ /^==/) n++; exit !(n <= 5)}' "$1/all" \
    || { sed -n '/^== fds/,$p' "$1/all"; fail "$2: descriptors of the agent reached the step"; }
  return 0
}

# ---- svcconn-agent run --------------------------------------------------------
out=$(cd "$work/ws" && agent run "$work/p.yml" --pipeline lp --tasks-dir "$work/tasks" 2>&1) \
  || { echo "$out"; fail "the run failed"; }
grep -q 'cloned into clone' <<<"$out" || { echo "$out"; fail "the step that references gitsrv could not clone"; }
grep -q 'hello from the private repo' "$work/ws/clone/README" || fail "no clone"
grep -q 'attack done' <<<"$out" || { echo "$out"; fail "the attacker step did not run"; }
grep -qF -e "$pw" -e "$apipw" <<<"$out" && fail "a secret in the run's output"
check_loot "$work/ws/loot/run" "run"
grep -qa 'no such\|No such\|cannot' "$work/ws/loot/run/all" || fail "run: the store was there"
echo "run: the plain step reached no store, no key, no credential, no broker request"
[ -e "$work/ws/loot/linger" ] && fail "run: a process a step left behind outlived it"
echo "run: what a step leaves running ends with it"

# a run leaves no job directory behind, in the store or the jobs root
[ -e "$SVCCONN_HOME/jobs" ] && fail "a job directory in the store"
[ -z "$(ls -A "$SVCCONN_JOBS_DIR" 2>/dev/null)" ] || { ls -laR "$SVCCONN_JOBS_DIR"; fail "job directories left after run"; }
echo "run: nothing left in the jobs root"

# ---- a pull request from a fork: no connection at all ----------------------
rm -rf "$work/ws/loot" "$work/ws/clone"
out=$(cd "$work/ws" && agent run "$work/p.yml" --pipeline lp --tasks-dir "$work/tasks" --fork 2>&1) \
  || { echo "$out"; fail "the fork run failed"; }
grep -q 'PRs from repository forks are not allowed' <<<"$out" || fail "the fork's connection step ran"
check_loot "$work/ws/loot/run" "run --fork" nobroker
echo "run --fork: the plain step reached nothing"

# ---- the hooks: two jobs of the same user at once ---------------------------
start() { # JOBDIR JOB
  agent job-start --pipeline-file "$work/p.yml" --pipeline lp --job "$2" --run-id "$3" \
    --tasks-dir "$work/tasks" --job-dir "$1" >/dev/null
}
A="$SVCCONN_JOBS_DIR/a"; B="$SVCCONN_JOBS_DIR/b"
start "$A" Build 10
start "$B" Build 11
printf 'b-private-file\n' > "$B/tmp/note"
(cd "$work/ws" && agent step --job-dir "$A" --step 0 -- bash "$work/tasks/GitCloneV1/clone.sh") \
  > "$work/a0.log" 2>&1 || { cat "$work/a0.log" "$A/broker.log"; fail "hooks: the clone step failed"; }
rm -rf "$work/ws/loot"
(cd "$work/ws" && OTHER_JOB="$B" agent step --job-dir "$A" --step attack -- bash "$work/attack.sh" hooks) \
  > "$work/a1.log" 2>&1 || { cat "$work/a1.log"; fail "hooks: the attack step did not run"; }
grep -qF -e "$pw" -e "$apipw" "$work/a1.log" && fail "hooks: a secret in the step's output"
check_loot "$work/ws/loot/hooks" "hooks"
grep -qa 'b-private-file' "$work/ws/loot/hooks/all" && fail "hooks: a step of job A read job B's files"
# the broker saw the attempts and refused them
grep -q "request 'vars-get' with a step's token refused" "$A/broker.log" || fail "hooks: the broker did not note the refusal"
# the step's own token ends with the step
ls "$A"/step-*.token >/dev/null 2>&1 && fail "hooks: a step token file was left"
agent job-end --job-dir "$A" --result Succeeded >/dev/null
agent job-end --job-dir "$B" --result Succeeded >/dev/null
echo "hooks: job A's plain step reached neither the store nor job B nor a credential"

# ---- a working directory inside the store is refused -----------------------
out=$(cd "$SVCCONN_HOME" && agent run "$work/p.yml" --pipeline lp --tasks-dir "$work/tasks" 2>&1) && \
  fail "a run in the store's directory was not refused"
grep -q 'inside the store or a job directory' <<<"$out" || { echo "$out"; fail "no reason given"; }

# ---- without a sandbox: refused, unless the operator says so ----------------
rm -rf "$work/ws/loot"
set +e
out=$(cd "$work/ws" && SVCCONN_BWRAP=none agent run "$work/p.yml" --pipeline lp --tasks-dir "$work/tasks" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a job without a sandbox was not refused"
grep -q -- '--let-steps-read-the-store' <<<"$out" || { echo "$out"; fail "the refusal does not say what to do"; }
[ -e "$work/ws/loot" ] && fail "a step ran although the job was refused"
out=$(cd "$work/ws" && SVCCONN_BWRAP=none agent run "$work/p.yml" --pipeline lp --tasks-dir "$work/tasks" \
  --let-steps-read-the-store 2>&1) || { echo "$out"; fail "--let-steps-read-the-store did not run"; }
# what the flag gives up, shown: the step read the store's directory
grep -qaE ' store\.db$' "$work/ws/loot/run/all" || fail "--let-steps-read-the-store: the step should see the store"
echo "no sandbox: refused; with --let-steps-read-the-store the step can read the store, as documented"
# ---- the same as an unprivileged agent: bubblewrap with a user namespace --
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; then
  u="svclp$$"
  useradd --system --home-dir "$work/u" --create-home --shell /bin/bash "$u"
  trap 'userdel -r "$u" >/dev/null 2>&1 || true; rm -rf "/tmp/svcconn-$(id -u "$u" 2>/dev/null)"; cleanup' EXIT
  chmod 711 "$work"
  ustore="$work/u/store"
  cat > "$work/u/attack.sh" <<SH
mkdir -p loot; exec 3>loot/all
cat "$ustore/master.key" >&3 2>&1; ls -la "$ustore" >&3 2>&1
SVCCONN_HOME="$ustore" "$SVC_BIN_DIR/svcconn" export --include-secrets -o loot/x >&3 2>&1; cat loot/x >&3 2>&1
echo "uid \$(id -u)" >&3; env >&3
echo unprivileged attack done
SH
  printf 'steps:\n  - script: bash "%s"\n' "$work/u/attack.sh" > "$work/u/p.yml"
  printf '%s' "$apipw" > "$work/u/pw"
  chown -R "$u:" "$work/u"
  out=$(runuser -u "$u" -- env -i PATH="$PATH" HOME="$work/u" SVCCONN_HOME="$ustore" SVCCONN_USER=admin \
    bash -c 'cd "$HOME" && "$0/svcconn" init >/dev/null &&
      "$0/svcconn" create generic api --url https://api.example.test --set username=u \
        --secret password=@pw --grant-all-pipelines >/dev/null && rm pw &&
      "$0/svcconn-agent" run p.yml --pipeline lpu' "$SVC_BIN_DIR" 2>&1) \
    || { echo "$out"; fail "unprivileged: the run failed"; }
  grep -q 'unprivileged attack done' <<<"$out" || { echo "$out"; fail "unprivileged: the step did not run"; }
  grep -q "^uid $(id -u "$u")" "$work/u/loot/all" || fail "unprivileged: the step ran as another user"
  grep -qaF "$apipw" "$work/u/loot/all" && fail "unprivileged: a secret reached the step"
  python3 - "$ustore/master.key" "$work/u/loot/all" <<'PY' && fail "unprivileged: the master key reached the step"
import sys
sys.exit(0 if open(sys.argv[1], 'rb').read() in open(sys.argv[2], 'rb').read() else 1)
PY
  grep -qaE ' (store\.db|master\.key)$' "$work/u/loot/all" && { cat "$work/u/loot/all"; fail "unprivileged: the step saw the store"; }
  echo "unprivileged agent: the sandbox (user namespace) hides the store the same way"
fi
echo "least_privilege: ok"
