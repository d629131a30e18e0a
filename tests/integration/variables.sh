#!/usr/bin/env bash
# Variables reach steps, and $(name) macros are expanded, the agent's way,
# through `svcconn-agent run` and through the hooks (job-start / step /
# job-end), with the real azure-pipelines-task-lib (installed from npm):
# - pipeline < stage < job variables, --var over all, in the environment
#   (NAME upper-cased, '.' as '_'), listed for tl.getVariable;
# - predefined variables are not overridden by the pipeline's, but
#   System.Debug is an ordinary variable;
# - macros in script bodies, task inputs (a manifest default
#   $(System.DefaultWorkingDirectory) included) and env: values, from the
#   predefined variables, the job's and those earlier steps set (secret
#   ones masked); unknown ones as written; a value put in never rescanned
#   (but variables' values are expanded through each other, a step's
#   too);
#   the issue's twine line: --config-file $(PYPIRC_PATH) set by a step;
#   then the agent's own environment variables by exact name ($(HOME));
#   inputs and env: values trimmed;
# - env: maps a secret variable into a script's environment; a job
#   variable of the same name wins over env: (as on the agent);
# - output variables: $(step.var) and STEP_VAR in the job's later steps,
#   tl.setVariable(..., isOutput) included, secret ones masked, in the
#   run's later jobs too.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svcvars.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
"$SVC_BIN_DIR/svcconn" init >/dev/null
fail() { echo "$out"; echo "FAIL: $*"; exit 1; }
has() { grep -qF -- "$1" <<<"$out" || fail "no '$1'"; }
hasnt() { ! grep -qF -- "$1" <<<"$out" || fail "'$1' shown"; }
src=$(realpath "$work")

# a task written the way Microsoft's are: task.json with defaults, the
# real task library
mkdir -p "$work/tasks/VarProbeV1"
ln -s "$deps/node_modules" "$work/tasks/VarProbeV1/node_modules"
cat > "$work/tasks/VarProbeV1/task.json" <<'JSON'
{ "id": "2f3e4d5c-6b7a-4988-8776-655443322110", "name": "VarProbe",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "inputs": [
    { "name": "cwd", "type": "filePath", "defaultValue": "$(System.DefaultWorkingDirectory)" },
    { "name": "msg", "type": "string", "defaultValue": "" } ],
  "execution": { "Node20_1": { "target": "probe.js" } } }
JSON
cat > "$work/tasks/VarProbeV1/probe.js" <<'JS'
const tl = require('azure-pipelines-task-lib/task');
console.log(`tl greeting=${tl.getVariable('greeting')} job.only=${tl.getVariable('job.only')}`);
console.log(`tl dwd=${tl.getVariable('System.DefaultWorkingDirectory')} tok=${tl.getVariable('tok')}`);
console.log(`tl cwd=${tl.getInput('cwd', true)} msg=${tl.getInput('msg')}`);
const names = tl.getVariables().map(v => v.name);
console.log(`tl lists greeting=${names.includes('greeting')}`);
tl.setVariable('result', 'probe-out', false, true);
tl.setVariable('skey', 'probe-secret-9931', true, true);
tl.setResult(tl.TaskResult.Succeeded, 'ok');
JS

cat > "$work/p.yml" <<'YAML'
variables:
  greeting: from-pipeline
  level: pipeline
  where: $(Build.SourcesDirectory)/out
  Build.SourcesDirectory: not-the-sources
  System.Debug: true
  loop: $(loop)x
  lit: $(greeting)
  PathLike: reserved-prefix
stages:
  - stage: S1
    variables:
      level: stage
    jobs:
      - job: A
        variables:
          job.only: yes
          level: job
        steps:
          - bash: |
              echo "env g=$GREETING level=$LEVEL jo=$JOB_ONLY dbg=$SYSTEM_DEBUG src=$BUILD_SOURCESDIRECTORY where=$WHERE pl=${PATHLIKE:-none}"
              echo 'macro g=$(greeting) level=$(level) where=$(where) dwd=$(System.DefaultWorkingDirectory) src=$(build.sourcesdirectory)'
              echo 'unknown=$(no.such.var) loop=$(loop) lit=$(lit) empty=$()'
              mkdir -p "$AGENT_TEMPDIRECTORY/twine" && echo "[feed]" > "$AGENT_TEMPDIRECTORY/twine/.pypirc"
              echo "##vso[task.setvariable variable=PYPIRC_PATH]$AGENT_TEMPDIRECTORY/twine/.pypirc"
              echo "##vso[task.setvariable variable=tok;issecret=true]tok-secret-4471"
              echo "##vso[task.setvariable variable=out1;isoutput=true]out-one"
              echo "##vso[task.setvariable variable=sout;isoutput=true;issecret=true]sout-secret-8812"
              d='$'; echo "##vso[task.setvariable variable=combo]${d}(greeting)-x"
            name: setter
          - bash: |
              twine() { echo "twine $*"; test -f "$5" && echo "pypirc found"; }
              twine upload -r feed --config-file $(PYPIRC_PATH) dist/*
              echo "out=$(setter.out1) env=$SETTER_OUT1 sout=$(setter.sout) tok=$(tok)"
              echo "mapped=$MAPPED greeting=$GREETING mine=$MINE combo=$COMBO"
              echo "padded=[$PADDED] home=$(HOME)" 'lower=$(home)'
            env:
              PADDED: "  x y  "
              MAPPED: $(tok)
              GREETING: from-env
              MINE: $(greeting)-$(Agent.OS)-$(tok)
          - task: VarProbe@1
            name: probe
            inputs:
              msg: hi $(greeting) $(setter.out1)
          - bash: echo "probe out=$(probe.result) env=$PROBE_RESULT skey=$(probe.skey)"
YAML

check_story() {
  has "env g=from-cli level=job jo=yes dbg=true src=$src where=$src/out pl=none"
  has "macro g=from-cli level=job where=$src/out dwd=$src src=$src"
  has 'unknown=$(no.such.var) loop=$(loop)x lit=from-cli empty=$()'
  has "twine upload -r feed --config-file "
  has "/twine/.pypirc dist/*"
  has "pypirc found"
  has 'out=out-one env=out-one sout=*** tok=***'
  has "mapped=*** greeting=from-cli mine=from-cli-Linux-*** combo=from-cli-x"
  has "padded=[x y] home=$HOME lower=\$(home)"
  has "tl greeting=from-cli job.only=yes"
  has "tl dwd=$src tok=***"
  has "tl cwd=$src msg=hi from-cli out-one"
  has "tl lists greeting=true"
  has 'probe out=probe-out env=probe-out skey=***'
  for s in tok-secret-4471 sout-secret-8812 probe-secret-9931; do hasnt "$s"; done
}

# svcconn-agent run
out=$(cd "$work" && agent run p.yml --pipeline demo --var greeting=from-cli \
  --tasks-dir "$work/tasks" 2>&1) || fail "run failed"
check_story
has 'summary: 4 step(s) run, 0 failed; exit 0'
echo "run: variables, macros, env: and outputs as the agent gives them"

# the hooks: the calling agent runs each step's command; svcconn gives it
# the job's variables, the step's env: and its expanded inputs, and passes
# the variables steps set (outputs included) through the job's broker
agent job-start --pipeline-file "$work/p.yml" --pipeline demo --stage S1 --job A \
  --var greeting=from-cli --tasks-dir "$work/tasks" --job-dir "$work/job" >/dev/null
out=$(cd "$work" && {
  agent step --job-dir "$work/job" --step setter -- bash -c '
    echo "env g=$GREETING level=$LEVEL jo=$JOB_ONLY dbg=$SYSTEM_DEBUG src=$BUILD_SOURCESDIRECTORY where=$WHERE pl=${PATHLIKE:-none}"
    mkdir -p "$AGENT_TEMPDIRECTORY/twine" && echo "[feed]" > "$AGENT_TEMPDIRECTORY/twine/.pypirc"
    echo "##vso[task.setvariable variable=PYPIRC_PATH]$AGENT_TEMPDIRECTORY/twine/.pypirc"
    echo "##vso[task.setvariable variable=tok;issecret=true]tok-secret-4471"
    echo "##vso[task.setvariable variable=out1;isoutput=true]out-one"
    echo "##vso[task.setvariable variable=sout;isoutput=true;issecret=true]sout-secret-8812"'
  agent step --job-dir "$work/job" --step 1 -- bash -c '
    echo "pypirc=$PYPIRC_PATH out=$SETTER_OUT1 sout=$SECRET_SETTER_SOUT"
    echo "mapped=$MAPPED greeting=$GREETING mine=$MINE"'
  agent step --job-dir "$work/job" --step probe -- node "$work/tasks/VarProbeV1/probe.js"
  agent step --job-dir "$work/job" --step 3 -- bash -c 'echo "probe env=$PROBE_RESULT skey=$SECRET_PROBE_SKEY"'
} 2>&1) || fail "a hook step failed"
agent job-end --job-dir "$work/job" --result Succeeded >/dev/null
has "env g=from-cli level=job jo=yes dbg=true src=$src where=$src/out pl=none"
has "pypirc=$src/job/tmp/twine/.pypirc out=out-one sout=***"
has "mapped=*** greeting=from-cli mine=from-cli-Linux-***"
has "tl greeting=from-cli job.only=yes"
has "tl dwd=$src tok=***"
has "tl cwd=$src msg=hi from-cli out-one"
has "probe env=probe-out skey=***"
for s in tok-secret-4471 sout-secret-8812 probe-secret-9931; do hasnt "$s"; done
echo "hooks: the same variables, env: and inputs; outputs through the broker"

# an output needs the step's name; a step's variable named like a
# predefined one is refused (the closed list), an output of a step named
# build is read by its macro only
cat > "$work/o.yml" <<'YAML'
steps:
  - bash: |
      echo "##vso[task.setvariable variable=x;isoutput=true]nameless"
  - bash: |
      echo "##vso[task.setvariable variable=version;isoutput=true]1.2.3"
    name: build
  - bash: echo "v=$(build.version) env=${BUILD_VERSION:-none}"
YAML
out=$(cd "$work" && agent run o.yml --pipeline demo 2>&1) || fail "run o.yml failed"
has "an output variable needs the step's name:"
has 'v=1.2.3 env=none'

# a secret output of one job stays masked in the later jobs of the run
# (the run keeps the outputs for dependencies.J.outputs['s.x'])
cat > "$work/x.yml" <<'YAML'
jobs:
  - job: First
    steps:
      - bash: echo "##vso[task.setvariable variable=key;isoutput=true;issecret=true]xjob-secret-5521"
        name: s
  - job: Second
    steps:
      - bash: echo "later job prints xjob-secret-5521"
YAML
out=$(cd "$work" && agent run x.yml --pipeline demo 2>&1) || fail "run x.yml failed"
has 'later job prints ***'
hasnt xjob-secret-5521
# a script step's workingDirectory: relative to the default working
# directory, with macros, or absolute; and an output variable of one job
# read by a later job's variables through $[ dependencies.J.outputs[...] ]
# and by its condition
mkdir -p "$work/sub/deeper" "$work/sub2"
cat > "$work/w.yml" <<'YAML'
variables:
  here: deeper
jobs:
  - job: First
    steps:
      - bash: echo "pwd1=$(pwd)"
        workingDirectory: sub
      - bash: echo "pwd2=$(pwd)"
        workingDirectory: $(System.DefaultWorkingDirectory)/sub/$(here)
      - bash: echo "pwd3=$(pwd)"
      - bash: |
          f=$(mktemp)
          [ "$TMPDIR" = "$AGENT_TEMPDIRECTORY" ] && [ "${f#"$TMPDIR"/}" != "$f" ] && echo "tmpdir-ok=yes"
      - bash: echo "##vso[task.setvariable variable=ver;isoutput=true]4.5.6"
        name: setv
  - job: Second
    dependsOn: First
    condition: eq(dependencies.First.outputs['setv.ver'], '4.5.6')
    variables:
      fromFirst: $[ dependencies.First.outputs['setv.ver'] ]
    steps:
      - bash: echo "second got $(fromFirst)"
  - job: Third
    dependsOn: First
    condition: eq(dependencies.First.outputs['setv.ver'], 'other')
    steps:
      - bash: echo "third ran"
YAML
out=$(cd "$work" && agent run w.yml --pipeline demo 2>&1) || fail "run w.yml failed"
has "pwd1=$src/sub"
has "pwd2=$src/sub/deeper"
has "pwd3=$src"
has "tmpdir-ok=yes"
has "second got 4.5.6"
hasnt "third ran"
echo "variables: 5 stories pass"
