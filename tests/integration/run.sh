#!/usr/bin/env bash
# svcconn-agent run: a pipeline runs stage by stage, job by job, step by
# step; a task step reads its connection through the real task library; a
# failing step fails the run (exit 1); a restricted connection stops it
# before any step (exit 3); an approval makes it wait (exit 4).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svcrun.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
printf 'api-secret-value\n' > "$work/pw"
svcconn init >/dev/null
svcconn create generic api --url https://api.example.test --set username=u \
  --secret password=@"$work/pw" --grant-all-pipelines >/dev/null

cat > "$work/ok.yml" <<YAML
stages:
  - stage: Build
    jobs:
      - job: One
        steps:
          - script: echo "job \$SYSTEM_JOBNAME of \$BUILD_DEFINITIONNAME"
            name: hello
          - bash: test -d "\$AGENT_TEMPDIRECTORY" && echo tempdir ok
  - stage: Ship
    jobs:
      - job: Two
        steps:
          - script: 'echo "no connection here: \${ENDPOINT_URL_x:-none}"'
YAML
out=$(cd "$work" && agent run ok.yml --pipeline demo)
grep -q '\[One/hello\] job One of demo' <<<"$out"
grep -q 'tempdir ok' <<<"$out"
grep -q '\[Two/.*\] no connection here: none' <<<"$out"
grep -q 'summary: 3 step(s) run, 0 failed; exit 0' <<<"$out"

# the agent's predefined variables: the working directory is the sources
# directory; staging directories are the job's, written by one step and
# read by the next; a pipeline without stages has the default stage
git -C "$work" init -q 2>/dev/null && git -C "$work" -c user.name=t -c user.email=t@t \
  commit -q --allow-empty -m init
head=$(git -C "$work" rev-parse HEAD)
cat > "$work/vars.yml" <<'YAML'
steps:
  - bash: |
      echo "src=$BUILD_SOURCESDIRECTORY dwd=$SYSTEM_DEFAULTWORKINGDIRECTORY stage=$SYSTEM_STAGENAME"
      echo "os=$AGENT_OS ver=$AGENT_VERSION reason=$BUILD_REASON rev=$BUILD_SOURCEVERSION"
      echo "project=$SYSTEM_TEAMPROJECT uri=$SYSTEM_COLLECTIONURI"
      echo "staged" > "$BUILD_ARTIFACTSTAGINGDIRECTORY/out.txt"
      test -d "$BUILD_BINARIESDIRECTORY" && test -d "$AGENT_TOOLSDIRECTORY" && echo dirs ok
      test -n "$SYSTEM_JOBID" && test -n "$SYSTEM_PLANID" && echo ids ok
  - bash: cat "$BUILD_STAGINGDIRECTORY/out.txt"
YAML
out=$(cd "$work" && agent run vars.yml --pipeline demo)
grep -qF "src=$(realpath "$work") dwd=$(realpath "$work") stage=__default" <<<"$out" \
  || { echo "$out"; echo "no sources directory or default stage"; exit 1; }
grep -qF "os=Linux ver=4.248.0 reason=Manual rev=$head" <<<"$out" || { echo "$out"; exit 1; }
grep -qF "project=default uri=https://svcconn.invalid/local/" <<<"$out" || { echo "$out"; exit 1; }
grep -q 'dirs ok' <<<"$out" && grep -q 'ids ok' <<<"$out" || { echo "$out"; exit 1; }
grep -q '\] staged' <<<"$out" || { echo "$out"; echo "a staging directory was not the job's"; exit 1; }
rm -rf "$work/.git"

# a task that fails the way real tasks fail: tl.setResult(Failed), exit 0
cat > "$work/complete.yml" <<'YAML'
steps:
  - bash: echo "##vso[task.complete result=Succeeded;]fine"
  - bash: echo "##vso[task.logissue type=warning]careful"; echo "##VSO[TASK.COMPLETE result=failed;]it broke"; exit 0
  - bash: echo never
YAML
set +e
out=$(cd "$work" && agent run complete.yml --pipeline demo); rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "$out"; echo "task.complete result=Failed did not fail the run: exit $rc"; exit 1; }
grep -q 'summary: 2 step(s) run, 1 failed' <<<"$out" || { echo "$out"; exit 1; }
! grep -q never <<<"$out" || { echo "$out"; echo "the step after a failed one ran"; exit 1; }
# through the hooks: the step's exit code says it failed
agent job-start --pipeline-file "$work/complete.yml" --pipeline demo --job Job \
  --job-dir "$work/jobc" >/dev/null
set +e
agent step --job-dir "$work/jobc" --step 1 -- bash -c 'echo "##vso[task.complete result=Failed]x"; exit 0' >/dev/null; rc=$?
set -e
agent job-end --job-dir "$work/jobc" --result Failed >/dev/null
[ "$rc" -eq 1 ] || { echo "hooks: task.complete result=Failed exited $rc"; exit 1; }

cat > "$work/fail.yml" <<YAML
steps:
  - script: exit 7
  - script: echo never
YAML
set +e
out=$(cd "$work" && agent run fail.yml --pipeline demo); rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "failing step: exit $rc"; exit 1; }
grep -q 'failed: exit 7' <<<"$out"
! grep -q never <<<"$out"

svcconn permissions api --restrict >/dev/null
cat > "$work/conn.yml" <<YAML
resources:
  containers:
    - container: c
      image: x
      endpoint: reg
jobs:
  - job: Uses
    steps:
      - task: SvcProbe@1
        inputs:
          serviceConnection: api
          github: api
YAML
set +e
out=$(cd "$work" && agent run conn.yml --pipeline demo --tasks-dir "$SVC_SOURCE_DIR/fixtures/tasks" 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "wrong type: exit $rc"; echo "$out"; exit 1; }
grep -q "expects type 'github'" <<<"$out"
# step output is masked: the connection's secret in its encoded forms, a
# secret a step registers, and a secret variable passed to a later step
mkdir -p "$work/tasks/LeakV1"
cat > "$work/tasks/LeakV1/task.json" <<'JSON'
{ "id": "5b0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d", "name": "Leak",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "inputs": [ { "name": "conn", "type": "connectedService:generic" } ],
  "execution": { "Bash": { "target": "leak.sh" } } }
JSON
cat > "$work/tasks/LeakV1/leak.sh" <<'SH'
id=$INPUT_CONN
var="ENDPOINT_AUTH_PARAMETER_${id}_PASSWORD"
pw=$(printenv "$var")
echo "raw: $pw"
printf 'base64: %s\n' "$(printf '%s' "$pw" | base64)"
printf 'basic: %s\n' "$(printf 'u:%s' "$pw" | base64)"
echo "json: \"$pw\""
echo "##vso[task.setsecret]late-secret-0042"
echo "after setsecret: late-secret-0042"
echo "##vso[task.setvariable variable=token;issecret=true]tok-secret-77"
SH
cat > "$work/leak.yml" <<YAML
steps:
  - task: Leak@1
    inputs:
      conn: api
  - bash: echo "next step sees \$SECRET_TOKEN in \$VSTS_SECRET_VARIABLES"
  - bash: echo "a step without the connection writes api-secret-value anyway; has \${ENDPOINT_URL_x:-no endpoint}"
YAML
svcconn permissions api --all-pipelines >/dev/null
out=$(cd "$work" && agent run leak.yml --pipeline demo --tasks-dir "$work/tasks" 2>&1)
for s in api-secret-value "$(printf %s api-secret-value | base64)" \
         "$(printf u:%s api-secret-value | base64)" late-secret-0042 tok-secret-77; do
  if grep -qF -- "$s" <<<"$out"; then echo "LEAK of $s:"; echo "$out"; exit 1; fi
done
grep -q 'raw: \*\*\*' <<<"$out"
grep -q 'next step sees \*\*\* in \["token"\]' <<<"$out"
# the job's connections are masked in every step, also where not referenced
grep -q 'a step without the connection writes \*\*\* anyway; has no endpoint' <<<"$out" \
  || { echo "$out"; echo "a job connection's secret is not masked in a step without it"; exit 1; }

# task.setendpoint changes a connection for the job's later steps; the new
# authorization parameter is masked at once
mkdir -p "$work/tasks/EndpointV1"
cat > "$work/tasks/EndpointV1/task.json" <<'JSON'
{ "id": "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "name": "Endpoint",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "inputs": [ { "name": "conn", "type": "connectedService:generic" },
              { "name": "mode", "type": "string" } ],
  "execution": { "Bash": { "target": "ep.sh" } } }
JSON
cat > "$work/tasks/EndpointV1/ep.sh" <<'SH'
id=$INPUT_CONN
if [ "$INPUT_MODE" = set ]; then
  echo "##vso[task.setendpoint id=$id;field=authParameter;key=password]rotated-pw-5150"
  echo "##vso[task.setendpoint id=$id;field=url]https://changed.example.test/"
  echo "##vso[task.setendpoint id=00000000-0000-4000-8000-000000000000;field=url]https://x.example.test/"
else
  echo "url now: $(printenv "ENDPOINT_URL_$id")"
  echo "password now: $(printenv "ENDPOINT_AUTH_PARAMETER_${id}_PASSWORD")"
  printenv "ENDPOINT_AUTH_$id" | grep -q rotated-pw-5150 && echo "auth JSON updated"
fi
SH
cat > "$work/ep.yml" <<YAML
steps:
  - task: Endpoint@1
    inputs:
      conn: api
      mode: set
  - task: Endpoint@1
    inputs:
      conn: api
      mode: show
YAML
out=$(cd "$work" && agent run ep.yml --pipeline demo --tasks-dir "$work/tasks" 2>&1)
grep -q 'url now: https://changed.example.test/' <<<"$out" || { echo "$out"; exit 1; }
grep -q 'password now: \*\*\*' <<<"$out"
grep -q 'auth JSON updated' <<<"$out"
grep -q "is not one of this job's" <<<"$out"
if grep -qF rotated-pw-5150 <<<"$out"; then echo "LEAK of a setendpoint value"; exit 1; fi

# a run for a pull request from a fork gets no connections: such steps are
# skipped with the agent's message; the others run
out=$(cd "$work" && agent run leak.yml --pipeline demo --tasks-dir "$work/tasks" --fork 2>&1)
grep -q 'References service endpoint. PRs from repository forks are not allowed to access secrets in the pipeline.' <<<"$out" || { echo "$out"; exit 1; }
grep -q 'summary: 2 step(s) run, 0 failed, 1 skipped' <<<"$out"
out=$(cd "$work" && agent run leak.yml --pipeline demo --tasks-dir "$work/tasks" --fork --fork-secrets 2>&1)
grep -q 'summary: 3 step(s) run, 0 failed' <<<"$out" || { echo "$out"; exit 1; }
svcconn permissions api --restrict >/dev/null

# a pipeline that does not compile runs nothing: exit 2
printf 'steps:\n  - script: echo a: b\n' > "$work/bad.yml"
set +e
out=$(cd "$work" && agent run bad.yml --pipeline demo 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "invalid YAML: exit $rc"; echo "$out"; exit 1; }
grep -q 'bad.yml:2:' <<<"$out"
echo "run: 8 stories pass"
