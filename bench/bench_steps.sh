#!/usr/bin/env bash
# bench_steps.sh - what the step sandbox costs a step: a 50-step job run by
# `svcconn-agent run` with every step in the sandbox (the default: one
# bubblewrap sandbox per job, its launcher starting each step) against the
# same job run without it (--let-steps-read-the-store: what a step cost
# before the sandbox), in the same run, on the same machine.
#
# Each step is a real script step (bash, a line of output) in a job that
# uses a connection with a secret (so the masker has work), as steps are.
# The two are timed alternately, ROUNDS times (default 7, BENCH_ROUNDS), so
# drift of the machine hits both alike; the median of each is taken.
# Prints ms per step for each, the ratio sandbox/none, and exits 1 when the
# ratio is over the target (1.2).  A sandbox per step (the job without its
# launcher, as for a step that references an SSH connection) is measured
# too, for comparison (BENCH_PER_STEP=0 skips it).
#
# Usage: SVC_BIN_DIR=<dir with svcconn and svcconn-agent> bash bench/bench_steps.sh
set -euo pipefail
: "${SVC_BIN_DIR:?set SVC_BIN_DIR to the directory of the built executables}"
ROUNDS=${BENCH_ROUNDS:-7}
STEPS=50
TARGET=1.2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SVCCONN_HOME="$tmp/home" SVCCONN_USER=bench SVCCONN_JOBS_DIR="$tmp/jobs"
"$SVC_BIN_DIR/svcconn" init >/dev/null
printf 'bench-secret-value-1234\n' > "$tmp/pw"
"$SVC_BIN_DIR/svcconn" create generic api --url https://api.example.test \
  --set username=u --secret password=@"$tmp/pw" --grant-all-pipelines >/dev/null
mkdir -p "$tmp/ws" "$tmp/tasks/UseApiV1"
cat > "$tmp/tasks/UseApiV1/task.json" <<'JSON'
{ "id": "0b3c5d7e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "name": "UseApi",
  "friendlyName": "use api", "description": "bench", "author": "svcconn",
  "category": "Utility", "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "instanceNameFormat": "use",
  "inputs": [ { "name": "api", "type": "connectedService:generic", "label": "API", "required": true } ],
  "execution": { "Bash": { "target": "use.sh" } } }
JSON
echo 'echo "using $ENDPOINT_URL_API"' > "$tmp/tasks/UseApiV1/use.sh"
{
  echo "steps:"
  echo "  - task: UseApi@1"
  echo "    inputs: { api: api }"
  for i in $(seq 2 "$STEPS"); do echo "  - script: echo step $i"; done
} > "$tmp/p.yml"

run_once() { # extra flags... -> seconds
  local s e
  s=$(date +%s%N)
  (cd "$tmp/ws" && "$SVC_BIN_DIR/svcconn-agent" run "$tmp/p.yml" --pipeline bench \
     --tasks-dir "$tmp/tasks" "$@" > "$tmp/out.txt" 2>&1) ||
    { cat "$tmp/out.txt" >&2; echo "bench_steps: the run failed" >&2; exit 2; }
  grep -q "summary: $STEPS step(s) run, 0 failed" "$tmp/out.txt" ||
    { cat "$tmp/out.txt" >&2; echo "bench_steps: not every step ran" >&2; exit 2; }
  e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_once >/dev/null; run_once --let-steps-read-the-store >/dev/null   # warm-up
: > "$tmp/sbx"; : > "$tmp/none"; : > "$tmp/per"
for _ in $(seq "$ROUNDS"); do
  run_once >> "$tmp/sbx"
  run_once --let-steps-read-the-store >> "$tmp/none"
  [ "${BENCH_PER_STEP:-1}" = 0 ] || SVCCONN_NO_LAUNCHER=1 run_once >> "$tmp/per"
done
sbx=$(median < "$tmp/sbx"); none=$(median < "$tmp/none")
awk -v s="$sbx" -v n="$none" -v k="$STEPS" -v t="$TARGET" 'BEGIN {
  printf "sandbox (one per job): %.2f ms/step\n", s / 1000 / k
  printf "no sandbox:            %.2f ms/step\n", n / 1000 / k
  printf "ratio sandbox/none:    %.2f (target <= %.1f)\n", s / n, t
  exit (s / n > t) }' || over=1
if [ -s "$tmp/per" ]; then
  per=$(median < "$tmp/per")
  awk -v p="$per" -v n="$none" -v k="$STEPS" 'BEGIN {
    printf "a sandbox per step:    %.2f ms/step, ratio %.2f (for comparison)\n", p / 1000 / k, p / n }'
fi
exit "${over:-0}"
