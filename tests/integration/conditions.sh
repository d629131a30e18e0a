#!/usr/bin/env bash
# svcconn-agent run decides as the agent and the service do: jobs and
# stages in an order that satisfies dependsOn, dependents of a failure
# skipped (with why), cleanup jobs and steps with failed()/always(),
# every job status function, dependencies.<x>.result, --var variables in
# conditions, continueOnError, enabled: false, the real job results in
# the usage history, and bad or hostile conditions refused before
# anything runs, naming the file and line.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
work=$(mktemp -d /tmp/svccond.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
svcconn init >/dev/null
fail() { echo "$out"; echo "FAIL: $*"; exit 1; }
has() { grep -qF -- "$1" <<<"$out" || fail "missing: $1"; }
hasnt() { ! grep -qF -- "$1" <<<"$out" || fail "unexpected: $1"; }
# run FILE [ARGS]: output in $out, exit code in $rc
run() { set +e; out=$(cd "$work" && agent run "$@" --pipeline demo 2>&1); rc=$?; set -e; }
# the line number of the first line of file $1 holding $2
line_of() { grep -nF -- "$2" "$work/$1" | head -1 | cut -d: -f1; }

# steps: every job status function after a failure, enabled: false,
# continueOnError, and a step condition reading a --var variable
cat > "$work/steps.yml" <<'YAML'
steps:
  - script: echo "first ran"
    condition: and(succeeded(), not(failed()), succeededOrFailed(), not(canceled()), eq(variables['Agent.JobStatus'], 'Succeeded'))
  - script: echo "never-disabled"
    enabled: false
  - script: exit 4
    name: soft
    continueOnError: true
  - script: echo "after soft"
    condition: and(succeeded(), eq(variables['Agent.JobStatus'], 'SucceededWithIssues'))
  - script: echo "mode matched"
    condition: eq(variables.MODE, 'fast')
  - script: exit 5
    name: hard
  - script: echo "never-default after a failure"
    name: plain
  - script: echo "never-succeeded"
    condition: succeeded()
  - script: echo "on failure ran"
    condition: failed()
  - script: echo "succeededOrFailed ran"
    condition: succeededOrFailed()
  - script: echo "always ran"
    condition: always()
  - script: echo "never-canceled"
    name: oncancel
    condition: canceled()
YAML
run steps.yml --var MODE=FAST
[ "$rc" -eq 1 ] || fail "a failed step: exit $rc"
for l in "first ran" "after soft" "mode matched" "on failure ran" "succeededOrFailed ran" "always ran"; do
  has "] $l"
done
hasnt "never"
has "step script skipped: it is disabled (enabled: false)"
has "step soft failed: exit 4"
has "step soft: continueOnError: the job goes on, SucceededWithIssues"
has "step plain skipped: a previous step failed"
has "step oncancel skipped: its condition 'canceled()' is false"
has "job Job: Failed"
has "summary: 8 step(s) run, 2 failed, 4 skipped; exit 1"

# jobs: dependsOn order (not the file's), a failure skipping its
# dependents (directly and through another), cleanup jobs, names and
# dependencies.<job>.result in job conditions, job continueOnError
cat > "$work/jobs.yml" <<'YAML'
jobs:
  - job: Cleanup
    dependsOn: [Deploy, Test]
    condition: always()
    steps:
      - script: echo "cleanup ran"
  - job: OnFailure
    dependsOn: Deploy
    condition: failed()
    steps:
      - script: echo "on failure ran"
  - job: Notify
    dependsOn: [Test, Build]
    condition: and(failed('Test'), succeeded('Build'), eq(dependencies.Test.result, 'Failed'), in(dependencies.Build.result, 'Succeeded'))
    steps:
      - script: echo "notify ran"
  - job: Deploy
    dependsOn: Test
    steps:
      - script: echo "never-deploy"
  - job: Test
    dependsOn: Build
    steps:
      - script: exit 9
  - job: Build
    steps:
      - script: echo "build ran"
  - job: Lint
    continueOnError: true
    steps:
      - script: exit 2
  - job: AfterLint
    dependsOn: Lint
    condition: eq(dependencies.Lint.result, 'SucceededWithIssues')
    steps:
      - script: echo "after lint ran"
YAML
run jobs.yml
[ "$rc" -eq 1 ] || fail "a failed job: exit $rc"
# Build, Test, then what depends on them in the file's order (Deploy is
# decided before Cleanup and OnFailure, and skipped)
order=$(echo "$out" | grep -E '^== job [A-Za-z]+$' | sed 's/== job //' | tr '\n' ' ')
[ "$order" = "Build Test Notify Cleanup OnFailure Lint AfterLint " ] || fail "order: $order"
has "job Test: Failed"
has "job Deploy skipped: a dependency did not succeed (Test Failed)"
# failed() sees the whole dependency graph: Test failed under Deploy
for l in "build ran" "cleanup ran" "notify ran" "on failure ran" "after lint ran"; do
  has "] $l"
done
hasnt "never"
has "job Lint: continueOnError: SucceededWithIssues"

# a deployment's on: failure steps run after its failure, on: success
# ones do not; a job without steps succeeds for what depends on it
cat > "$work/deploy.yml" <<'YAML'
jobs:
  - deployment: Ship
    environment: prod
    strategy:
      runOnce:
        deploy:
          steps:
            - script: exit 3
        on:
          failure:
            steps:
              - script: echo "on failure hook ran"
          success:
            steps:
              - script: echo "never-success hook"
  - job: Empty
    steps: []
  - job: AfterEmpty
    dependsOn: Empty
    steps:
      - script: echo "after empty ran"
YAML
run deploy.yml
[ "$rc" -eq 1 ] || fail "a failed deployment: exit $rc"
has "] on failure hook ran"
has "] after empty ran"
hasnt "never"

# stages: a stage defaults to depending on the one before it; a failed
# stage skips its dependents and their jobs; failed() cleanup stages
cat > "$work/stages.yml" <<'YAML'
stages:
  - stage: Build
    jobs:
      - job: B
        steps:
          - script: exit 1
  - stage: Test
    jobs:
      - job: T
        steps:
          - script: echo "never-test"
  - stage: Rollback
    dependsOn: Build
    condition: and(failed(), eq(dependencies.Build.result, 'Failed'))
    jobs:
      - job: R
        steps:
          - script: echo "rollback ran"
  - stage: Report
    dependsOn: [Test, Rollback]
    condition: and(succeeded('Rollback'), in(dependencies.Test.result, 'Skipped'))
    jobs:
      - job: P
        steps:
          - script: echo "report ran"
  - stage: Independent
    dependsOn: []
    jobs:
      - job: I
        steps:
          - script: echo "independent ran"
YAML
run stages.yml
[ "$rc" -eq 1 ] || fail "a failed stage: exit $rc"
has "stage Test skipped: a dependency did not succeed (Build Failed)"
has "job T skipped: its stage was not run"
for l in "rollback ran" "report ran" "independent ran"; do has "] $l"; done
hasnt "never"

# the usage history has the real results: SucceededWithIssues, Failed;
# a skipped job never started, so it used nothing
printf 'reg-secret-value\n' > "$work/pw"
svcconn create dockerregistry reg --scheme UsernamePassword --set registrytype=Others \
  --set registry=https://reg.example.test --set username=u --secret password=@"$work/pw" \
  --grant-all-pipelines >/dev/null
cat > "$work/usage.yml" <<'YAML'
resources:
  containers:
    - container: c
      image: x
      endpoint: reg
jobs:
  - job: Soft
    container: c
    steps:
      - script: exit 1
        continueOnError: true
  - job: Never
    dependsOn: Soft
    condition: false
    container: c
    steps:
      - script: echo "never-used"
  - job: Hard
    container: c
    steps:
      - script: exit 1
YAML
run usage.yml
[ "$rc" -eq 1 ] || fail "usage: exit $rc"
out=$(svcconn history reg)
has "demo run local -/Soft by admin -> SucceededWithIssues"
has "demo run local -/Hard by admin -> Failed"
hasnt "/Never"

# --stage and --job run what they name alone: dependencies this run does
# not run are left out of its conditions
run stages.yml --stage Test
[ "$rc" -eq 0 ] || fail "--stage: exit $rc"
has "] never-test"
run stages.yml --job T
[ "$rc" -eq 0 ] || fail "--job: exit $rc"
has "] never-test"
hasnt "stage Build"
# ...but conditions still decide: Rollback wants a failure of Build
run stages.yml --job R
[ "$rc" -eq 0 ] || fail "--job: exit $rc"
has "stage Rollback skipped: its condition"
has "job R skipped: its stage was not run"

# a condition that fails when it runs fails its job, naming file and line
cat > "$work/rterr.yml" <<'YAML'
jobs:
  - job: A
    steps:
      - script: echo a
  - job: B
    dependsOn: A
    condition: succeeded('Nope')
    steps:
      - script: echo "never-b"
YAML
run rterr.yml
[ "$rc" -eq 1 ] || fail "a condition in error: exit $rc"
has "rterr.yml:$(line_of rterr.yml "succeeded('Nope')"):"
has "error: condition of job B: 'Nope' is not a dependency of job 'B' at column 1"
hasnt "never"

# refused before anything runs (exit 2): a bad condition, a hostile one
# (deep nesting, huge), an unknown dependency, a cycle, a bad flag
deep=$(printf 'not(%.0s' $(seq 1 300))true$(printf ')%.0s' $(seq 1 300))
huge="or($(printf "eq(variables.x, 'aaaaaaaaaaaaaaaaaaaa'), %.0s" $(seq 1 1000))always())"
cat > "$work/bad.yml" <<YAML
steps:
  - script: echo "never-bad"
    condition: and(succeeded(), sucess())
  - script: echo "never-deep"
    condition: $deep
  - script: echo "never-huge"
    condition: $huge
  - script: echo "never-flag"
    continueOnError: maybe
  - script: echo "never-step dependencies"
    condition: eq(dependencies.A.result, 'Failed')
YAML
run bad.yml
[ "$rc" -eq 2 ] || fail "bad conditions: exit $rc"
has "bad.yml:3:16: error: condition: unknown function 'sucess' at column 18"
has "bad.yml:5:16: error: condition: expression nested too deeply (50 levels or more)"
has "bad.yml:7:16: error: condition: expression longer than 21000 characters"
has "bad.yml:9:22: error: continueOnError: must be true or false"
has "bad.yml:11:16: error: condition: name 'dependencies' is not defined at column 4"
hasnt "never"
# svcconn plan reports them too
set +e; pout=$(svcconn plan "$work/bad.yml" 2>&1); set -e
grep -qF "bad.yml:3:16: error: condition: unknown function 'sucess'" <<<"$pout" \
  || { echo "$pout"; fail "plan did not report the condition"; }

cat > "$work/unknown.yml" <<'YAML'
jobs:
  - job: A
    dependsOn: Missing
    steps:
      - script: echo "never-a"
YAML
run unknown.yml
[ "$rc" -eq 2 ] || fail "unknown dependency: exit $rc"
has "unknown.yml:2:"
has "error: dependsOn: job 'A' depends on 'Missing', which is not a job of its stage"
hasnt "never"

cat > "$work/cycle.yml" <<'YAML'
stages:
  - stage: S
    dependsOn: T
    jobs:
      - job: A
        steps:
          - script: echo "never-s"
  - stage: T
    jobs:
      - job: B
        steps:
          - script: echo "never-t"
YAML
run cycle.yml
[ "$rc" -eq 2 ] || fail "a cycle: exit $rc"
has "error: dependsOn: stage 'S' is in a cycle of dependencies"
hasnt "never"
echo "conditions: ok"
