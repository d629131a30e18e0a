#!/usr/bin/env bash
# Pre- and post-job handlers and the job's SystemVssConnection through
# svcconn-agent run, with a task written like npmAuthenticate (task.json
# with prejobexecution and postjobexecution, the real
# azure-pipelines-task-lib from npm beside it): its main step writes a
# feed's raw token into a file, its post-job step removes it.  Nothing is
# left after a job that succeeds, one that fails and one canceled by
# SIGTERM while a step waits; pre-job steps run in step order before the
# first step, post-job steps in reverse order after the last; every step
# has SystemVssConnection (the collection URI, scheme OAuth, one random
# token per job, masked, on no disk) and no SYSTEM_ACCESSTOKEN.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svcjobhooks.XXXXXX)
runpid=
trap '[ -z "$runpid" ] || kill "$runpid" 2>/dev/null || true; rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin SVCCONN_JOBS_DIR="$work/jobs"
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
die() { echo "FAIL: $*"; [ ! -f "$work/out" ] || cat "$work/out"; exit 1; }
mkdir -m 700 "$work/jobs"
printf 'npm_FEEDtoken_0123456789' > "$work/tok"
svcconn init >/dev/null
svcconn create externalnpmregistry feed --scheme Token --url https://npm.example.test/ \
  --secret apitoken=@"$work/tok" --grant-all-pipelines >/dev/null
# the task as Microsoft ships one: its node_modules beside it
mkdir -p "$work/tasks" "$work/ws"
cp -r "$SVC_SOURCE_DIR/fixtures/tasks/SvcCredFileV0" "$work/tasks/"
ln -s "$deps/node_modules" "$work/tasks/SvcCredFileV0/node_modules"
W="$work/ws"
run() { (cd "$W" && agent run "$1" --pipeline hooks --run-id "$2" --tasks-dir "$work/tasks"); }
task() { # display name, file, extra input lines
  printf '      - task: SvcCredFile@0\n        displayName: %s\n        inputs:\n          workingFile: %s\n          feed: feed\n          logFile: %s\n%b' \
    "$1" "$W/$2" "$W/log" "${3:-}"
}
left() { ls -A "$W" | grep -vE '^(log|.*\.yml)$' || true; }

# --- a job that succeeds: pre-job A, B; steps; post-job B, A ----------------
{
  printf 'jobs:\n  - job: Auth\n    steps:\n'
  printf '      - bash: |\n          test ! -e a.npmrc && echo "pre-job lines before the first step: $(grep -c ^pre log)"\n'
  task "auth A" a.npmrc
  printf '      - bash: cat a.npmrc\n'
  task "auth B" b.npmrc
} > "$W/ok.yml"
rm -f "$W/log"
run ok.yml 1 > "$work/out" 2>&1 || die "the succeeding job failed"
grep -q 'pre-job lines before the first step: 2' "$work/out" || die "pre-job steps did not run first"
diff <(cut -d' ' -f1-2 "$W/log") <(printf '%s\n' 'pre a.npmrc' 'pre b.npmrc' 'main a.npmrc' \
  'main b.npmrc' 'post b.npmrc' 'post a.npmrc') || die "pre/main/post order is not the agent's"
grep -q '== step Pre-job: auth A$' "$work/out" && grep -q '== step Post-job: auth B$' "$work/out" \
  || die "no 'Pre-job: X' / 'Post-job: X' steps"
grep -q ':_authToken=\*\*\*' "$work/out" || die "the credential file was not written, or not masked"
grep -q 'npm_FEEDtoken' "$work/out" && die "the feed token was printed"
# task variables: the post-job step of a task reads what its main step set
# (tl.setTaskVariable / getTaskVariable), the secret one masked
[ "$(grep -c 'Post-job: auth [AB]\] task variables: file=same token=\*\*\*$' "$work/out")" = 2 ] \
  || die "the post-job steps did not get their main steps' task variables"

grep -q 'summary: 8 step(s) run, 0 failed; exit 0' "$work/out" || die "summary"
[ -z "$(left)" ] || die "left after a succeeding job: $(left)"
# SystemVssConnection: the collection URI, OAuth, a 64-digit token, one
# per job, masked where printed; no SYSTEM_ACCESSTOKEN unless mapped
n=$(grep -c 'url=https://svcconn.invalid/local/ scheme=OAuth tokenlen=64 .* env=none$' "$W/log")
[ "$n" = 6 ] || die "SystemVssConnection is not the agent's in every step ($n of 6)"
[ "$(grep -o 'sha=[0-9a-f]*' "$W/log" | sort -u | wc -l)" = 1 ] || die "the job's steps had different tokens"
ok_sha=$(grep -o 'sha=[0-9a-f]*' "$W/log" | head -1)
grep -q 'system token: \*\*\*$' "$work/out" || die "the system token was not masked"
grep -qE 'system token: [0-9a-f]{64}' "$work/out" && die "the system token was printed"
run ok.yml 2 > "$work/out" 2>&1 || die "the second run failed"
[ "$(grep -o 'sha=[0-9a-f]*' "$W/log" | sort -u | grep -vc "$ok_sha")" = 1 ] \
  || die "two jobs had the same system token"

# --- a job that fails: C's main step never runs, its post-job step does -----
{
  printf 'jobs:\n  - job: Fails\n    steps:\n'
  task "auth A" a.npmrc
  task "auth B" b.npmrc '          fail: true\n'
  task "auth C" c.npmrc
} > "$W/fail.yml"
rm -f "$W/log"
if run fail.yml 3 > "$work/out" 2>&1; then die "a failing job succeeded"; fi
diff <(cut -d' ' -f1-2 "$W/log") <(printf '%s\n' 'pre a.npmrc' 'pre b.npmrc' 'pre c.npmrc' \
  'main a.npmrc' 'main b.npmrc' 'post c.npmrc' 'post b.npmrc' 'post a.npmrc') \
  || die "post-job steps did not all run after the failure"
grep -q 'summary: 8 step(s) run, 1 failed, 1 skipped; 0 warning(s), 1 error(s); exit 1' "$work/out" || die "summary of the failing job"
[ -z "$(left)" ] || die "left after a failing job: $(left)"

# --- a job canceled by SIGTERM while its step waits: in the job's shared
# sandbox (its launcher kills the step), and in a sandbox of its own
# (SVCCONN_NO_LAUNCHER: the step's process group is killed) --------------
{
  printf 'jobs:\n  - job: Cancel\n    steps:\n'
  task "auth A" a.npmrc "          waitFor: $work/never\n"
  printf '      - bash: echo after the cancel\n'
} > "$W/cancel.yml"
cancel_case() { # run id, then the environment of the run
  rm -f "$W/log"
  (cd "$W" && exec env "${@:2}" "$SVC_BIN_DIR/svcconn-agent" run cancel.yml --pipeline hooks \
    --run-id "$1" --tasks-dir "$work/tasks") > "$work/out" 2>&1 &
  runpid=$!
  for _ in $(seq 600); do grep -q '^waiting' "$W/log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^waiting' "$W/log" || die "the step did not start waiting"
  [ -e "$W/a.npmrc" ] || die "the credential file was not written"
  pgrep -f "$work/tasks/SvcCredFileV0/main.js" >/dev/null || die "the waiting step is not running"
  # the job's system token is on no disk: not in the jobs root nor the store
  sha=$(grep -o 'sha=[0-9a-f]*' "$W/log" | head -1 | cut -d= -f2)
  for t in $(grep -rhoaE '[0-9a-f]{64}' "$work/jobs" "$work/home" 2>/dev/null | sort -u); do
    [ "$(printf '%s' "$t" | sha256sum | cut -d' ' -f1)" != "$sha" ] || die "the system token is on disk"
  done
  kill -TERM "$runpid"
  rc=0; wait "$runpid" || rc=$?
  runpid=
  [ "$rc" = 143 ] || die "a canceled run exited $rc, not 143"
  grep -q 'step auth A canceled' "$work/out" || die "the step was not canceled"
  grep -q 'after the cancel' "$work/out" && die "a step after the cancel ran"
  grep -q '== step Post-job: auth A$' "$work/out" || die "the post-job step did not run after the cancel"
  diff <(cut -d' ' -f1-2 "$W/log" | grep -v '^waiting') <(printf '%s\n' 'pre a.npmrc' 'main a.npmrc' 'post a.npmrc') \
    || die "pre/main/post of the canceled job"
  [ -z "$(left)" ] || die "left after a canceled job: $(left)"
  for _ in $(seq 50); do pgrep -f "$work/tasks/SvcCredFileV0/main.js" >/dev/null || break; sleep 0.1; done
  pgrep -f "$work/tasks/SvcCredFileV0/main.js" >/dev/null && die "the canceled step still runs"
  "$SVC_BIN_DIR/svcconn" history feed | grep -q "hooks run $1 .* -> Canceled\$" \
    || { "$SVC_BIN_DIR/svcconn" history feed; die "the job did not end Canceled"; }
}
cancel_case 4 SVCCONN_JOBS_DIR="$work/jobs"
cancel_case 5 SVCCONN_NO_LAUNCHER=1
echo "job hooks: ok"
