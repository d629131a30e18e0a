#!/usr/bin/env bash
# Through the hooks (job-start, step, job-end): the calling agent's own
# variables reach the step (its predefined groups from step's environment,
# --env-file, --pass-env), svcconn's own win, the closed list is refused
# with the file and line; every step has SystemVssConnection as the real
# azure-pipelines-task-lib reads it (PipAuthenticate's calls): the job's
# stand-in token from its broker, the same in every step and masked, or
# the agent's own SYSTEM_ACCESSTOKEN when it passes one; SIGTERM to step
# kills the step.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svchooksenv.XXXXXX)
steppid=
cleanup() {
  [ -z "$steppid" ] || kill "$steppid" 2>/dev/null || true
  [ ! -f "$work/jobs/j/job.json" ] ||
    "$SVC_BIN_DIR/svcconn-agent" job-end --job-dir "$work/jobs/j" --result Canceled >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin SVCCONN_JOBS_DIR="$work/jobs"
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
die() { echo "FAIL: $*"; [ ! -f "$work/out" ] || cat "$work/out"; exit 1; }
mkdir -m 700 "$work/jobs"
"$SVC_BIN_DIR/svcconn" init >/dev/null
printf 'jobs:\n  - job: H\n    steps:\n      - script: echo zero\n      - script: echo one\n      - script: echo two\n' > "$work/p.yml"
J="$work/jobs/j"
agent job-start --pipeline-file "$work/p.yml" --pipeline hooks --job H --run-id 1 \
  --job-dir "$J" >/dev/null
# what a task sees, through the real task library (PipAuthenticate's calls)
cat > "$work/probe.js" <<'JS'
const tl = require(process.argv[2] + '/azure-pipelines-task-lib/task');
const crypto = require('crypto');
const token = tl.getEndpointAuthorizationParameter('SYSTEMVSSCONNECTION', 'AccessToken', false);
console.log(`url=${tl.getEndpointUrl('SYSTEMVSSCONNECTION', false)}`);
console.log(`scheme=${tl.getEndpointAuthorizationScheme('SYSTEMVSSCONNECTION', false)}`);
console.log(`tokenlen=${token.length} sha=${crypto.createHash('sha256').update(token).digest('hex')}`);
console.log(`token=${token}`);
for (const v of ['SYSTEM_ACCESSTOKEN', 'SYSTEM_TEAMFOUNDATIONCOLLECTIONURI', 'BUILD_SOURCESDIRECTORY',
                 'BUILD_BUILDURI', 'AGENT_TEMPDIRECTORY', 'LD_PRELOAD', 'SVCCONN_X', 'MYVAR', 'FROMFILE', 'PASSED'])
  console.log(`${v}=${process.env[v] === undefined ? '(unset)' : process.env[v]}`);
JS
probe() { agent step --job-dir "$J" --step "$1" "${@:2}" -- node "$work/probe.js" "$deps/node_modules"; }
has() { grep -qxF "$1" "$work/out" || die "no '$1'"; }

# the job's stand-in, from its broker: the same in two steps, masked
(cd "$work" && unset SYSTEM_ACCESSTOKEN && export LD_PRELOAD= SVCCONN_X=1 MYVAR=nope \
  BUILD_BUILDURI=vstfs:///Build/Build/7 AGENT_TEMPDIRECTORY=/agent/tmp && probe 0) > "$work/out" 2>&1 \
  || die "step 0 failed"
has 'url=https://svcconn.invalid/local/'
has 'scheme=OAuth'
has 'token=***'
has 'SYSTEM_ACCESSTOKEN=(unset)'
has 'BUILD_BUILDURI=vstfs:///Build/Build/7'
has "AGENT_TEMPDIRECTORY=$(realpath "$J")/tmp"
has 'LD_PRELOAD=(unset)'
has 'SVCCONN_X=(unset)'
has 'MYVAR=(unset)'
grep -qx 'tokenlen=64 sha=[0-9a-f]*' "$work/out" || die "no 64-digit token"
sha0=$(grep -o 'sha=.*' "$work/out")
(cd "$work" && unset SYSTEM_ACCESSTOKEN && probe 1) > "$work/out" 2>&1 || die "step 1 failed"
[ "$(grep -o 'sha=.*' "$work/out")" = "$sha0" ] || die "two steps of a job had different tokens"
for t in $(grep -rhoaE '[0-9a-f]{64}' "$work/jobs" "$work/home" 2>/dev/null | sort -u); do
  [ "sha=$(printf '%s' "$t" | sha256sum | cut -d' ' -f1)" != "$sha0" ] || die "the system token is on disk"
done

# the agent's own: its token and collection URI win over the stand-ins,
# and its token is masked; svcconn's own variables win over the agent's
printf '# from the agent\nFROMFILE=a value with = and spaces\n\nAGENT_TEMPDIRECTORY=/agent/tmp2\n' > "$work/env"
(cd "$work" && export SYSTEM_ACCESSTOKEN=agent-job-token-0123456789 PASSED=yes \
  SYSTEM_TEAMFOUNDATIONCOLLECTIONURI=https://dev.azure.com/org/ BUILD_SOURCESDIRECTORY=/agent/s && \
  probe 2 --env-file "$work/env" --pass-env PASSED --pass-env UNSET_ONE) > "$work/out" 2>&1 || die "step 2 failed"
has 'url=https://dev.azure.com/org/'
has 'SYSTEM_TEAMFOUNDATIONCOLLECTIONURI=https://dev.azure.com/org/'
has 'BUILD_SOURCESDIRECTORY=/agent/s'
has "tokenlen=26 sha=$(printf agent-job-token-0123456789 | sha256sum | cut -d' ' -f1)"
has 'token=***'
has 'SYSTEM_ACCESSTOKEN=***'
has 'FROMFILE=a value with = and spaces'
has 'PASSED=yes'
has "AGENT_TEMPDIRECTORY=$(realpath "$J")/tmp"
grep -q 'agent-job-token' "$work/out" && die "the agent's token was printed"

# hostile --env-file and --pass-env: refused with the file and line
bad() { # expected message, file content
  printf '%b' "$2" > "$work/bad"
  if agent step --job-dir "$J" --step 0 --env-file "$work/bad" -- true > "$work/out" 2>&1; then
    die "env file '$2' was accepted"
  fi
  grep -qF "$1" "$work/out" || die "env file '$2': no '$1'"
}
bad "$work/bad:3: LD_*" 'A=1\n\nLD_PRELOAD=/tmp/x.so\n'
bad "$work/bad:1: SVCCONN_*" 'SVCCONN_BROKER_TOKEN=00\n'
bad "$work/bad:2: ENDPOINT_*" 'B=2\nENDPOINT_URL_SYSTEMVSSCONNECTION=https://evil.test/\n'
bad "$work/bad:1: not KEY=VALUE" 'just a line\n'
bad "$work/bad:1: carriage return" 'A=1\r\nB=2\n'
bad "$work/bad:1: invalid variable name" 'lower=1\n'
bad "holds a NUL byte" 'A=1\0\n'
agent step --job-dir "$J" --step 0 --pass-env PATH -- true > "$work/out" 2>&1 && die "--pass-env PATH was accepted"
grep -qF -- '--pass-env PATH: PATH is the program search path' "$work/out" || die "--pass-env PATH: no reason"

# SIGTERM to step kills the step, which ends with 128 + 15
(cd "$work" && exec "$SVC_BIN_DIR/svcconn-agent" step --job-dir "$J" --step 0 -- \
  bash -c "echo started > '$work/started'; exec sleep 307") > "$work/out" 2>&1 &
steppid=$!
for _ in $(seq 100); do [ -e "$work/started" ] && break; sleep 0.1; done
[ -e "$work/started" ] || die "the step did not start"
kill -TERM "$steppid"
rc=0; wait "$steppid" || rc=$?
steppid=
[ "$rc" = 143 ] || die "a canceled step exited $rc, not 143"
for _ in $(seq 50); do pgrep -f 'sleep 307' >/dev/null || break; sleep 0.1; done
pgrep -f 'sleep 307' >/dev/null && die "the canceled step still runs"
agent job-end --job-dir "$J" --result Succeeded >/dev/null
echo "hooks env: ok"
