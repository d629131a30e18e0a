#!/usr/bin/env bash
# The per-job git credential broker against a real git server: lighttpd with
# git http-backend and basic auth on a free loopback port.  A job granted an
# "Other Git" connection clones through git-credential-svcconn in job mode
# (the broker answers), with the credential in no argv, no .git/config and
# no file of the job directory or the workspace; a URL of another host,
# scheme, port or path gets nothing; a wrong token is refused; job-end
# leaves no broker process, socket or token; leftovers of a job killed with
# SIGKILL are swept by the next job-start, a live broker is left alone.
# Steps run one by one through the hooks pass secret variables and
# task.setendpoint changes on to the job's later steps through the broker,
# masked, never in a file; a job whose broker is gone cannot.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"

command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ] || {
  echo "FAIL: lighttpd is not installed; this test needs a real git server on loopback" \
       "(.ci/deps installs it: apt-get install lighttpd)"; exit 1; }

work=$(mktemp -d /tmp/svcgitbroker.XXXXXX)
httpd_pid=""
cleanup() {
  local f p
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null || true
  # brokers this test started (their pid files), if any is still running
  for f in $(find "$work" -name broker.pid 2>/dev/null); do
    p=$(head -c 20 "$f" 2>/dev/null | tr -dc 0-9)
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
helper="$SVC_BIN_DIR/git-credential-svcconn"
fail() { echo "FAIL: $*"; exit 1; }
# a process that runs (an exited daemon may stay a zombie until init reaps it)
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pw='s3cret-Pw-4-git-broker'

# ---- the server -------------------------------------------------------------
. "$SVC_SOURCE_DIR/fixtures/git/server.sh"
H="$work/srv"
git_server_start "$H" ciuser "$pw" || fail "cannot start lighttpd"
httpd_pid=$git_httpd_pid
port=$git_port
url="http://127.0.0.1:$port/git/private.git"
GIT_TERMINAL_PROMPT=0 git ls-remote "$url" >/dev/null 2>&1 && fail "the server does not ask for a password"
echo "lighttpd + git http-backend on 127.0.0.1:$port (basic auth)"

# ---- the store, a task with a git connection input, the pipeline -----------
printf '%s' "$pw" > "$work/pw"
svcconn init >/dev/null
svcconn create git gitsrv --url "http://127.0.0.1:$port/git/" --set username=ciuser \
  --secret password=@"$work/pw" --grant-all-pipelines >/dev/null
rm -f "$work/pw"
. "$SVC_SOURCE_DIR/tests/integration/lib/gitclone_task.sh"
mkdir -p "$work/ws"
gitclone_task "$work/tasks"
cat > "$work/p.yml" <<YAML
jobs:
  - job: Build
    steps:
      - task: GitClone@1
        inputs:
          gitConnection: gitsrv
          repoUrl: $url
          dest: clone
      - task: GitClone@1
        inputs:
          gitConnection: gitsrv
          repoUrl: http://localhost:$port/git/private.git
          dest: other
  - job: Plain
    steps:
      - script: echo plain
  - job: Vars
    steps:
      - task: GitClone@1
        inputs:
          gitConnection: gitsrv
          repoUrl: $url
          dest: v0
      - task: GitClone@1
        inputs:
          gitConnection: gitsrv
          repoUrl: $url
          dest: v1
      - script: echo no connection
YAML
start() { # JOBDIR JOB
  agent job-start --pipeline-file "$work/p.yml" --pipeline gitp --job "$2" --run-id 1 \
    --tasks-dir "$work/tasks" --job-dir "$1" >/dev/null
}

# ---- a granted job gets a broker -------------------------------------------
J="$work/jobs/build"
start "$J" Build
for f in broker.sock broker.token broker.pid broker.helper; do
  [ -e "$J/$f" ] || fail "no $f after job-start"
done
[ "$(stat -c %a "$J/broker.token")" = 600 ] || fail "broker.token is not 0600"
[ -S "$J/broker.sock" ] || fail "broker.sock is not a socket"
bpid=$(tr -dc 0-9 < "$J/broker.pid")
alive "$bpid" || fail "the broker is not running"
grep -qF "$pw" "/proc/$bpid/cmdline" && fail "the password is in the broker's argv"
echo "job-start started broker $bpid"

# ---- the clone works through the helper ------------------------------------
(cd "$work/ws" && agent step --job-dir "$J" --step 0 -- bash "$work/tasks/GitCloneV1/clone.sh") \
  > "$work/clone.log" 2>&1 || { cat "$work/clone.log" "$J/broker.log"; fail "clone through the broker failed"; }
grep -q 'hello from the private repo' "$work/ws/clone/README" || fail "clone has no README"
# lighttpd writes its access log in batches: give it a few seconds
for _ in $(seq 1 100); do
  grep -q 'ciuser.*git-upload-pack' "$H/log/access.log" 2>/dev/null && break
  sleep 0.05
done
grep -q 'ciuser.*git-upload-pack' "$H/log/access.log" || fail "the server saw no authenticated fetch"
git -C "$work/ws/clone" remote get-url origin | grep -qF "$url" || fail "origin is not the plain URL"
if grep -rqF "$pw" "$work/ws" "$J" "$work/clone.log"; then
  grep -rlF "$pw" "$work/ws" "$J" "$work/clone.log"
  fail "the password was written into the workspace or the job directory"
fi
grep -q "credential of connection 'gitsrv' given for http://127.0.0.1:$port/git/private.git" "$J/broker.log" \
  || fail "the broker did not note the credential it gave"
echo "clone through git-credential-svcconn: ok; no password in workspace, .git/config or job dir"

# the step's environment: our helper only, after clearing inherited ones
agent step --job-dir "$J" --step 0 -- /usr/bin/env > "$work/env.txt"
grep -qx "SVCCONN_JOB_DIR=$(realpath "$J")" "$work/env.txt" || fail "no SVCCONN_JOB_DIR"
grep -qx 'GIT_CONFIG_VALUE_0=' "$work/env.txt" || fail "inherited helpers are not cleared"
grep -qx "GIT_CONFIG_VALUE_1=$(realpath "$helper")" "$work/env.txt" || fail "the helper is not set"

# ---- what the job has no connection for gets nothing -----------------------
(cd "$work/ws" && agent step --job-dir "$J" --step 1 -- bash "$work/tasks/GitCloneV1/clone.sh") \
  > "$work/other.log" 2>&1 && fail "a clone from a host without a connection worked"
grep -q 'terminal prompts disabled' "$work/other.log" || { cat "$work/other.log"; fail "unexpected failure"; }
ask() { # protocol host path -> the helper's answer
  printf 'protocol=%s\nhost=%s\n%s\n' "$1" "$2" "${3:+path=$3}" |
    SVCCONN_JOB_DIR="$J" "$helper" get
}
got=$(ask http "127.0.0.1:$port" git/private.git)
[ "$got" = "$(printf 'username=ciuser\npassword=%s' "$pw")" ] || fail "the helper did not answer a granted URL"
[ -z "$(ask https "127.0.0.1:$port" git/private.git)" ] || fail "an http credential went to https"
[ -z "$(ask http "127.0.0.1:$((port + 1))" git/private.git)" ] || fail "another port got the credential"
[ -z "$(ask http "localhost:$port" git/private.git)" ] || fail "another host got the credential"
[ -z "$(ask http "127.0.0.1:$port" other/private.git)" ] || fail "a path outside got the credential"
[ -z "$(ask http "127.0.0.1:$port" gitx/private.git)" ] || fail "a path sharing a prefix got the credential"
[ -z "$(ask http "127.0.0.1:$port" git/../other.git)" ] || fail "a '..' path got the credential"
# dot segments the server decodes: percent-encoded, mixed, and backslashes
for p in 'git/%2e%2e/other.git' 'git/%2E%2E/other.git' 'git/..%2fother.git' 'git/.%2e/other.git' \
         'git/..%5cother.git' 'git\..\other.git' 'git/%2e/private.git' 'git/private.git%00'; do
  [ -z "$(ask http "127.0.0.1:$port" "$p")" ] || fail "the path '$p' got the credential"
done
[ -z "$(ask http "127.0.0.1:$port" "")" ] || fail "a request without a path got the credential"
# a wrong token is refused
cp "$J/broker.token" "$work/token.saved"
printf '%064d' 0 > "$J/broker.token"
if out=$(ask http "127.0.0.1:$port" git/private.git 2>"$work/deny.err"); then
  fail "a wrong token was not refused"
fi
[ -z "$out" ] || fail "a wrong token got an answer"
grep -q 'refused' "$work/deny.err" || { cat "$work/deny.err"; fail "no refusal message"; }
cat "$work/token.saved" > "$J/broker.token"
# store keeps nothing, erase is noted (without the secret)
printf 'protocol=http\nhost=127.0.0.1:%s\npath=git/private.git\nusername=ciuser\npassword=%s\n' "$port" "$pw" |
  SVCCONN_JOB_DIR="$J" "$helper" store
printf 'protocol=http\nhost=127.0.0.1:%s\npath=git/private.git\nusername=ciuser\npassword=x\n' "$port" |
  SVCCONN_JOB_DIR="$J" "$helper" erase
grep -q "authentication failed with connection 'gitsrv'" "$J/broker.log" || fail "erase was not noted"
grep -qF "$pw" "$J/broker.log" && fail "the broker log holds the password"
echo "other host, scheme, port, paths and a wrong token get nothing"

# a job without git connections gets a broker for its step variables only:
# no git helper, no git config
P="$work/jobs/plain"
start "$P" Plain
[ -S "$P/broker.sock" ] || fail "a job without git connections got no broker"
[ -e "$P/broker.helper" ] && fail "a job without git connections got the git helper"
agent step --job-dir "$P" --step 0 -- /usr/bin/env | grep -q '^GIT_CONFIG' && fail "git config without git connections"
agent job-end --job-dir "$P" --result Succeeded >/dev/null

# ---- secret variables and endpoint changes between steps of the hooks -----
# step 0 sets a secret variable (with characters the logging command
# escapes, and the separators of the broker's encoding), a multi-line one
# (refused, as the agent does, but masked), changes the password of the
# job's connection to a two-line value, and tries to change a connection
# the job does not have; step 1, another `svcconn-agent step`, gets them.
V="$work/jobs/vars"
start "$V" Vars
vpid=$(tr -dc 0-9 < "$V/broker.pid")
mkdir -p "$work/vars"
cat > "$work/vars/set.sh" <<'SH'
echo "##vso[task.setvariable variable=deploy.token;issecret=true]tok: a%3Bb%5Dc%AZP25d=e f-7781"
echo "##vso[task.setvariable variable=multi;issecret=true]line-one-4411%0Aline-two-4411"
echo "##vso[task.setendpoint id=$INPUT_GITCONNECTION;field=authParameter;key=password]rotated-pw-3301%0Asecond-line-3301"
echo "##vso[task.setendpoint id=00000000-0000-4000-8000-000000000000;field=url]https://x.example.test/"
echo "set: done"
SH
cat > "$work/vars/get.sh" <<'SH'
id=$INPUT_GITCONNECTION
pw=$(printenv "ENDPOINT_AUTH_PARAMETER_${id}_PASSWORD")
[ "$SECRET_DEPLOY_TOKEN" = 'tok: a;b]c%d=e f-7781' ] && echo "token: passed on"
[ "$pw" = "$(printf 'rotated-pw-3301\nsecond-line-3301')" ] && echo "password: changed"
printenv "ENDPOINT_AUTH_$id" | grep -q 'rotated-pw-3301' && echo "auth JSON: changed"
[ -z "${SECRET_MULTI+x}" ] && echo "multi-line: not passed on"
echo "list: $VSTS_SECRET_VARIABLES"
echo "echo token: $SECRET_DEPLOY_TOKEN"
echo "echo password: $pw"
SH
leaks='a;b]c|7781|rotated-pw|second-line|line-one|line-two'
agent step --job-dir "$V" --step 0 -- bash "$work/vars/set.sh" > "$work/vars/0.log" 2>&1 \
  || { cat "$work/vars/0.log"; fail "the step setting variables failed"; }
grep -q '^set: done' "$work/vars/0.log" || { cat "$work/vars/0.log"; fail "step 0 did not run"; }
grep -q "multi-line secret value of 'multi' refused" "$work/vars/0.log" \
  || { cat "$work/vars/0.log"; fail "a multi-line secret variable was not refused"; }
grep -q "connection '00000000-0000-4000-8000-000000000000' is not one of this job's" "$work/vars/0.log" \
  || { cat "$work/vars/0.log"; fail "a setendpoint for another connection was not reported"; }
grep -qE "$leaks" "$work/vars/0.log" && { cat "$work/vars/0.log"; fail "step 0 showed a secret"; }
# between the steps: the values are in the broker's memory, in no file
if grep -rqE "$leaks" "$work/jobs"; then
  grep -rlE "$leaks" "$work/jobs"; fail "a step variable was written into a file"
fi
agent step --job-dir "$V" --step 1 -- bash "$work/vars/get.sh" > "$work/vars/1.log" 2>&1 \
  || { cat "$work/vars/1.log"; fail "the step reading variables failed"; }
for want in 'token: passed on' 'password: changed' 'auth JSON: changed' 'multi-line: not passed on' \
            'list: ["deploy.token"]' 'echo token: ***' 'echo password: ***'; do
  grep -qxF "$want" "$work/vars/1.log" || { cat "$work/vars/1.log"; fail "step 1: no '$want'"; }
done
grep -qE "$leaks" "$work/vars/1.log" && { cat "$work/vars/1.log"; fail "step 1 showed a secret"; }
# a later step without the connection gets the variable, not the connection
# (every step has the job's SystemVssConnection, as on Azure)
agent step --job-dir "$V" --step 2 -- bash -c 'echo "t=$SECRET_DEPLOY_TOKEN"; env | grep "^ENDPOINT_" | grep -vc "_SYSTEMVSSCONNECTION" || true' \
  > "$work/vars/2.log" 2>&1 || { cat "$work/vars/2.log"; fail "step 2 failed"; }
[ "$(cat "$work/vars/2.log")" = "$(printf 't=***\n0')" ] || { cat "$work/vars/2.log"; fail "step 2"; }
if grep -rqE "$leaks" "$work/jobs"; then
  grep -rlE "$leaks" "$work/jobs"; fail "a step variable was written into a file"
fi
grep -q "step variables saved" "$V/broker.log" || fail "the broker did not note the saved variables"
agent job-end --job-dir "$V" --result Succeeded >/dev/null
alive "$vpid" && fail "the broker outlived job-end"
[ -e "$V/broker.sock" ] && fail "the broker left its socket"
if grep -rqE "$leaks" "$work/jobs"; then
  grep -rlE "$leaks" "$work/jobs"; fail "a step variable was left in a file after job-end"
fi
echo "hooks: secret variables and endpoint changes passed on through the broker, masked, in no file"

# a job whose broker ended cannot pass variables on, and says so; one whose
# broker was killed (its files left) fails the step
start "$V" Vars
vpid=$(tr -dc 0-9 < "$V/broker.pid")
kill -TERM "$vpid"
while alive "$vpid"; do sleep 0.05; done
agent step --job-dir "$V" --step 0 -- bash "$work/vars/set.sh" > "$work/vars/nb.log" 2>&1 \
  || { cat "$work/vars/nb.log"; fail "a step without a broker failed"; }
grep -q "secret variables need the job's broker" "$work/vars/nb.log" \
  || { cat "$work/vars/nb.log"; fail "no message without a broker"; }
agent job-end --job-dir "$V" --result Succeeded >/dev/null
start "$V" Vars
vpid=$(tr -dc 0-9 < "$V/broker.pid")
kill -KILL "$vpid"
while alive "$vpid"; do sleep 0.05; done
if agent step --job-dir "$V" --step 0 -- bash "$work/vars/set.sh" > "$work/vars/kb.log" 2>&1; then
  cat "$work/vars/kb.log"; fail "a step whose broker was killed succeeded"
fi
grep -q "cannot get the variables of the job's earlier steps" "$work/vars/kb.log" \
  || { cat "$work/vars/kb.log"; fail "no message for a killed broker"; }
agent job-end --job-dir "$V" --result Failed >/dev/null
echo "without its broker a step passes nothing on and says so; a killed broker fails the step"

# ---- job-end stops it -------------------------------------------------------
agent job-end --job-dir "$J" --result Succeeded >/dev/null
alive "$bpid" && fail "the broker outlived job-end"
for f in broker.sock broker.token broker.pid broker.helper; do
  [ -e "$J/$f" ] && fail "$f left after job-end"
done
echo "job-end: no broker process, socket or token left"

# ---- a killed job's leftovers are swept by the next job-start --------------
W="$work/wd/.svcconn"
start "$W/1/Build" Build
kpid=$(tr -dc 0-9 < "$W/1/Build/broker.pid")
kill -KILL "$kpid"
while alive "$kpid"; do sleep 0.05; done
[ -S "$W/1/Build/broker.sock" ] && [ -e "$W/1/Build/broker.token" ] || fail "SIGKILL left nothing to sweep"
start "$W/2/Build" Build
for f in broker.sock broker.token broker.pid broker.helper; do
  [ -e "$W/1/Build/$f" ] && fail "$f of the killed job was not swept"
done
[ -d "$W/1/Build" ] && [ -e "$W/1/Build/job.json" ] || fail "the sweep removed more than the broker's files"
lpid=$(tr -dc 0-9 < "$W/2/Build/broker.pid")
start "$W/3/Build" Build   # sweeps again: the live broker of run 2 stays
alive "$lpid" && [ -S "$W/2/Build/broker.sock" ] || fail "a live broker was swept"
for r in 1 2 3; do agent job-end --job-dir "$W/$r/Build" --result Succeeded >/dev/null; done
alive "$lpid" && fail "the broker of run 2 outlived job-end"
echo "leftovers of a job killed with SIGKILL swept; a live broker kept"

# ---- the broker ends by itself when job.json disappears ---------------------
start "$J" Build
bpid=$(tr -dc 0-9 < "$J/broker.pid")
rm "$J/job.json"
for _ in $(seq 1 60); do alive "$bpid" || break; sleep 0.05; done
alive "$bpid" && fail "the broker outlived job.json"
[ -e "$J/broker.sock" ] && fail "the broker left its socket"
echo "the broker ends with the job's state"
# ---- svcconn-agent run: checkout of a repository resource -------------------
printf '%s' "$pw" > "$work/pw"
svcconn create githubenterprise ghe --scheme UsernamePassword \
  --url "http://127.0.0.1:$port/git" --set username=ciuser \
  --secret password=@"$work/pw" --grant-all-pipelines >/dev/null
rm -f "$work/pw"
mkdir -p "$work/runws"
cat > "$work/checkout.yml" <<YAML
resources:
  repositories:
    - repository: app
      type: githubenterprise
      name: private
      endpoint: ghe
jobs:
  - job: Build
    steps:
      - checkout: app
      - script: test -d app/.git && git -C app log --oneline | head -1
YAML
out=$(cd "$work/runws" && GIT_TERMINAL_PROMPT=0 agent run "$work/checkout.yml" --pipeline gitp \
      --run-id 9 --workdir "$work/runws" 2>&1) || { echo "$out"; fail "run with checkout failed"; }
grep -q 'summary: 2 step(s) run, 0 failed' <<<"$out" || { echo "$out"; fail "checkout step"; }
grep -rqF -- "$pw" "$work/runws" && fail "the password reached the workspace"
echo "run: checkout of a repository resource cloned through the broker"
echo "git broker: all checks passed"
