#!/usr/bin/env bash
# svcconn plan against svcconn-server (issue #12, the last verb): one
# pipeline with templates and several references planned on a local store
# and against a server on loopback, compared (standard output, standard
# error, exit code; ids normalised) for an Administrator: text, --json,
# --pipeline (authorization: needs-permission, authorized, checks), --var.
# Then what a principal sees:
#  - eve, Reader on one connection only, in the same project: the
#    connection she may not read (X) is reported exactly as a missing
#    name (the same message as a name that exists nowhere, exit 2), and
#    neither X's id nor its type line nor a suggestion naming X (a near
#    miss that suggests X to the Administrator) is in her output;
#  - olga, Administrator of another project only: in hers, X is missing
#    too, and in X's project ("default", every user's) as well; in a
#    third project she has no role in she is refused as for a project
#    that does not exist (3); no output names anything of X;
#  - hostile bodies sent with curl: absolute and '..' paths, a file's
#    contents not a string, more than 100 files, no file, a body over the
#    server's limit: 400 (413 for the size) naming the field; a template
#    named as a path of the server's disk is "not found", never read.
# --fetch and --tasks-dir against a server are refused (2).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup remote_plan   # (KEEP=1 keeps $work to look at)
unset SVCCONN_HOME SVCCONN_USER   # each side names its own
printf 'Pw-%s' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$work/secret"

# ---- the pipeline: templates, several references --------------------------
mkdir -p "$work/ci/templates/deep"
cat > "$work/ci/pipe.yml" <<'EOF'
parameters:
  - name: registry
    type: string
    default: reg
variables:
  hidden: secretreg
resources:
  containers:
    - container: builder
      image: contoso/builder:1
      endpoint: ${{ parameters.registry }}
stages:
  - stage: Build
    jobs:
      - job: A
        steps:
          - template: templates/steps.yml
            parameters:
              registry: ${{ parameters.registry }}
          - task: Docker@2
            inputs:
              command: login
              containerRegistry: $(hidden)
          - task: Docker@2
            inputs:
              command: login
              containerRegistry: secretrg
      - template: templates/jobs.yml
  - stage: Deploy
    jobs:
      - job: K
        steps:
          - task: Kubernetes@1
            inputs:
              kubernetesServiceEndpoint: gh
              dockerRegistryEndpoint: nosuchregistry
EOF
cat > "$work/ci/templates/steps.yml" <<'EOF'
parameters:
  - name: registry
    type: string
steps:
  - task: Docker@2
    inputs:
      command: login
      containerRegistry: ${{ parameters.registry }}
  - template: deep/more.yml
EOF
cat > "$work/ci/templates/deep/more.yml" <<'EOF'
steps:
  - task: Docker@2
    inputs:
      command: login
      containerRegistry: other
EOF
cat > "$work/ci/templates/jobs.yml" <<'EOF'
jobs:
  - job: B
    steps:
      - template: /ci/templates/deep/more.yml
      - template: missing.yml
EOF

# ---- the two sides ------------------------------------------------------
. "$SVC_SOURCE_DIR/tests/integration/lib/sides.sh"
sides_setup
printf '%s\n' "$tok" | cl "$bin" login "$url" --ca "$work/cert.pem" >/dev/null || fail "login"
reg="--scheme UsernamePassword --set registrytype=Others --set registry=https://r.example.test/ --set username=ci --secret password=@$work/secret"
for side in local remote; do
  for c in reg other secretreg; do
    # shellcheck disable=SC2086
    run "$side" admin "mk$c" create dockerregistry "$c" $reg
    [ "$(cat "$work/$side.mk$c.rc")" = 0 ] || fail "$side: create $c: $(cat "$work/$side.mk$c.err")"
  done
  run "$side" admin mkgh create generic gh --scheme UsernamePassword \
    --url https://api.example.test --set username=u --secret password=@"$work/secret"
  run "$side" admin perm permissions other --add ci
  run "$side" admin perm2 permissions secretreg --add ci
  run "$side" admin chk checks secretreg add branch-control --allowed refs/heads/main
  [ "$(cat "$work/$side.chk.rc")" = 0 ] || fail "$side: checks add: $(cat "$work/$side.chk.err")"
done
both_ways \
  "admin plan plan ci/pipe.yml" \
  "admin planj plan ci/pipe.yml --json" \
  "admin planp plan ./ci/pipe.yml --pipeline ci" \
  "admin planv plan ci/pipe.yml --var hidden=reg --pipeline ci --json" \
  "admin rplan plan ci/pipe.yml" \
  "reader rplanp plan ci/pipe.yml --pipeline ci"
expect_rc plan 2
expect_rc planv 2
out=$(cat "$work/remote.plan.out")
grep -q "containerRegistry secretrg \[unknown-name: no connection named 'secretrg' (expected a connection of type 'dockerregistry'); did you mean 'secretreg'?\]" <<<"$out" ||
  fail "the Administrator is not offered secretreg for secretrg: $out"
grep -q "8 reference(s): 5 resolved, 3 not" <<<"$out" || fail "not 5 of 8 references resolved: $out"
grep -q -- "-> other (dockerregistry, UsernamePassword, .*) {authorized}" "$work/remote.planp.out" ||
  fail "other's authorization is not shown: $(cat "$work/remote.planp.out")"
grep -q -- "-> secretreg (dockerregistry, UsernamePassword, .*) {checks: branch-control:" "$work/remote.planp.out" ||
  fail "secretreg's check is not shown: $(cat "$work/remote.planp.out")"
grep -q "template 'ci/templates/missing.yml' not found" "$work/remote.plan.err" ||
  fail "the missing template is not reported: $(cat "$work/remote.plan.err")"
nsteps=6

# ---- what eve (Reader on reg only) and olga (another project) see ---------
xid=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" show secretreg --json | jget id)
SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" security reg --grant eve=Reader >/dev/null
SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" projects create other >/dev/null
SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" projects create third >/dev/null
SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" security --project other --grant olga=Administrator >/dev/null
etok=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=eve "$bin" tokens create e --scopes full 2>/dev/null)
otok=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=olga "$bin" tokens create o --scopes full 2>/dev/null)
printf '%s\n' "$etok" > "$work/etok"; printf '%s\n' "$otok" > "$work/otok"
chmod 600 "$work/etok" "$work/otok"
as() { # as TOKENFILE NAME ARGS...: svcconn against the server, kept as $work/NAME.*
  local t=$1 n=$2 rc=0; shift 2
  (cd "$work" && cl SVCCONN_TOKEN_FILE="$t" SVCCONN_CA="$work/cert.pem" "$bin" "$@") \
    >"$work/$n.out" 2>"$work/$n.err" || rc=$?
  echo "$rc" > "$work/$n.rc"
}
as "$work/etok" eve --server "$url" plan ci/pipe.yml --pipeline ci
as "$work/etok" evej --server "$url" plan ci/pipe.yml --json
as "$work/otok" olga --server "$url/default/other" plan ci/pipe.yml --pipeline ci
as "$work/otok" olgad --server "$url" plan ci/pipe.yml
as "$work/otok" olgat --server "$url/default/third" plan ci/pipe.yml
for n in eve evej olga olgad; do
  [ "$(cat "$work/$n.rc")" = 2 ] || fail "$n: plan exited $(cat "$work/$n.rc"), not 2: $(cat "$work/$n.err")"
done
[ "$(cat "$work/olgat.rc")" = 3 ] || fail "olga in a project not hers: exit $(cat "$work/olgat.rc"), not 3"
for n in eve evej olga olgad olgat; do
  all=$(cat "$work/$n.out" "$work/$n.err")
  grep -qi -- "$xid" <<<"$all" && fail "$n sees secretreg's id: $all"
  grep -q "did you mean 'secretreg'" <<<"$all" && fail "$n is offered secretreg: $all"
  grep -q '"name": "secretreg"' <<<"$all" && fail "$n sees secretreg as a connection: $all"
  grep -q -- "-> secretreg" <<<"$all" && fail "$n sees secretreg resolved: $all"
  grep -q "branch-control" <<<"$all" && fail "$n sees secretreg's check: $all"
done
for n in eve olga olgad; do
  out=$(cat "$work/$n.out")
  # exactly a missing name: the message of one that exists nowhere
  grep -q "containerRegistry \$(hidden) = secretreg \[unknown-name: no connection named 'secretreg' (expected a connection of type 'dockerregistry')\]$" <<<"$out" ||
    fail "$n: secretreg is not reported as missing: $out"
  grep -q "containerRegistry secretrg \[unknown-name: no connection named 'secretrg' (expected a connection of type 'dockerregistry')\]$" <<<"$out" ||
    fail "$n: the near miss is not reported plainly: $out"
done
grep -q -- "-> reg (dockerregistry, UsernamePassword, [0-9a-f-]*) {needs-permission}" "$work/eve.out" ||
  fail "eve does not see reg, which she may read: $(cat "$work/eve.out")"
grep -q "reference(s): 2 resolved" "$work/eve.out" || fail "eve: not 2 resolved: $(cat "$work/eve.out")"
grep -q "reference(s): 0 resolved" "$work/olga.out" || fail "olga: not 0 resolved: $(cat "$work/olga.out")"

# ---- refused options -----------------------------------------------------
as "$work/etok" fetch --server "$url" plan ci/pipe.yml --fetch
as "$work/etok" tdir --server "$url" plan ci/pipe.yml --tasks-dir "$work"
as "$work/etok" abs --server "$url" plan "$work/ci/pipe.yml"
for n in fetch tdir abs; do
  [ "$(cat "$work/$n.rc")" = 2 ] || fail "$n: exit $(cat "$work/$n.rc"), not 2: $(cat "$work/$n.err")"
done
grep -q -- "--fetch works only on a local store" "$work/fetch.err" || fail "fetch: $(cat "$work/fetch.err")"
grep -q "field 'file': '$work/ci/pipe.yml' is not a relative path" "$work/abs.err" ||
  fail "an absolute pipeline path: $(cat "$work/abs.err")"

# ---- hostile bodies --------------------------------------------------------
ep="$url/default/default/_apis/svcconn/plan?api-version=7.1"
post() { # post STATUS FILE: the body of FILE posted by eve
  req "$1" -X POST -H "Authorization: Bearer $etok" -H 'Content-Type: application/json' \
    --data-binary @"$2" "$ep"
}
hostile() { # hostile STATUS WORDS JSON: answered STATUS, naming WORDS
  printf '%s' "$3" > "$work/body.json"
  post "$1" "$work/body.json"
  grep -qF -- "$2" <<<"$body" || fail "$3: the answer does not say $2: $body"
}
hostile 400 "field 'files': '/etc/passwd' is not a relative path" \
  '{"file": "p.yml", "files": {"p.yml": "steps: []", "/etc/passwd": "x"}}'
hostile 400 "field 'files': 'a/../../etc/passwd' goes up with '..'" \
  '{"file": "p.yml", "files": {"p.yml": "steps: []", "a/../../etc/passwd": "x"}}'
hostile 400 "field 'files': 'a//b.yml' is not normalised" \
  '{"file": "p.yml", "files": {"p.yml": "steps: []", "a//b.yml": "x"}}'
hostile 400 "field 'files': the contents of 'p.yml' must be a string" \
  '{"file": "p.yml", "files": {"p.yml": 5}}'
hostile 400 "field 'files': the contents of 'p.yml' must be a string" \
  '{"file": "p.yml", "files": {"p.yml": {"steps": []}}}'
hostile 400 "field 'files' is required" '{"file": "p.yml"}'
hostile 400 "field 'file' is required" '{"files": {"p.yml": "steps: []"}}'
hostile 400 "field 'file' must be a string" '{"file": ["p.yml"], "files": {}}'
hostile 400 "field 'file': '../p.yml' goes up with '..'" '{"file": "../p.yml", "files": {}}'
hostile 400 "field 'variables'" '{"file": "p.yml", "files": {"p.yml": "steps: []"}, "variables": [1]}'
hostile 400 "must be a JSON object" '[1, 2]'
python3 -c 'import json; print(json.dumps({"file": "p0.yml", "files": {"p%d.yml" % i: "steps: []" for i in range(101)}}))' > "$work/many.json"
post 400 "$work/many.json"
grep -qF "field 'files': more than 100 files" <<<"$body" || fail "101 files: $body"
python3 -c 'import json; print(json.dumps({"file": "p.yml", "files": {"p.yml": "#" * (2 << 20)}}))' > "$work/huge.json"
post 413 "$work/huge.json"
# a template named by a path of the server's disk is not read from it
hostile 200 "template 'etc/passwd' not found" \
  '{"file": "p.yml", "files": {"p.yml": "steps:\n- template: /etc/passwd\n- template: ../../../../../etc/passwd\n"}}'
grep -q "root:" <<<"$body" && fail "the server read its own disk: $body"
grep -qF "template '../../../../../etc/passwd' not found" <<<"$body" || fail "a '..' template: $body"
# the plan of a file sent is what the CLI prints with --json
printf '%s' '{"file": "p.yml", "files": {"p.yml": "steps:\n- task: Docker@2\n  inputs:\n    containerRegistry: reg\n"}}' > "$work/one.json"
post 200 "$work/one.json"
[ "$(jget references.0.connection.name <<<"$body")" = reg ] || fail "eve's plan of one file: $body"
[ "$(jget references.0.status <<<"$body")" = resolved ] || fail "eve's plan of one file: $body"

# nothing secret in any output or the server's log
for f in "$work"/remote.* "$work"/eve* "$work"/olga* "$work/log"; do
  grep -qF -- "$(cat "$work/secret")" "$f" && fail "the secret is in $f"
done
echo "remote_plan: ok ($nsteps steps both ways, eve, olga, 14 hostile bodies)"
