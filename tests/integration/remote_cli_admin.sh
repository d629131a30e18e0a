#!/usr/bin/env bash
# The administrators' commands against svcconn-server, as remote_cli.sh
# does for the others: one scenario run on a local store and against a
# server on loopback (the client with no store), compared verb by verb
# (standard output, standard error, exit code; ids, times and tokens
# normalised).  Covered: types (the list, one type, --json; an unknown
# type 3; add and remove refused against a server, 2), projects (create,
# list, delete; a duplicate, an invalid name, an unknown project), share
# and unshare (into a project, seen there under its new name; show
# prints its project and where it is shared, both projects; edit --unset
# of a secret removes it from the server's store (a Reader's refused, a
# second one "no such field is set", 2); unsharing
# the owning project is "not shared", 3, and deletes nothing), pools
# (create, trusted, list) and agents (registration-token; list and revoke
# of an agent registered with a token issued through the server, compared
# with the server's store read locally).  A Reader is refused (5) both
# ways for every change, and the server's store is unchanged after.
set -euo pipefail
# (no "| grep -q" on output: grep leaving early would fail the pipe)
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/integration/lib/server.sh"
srv_setup remote_cli_admin   # (KEEP=1 keeps $work to look at)
unset SVCCONN_HOME SVCCONN_USER
bin="$SVC_BIN_DIR/svcconn"
printf 'remote-admin-secret-9c2e\n' > "$work/secret"

. "$SVC_SOURCE_DIR/tests/integration/lib/sides.sh"
sides_setup
printf '%s\n' "$tok" | cl "$bin" login "$url" --ca "$work/cert.pem" >/dev/null

# ---- one scenario, both ways ------------------------------------------------
steps=()
step() { steps+=("$*"); }
step admin  tlist   types
step admin  tlistj  types --json
step admin  tone    types kubernetes
step admin  tonej   types GitHub --json
step reader trd     types azurerm
step admin  tnone   types nosuchtype
step admin  plist0  projects
step admin  pcreate projects create web --description web-team
step admin  pdup    projects create WEB
step admin  pbad    projects create bad/name
step reader rpcr    projects create ops
step admin  plist   projects list
step admin  plistj  projects list --json
step reader rplist  projects list
step admin  conn    create generic gh --scheme UsernamePassword --url https://api.example.test --set username=u --secret password=@$work/secret
step admin  share   share gh --project web --name gh-web --description shared-one
step reader rshare  share gh --project web --name other
step admin  shnone  share nope --project web
step admin  shnop   share gh --project nosuchproject
step admin  shlist  --project web list
step admin  shshow  show gh
step admin  shshowj show gh --json
step reader rshshow show gh
step admin  shwshow --project web show gh-web
step reader rdel    projects delete web
step admin  pdelc   projects delete default
step reader runsh   unshare gh --project web
step admin  unshare unshare gh --project web
step admin  unsh2   unshare gh --project web
step admin  unshown unshare gh --project default
step admin  stillgh show gh
step reader runset  edit gh --unset password
step admin  unset   edit gh --unset password
step admin  unset2  edit gh --unset password
step admin  unsshow show gh
step admin  pdel    projects delete web
step admin  pdel2   projects delete web
step admin  plist2  projects list
step admin  pools0  pools
step admin  pocr    pools create linux
step admin  pocrt   pools create dev --trusted
step admin  podup   pools create LINUX
step reader rpocr   pools create x
step reader rpols   pools list
step admin  pols    pools list
step admin  polsj   pools list --json
step admin  agl0    agents list
step admin  agtok   agents registration-token --pool linux --hours 2
step admin  agnop   agents registration-token --pool nosuchpool
step reader ragtok  agents registration-token --pool linux
step reader ragl    agents list
step admin  agrnone agents revoke nosuchagent
step reader ragr    agents revoke nosuchagent
both_ways "${steps[@]}"
expect_rc() { [ "$(cat "$work/remote.$1.rc")" = "$2" ] || fail "'$1' exited $(cat "$work/remote.$1.rc"), not $2: $(cat "$work/remote.$1.err")"; }
expect_rc tlist 0; expect_rc tone 0; expect_rc trd 0; expect_rc tnone 3
expect_rc pcreate 0; expect_rc pdup 1; expect_rc pbad 2; expect_rc rpcr 5; expect_rc plist 0
expect_rc share 0; expect_rc shshow 0; expect_rc rshshow 0; expect_rc shwshow 0; expect_rc rshare 5; expect_rc shnone 3; expect_rc shnop 3
expect_rc rdel 5; expect_rc runsh 5; expect_rc unshare 0; expect_rc unsh2 3; expect_rc unshown 3
expect_rc runset 5; expect_rc unset 0; expect_rc unset2 2; expect_rc unsshow 0
expect_rc stillgh 0; expect_rc pdel 0; expect_rc pdel2 3
expect_rc pocr 0; expect_rc pocrt 0; expect_rc rpocr 5; expect_rc rpols 5; expect_rc pols 0
expect_rc agtok 0; expect_rc agnop 3; expect_rc ragtok 5; expect_rc ragl 5; expect_rc agrnone 3; expect_rc ragr 5
grep -q "^web  *ID  *web-team$" <(norm "$work/remote.plist.out") || fail "the project did not arrive: $(cat "$work/remote.plist.out")"
grep -q "^gh-web " "$work/remote.shlist.out" || fail "the share is not seen in the project: $(cat "$work/remote.shlist.out")"
for n in shshow rshshow shwshow; do
  grep -q "^Shared with: web (as gh-web)$" "$work/remote.$n.out" || fail "$n: no share: $(cat "$work/remote.$n.out")"
done
grep -q "password .*\*\*\*" "$work/remote.unsshow.out" && fail "edit --unset password left it: $(cat "$work/remote.unsshow.out")"
grep -q "cannot unset 'password': no such field is set" "$work/remote.unset2.err" || fail "unset2: $(cat "$work/remote.unset2.err")"
SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" export gh --include-secrets -o "$work/gh.yml"
grep -q 'name: "gh"' "$work/gh.yml" || fail "no export of gh: $(cat "$work/gh.yml")"
grep -q "remote-admin-secret" "$work/gh.yml" && fail "the server's store still holds the unset secret"
grep -q '"project": "default"' "$work/remote.shshowj.out" || fail "show --json: no project: $(cat "$work/remote.shshowj.out")"
grep -q "^dev  *yes " "$work/remote.pols.out" || fail "the trusted pool did not arrive: $(cat "$work/remote.pols.out")"
grep -q "^svcr_" "$work/remote.agtok.out" || fail "no registration token printed: $(cat "$work/remote.agtok.out")"
grep -q "kubernetes - Kubernetes" "$work/remote.tone.out" || fail "types kubernetes: $(head -3 "$work/remote.tone.out")"
grep -q "^variants" "$work/remote.tone.out" || fail "the variants did not arrive"

# the Reader's refusals changed nothing: the server's store, read locally
srvc() { SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" "$@"; }
out=$(srvc projects list)
[ "$(grep -vc '^NAME' <<<"$out")" = 1 ] && grep -q "^default " <<<"$out" || fail "the server's projects: $out"
out=$(srvc pools list)
[ "$(grep -vc '^NAME' <<<"$out")" = 2 ] || fail "the server's pools: $out"
out=$(srvc audit)
for a in project-create project-delete share unshare pool-create agent-registration-token-create; do
  grep -q " $a " <<<"$out" || fail "no '$a' in the server's audit log: $out"
done

# ---- agents: one registered with a token issued through the server ---------
cl SVCCONN_SERVER="$url" "$bin" agents registration-token --pool linux > "$work/reg" 2>/dev/null \
  || fail "remote registration-token"
HOME="$work/agent" "$SVC_BIN_DIR/svcconn-agent" register --server "$url" --ca "$work/cert.pem" \
  --registration-token-file "$work/reg" --name builder1 >/dev/null 2>&1 || fail "the agent did not register"
compare_srv() {
  local f
  for f in "" --json; do
    # shellcheck disable=SC2086
    cl SVCCONN_SERVER="$url" "$bin" "$@" $f > "$work/cmp.remote" || fail "remote $* $f"
    # shellcheck disable=SC2086
    srvc "$@" $f > "$work/cmp.local"
    diff "$work/cmp.local" "$work/cmp.remote" > "$work/diff" || fail "$* $f differs: $(cat "$work/diff")"
  done
}
compare_srv agents list
grep -q '"name": "builder1"' "$work/cmp.remote" || fail "the agent is not listed: $(cat "$work/cmp.remote")"
compare_srv pools list
compare_srv projects list
out=$(cl SVCCONN_TOKEN_FILE="$work/rtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" agents revoke builder1 2>&1) && rc=0 || rc=$?
[ "$rc" = 5 ] || fail "a Reader revoked an agent (exit $rc): $out"
out=$(cl SVCCONN_SERVER="$url" "$bin" agents revoke builder1) || fail "remote agents revoke: $out"
[ "$out" = "revoked agent 'builder1'" ] || fail "agents revoke: $out"
compare_srv agents list
grep -q '"revoked": "-"' "$work/cmp.remote" && fail "the revocation did not arrive: $(cat "$work/cmp.remote")"

# ---- custom types are installed on the server's host only ----------------------
printf 'id: mything\nname: My Thing\nschemes:\n  - id: Token\n    fields:\n      - key: apitoken\n        secret: true\n' > "$work/t.yml"
for v in "add $work/t.yml" "remove mything"; do
  # shellcheck disable=SC2086
  out=$(cl SVCCONN_SERVER="$url" "$bin" types $v 2>&1) && rc=0 || rc=$?
  [ "$rc" = 2 ] || fail "types ${v%% *} against a server exited $rc: $out"
  grep -q "'types ${v%% *}' works only on a local store, not against a server" <<<"$out" || fail "types ${v%% *}: $out"
done
[ ! -e "$work/srv/types" ] || [ -z "$(ls -A "$work/srv/types")" ] || fail "a type was installed on the server"
# ---- the types in Azure's shape, one by ?type= (an alias, any case) ------------
req 200 -H "Authorization: Bearer $tok" "$url/_apis/serviceendpoint/types?type=GitHub"
python3 -c 'import json,sys; d=json.load(sys.stdin); t=d["value"][0]
assert d["count"] == 1 and t["name"] == "github", d["count"]
ins = [i for s in t["authenticationSchemes"] for i in s["inputDescriptors"]]
assert all(s["scheme"] and s["displayName"] for s in t["authenticationSchemes"])
assert any(i["isConfidential"] and i["inputMode"] == "passwordBox" and i["kind"] == "auth" for i in ins)
assert all("isRequired" in i["validation"] for i in ins + t["inputDescriptors"])
for k in ("displayName", "inputDescriptors", "dataSources", "endpointUrl", "trustedHosts", "custom", "variants"):
    assert k in t, k' <<<"$body" || fail "types?type=GitHub is not a ServiceEndpointType: $body"
req 200 -H "Authorization: Bearer $tok" "$url/_apis/serviceendpoint/types?type=nosuchtype"
[ "$(jget count <<<"$body")" = 0 ] || fail "an unknown type listed: $body"
echo "remote_cli_admin: ok (${#steps[@]} verbs the same locally and remotely)"
