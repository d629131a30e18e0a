#!/usr/bin/env bash
# Templates of other repositories fetched as the service fetches them, from
# a real git server on loopback (lighttpd + git http-backend behind basic
# auth) holding a templates repository:
#  - `plan --fetch` reads `extends: v1/Official.yml@tools` (type git, an
#    Azure Repos connection, name Tools/templates: {url}/Tools/_git/templates,
#    ref refs/heads/main) and `steps/tagged.yml@released`
#    (type githubenterprise, ref `release`, an annotated tag) through the
#    resources' endpoint connections; the server saw the connection's user;
#    every reference is found at its file and line, in the cache
#    ($SVCCONN_HOME/cache/templates/<hash>/<commit>/, 0700), and inline;
#  - no credential is written anywhere: neither the cache nor $SVCCONN_HOME
#    holds the password (the store holds it encrypted);
#  - a second plan uses the cached commit;
#  - a wrong password fails with a clear message naming the URL, and what
#    the pipeline passes inline is still checked;
#  - a template path cannot leave its fetched repository (../../etc/passwd);
#  - a server that never answers is given up on (SVCCONN_FETCH_TIMEOUT_MS);
#  - without --fetch, plan says which templates it could not read.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}" "${SVC_SHARED_DIR:?}"

command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ] || {
  echo "FAIL: lighttpd is not installed; this test needs a real git server on loopback" \
       "(.ci/deps installs it: apt-get install lighttpd)"; exit 1; }

work=$(mktemp -d /tmp/svctplfetch.XXXXXX)
httpd_pid=""
silent_pid=""
cleanup() {
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null || true
  [ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
pw='Tpl-fetch-s3cret-91'
fix="$SVC_SOURCE_DIR/fixtures/pipelines/fetch"
tasks="$SVC_SHARED_DIR/data/tasks"

# ---- the server and the templates repository ---------------------------------
. "$SVC_SOURCE_DIR/fixtures/git/server.sh"
H="$work/srv"
git_server_start "$H" ciuser "$pw" || fail "cannot start lighttpd"
httpd_pid=$git_httpd_pid
base="http://127.0.0.1:$git_port/git"
git init -q --bare "$H/repos/templates.git"
mkdir -p "$H/repos/Tools/_git"
ln -s "$H/repos/templates.git" "$H/repos/Tools/_git/templates"
git init -q "$work/seed"
cp -r "$fix/templates-repo/." "$work/seed/"
(cd "$work/seed" && git add -A && git -c user.name=t -c user.email=t@t commit -qm templates &&
 git -c user.name=t -c user.email=t@t tag -a release -m release &&
 git push -q "$H/repos/templates.git" HEAD:refs/heads/main refs/tags/release)
git -C "$H/repos/templates.git" symbolic-ref HEAD refs/heads/main
commit=$(git -C "$work/seed" rev-parse HEAD)
GIT_TERMINAL_PROMPT=0 git ls-remote "$base/templates.git" >/dev/null 2>&1 &&
  fail "the server does not ask for a password"

# ---- the store: the endpoint connections -------------------------------------
printf '%s' "$pw" > "$work/pw"
printf '%s' 'not-the-password' > "$work/badpw"
svcconn init >/dev/null
svcconn create externaltfs tmplsrv --url "$base" --scheme UsernamePassword \
  --set username=ciuser --secret password=@"$work/pw" >/dev/null
svcconn create githubenterprise ghe-tools --url "$base" --scheme UsernamePassword \
  --set username=ciuser --secret password=@"$work/pw" >/dev/null
svcconn create externaltfs tmplbad --url "$base" --scheme UsernamePassword \
  --set username=ciuser --secret password=@"$work/badpw" >/dev/null
rm -f "$work/pw" "$work/badpw"

mkdir -p "$work/p"
sed 's/@ENDPOINT@/tmplsrv/' "$fix/pipeline.yml.in" > "$work/p/good.yml"
sed 's/@ENDPOINT@/tmplbad/' "$fix/pipeline.yml.in" > "$work/p/bad.yml"

# ref FILE_SUFFIX LINE KEY: the reference must be in the plan's JSON
has_ref() {
  python3 - "$1" "$2" "$3" "$4" <<'PY' || fail "no reference $4 at $2:$3 in $1"
import json, sys
plan = json.load(open(sys.argv[1]))
ok = any(r["file"].endswith(sys.argv[2]) and r["line"] == int(sys.argv[3])
         and r["key"] == sys.argv[4] for r in plan["references"])
sys.exit(0 if ok else 1)
PY
}
# a sanitizer build's report (leak, overflow) fails the test
no_sanitizer() { ! grep -q 'Sanitizer\|runtime error' "$1" || { cat "$1"; fail "sanitizer report"; }; }
count_refs() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["references"]))' "$1"; }
diags() { python3 -c 'import json,sys; [print(d["severity"], d["file"], d["line"], d["message"]) for d in json.load(open(sys.argv[1]))["diagnostics"]]' "$1"; }

# ---- plan --fetch -----------------------------------------------------------
svcconn plan --fetch --json --tasks-dir "$tasks" "$work/p/good.yml" > "$work/good.json" 2> "$work/good.err" || true
no_sanitizer "$work/good.err"
diags "$work/good.json" > "$work/good.diags"
grep -q 'cannot be read' "$work/good.diags" && { cat "$work/good.diags"; fail "a template was not fetched"; }
has_ref "$work/good.json" "/$commit/steps/login.yml" 8 azureSubscription
has_ref "$work/good.json" "/$commit/steps/tagged.yml" 5 azureSubscription
has_ref "$work/good.json" "p/good.yml" 27 azureSubscription
[ "$(count_refs "$work/good.json")" = 5 ] || fail "expected 5 references, got $(count_refs "$work/good.json")"
# the only errors are the connections this store does not have
if grep '^error' "$work/good.diags" | grep -v "no connection named 'arm-" | grep -q .; then
  cat "$work/good.diags"; fail "plan --fetch reported false errors"
fi
# lighttpd writes its access log in batches: give it a few seconds
for _ in $(seq 1 100); do
  grep -q ' ciuser ' "$H/log/access.log" 2>/dev/null && break
  sleep 0.05
done
grep -q ' ciuser ' "$H/log/access.log" || fail "the server did not see the connection's user"
echo "ok: templates fetched through the endpoint connections (branch and annotated tag)"

# ---- the cache, and no credential on disk -------------------------------------
cache="$SVCCONN_HOME/cache/templates"
[ -d "$cache" ] || fail "no template cache at $cache"
[ "$(find "$cache" -name Official.yml -path "*/$commit/v1/*" | wc -l)" -ge 1 ] ||
  fail "the cache does not hold the commit's templates"
bad_modes=$(find "$SVCCONN_HOME/cache" -type d ! -perm 0700 | head -5)
[ -z "$bad_modes" ] || fail "cache directories not 0700: $bad_modes"
if grep -r -a -l -F -- "$pw" "$SVCCONN_HOME" "$work/p" 2>/dev/null; then
  fail "the password was written to disk"
fi
if grep -r -a -l -F -- "not-the-password" "$SVCCONN_HOME" 2>/dev/null; then
  fail "the wrong password was written to disk"
fi
if grep -r -a -l "ciuser:" "$cache" 2>/dev/null; then
  fail "a credential URL was written to the cache"
fi
echo "ok: no credential in the cache or \$SVCCONN_HOME"

# ---- a second plan uses the cached commit -------------------------------------
n_before=$(find "$cache" -mindepth 2 -maxdepth 2 -type d | wc -l)
svcconn plan --fetch --json --tasks-dir "$tasks" "$work/p/good.yml" > "$work/good2.json" 2> "$work/good2.err" || true
no_sanitizer "$work/good2.err"
has_ref "$work/good2.json" "/$commit/steps/login.yml" 8 azureSubscription
[ "$(find "$cache" -mindepth 2 -maxdepth 2 -type d | wc -l)" = "$n_before" ] ||
  fail "the cached commit was written again"
echo "ok: the cached commit is reused"

# ---- a wrong password -------------------------------------------------------
svcconn plan --fetch --json --tasks-dir "$tasks" "$work/p/bad.yml" > "$work/bad.json" 2> "$work/bad.err" || true
no_sanitizer "$work/bad.err"
diags "$work/bad.json" > "$work/bad.diags"
grep -q "^warning .*bad.yml 17 template 'v1/Official.yml@tools' of repository 'tools' cannot be read (cannot fetch '$base/Tools/_git/templates': the server refused the endpoint connection's credentials)" \
  "$work/bad.diags" || { cat "$work/bad.diags"; fail "no clear message for a wrong password"; }
has_ref "$work/bad.json" "p/bad.yml" 27 azureSubscription
has_ref "$work/bad.json" "/$commit/steps/tagged.yml" 5 azureSubscription
echo "ok: a wrong password is a clear warning; the inline stages are still checked"

# ---- a fetched repository's templates stay inside it ----------------------------
cat > "$work/p/escape.yml" <<'YML'
resources:
  repositories:
    - repository: released
      type: githubenterprise
      name: templates
      endpoint: ghe-tools
      ref: release
steps:
  - template: ../../../../../../../../../../etc/passwd@released
YML
svcconn plan --fetch --json --tasks-dir "$tasks" "$work/p/escape.yml" > "$work/escape.json" 2> "$work/escape.err" || true
no_sanitizer "$work/escape.err"
diags "$work/escape.json" | grep "^error .*escape.yml 9 template '../../../../../../../../../../etc/passwd@released' is outside its repository" >/dev/null ||
  { diags "$work/escape.json"; fail "a template path may leave its fetched repository"; }
echo "ok: a template path cannot leave its fetched repository"

# ---- a server that never answers: the fetch's deadline ---------------------------
python3 - "$work/silent.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try:
        conns.append(s.accept()[0])   # accepted, never answered
    except socket.timeout:
        pass
PY
silent_pid=$!
for _ in $(seq 1 100); do [ -s "$work/silent.port" ] && break; sleep 0.05; done
svcconn create githubenterprise ghe-silent --url "http://127.0.0.1:$(cat "$work/silent.port")" \
  --scheme UsernamePassword --set username=ciuser --secret password=@<(printf x) >/dev/null
sed 's/endpoint: ghe-tools/endpoint: ghe-silent/' "$work/p/escape.yml" > "$work/p/silent.yml"
start=$(date +%s)
SVCCONN_FETCH_TIMEOUT_MS=1500 svcconn plan --fetch --json --tasks-dir "$tasks" "$work/p/silent.yml" \
  > "$work/silent.json" 2> "$work/silent.err" || true
took=$(( $(date +%s) - start ))
kill "$silent_pid" 2>/dev/null || true
no_sanitizer "$work/silent.err"
diags "$work/silent.json" | grep "no answer in 1500 ms" >/dev/null ||
  { diags "$work/silent.json"; fail "a silent server is not given up on"; }
[ "$took" -lt 30 ] || fail "the fetch of a silent server took ${took}s"
echo "ok: a server that never answers is given up on after the deadline"

# ---- without --fetch ----------------------------------------------------------
svcconn plan --json --tasks-dir "$tasks" "$work/p/good.yml" > "$work/nofetch.json" 2> "$work/nofetch.err" || true
no_sanitizer "$work/nofetch.err"
diags "$work/nofetch.json" | grep "good.yml 17 template 'v1/Official.yml@tools' of repository 'tools' cannot be read (templates of other repositories are read only with --fetch)" >/dev/null ||
  fail "plan without --fetch does not say which template it could not read"
has_ref "$work/nofetch.json" "p/good.yml" 27 azureSubscription
echo "ok: without --fetch, the unread templates are named and the inline content checked"
echo "PASS"
