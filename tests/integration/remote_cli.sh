#!/usr/bin/env bash
# The svcconn command line against svcconn-server: one scenario run twice,
# on a local store and against a server on loopback (a certificate made
# here; the server's store and the client's HOME apart, the client with no
# store at all), compared verb by verb: standard output, standard error
# and exit code, with ids and times normalised.  The scenario covers
# create, list, show (text and JSON), edit, permissions (add, remove, all
# pipelines, restrict), rename, delete, audit (a Reader refused; the
# server's log read through it equals its store's read locally, with
# each of its filters too), a missing
# connection (3), a Reader's delete (5, the same message), invalid input
# (2); then, after a run that waited for permission on each side's store
# (svcconn-agent run), requests, permit, history, checks (add, list,
# disable, enable, remove; a Reader's permit and checks add/remove/disable
# refused with 5, nothing changed on the server), security (grant,
# revoke, inheritance), groups, pipelines register/list/remove and
# expiring; tokens created, listed and revoked, and the OIDC signing keys
# listed and rotated through the server.  Then:
# `svcconn login` keeps the token in a 0600 file in a
# 0700 directory and refuses a wrong token (5, nothing kept); the token
# is in no process's argv while a command runs; no response holds the
# secret; what works only locally says so (2); a login is used only for
# its own URL.
set -euo pipefail
# (no "| grep -q" on output: grep leaving early would fail the pipe)
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup remote_cli   # (KEEP=1 keeps $work to look at)
unset SVCCONN_HOME SVCCONN_USER   # each side names its own
SECRET=remote-cli-secret-4b1d07
printf '%s\n' "$SECRET" > "$work/secret"
printf 'another-%s\n' "$SECRET" > "$work/secret2"

# ---- the two sides ------------------------------------------------------
. "$SVC_SOURCE_DIR/tests/integration/lib/sides.sh"
sides_setup

# ---- login ----------------------------------------------------------------
out=$(printf 'svcp_0000000000000000_wrong\n' | cl "$bin" login "$url" --ca "$work/cert.pem" 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "a wrong token logged in (exit $rc): $out"
[ ! -e "$work/client/.config/svcconn/server.json" ] || fail "a refused token was kept"
out=$(printf '%s\n' "$tok" | cl "$bin" login "$url" 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] || fail "logged in without trusting the server's certificate"
grep -qi "certificate\|TLS" <<<"$out" || fail "no TLS reason: $out"
out=$(printf '%s\n' "$tok" | cl "$bin" login "$url" --ca "$work/cert.pem")
[ "$out" = "logged in to $url as admin" ] || fail "login: $out"
lf="$work/client/.config/svcconn/server.json"
[ "$(stat -c %a "$work/client/.config/svcconn")" = 700 ] || fail "the login directory is not 0700"
[ "$(stat -c %a "$lf")" = 600 ] || fail "the login file is not 0600"

# ---- one scenario, both ways --------------------------------------------------
steps=()
step() { steps+=("$*"); }
step admin create  create generic gh --scheme UsernamePassword --url https://api.example.test --set username=u --secret password=@"$work/secret" --description first
step admin list    list
step admin show    show gh
step admin showj   show gh --json
step admin listj   list --json
step admin edit    edit gh --url https://api2.example.test --secret password=@"$work/secret2"
step admin show2   show gh
step admin bad     create generic bad --scheme UsernamePassword --set username=u
step admin dup     create generic gh --scheme UsernamePassword --url https://x.test --set username=u --secret password=@"$work/secret"
step admin padd    permissions gh --add ci-main
step admin padd2   permissions gh --add Deploy
step admin pshow   permissions gh --json
step admin pall    permissions gh --all-pipelines
step admin prestr  permissions gh --restrict
step admin prem    permissions gh --remove ci-main
step admin pnone   permissions nope
step admin rename  rename gh gh2
step admin gone    show gh
step reader rdel   delete gh2
step reader rlist  list
step reader redit  edit gh2 --description mine
step reader rperm  permissions gh2 --add other
step reader rpshow permissions gh2
step reader raudit audit
step admin delete  delete gh2
step admin nodel   delete gh2
step admin empty   list
both_ways "${steps[@]}"
expect_rc create 0; expect_rc show 0; expect_rc gone 3; expect_rc rdel 5; expect_rc redit 5
expect_rc raudit 5; expect_rc bad 2; expect_rc nodel 3; expect_rc rperm 5; expect_rc pnone 3; expect_rc rpshow 0
grep -q "Deploy" "$work/remote.rpshow.out" || fail "the permissions did not arrive"
grep -q "\*\*\*" "$work/remote.show.out" || fail "a set secret does not show as ***"
grep -q "api2.example.test" "$work/remote.show2.out" || fail "the edit did not arrive"

# ---- runs' traces and checks, both ways --------------------------------------
# Each side's store gets a connection and a run that needed permission on
# it (svcconn-agent run on that store: a request and a usage record); the
# verbs on them are compared as above.
mkdir -p "$work/tasks/ProbeV1"
cat > "$work/tasks/ProbeV1/task.json" <<'JSON'
{ "id": "6d7e9f1a-2b3c-4d5e-8f60-718293a4b5c7", "name": "Probe",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "inputs": [ { "name": "conn", "type": "connectedService:generic", "label": "c", "required": true } ],
  "execution": { "Bash": { "target": "main.sh" } } }
JSON
printf 'echo probe\n' > "$work/tasks/ProbeV1/main.sh"
printf 'steps:\n  - task: Probe@1\n    inputs:\n      conn: api\n' > "$work/probe.yml"
for side in local remote; do
  run "$side" admin api create generic api --url https://api.example.test --set username=u --secret password=@"$work/secret"
  [ "$(cat "$work/$side.api.rc")" = 0 ] || fail "$side: create api: $(cat "$work/$side.api.err")"
  store=$work/local; [ "$side" = remote ] && store=$work/srv
  (cd "$work" && SVCCONN_HOME="$store" SVCCONN_USER=admin "$SVC_BIN_DIR/svcconn-agent" run probe.yml \
     --pipeline demo --run-id r1 --tasks-dir tasks >"$work/$side.agent" 2>&1) && fail "$side: the run did not wait for permission"
  SVCCONN_HOME="$store" SVCCONN_USER=admin "$bin" requests --json \
    | sed -nE 's/^ *"id": "([0-9a-f-]{36})".*/\1/p' > "$work/$side.REQ"
  [ -s "$work/$side.REQ" ] || fail "$side: the run left no permission request: $(cat "$work/$side.agent")"
done
steps2=()
step2() { steps2+=("$*"); }
step2 reader rq      requests
step2 admin  rqj     requests --json
step2 admin  hist    history api
step2 admin  histj   history api --json --limit 1
step2 admin  hnone   history nope
step2 reader rpermit permit @REQ
step2 admin  permit  permit @REQ
step2 admin  permit2 permit @REQ
step2 admin  pnone   permit 00000000-0000-0000-0000-000000000000
step2 admin  rqall   requests --all --json
step2 admin  rqafter requests
step2 admin  pperm   permissions api
step2 admin  cnone   checks api
step2 reader rcadd   checks api add branch-control --allowed refs/heads/main
step2 admin  cadd    checks api add branch-control --allowed refs/heads/main
step2 admin  cbad    checks api add approval --min x
step2 admin  ckind   checks api add nosuchkind
step2 admin  cadd2   checks api add exclusive-lock --json
step2 admin  clist   checks api
step2 admin  clistj  checks api --json
step2 reader rcrm    checks api remove @CHK
step2 reader rcdis   checks api disable @CHK
step2 admin  cdis    checks api disable @CHK
step2 admin  clist2  checks api
step2 admin  cen     checks api enable @CHK
step2 admin  crm     checks api remove @CHK
step2 admin  crm2    checks api remove @CHK
step2 admin  clist3  checks api
step2 admin  cnoconn checks nope
step2 admin  plreg   pipelines register app --connection api --url https://git.example.test/app.git --path ci.yml --branch main
step2 reader rplreg  pipelines register app2 --connection api --url https://git.example.test/app.git --path ci.yml
step2 admin  pldup   pipelines register app --connection api --url https://git.example.test/app.git --path ci.yml
step2 admin  plbad   pipelines register app3 --connection api --url https://git.example.test/app.git --path ../ci.yml
step2 admin  pllist  pipelines list
step2 admin  pllistj pipelines list --json
step2 admin  plrm    pipelines remove app
step2 admin  plrm2   pipelines remove app
step2 admin  exp     expiring
step2 admin  expj    expiring --json --within 3650d
step2 admin  sec     security
step2 admin  secj    security --json
step2 reader rsec    security --grant bob=User
step2 admin  secg    security api --grant bob=User
step2 admin  seci    security api --inherit off --json
step2 admin  secr    security api --revoke bob --inherit on
step2 admin  secbad  security api --grant bob=Creator
step2 admin  secnone security nope
step2 reader rsecc   security api
step2 admin  grl     groups
step2 admin  grc     groups create ops
step2 reader rgrc    groups create devs
step2 admin  gra     groups add ops alice bob
step2 admin  grs     groups show ops --json
step2 reader rgrr    groups remove ops bob
step2 admin  grr     groups remove ops bob
step2 admin  grl2    groups list --json
step2 admin  grd     groups delete ops
step2 admin  grnone  groups show nope
step2 admin  grnod   groups delete nope
both_ways "${steps2[@]}"
expect_rc rq 0; expect_rc hist 0; expect_rc hnone 3; expect_rc rpermit 5; expect_rc permit 0
expect_rc pnone 3; expect_rc rcadd 5; expect_rc cadd 0; expect_rc cbad 2; expect_rc ckind 2
expect_rc rsec 5; expect_rc secg 0; expect_rc secbad 2; expect_rc secnone 3; expect_rc rgrc 5; expect_rc rgrr 5
expect_rc grs 0; expect_rc grd 0
expect_rc plreg 0; expect_rc rplreg 5; expect_rc plbad 2; expect_rc plrm 0; expect_rc plrm2 3; expect_rc exp 0
expect_rc rcrm 5; expect_rc rcdis 5; expect_rc cdis 0; expect_rc crm 0; expect_rc crm2 3; expect_rc cnoconn 3
grep -q "needs-permission demo run r1" "$work/remote.hist.out" || fail "no usage record arrived: $(cat "$work/remote.hist.out")"
grep -q "pending .* demo (run r1, admin)" "$work/remote.rq.out" || fail "no pending request arrived: $(cat "$work/remote.rq.out")"
grep -q '"status": "permitted"' "$work/remote.rqall.out" || fail "the permit did not arrive"
grep -q "demo" "$work/remote.pperm.out" || fail "the permitted pipeline is not authorized: $(cat "$work/remote.pperm.out")"
grep -q "(disabled)" "$work/remote.clist2.out" || fail "the disable did not arrive"
grep -q "app api main ci.yml" "$work/remote.pllist.out" || fail "the registration did not arrive: $(cat "$work/remote.pllist.out")"
grep -q '"inherit": false' "$work/remote.seci.out" || fail "the inheritance did not change: $(cat "$work/remote.seci.out")"
grep -q "User  *bob" "$work/remote.secg.out" || fail "the grant did not arrive: $(cat "$work/remote.secg.out")"
grep -q '"member": "alice"' "$work/remote.grs.out" || fail "the members did not arrive: $(cat "$work/remote.grs.out")"
# the Reader's refusals changed nothing on the server: its store holds
# the admin's exclusive lock alone
out=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" checks api)
[ "$(grep -c '^  [0-9a-f]' <<<"$out")" = 1 ] && grep -q "exclusive-lock" <<<"$out" \
  || fail "the server's store holds other checks: $out"
run remote admin apidel delete api
run local admin apidel delete api
steps+=("${steps2[@]}")

# ---- tokens through the server: the server's store's, as they are --------
# a token made remotely is printed once and works; the list read through
# the server equals the server's store's read locally; a Reader may not
# list or revoke another's (not found among its own, as locally); a
# revoked token is refused
out=$(cl SVCCONN_SERVER="$url" "$bin" tokens create remote1 --scopes endpoints:read --days 7 2>"$work/tkc.err") \
  || fail "remote tokens create: $(cat "$work/tkc.err")"
newtok=$out
grep -q "^svcp_" <<<"$newtok" || fail "no token printed: $newtok"
grep -q "token 'remote1' (id .*) for 'admin', scopes endpoints:read" "$work/tkc.err" || fail "tokens create: $(cat "$work/tkc.err")"
newid=$(sed -nE "s/.*\(id ([^)]+)\).*/\1/p" "$work/tkc.err")
printf '%s\n' "$newtok" > "$work/newtok"; chmod 600 "$work/newtok"
out=$(cl SVCCONN_TOKEN_FILE="$work/newtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" list 2>&1) \
  || fail "the new token does not work: $out"
for f in "" --json "--all --json"; do
  # shellcheck disable=SC2086
  cl SVCCONN_SERVER="$url" "$bin" tokens list $f > "$work/tokens.remote" || fail "remote tokens list $f"
  # shellcheck disable=SC2086
  SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" tokens list $f > "$work/tokens.local"
  diff "$work/tokens.local" "$work/tokens.remote" > "$work/diff" || fail "tokens list $f differs: $(cat "$work/diff")"
done
grep -q "remote1" "$work/tokens.remote" || fail "the new token is not listed"
out=$(cl SVCCONN_TOKEN_FILE="$work/rtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" tokens list --all 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "a Reader listed every token (exit $rc): $out"
out=$(cl SVCCONN_TOKEN_FILE="$work/rtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" tokens revoke "$newid" 2>&1) && rc=0 || rc=$?
# (as locally: another's token is not found among the Reader's own)
[ "$rc" = 3 ] || fail "a Reader revoked another's token (exit $rc): $out"
cl SVCCONN_TOKEN_FILE="$work/newtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" list >/dev/null 2>&1 \
  || fail "the Reader's revoke ended the token"
out=$(cl SVCCONN_SERVER="$url" "$bin" tokens revoke "$newid") || fail "remote tokens revoke: $out"
[ "$out" = "revoked token '$newid'" ] || fail "tokens revoke: $out"
out=$(cl SVCCONN_TOKEN_FILE="$work/newtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" list 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "a revoked token still works (exit $rc): $out"
out=$(cl SVCCONN_SERVER="$url" "$bin" tokens revoke nosuchtoken0000 2>&1) && rc=0 || rc=$?
[ "$rc" = 3 ] || fail "revoking an unknown token exited $rc: $out"

# ---- the OIDC signing keys through the server: the server's, as they are
out=$(cl SVCCONN_TOKEN_FILE="$work/rtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" oidc rotate 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "a Reader rotated the signing key (exit $rc): $out"
for alg in ES256 RS256; do
  out=$(cl SVCCONN_SERVER="$url" "$bin" oidc rotate --alg "$alg") || fail "remote oidc rotate --alg $alg: $out"
  kid=$(sed -nE "s/^new current OIDC signing key '(.+)'$/\1/p" <<<"$out")
  [ -n "$kid" ] || fail "oidc rotate: $out"
done
for f in "" --json; do
  # shellcheck disable=SC2086
  cl SVCCONN_SERVER="$url" "$bin" oidc keys $f > "$work/keys.remote" || fail "remote oidc keys $f"
  # shellcheck disable=SC2086
  SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" oidc keys $f > "$work/keys.local"
  diff "$work/keys.local" "$work/keys.remote" > "$work/diff" || fail "oidc keys $f differs: $(cat "$work/diff")"
done
grep -q "\"kid\": \"$kid\"" "$work/keys.remote" || fail "the rotated key is not listed: $(cat "$work/keys.remote")"
out=$(cl SVCCONN_SERVER="$url" "$bin" oidc keys)
grep -q "^$kid  RS256 .* current$" <<<"$out" || fail "the rotated key is not current: $out"
out=$(cl SVCCONN_SERVER="$url" "$bin" oidc rotate --alg HS256 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "rotate --alg HS256 exited $rc: $out"

# ---- a key that does not match its certificate: refused both ways (2),
# by the server's check on the remote side, nothing stored
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/dk.pem" -out "$work/dc.pem" -days 1 -subj /CN=docker 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/other.pem" 2>/dev/null
for side in local remote; do
  run "$side" admin dock create dockerhost dock --url tcp://docker.test:2376 \
    --secret cacert=@"$work/dc.pem" --secret cert=@"$work/dc.pem" --secret key=@"$work/other.pem"
  [ "$(cat "$work/$side.dock.rc")" = 2 ] || fail "$side: a mismatched key exited $(cat "$work/$side.dock.rc"): $(cat "$work/$side.dock.err")"
done
grep -q "field 'key'" "$work/remote.dock.err" || fail "the server's refusal names no field: $(cat "$work/remote.dock.err")"
run remote admin dockshow show dock
[ "$(cat "$work/remote.dockshow.rc")" = 3 ] || fail "the refused connection was stored"

# ---- the audit log through the server is the server's store's, as it is
for f in "" --json; do
  cl SVCCONN_SERVER="$url" "$bin" audit $f > "$work/audit.remote" || fail "remote audit $f"
  SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" audit $f > "$work/audit.local"
  diff "$work/audit.local" "$work/audit.remote" > "$work/diff" || fail "audit $f differs: $(cat "$work/diff")"
done
cl SVCCONN_SERVER="$url" "$bin" audit --limit 2 --json > "$work/audit2" || fail "remote audit --limit 2"
SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" audit --limit 2 --json | diff - "$work/audit2" >/dev/null \
  || fail "audit --limit 2 differs"
grep -q '"action": "rename"' "$work/audit.remote" || fail "the remote rename is not in the audit log"
# its filters are the server's: each gives over the server what it gives locally
conn=$(python3 -c 'import json,sys; print([e["connection"] for e in json.load(sys.stdin) if e["connection"]][0])' \
  < "$work/audit.remote")
for f in "--action rename" "--actor admin --search REN" "--connection $conn" \
    "--from 2000-01-01 --until 2100-01-01T00:00 --limit 3" "--from 2100-01-01" "--until 2026-13-45"; do
  read -ra fa <<<"$f"
  set +e
  cl SVCCONN_SERVER="$url" "$bin" audit "${fa[@]}" --json > "$work/auditf.remote" 2>&1
  echo "rc $?" >> "$work/auditf.remote"
  SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" audit "${fa[@]}" --json > "$work/auditf.local" 2>&1
  echo "rc $?" >> "$work/auditf.local"
  set -e
  diff "$work/auditf.local" "$work/auditf.remote" > "$work/diff" || fail "audit $f differs: $(cat "$work/diff")"
done
grep -q "invalid time '2026-13-45' for 'until'" "$work/auditf.remote" || fail "a wrong time: $(cat "$work/auditf.remote")"

# ---- secrets: in no output and no response, the edit's arrived ----------------
cat "$work"/remote.*.out "$work"/remote.*.err > "$work/all"
grep -q -- "$SECRET" "$work/all" && fail "the secret appears in the remote output"
grep -q -- "$SECRET" "$work/log" && fail "the secret appears in the server's log"

# ---- the token: not in argv while a command runs -------------------------------
# a slow call: list against a server that holds 300 connections would be
# quick too, so look while a login waits on its standard input
mkfifo "$work/fifo"
cl "$bin" login "$url" --ca "$work/cert.pem" <"$work/fifo" >"$work/login.out" 2>&1 &
lp=$!
exec 7>"$work/fifo"
sleep 0.2
ps -eo args > "$work/ps"
printf '%s\n' "$tok" >&7; exec 7>&-
wait "$lp" || fail "login through the pipe: $(cat "$work/login.out")"
grep -q "svcconn login" "$work/ps" || fail "the login was not seen running"
grep -q -- "$tok" "$work/ps" && fail "the token is in a process's argv"
grep -q -- "${tok#svcp_}" "$lf" || fail "the login file does not hold the token"

# ---- what works only locally, and a login for another URL ----------------------
# init never makes a local store when a server is named
out=$(cl SVCCONN_SERVER="$url" SVCCONN_HOME="$work/notmade" "$bin" init 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "init against a server exited $rc: $out"
grep -q "'init' works only on a local store" <<<"$out" || fail "init: $out"
[ ! -e "$work/notmade" ] || fail "init against a server made a local store"
out=$(cl SVCCONN_SERVER="$url" "$bin" rekey 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "rekey against a server exited $rc"
grep -q "'rekey' works only on a local store" <<<"$out" || fail "rekey: $out"
# a PUT keeps a secret it leaves out; --unset names the one to remove
# (remote_cli_admin.sh compares it with a local edit)
cl SVCCONN_SERVER="$url" "$bin" create generic keep --scheme UsernamePassword \
  --url https://k.test --set username=u --secret password=@"$work/secret" >/dev/null
out=$(cl SVCCONN_SERVER="$url" "$bin" edit keep --set username=v 2>&1) || fail "edit keep: $out"
out=$(cl SVCCONN_SERVER="$url" "$bin" show keep)
grep -q "password .*\*\*\*" <<<"$out" || fail "an edit that left the secret out lost it: $out"
out=$(cl SVCCONN_SERVER="$url" "$bin" edit keep --unset password 2>&1) || fail "--unset against a server: $out"
out=$(cl SVCCONN_SERVER="$url" "$bin" show keep)
grep -Eq "password +\(unset\)" <<<"$out" || fail "--unset against a server kept the secret: $out"
out=$(cl SVCCONN_SERVER="https://127.0.0.1:1" "$bin" list 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "a login for another URL was used (exit $rc): $out"
grep -q "the login is for '$url'" <<<"$out" || fail "another URL: $out"
# a token file others can read is refused
chmod 644 "$work/rtok"
out=$(cl SVCCONN_TOKEN_FILE="$work/rtok" SVCCONN_SERVER="$url" "$bin" list 2>&1) && fail "a readable token file was used"
grep -q "token file .* must be a regular file of yours" <<<"$out" || fail "token file mode: $out"
out=$(cl "$bin" logout)
[ ! -e "$lf" ] || fail "logout left the login file"
out=$(cl SVCCONN_SERVER="$url" "$bin" list 2>&1) && fail "listed after logout"
grep -q "not logged in" <<<"$out" || fail "after logout: $out"
echo "remote_cli: ok (${#steps[@]} verbs the same locally and remotely)"
