#!/usr/bin/env bash
# The last svcconn commands against svcconn-server (issue #12, "every CLI
# subcommand works against a server ... with the same output and exit
# codes"): one scenario run on a local store and against a server on
# loopback, compared verb by verb (standard output, standard error, exit
# code; ids and times normalised), as remote_cli.sh does for the others.
#  - verify, create --verify and edit --verify against a real Docker
#    registry (docker-registry with htpasswd) on loopback: the right
#    password verifies (0), a wrong one fails with "failed (auth)" (1) and
#    a create or edit --verify with it stores nothing, both ways; on the
#    remote side the server makes the call (the client holds no secret);
#    a Reader's verify is refused (5) on both sides;
#  - export without secrets (all, one, a missing one, a Reader's) is the
#    same text; --include-secrets against a server is refused (2) and
#    writes no file;
#  - import: --dry-run, a file whose 3rd of 5 entries is invalid (2,
#    nothing imported), one whose 3rd names an existing connection (1,
#    nothing imported: one transaction on the server too), a Reader's
#    (5), a good one (5 imported), then the lists are the same;
#  - create and edit --grant-all-pipelines (a Reader's edit refused, 5),
#    and an edit of another field keeps the connection open;
#  - expiring --rescan (an Administrator's; a Reader's refused, 5);
#  - security --project P without a connection: show, grant, revoke, and
#    a Reader's grant refused (5), the server's store unchanged;
#  - pipelines source: a pipeline read from a real git server on loopback
#    (lighttpd + git http-backend, basic auth) through its connection,
#    the same file and origin both ways; an unknown pipeline 3.
# No secret appears in the remote side's output or the server's log.
set -euo pipefail
# (no "| grep -q" on output: grep leaving early would fail the pipe)
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
command -v docker-registry >/dev/null 2>&1 ||
  { echo "remote_cli_ops: docker-registry is not installed (.ci/deps: apt-get install docker-registry)"; exit 1; }
command -v htpasswd >/dev/null 2>&1 ||
  { echo "remote_cli_ops: htpasswd is not installed (.ci/deps: apt-get install apache2-utils)"; exit 1; }
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
. "$SVC_SOURCE_DIR/fixtures/git/server.sh"
. "$SVC_SOURCE_DIR/fixtures/registry/server.sh"
srv_setup remote_cli_ops   # (KEEP=1 keeps $work to look at)
unset SVCCONN_HOME SVCCONN_USER   # each side names its own
good="Reg-good-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
bad="Reg-WRONG-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
gitpw="Git-pw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$good" > "$work/good"
printf '%s' "$bad" > "$work/bad"
printf '%s' "$gitpw" > "$work/gitpw"

# ---- the registry: docker-registry with htpasswd, plain HTTP on loopback ----
registry_start "$work/registry" ci "$good" || fail "docker-registry did not start"
pids+=("$reg_pid")
regport=$reg_port

# ---- the git server: a repository holding a pipeline ----------------------
git_server_start "$work/git" ciuser "$gitpw" >/dev/null || fail "cannot start the git server"
pids+=("$git_httpd_pid")
git init -q --bare "$work/git/repos/app.git"
git init -q "$work/seed"
printf 'steps:\n- script: echo from the repository\n' > "$work/seed/ci.yml"
(cd "$work/seed" && git add -A && git -c user.name=t -c user.email=t@t commit -qm ci &&
 git push -q "$work/git/repos/app.git" HEAD:refs/heads/main)
git -C "$work/git/repos/app.git" symbolic-ref HEAD refs/heads/main

# ---- the two sides ------------------------------------------------------
. "$SVC_SOURCE_DIR/tests/integration/lib/sides.sh"
sides_setup
printf '%s\n' "$tok" | cl "$bin" login "$url" --ca "$work/cert.pem" >/dev/null || fail "login"
nsteps=0

# ---- verify ------------------------------------------------------------------
reg="--scheme UsernamePassword --set registrytype=Others --set registry=http://127.0.0.1:$regport/v1/ --set username=ci"
steps=(
  "admin vbadc create dockerregistry reg $reg --secret password=@bad --verify"
  "admin vgone show reg"
  "admin vc create dockerregistry reg $reg --secret password=@good --verify"
  "admin v verify reg"
  "admin vj verify reg --json"
  "admin vbade edit reg --secret password=@bad --verify"
  "admin v2 verify reg"
  "admin wc create dockerregistry wrong $reg --secret password=@bad"
  "admin w verify wrong"
  "admin wj verify wrong --json"
  "reader rv verify reg"
  "admin vnone verify nope"
)
both_ways "${steps[@]}"; nsteps=$((nsteps + ${#steps[@]}))
expect_rc vbadc 1; expect_rc vgone 3; expect_rc vc 0; expect_rc v 0; expect_rc vbade 1
expect_rc v2 0; expect_rc w 1; expect_rc rv 5; expect_rc vnone 3
grep -q "verification failed (auth)" "$work/remote.vbadc.err" || fail "create --verify: $(cat "$work/remote.vbadc.err")"
grep -q "^verified: " "$work/remote.vc.out" || fail "create --verify: $(cat "$work/remote.vc.out")"
grep -q "^ok: " "$work/remote.v.out" || fail "verify: $(cat "$work/remote.v.out")"
grep -q "^failed (auth): " "$work/remote.w.out" || fail "verify of a wrong password: $(cat "$work/remote.w.out")"
grep -q '"httpStatus": 401' "$work/remote.wj.out" || fail "verify --json: $(cat "$work/remote.wj.out")"
# the server made the calls and recorded them in its own audit log
out=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" audit --json)
[ "$(grep -c '"action": "verify"' <<<"$out")" -ge 4 ] || fail "the server's audit log lacks the verifications"

# ---- export ------------------------------------------------------------------
steps=(
  "admin exall export"
  "admin exone export reg"
  "admin exnone export nope"
  "reader rex export reg wrong"
)
both_ways "${steps[@]}"; nsteps=$((nsteps + ${#steps[@]}))
expect_rc exall 0; expect_rc exnone 3; expect_rc rex 0
grep -q 'name: "reg"' "$work/remote.exone.out" || fail "export: $(cat "$work/remote.exone.out")"
run remote admin exsec export --include-secrets -o "$work/secrets.yml"
expect_rc exsec 2
grep -q "secrets never leave a server" "$work/remote.exsec.err" || fail "export --include-secrets: $(cat "$work/remote.exsec.err")"
[ ! -e "$work/secrets.yml" ] || fail "export --include-secrets against a server wrote a file"

# ---- import ------------------------------------------------------------------
entry() {   # NAME: one connection of an export file, with its secret
  printf '  - name: "%s"\n    type: "generic"\n    scheme: "UsernamePassword"\n    url: "https://%s.example.test"\n    auth:\n      username: "u"\n      password: "%s"\n' "$1" "$1" "$good"
}
head='apiVersion: svcconn/v1
connections:'
{ echo "$head"; entry im1; entry im2; entry im3; entry im4; entry im5
  # an export's id and allPipelines are kept
  printf '    id: "4d1c6e0a-6a47-4b3e-9a51-2f0e8b7c9d11"\n    allPipelines: true\n'; } > "$work/imp.yml"
{ echo "$head"; entry im1; entry im2; printf '  - name: "im3"\n    type: "nosuchtype"\n'; entry im4; entry im5; } > "$work/impbad.yml"
{ echo "$head"; entry im1; entry im2; entry wrong; entry im4; entry im5; } > "$work/impdup.yml"
steps=(
  "admin idry import imp.yml --dry-run"
  "admin ibad import impbad.yml"
  "admin idup import impdup.yml"
  "admin il1 list"
  "reader rimp import imp.yml"
  "admin il2 list"
  "admin imp import imp.yml"
  "admin il3 list"
  "admin ishow show im3"
  "admin iid show 4d1c6e0a-6a47-4b3e-9a51-2f0e8b7c9d11"
  "admin iperm permissions im5"
  "admin iagain import imp.yml"
)
both_ways "${steps[@]}"; nsteps=$((nsteps + ${#steps[@]}))
expect_rc idry 0; expect_rc ibad 2; expect_rc idup 1; expect_rc rimp 5; expect_rc imp 0; expect_rc iagain 1
grep -q "nothing was imported" "$work/remote.idup.err" || fail "import of an existing name: $(cat "$work/remote.idup.err")"
grep -q "im1" "$work/remote.il2.out" && fail "a refused import left connections behind"
grep -q "imported 5 connection" "$work/remote.imp.out" || fail "import: $(cat "$work/remote.imp.out")"
grep -q "im5" "$work/remote.il3.out" || fail "the import did not arrive"
grep -q "im5" "$work/remote.iid.out" || fail "the imported id was not kept: $(cat "$work/remote.iid.out")"
grep -qi "all pipelines" "$work/remote.iperm.out" || fail "allPipelines was not kept: $(cat "$work/remote.iperm.out")"
grep -q "password .*\*\*\*" "$work/remote.ishow.out" || fail "the imported secret is not set: $(cat "$work/remote.ishow.out")"
# the server stored the imported secret itself
SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" export im3 --include-secrets -o "$work/im3.yml" 2>/dev/null
grep -q -- "$good" "$work/im3.yml" || fail "the imported secret did not reach the server's store"

# ---- create/edit --grant-all-pipelines -----------------------------------------
steps=(
  "admin gac create generic ga --scheme UsernamePassword --url https://ga.example.test --set username=u --secret password=@good --grant-all-pipelines"
  "admin gap permissions ga"
  "reader rgae edit im1 --grant-all-pipelines"
  "admin gae edit im1 --grant-all-pipelines --json"
  "admin gap2 permissions im1"
  "admin gae2 edit im1 --description still-open"
  "admin gap3 permissions im1"
)
both_ways "${steps[@]}"; nsteps=$((nsteps + ${#steps[@]}))
expect_rc gac 0; expect_rc rgae 5; expect_rc gae 0
for n in gap gap2 gap3; do
  grep -q "open to all pipelines" "$work/remote.$n.out" || fail "$n: $(cat "$work/remote.$n.out")"
done

# ---- expiring --rescan, security --project, pipelines source -----------------
steps=(
  "admin resc expiring --rescan"
  "reader rresc expiring --rescan"
  "admin psec security --project default"
  "admin psecj security --project default --json"
  "admin psecg security --project default --grant bob=User"
  "reader rpsecg security --project default --grant eve=Administrator"
  "admin psecr security --project default --revoke bob"
  "admin psecn security --project nosuchproject"
  "admin repo create externaltfs repo --url http://127.0.0.1:$git_port/git --scheme UsernamePassword --set username=ciuser --secret password=@gitpw"
  "admin preg pipelines register app --connection repo --url http://127.0.0.1:$git_port/git/app.git --path ci.yml --branch main"
  "admin psrc pipelines source app"
  "admin psrcj pipelines source app --json"
  "reader rpsrc pipelines source app"
  "admin psrcn pipelines source nope"
)
both_ways "${steps[@]}"; nsteps=$((nsteps + ${#steps[@]}))
expect_rc resc 0; expect_rc rresc 5; expect_rc psec 0; expect_rc psecg 0; expect_rc rpsecg 5
expect_rc psecr 0; expect_rc psrc 0; expect_rc rpsrc 0; expect_rc psrcn 3
grep -q "User  *bob" "$work/remote.psecg.out" || fail "the project grant did not arrive: $(cat "$work/remote.psecg.out")"
grep -q "echo from the repository" "$work/remote.psrc.out" || fail "pipelines source: $(cat "$work/remote.psrc.out")"
out=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" security --project default)
grep -q "eve" <<<"$out" && fail "a Reader's project grant changed the server's store: $out"

# ---- no secret on the client's side or in the server's log -------------------
cat "$work"/remote.*.out "$work"/remote.*.err > "$work/all"
for s in "$good" "$bad" "$gitpw"; do
  grep -q -- "$s" "$work/all" && fail "a secret appears in the remote output"
  grep -q -- "$s" "$work/log" && fail "a secret appears in the server's log"
done
echo "remote_cli_ops: ok ($nsteps verbs the same locally and remotely)"
