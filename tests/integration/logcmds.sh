#!/usr/bin/env bash
# svcconn-agent run acts on its steps' logging commands as the agent does
# (resolver/src/runtime/commands.c): issues counted and shown as
# ##[warning]/##[error], SucceededWithIssues (exit 0), task.debug only with
# System.Debug, task.prependpath and build.updatebuildnumber for the job's
# later steps, tags, attachments kept under --output-dir, the job's result
# in the usage history; commands in any
# case; unknown ones get the agent's warning or error. A step cannot make
# svcconn copy what it could not read itself (the store's key through a
# path, a symbolic link, '..', a hidden directory; a FIFO, a huge file, a
# file without read permission; a type or name with '/'; a planted link in
# the output directory). Through the hooks the commands pass through
# unchanged. And the real azure-pipelines-task-lib, calling prependPath,
# warning, error, debug, uploadFile, addAttachment and
# setResult(SucceededWithIssues), gets the same.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svclogcmd.XXXXXX)
keep=$(mktemp -d /tmp/svclogcmd-out.XXXXXX)
trap 'rm -rf "$work" "$keep"' EXIT
chmod 755 "$work"
# the store lives inside the working directory: what the sandbox hides
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
fail() { echo "$out"; echo "FAIL: $*"; exit 1; }
svcconn init >/dev/null
key=$(ls "$work/home"/*.key 2>/dev/null | head -1 || true)
[ -n "$key" ] || key="$work/home/master.key"
[ -f "$key" ] || { echo "no master key in $work/home"; ls -la "$work/home"; exit 1; }

# ---- the agent's behaviour ------------------------------------------------
mkdir -p "$work/tools"
printf '#!/bin/sh\necho from-prepended-tool\n' > "$work/tools/mytool"
chmod 755 "$work/tools/mytool"
printf 'report body\n' > "$work/report.txt"
printf '# summary\n' > "$work/sum.md"
cat > "$work/cmds.yml" <<'YAML'
steps:
  - bash: |
      echo "##vso[task.logissue type=warning]first warning"
      echo "##VSO[TASK.ISSUE TYPE=Error]an error, shown"
      echo "##vso[task.logissue type=warning;sourcepath=src/a.c;linenumber=3;columnnumber=7;code=W1]unused x"
      echo "##vso[task.debug]hidden debug line"
      echo "##vso[task.prependpath]$PWD/tools"
      echo "##vso[Build.UpdateBuildNumber]1.2.3-local"
      echo "##vso[build.addbuildtag]  nightly  "
      echo "##vso[telemetry.publish area=a;feature=f]{}"
      echo "##vso[task.setprogress value=50]half"
      echo "##vso[task.uploadfile]report.txt"
      echo "##vso[task.addattachment type=Distributedtask.Core.Summary;name=My Summary]$PWD/sum.md"
      echo "##vso[task.uploadfile]report.txt"
      echo "log text" > "$AGENT_TEMPDIRECTORY/tool.log"
      echo "##vso[build.uploadlog]$AGENT_TEMPDIRECTORY/tool.log"
      command -v mytool >/dev/null && echo "same step has it" || echo "same step: not yet"
      echo "##vso[task.complete result=SucceededWithIssues;]done with issues"
    name: first
  - bash: |
      mytool
      echo "number=$BUILD_BUILDNUMBER"
      echo "path0=${PATH%%:*}"
    name: second
YAML
out=$(cd "$work" && agent run cmds.yml --pipeline demo --output-dir "$keep" 2>&1) \
  || fail "a run whose step succeeded with issues did not exit 0"
grep -qF '[Job/first] ##[warning]first warning' <<<"$out" || fail "no warning line"
grep -qF '[Job/first] ##[error]an error, shown' <<<"$out" || fail "no error line"
grep -qF '##[warning]src/a.c(3,7): warning W1: unused x' <<<"$out" || fail "no source issue"
! grep -q 'hidden debug line' <<<"$out" || fail "task.debug shown without System.Debug"
! grep -qi '##vso\[' <<<"$out" || fail "a command line was shown"
grep -q 'same step: not yet' <<<"$out" || fail "prependpath changed the running step"
grep -qF '[Job/second] from-prepended-tool' <<<"$out" || fail "prependpath did not reach the next step"
grep -qF "path0=$(realpath "$work")/tools" <<<"$out" || fail "the prepended directory is not first"
grep -qF '[Job/second] number=1.2.3-local' <<<"$out" || fail "no BUILD_BUILDNUMBER"
grep -qF "== job Job: build tag 'nightly'" <<<"$out" || fail "no build tag"
grep -qF "== job Job: build number '1.2.3-local'" <<<"$out" || fail "no build number note"
grep -qF '== step first succeeded with issues' <<<"$out" || fail "no SucceededWithIssues"
grep -qF 'summary: 2 step(s) run, 0 failed, 1 with issues; 2 warning(s), 1 error(s); exit 0' <<<"$out" \
  || fail "the summary does not count the issues"
jd="$keep/_-Job"
cmp -s "$jd/DistributedTask.Core.FileAttachment/report.txt" "$work/report.txt" || fail "uploadfile not kept"
cmp -s "$jd/DistributedTask.Core.FileAttachment/report.txt.1" "$work/report.txt" || fail "second upload not kept apart"
cmp -s "$jd/Distributedtask.Core.Summary/My Summary" "$work/sum.md" || fail "attachment not kept"
grep -q 'log text' "$jd/DistributedTask.Core.Log/CustomToolLog" || fail "uploadlog not kept"
grep -qF "== job Job: attachment 'report.txt' (DistributedTask.Core.FileAttachment): kept as $jd/DistributedTask.Core.FileAttachment/report.txt" <<<"$out" \
  || fail "attachment not listed"

# without --output-dir the attachments are listed, not kept
rm -rf "$keep"/*
out=$(cd "$work" && agent run cmds.yml --pipeline demo 2>&1) || fail "exit $? for SucceededWithIssues"
grep -qF "attachment 'report.txt' (DistributedTask.Core.FileAttachment) from report.txt: not kept (no --output-dir)" <<<"$out" \
  || fail "without --output-dir an attachment is not listed"
[ -z "$(ls -A "$keep")" ] || fail "something was kept without --output-dir"

# the job's result reaches the usage history: SucceededWithIssues
printf 'pw-secret-4471\n' > "$work/pw"
svcconn create generic api --url https://api.example.test --set username=u \
  --secret password=@"$work/pw" --grant-all-pipelines >/dev/null
mkdir -p "$work/tasks/ProbeV1"
cat > "$work/tasks/ProbeV1/task.json" <<'JSON'
{ "id": "6d7e9f1a-2b3c-4d5e-8f60-718293a4b5c7", "name": "Probe",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "inputs": [ { "name": "conn", "type": "connectedService:generic", "label": "c", "required": true } ],
  "execution": { "Bash": { "target": "main.sh" } } }
JSON
printf 'echo "##vso[task.complete result=SucceededWithIssues;]partly"\n' > "$work/tasks/ProbeV1/main.sh"
cat > "$work/task.yml" <<'YAML'
steps:
  - task: Probe@1
    inputs:
      conn: api
YAML
out=$(cd "$work" && agent run task.yml --pipeline demo --run-id issues-1 --tasks-dir tasks 2>&1) \
  || fail "a task that succeeded with issues failed the run"
out=$(svcconn history api)
grep -q 'demo run issues-1 .*-> SucceededWithIssues' <<<"$out" || fail "the job's result is not SucceededWithIssues"

# System.Debug: set by an earlier step (what exists today), and with --var
cat > "$work/debug.yml" <<'YAML'
steps:
  - bash: echo "##vso[task.setvariable variable=System.Debug]true"
  - bash: |
      echo "debug=$SYSTEM_DEBUG"
      echo "##vso[task.debug]now shown"
YAML
out=$(cd "$work" && agent run debug.yml --pipeline demo 2>&1) || fail "debug run failed"
grep -qF '[Job/' <<<"$out" || fail "no output"
if grep -q 'debug=true' <<<"$out"; then
  grep -qF '##[debug]now shown' <<<"$out" || fail "task.debug not shown with System.Debug"
fi
out=$(cd "$work" && agent run debug.yml --pipeline demo --var System.Debug=true 2>&1) || fail "debug run failed"
grep -q '\] debug=true' <<<"$out" || fail "--var System.Debug=true not in the step's environment"
grep -qF '##[debug]now shown' <<<"$out" || fail "task.debug not shown with --var System.Debug=true"
# and as a pipeline variable
sed -i '1i variables:\n  System.Debug: true' "$work/debug.yml"
out=$(cd "$work" && agent run debug.yml --pipeline demo 2>&1) || fail "debug run failed"
grep -qF '##[debug]now shown' <<<"$out" || fail "task.debug not shown with the variable System.Debug"


# unknown area: the agent's warning; unknown task command: its errors, and
# the step fails; a malformed one: a warning, never a crash
cat > "$work/unknown.yml" <<'YAML'
steps:
  - bash: |
      echo "##vso[foo.bar]x"
      echo "##vso[task.complete result=Succeeded]ok"
  - bash: echo "##vso[task.nonsense]y"
  - bash: echo never
YAML
set +e; out=$(cd "$work" && agent run unknown.yml --pipeline demo 2>&1); rc=$?; set -e
[ "$rc" -eq 1 ] || fail "an unknown task command did not fail the run (exit $rc)"
grep -qF '##[warning]Cannot find command extension for ##vso[foo.command].' <<<"$out" || fail "no unknown-area warning"
grep -qF "##[error]Unable to process command '##vso[task.nonsense]y' successfully." <<<"$out" || fail "no process error"
grep -qF '##[error]##vso[task.nonsense] is not a recognized command for task command extension.' <<<"$out" || fail "no reason"
! grep -q never <<<"$out" || fail "the step after a failed one ran"
cat > "$work/bad.yml" <<'YAML'
steps:
  - bash: |
      echo "##vso[task.logissue type=note]odd type"
      echo "##vso[task.uploadfile]"
      echo "##vso[task.complete result=Bogus]"
      echo "##vso[task.prependpath]"
      echo "##vso[task.addattachment type=../../x;name=y]report.txt"
      echo "##vso[ broken"
      echo "##vso[task.logissue]no type"
      printf '##vso[task.logissue type=error]\n'
YAML
set +e; out=$(cd "$work" && agent run bad.yml --pipeline demo 2>&1); rc=$?; set -e
[ "$rc" -eq 1 ] || fail "invalid commands did not fail the step (exit $rc)"
for why in 'issue type note is not an expected issue type.' \
  'Cannot upload file because file location is not specified.' \
  "Command doesn't have valid result value." "Value cannot be null. (Parameter 'prependpath')" \
  'Type contains invalid characters.' "Can't create TaskIssue from logging event." \
  'malformed logging command ignored'; do
  grep -qF "$why" <<<"$out" || fail "no '$why'"
done
grep -q 'summary: 1 step(s) run, 1 failed; 1 warning(s), 11 error(s); exit 1' <<<"$out" || fail "counts"

# secrets in issues, debug and notes are masked
cat > "$work/mask.yml" <<'YAML'
steps:
  - bash: |
      echo "##vso[task.setsecret]hush-8712-value"
      echo "##vso[task.logissue type=error]leak hush-8712-value here"
      echo "##vso[build.addbuildtag]hush-8712-value"
YAML
out=$(cd "$work" && agent run mask.yml --pipeline demo 2>&1) || fail "mask run failed"
! grep -q 'hush-8712' <<<"$out" || fail "a secret was shown"
grep -qF '##[error]leak *** here' <<<"$out" || fail "no masked issue"

# ---- a hostile step cannot make svcconn read what it could not ---------------
mkfifo "$work/fifo"
truncate -s 65M "$work/huge"
printf 'private\n' > "$work/noread"; chmod 000 "$work/noread"
ln -s "$key" "$work/keylink"
ln -s "$work/home" "$work/homelink"
ln -s /etc/passwd "$work/passwd"
mkdir -p "$keep/_-Job"
ln -s "$work/planted" "$keep/_-Job/DistributedTask.Core.FileAttachment"
cat > "$work/attack.yml" <<YAML
steps:
  - bash: |
      for p in "$key" "home/$(basename "$key")" keylink homelink/$(basename "$key") passwd /etc/passwd \\
               fifo huge noread "$work/../$(basename "$work")/report.txt" home "\$AGENT_TEMPDIRECTORY/../state.json"; do
        echo "##vso[task.uploadfile]\$p"
      done
      echo "##vso[task.addattachment type=x;name=..]report.txt"
      echo "##vso[task.addattachment type=DistributedTask.Core.FileAttachment;name=ok]report.txt"
      exit 0
YAML
set +e; out=$(cd "$work" && agent run attack.yml --pipeline demo --output-dir "$keep" 2>&1); rc=$?; set -e
[ "$rc" -eq 1 ] || fail "refused uploads did not fail the step (exit $rc)"
n=$(grep -c "Unable to process command '##vso\[task.uploadfile\]" <<<"$out" || true)
[ "$n" -eq 12 ] || fail "expected 12 refused uploads, got $n"
n=$(grep -c "Unable to process command '##vso\[task.addattachment" <<<"$out" || true)
[ "$n" -eq 2 ] || fail "expected 2 refused attachments, got $n"
! grep -q "kept as" <<<"$out" || fail "something was kept"
[ ! -e "$work/planted" ] || fail "a planted link was followed"
[ -z "$(find "$keep" -type f)" ] || fail "a file was copied: $(find "$keep" -type f)"
for why in 'goes through a symbolic link' 'is hidden from steps' 'is not under the working directory' \
  'is not a regular file' 'is larger than' 'is not readable' "goes up with '..'" 'cannot make'; do
  grep -qF "$why" <<<"$out" || fail "no refusal '$why'"
done
od -An -tx1 "$key" | tr -d ' \n' > "$work/keyhex"
! grep -qF "$(cat "$work/keyhex")" <<<"$out" || fail "the key was shown"

# ---- through the hooks the commands pass through unchanged -------------------
cat > "$work/hook.yml" <<'YAML'
steps:
  - bash: echo hooks
YAML
agent job-start --pipeline-file "$work/hook.yml" --pipeline demo --job Job \
  --job-dir "$work/jobh" >/dev/null
lines='##vso[task.prependpath]/opt/x
##vso[task.debug]dbg
##vso[task.uploadfile]/nonexistent/file
##vso[task.logissue type=warning]careful
##vso[task.complete result=SucceededWithIssues;]fine
##vso[Build.AddBuildTag]t1
##vso[foo.bar]unknown'
out=$(cd "$work" && agent step --job-dir "$work/jobh" --step 0 -- printf '%s\n' "$lines") || fail "hook step failed"
[ "$out" = "$lines" ] || fail "the hooks changed the commands"
agent job-end --job-dir "$work/jobh" --result Succeeded >/dev/null

# ---- the real task library -------------------------------------------------
tl="$deps/node_modules/azure-pipelines-task-lib/task"
mkdir -p "$work/tlbin"
printf '#!/bin/sh\necho tl-tool-ran\n' > "$work/tlbin/tltool"; chmod 755 "$work/tlbin/tltool"
cat > "$work/tl.js" <<JS
const tl = require("$tl");
tl.prependPath("$work/tlbin");
tl.warning("tl warning 1");
tl.error("tl error 1");
tl.debug("tl debug line");
tl.uploadFile("$work/report.txt");
tl.addAttachment("Distributedtask.Core.Summary", "TL Summary", "$work/sum.md");
tl.setResult(tl.TaskResult.SucceededWithIssues, "partly done");
JS
cat > "$work/tl.yml" <<YAML
steps:
  - bash: node "$work/tl.js"
    name: tl
  - bash: tltool
    name: after
YAML
rm -rf "$keep"/*
out=$(cd "$work" && agent run tl.yml --pipeline demo --output-dir "$keep" 2>&1) || fail "task-lib run failed"
grep -qF '[Job/tl] ##[warning]tl warning 1' <<<"$out" || fail "tl.warning"
grep -qF '[Job/tl] ##[error]tl error 1' <<<"$out" || fail "tl.error"
grep -qF '[Job/tl] ##[warning]partly done' <<<"$out" || fail "setResult's warning"
! grep -q 'tl debug line' <<<"$out" || fail "tl.debug shown without System.Debug"
! grep -qi '##vso\[' <<<"$out" || fail "a command line was shown"
grep -qF '[Job/after] tl-tool-ran' <<<"$out" || fail "tl.prependPath did not reach the next step"
grep -qF '== step tl succeeded with issues' <<<"$out" || fail "setResult(SucceededWithIssues)"
grep -qF 'summary: 2 step(s) run, 0 failed, 1 with issues; 2 warning(s), 1 error(s); exit 0' <<<"$out" \
  || fail "task-lib summary"
cmp -s "$keep/_-Job/DistributedTask.Core.FileAttachment/report.txt" "$work/report.txt" || fail "tl.uploadFile not kept"
cmp -s "$keep/_-Job/Distributedtask.Core.Summary/TL Summary" "$work/sum.md" || fail "tl.addAttachment not kept"
echo "logcmds ok"
