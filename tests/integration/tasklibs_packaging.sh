#!/usr/bin/env bash
# Microsoft's packaging libraries, installed from npm by this test (not
# vendored): azure-pipelines-tasks-artifacts-common, -packaging-common and
# -utility-common, used by probe tasks written as Microsoft writes its
# tasks (fixtures/tasks/Svc{Artifacts,Packaging,Utility}ProbeV0), run by
# `svcconn-agent run` with connections made by `svcconn create`.  Every
# value the libraries read is exact; the configuration they produce (pip's
# index URL, .pypirc, settings.xml, .npmrc, NuGet.config and the NuGet
# credential provider's endpoints) is used by the real clients (npm with a
# token and with a user and password, pip, twine with a password and with a
# token, mvn) against loopback feeds (tests/support/authfix.py) that require
# the credentials; the NuGet feed's service index is fetched with the
# credentials of the NuGet.config through utility-common's REST helper
# (no NuGet client: none on a Debian test machine).  With wrong secrets in
# the store every client fails and so does the run.  No secret appears in
# the output (raw, percent-encoded, XML-escaped, base64), and nothing is
# left in HOME, the working directory or the jobs root.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
libs=$deps/../node-libs2
node_deps_install "$libs" azure-pipelines-task-lib@5 azure-pipelines-tasks-artifacts-common@2 \
  azure-pipelines-tasks-packaging-common@3 azure-pipelines-tasks-utility-common@3
work=$(mktemp -d /tmp/svcpkglibs.XXXXXX)
fix_pid=
cleanup() { [ -z "$fix_pid" ] || kill "$fix_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export SVCCONN_USER=admin SVCCONN_JOBS_DIR=$work/jobs
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# the secrets the feeds want, each distinct, with characters that need
# escaping in URLs, XML and .npmrc (not a "%" in the pip password: the URL
# PipAuthenticate builds, with WHATWG URL, leaves a "%" as it is, and pip
# then reads another password; Microsoft's task has the same limit)
cat > "$work/creds" <<'C'
NPM_TOKEN=npm_T0ken-libs-4412
NPMB_USER=npmbasic
NPMB_PASS=npm b@sic:pw%26-9031
PY_USER=pyreader
PY_PASS=py pa:ss@w/rd#?-5521
UP_USER=uploader
UP_PASS=upl0ad'pw"&-7712
TWINE_TOKEN=pypi-AgEtwine.token_3390
MVN_USER=mvnbot
MVN_PASS=mvn<&>"pass'-4410
NUGET_USER=nugetbot
NUGET_PASS=nuget-pw-&<>"1177
C
get() { sed -n "s/^$1=//p" "$work/creds"; }
. "$SVC_SOURCE_DIR/tests/support/authfix.sh"
authfix_start
base=http://127.0.0.1:$port
SECRETS="NPM_TOKEN NPMB_PASS PY_PASS UP_PASS TWINE_TOKEN MVN_PASS NUGET_PASS"

# store HOME SUFFIX: the connections, their secrets each followed by SUFFIX
store() {
  local s=$work/secret
  export SVCCONN_HOME=$1
  sv() { "$SVC_BIN_DIR/svcconn" "$@" >/dev/null; }
  sec() { printf '%s%s' "$(get "$1")" "$2" > "$s"; echo "$s"; }
  sv init
  sv create externalnpmregistry npmtok --scheme Token --url "$base/npm/" --secret apitoken=@"$(sec NPM_TOKEN "$2")"
  sv create externalnpmregistry npmbasic --scheme UsernamePassword --url "$base/npmb/" \
    --set username="$(get NPMB_USER)" --secret password=@"$(sec NPMB_PASS "$2")"
  sv create externalPythonDownloadFeed pydl --scheme UsernamePassword --url "$base/pypi/simple/" \
    --set username="$(get PY_USER)" --secret password=@"$(sec PY_PASS "$2")"
  sv create externalPythonUploadFeed pyup --scheme UsernamePassword --url "$base/upload/" \
    --set endpointname=pwfeed --set username="$(get UP_USER)" --secret password=@"$(sec UP_PASS "$2")"
  sv create externalPythonUploadFeed pytok --scheme Token --url "$base/uploadtok/" \
    --set endpointname=tokfeed --secret apitoken=@"$(sec TWINE_TOKEN "$2")"
  sv create externalmavenrepository mvnrepo --scheme UsernamePassword --url "$base/maven2/" \
    --set RepositoryId=fixrepo --set username="$(get MVN_USER)" --secret password=@"$(sec MVN_PASS "$2")"
  sv create externalnugetfeed nugetfeed --scheme UsernamePassword --url "$base/nuget/v3/index.json" \
    --set username="$(get NUGET_USER)" --secret password=@"$(sec NUGET_PASS "$2")"
  rm -f "$s"
  for c in npmtok npmbasic pydl pyup pytok mvnrepo nugetfeed; do sv permissions "$c" --all-pipelines; done
}
store "$work/store-bad" -wrong
store "$work/store" ""

# the probe tasks as Microsoft ships a task: the libraries beside them
mkdir -p "$work/tasks"
for t in SvcArtifactsProbeV0 SvcPackagingProbeV0 SvcUtilityProbeV0; do
  cp -r "$SVC_SOURCE_DIR/fixtures/tasks/$t" "$work/tasks/"
  ln -s "$libs/node_modules" "$work/tasks/$t/node_modules"
done

# the working directory: what a repository holds
ws=$work/ws
mkdir -p "$ws/mvn" "$work/home" "$work/out"
mkdir -m 700 "$work/jobs"
cat > "$ws/mvn/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.svcconn.test</groupId><artifactId>parent</artifactId><version>1.0</version>
    <relativePath/>
  </parent>
  <artifactId>child</artifactId>
  <packaging>pom</packaging>
  <repositories><repository><id>fixrepo</id><url>$base/maven2/</url></repository></repositories>
</project>
POM
cat > "$ws/NuGet.config" <<NUGET
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="fixfeed" value="$base/nuget/v3/index.json" />
  </packageSources>
</configuration>
NUGET
nuget_client=$(command -v dotnet nuget 2>/dev/null | tr '\n' ' ' || true)
echo "NOTE nuget: no NuGet client used (on this machine: ${nuget_client:-none}); the NuGet.config packaging-common writes is checked value by value, and its credentials fetch the feed's service index through utility-common"

cat > "$work/p.yml" <<YAML
jobs:
  - job: Feeds
    steps:
      - task: SvcArtifactsProbe@0
        inputs:
          npmServiceConnections: npmtok, npmbasic
          pythonDownloadServiceConnections: pydl
          pythonUploadServiceConnections: pyup,pytok
          mavenServiceConnections: mvnrepo
          nuGetServiceConnections: nugetfeed
          outFile: $work/out/artifacts.json
      - task: SvcPackagingProbe@0
        inputs:
          customEndpoint: npmtok,npmbasic
          externalFeedCredentials: nugetfeed
          nugetConfigPath: NuGet.config
          outFile: $work/out/packaging.json
      - task: SvcUtilityProbe@0
        condition: succeededOrFailed()
        inputs:
          outFile: $work/out/utility.json
      - script: |
          export npm_config_cache="\$AGENT_TEMPDIRECTORY/npm-cache"
          npm whoami --registry "$base/npm/" && echo "OK npm token"
        displayName: npm token
        condition: succeededOrFailed()
      - script: |
          export npm_config_cache="\$AGENT_TEMPDIRECTORY/npm-cache"
          [ "\$(npm view svcpkg version --registry "$base/npmb/")" = 1.0.0 ] && echo "OK npm basic"
        displayName: npm basic
        condition: succeededOrFailed()
      - script: |
          "$py" -m pip download --no-input --no-cache-dir --no-deps -d "\$AGENT_TEMPDIRECTORY/dl" svcdemo && echo "OK pip"
        displayName: pip
        condition: succeededOrFailed()
      - script: |
          cp "$work/svcdemo-1.0-py3-none-any.whl" "\$AGENT_TEMPDIRECTORY/"
          twine upload --non-interactive --disable-progress-bar -r pwfeed --config-file \$(PYPIRC_PATH) "\$AGENT_TEMPDIRECTORY"/*.whl && echo "OK twine password"
        displayName: twine password
        condition: succeededOrFailed()
      - script: |
          twine upload --non-interactive --disable-progress-bar -r tokfeed --config-file "\$PYPIRC_PATH" "$work"/svcdemo-1.0-py3-none-any.whl && echo "OK twine token"
        displayName: twine token
        condition: succeededOrFailed()
      - script: |
          cd mvn && mvn -B -q -s "\$MAVEN_SETTINGS" -Dmaven.repo.local="\$AGENT_TEMPDIRECTORY/m2" validate && echo "OK mvn"
        displayName: maven
        condition: succeededOrFailed()
      - script: |
          echo "--- the files, as a careless step would print them"
          cat "\$PYPIRC_PATH" "\$MAVEN_SETTINGS" "\$NPM_CONFIG_USERCONFIG" "\$NUGET_CONFIG_FILE"
          echo "pip: \$PIP_INDEX_URL"
          echo "nuget endpoints: \$VSS_NUGET_EXTERNAL_FEED_ENDPOINTS"
          echo "--- end"
        displayName: careless
        condition: succeededOrFailed()
YAML
run() { # store, log
  (cd "$ws" && SVCCONN_HOME=$1 HOME=$work/home "$SVC_BIN_DIR/svcconn-agent" run "$work/p.yml" \
    --pipeline feeds --run-id 5 --tasks-dir "$work/tasks") > "$2" 2>&1
}
show() { cat "$1"; echo "--- fixture"; cat "$work/fixture.log"; }
# a wheel to upload: the one the fixture serves
"$py" - "$work/creds" "$base" "$work/svcdemo-1.0-py3-none-any.whl" <<'PY' || fail "the fixture's wheel"
import base64, sys, urllib.request
c = dict(l.split("=", 1) for l in open(sys.argv[1]).read().splitlines())
r = urllib.request.Request(sys.argv[2] + "/pypi/files/svcdemo-1.0-py3-none-any.whl", headers={
    "Authorization": "Basic " + base64.b64encode(("%s:%s" % (c["PY_USER"], c["PY_PASS"])).encode()).decode()})
open(sys.argv[3], "wb").write(urllib.request.urlopen(r).read())
PY

# --- the right secrets: every client succeeds ------------------------------
rc=0; run "$work/store" "$work/log.txt" || rc=$?
[ "$rc" -eq 0 ] || { show "$work/log.txt"; fail "the run exited $rc"; }
clients=("OK npm token" "OK npm basic" "OK pip" "OK twine password" "OK twine token" "OK mvn"
         "OK nuget service index 3.0.0")
for w in "${clients[@]}"; do
  grep -qF -- "$w" "$work/log.txt" || { show "$work/log.txt"; fail "missing in the log: $w"; }
done
echo "the real clients used what the libraries wrote: npm (token, basic), pip, twine (password, token), mvn; NuGet's service index with the NuGet.config's credentials"

# every value exact, as the libraries read them
node - "$work/out" "$work/creds" "$base" "$ws" <<'NODE' || { show "$work/log.txt"; fail "values"; }
const fs = require('fs');
const [out, credsFile, base, ws] = process.argv.slice(2);
const c = Object.fromEntries(fs.readFileSync(credsFile, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const a = JSON.parse(fs.readFileSync(`${out}/artifacts.json`, 'utf8'));
const p = JSON.parse(fs.readFileSync(`${out}/packaging.json`, 'utf8'));
const u = JSON.parse(fs.readFileSync(`${out}/utility.json`, 'utf8'));
let failures = 0;
const eq = (what, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) { console.log(`FAIL ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`); failures++; }
};
const conn = (uri, authType, o, data) => Object.assign({ uri, authType }, o, { additionalData: data || {} });
// artifacts-common: getPackagingServiceConnections
eq('npm connections', a.npm, [conn(`${base}/npm/`, 'Token', { token: c.NPM_TOKEN }),
  conn(`${base}/npmb/`, 'UsernamePassword', { username: c.NPMB_USER, password: c.NPMB_PASS })]);
eq('pip connection', a.pydl, [conn(`${base}/pypi/simple/`, 'UsernamePassword', { username: c.PY_USER, password: c.PY_PASS })]);
eq('twine connections', a.pyup, [
  conn(`${base}/upload/`, 'UsernamePassword', { username: c.UP_USER, password: c.UP_PASS }, { endpointname: 'pwfeed' }),
  conn(`${base}/uploadtok/`, 'Token', { token: c.TWINE_TOKEN }, { endpointname: 'tokfeed' })]);
eq('maven connection', a.mvn, [conn(`${base}/maven2/`, 'UsernamePassword', { username: c.MVN_USER, password: c.MVN_PASS }, { RepositoryId: 'fixrepo' })]);
eq('nuget connection', a.nuget, [conn(`${base}/nuget/v3/index.json`, 'UsernamePassword', { username: c.NUGET_USER, password: c.NUGET_PASS })]);
eq('VSS_NUGET_EXTERNAL_FEED_ENDPOINTS', JSON.parse(a.nugetEndpoints), { endpointCredentials: [
  { endpoint: `${base}/nuget/v3/index.json`, username: c.NUGET_USER, password: c.NUGET_PASS }] });
// packaging-common: no location service for an on-premises server
eq('packaging URIs', p.packagingUris, { PackagingUris: ['https://svcconn.invalid/local/'], DefaultPackagingUri: 'https://svcconn.invalid/local/' });
const nerf = (path) => `//127.0.0.1:${base.split(':')[2]}${path}`;
eq('npm registries', p.npm, [
  { url: `${base}/npm/`, auth: `${nerf('/npm/')}:_authToken=${c.NPM_TOKEN}\n${nerf('/npm/')}:always-auth=true` },
  { url: `${base}/npmb/`, auth: `${nerf('/npmb/')}:username=${c.NPMB_USER}\n${nerf('/npmb/')}:_password=${Buffer.from(c.NPMB_PASS).toString('base64')}\n` +
      `${nerf('/npmb/')}:email=${c.NPMB_USER}\n${nerf('/npmb/')}:always-auth=true` }]);
eq('nuget external auth', p.nuget, [{ feedUri: `${base}/nuget/v3/index.json`, feedName: `http127001${base.split(':')[2]}nugetv3indexjson`,
  authType: 'UsernamePassword', username: c.NUGET_USER, password: c.NUGET_PASS }]);
// utility-common: the job's SystemVssConnection, the telemetry variables, the feed
eq('system token', [u.token.length, u.token.hex], [64, true]);
const t = u.telemetry || {};
for (const k of ['SYSTEM_JOBID', 'SYSTEM_PLANID', 'AGENT_OS', 'AGENT_VERSION', 'BUILD_BUILDID', 'BUILD_REASON'])
  if (!t[k]) { console.log(`FAIL telemetry: ${k} empty`); failures++; }
eq('telemetry own value', t.probe, 'utility-common');
eq('nuget service index', u.nuget, { uri: `${base}/nuget/v3/index.json`, status: 200, version: '3.0.0' });
if (failures) process.exit(1);
console.log('artifacts-common, packaging-common and utility-common read every value exactly');
NODE
# the NuGet.config is in the job's temporary directory, gone now; its
# values were read back by the utility probe (status 200 above) and are
# checked here from the careless step's print: masked
grep -q 'key="ClearTextPassword" value="\*\*\*"' "$work/log.txt" || { show "$work/log.txt"; fail "NuGet.config's password not written or not masked"; }
grep -q "key=\"Username\" value=\"$(get NUGET_USER)\"" "$work/log.txt" || { show "$work/log.txt"; fail "NuGet.config's user name"; }

# --- masking and leftovers -------------------------------------------------
forms() { # every form a secret takes in these files and URLs
  "$py" - "$1" <<'PY'
import base64, sys, urllib.parse, xml.sax.saxutils as x
s = sys.argv[1]
forms = {s, urllib.parse.quote(s, safe=""), urllib.parse.quote(s), base64.b64encode(s.encode()).decode(),
         x.escape(s, {'"': "&quot;", "'": "&apos;"}), x.escape(s)}
print("\n".join(f for f in forms if len(f) > 5))
PY
}
check_log() { # log
  local k f
  for k in $SECRETS; do
    while IFS= read -r f; do
      grep -qF -- "$f" "$1" && { show "$1"; fail "$k in the log as '$f'"; }
    done < <(forms "$(get "$k")"; forms "$(get "$k")-wrong")
  done
  return 0
}
check_log "$work/log.txt"
grep -q "pip index: http://$(get PY_USER):\*\*\*@127.0.0.1:$port/pypi/simple/" "$work/log.txt" \
  || { show "$work/log.txt"; fail "the pip index URL's password not masked"; }
grep -q 'system token: \*\*\*$' "$work/log.txt" || { show "$work/log.txt"; fail "the system token not masked"; }
# the files were printed, their secrets masked in every form they hold
for w in "password=***" ":_authToken=***" ":_password=***" "<password>***</password>" \
         '"password":"***"'; do
  grep -qF -- "$w" "$work/log.txt" || { show "$work/log.txt"; fail "not printed masked: $w"; }
done
echo "no secret in the log (raw, percent-encoded, XML-escaped, base64)"
left() {
  for k in $SECRETS; do
    while IFS= read -r f; do
      if grep -rqF -- "$f" "$work/home" "$ws" 2>/dev/null; then fail "$k left in HOME or the working directory"; fi
    done < <(forms "$(get "$k")"; forms "$(get "$k")-wrong")
  done
  # HOME holds nothing but rustup's settings, written when pip's user agent
  # runs `rustc --version` on a machine where rustc is rustup's proxy
  local h
  h=$(cd "$work/home" && find . -mindepth 1 ! -path ./.rustup ! -path ./.rustup/settings.toml)
  [ -z "$h" ] || fail "left in HOME: $h"
  [ "$(cd "$ws" && find . -mindepth 1 | sort | tr '\n' ' ')" = "./NuGet.config ./mvn ./mvn/pom.xml " ] \
    || fail "left in the working directory: $(cd "$ws" && find . -mindepth 1)"
  [ -z "$(ls -A "$work/jobs")" ] || fail "the job's directory was left: $(ls -A "$work/jobs")"
}
left
echo "nothing left in HOME or the working directory"

# --- wrong secrets: every client fails, and so does the run ----------------
rm -f "$work"/out/*
seen=$(wc -l < "$work/fixture.log")
rc=0; run "$work/store-bad" "$work/bad.txt" || rc=$?
tail -n +"$((seen + 1))" "$work/fixture.log" > "$work/bad-fixture.log"
[ "$rc" -ne 0 ] || { show "$work/bad.txt"; fail "the run with wrong secrets succeeded"; }
for w in "${clients[@]}"; do
  grep -qF -- "$w" "$work/bad.txt" && { show "$work/bad.txt"; fail "with wrong secrets: $w"; }
done
for route in "GET /npm/-/whoami 401" "GET /npmb/svcpkg 401" "GET /pypi/simple/svcdemo/ 401" \
             "POST /upload/ 401" "POST /uploadtok/ 401" "GET /nuget/v3/index.json 401"; do
  grep -qF -- "$route" "$work/bad-fixture.log" || { show "$work/bad.txt"; fail "the fixture never refused: $route"; }
done
grep -q '^GET /maven2/.* 401' "$work/bad-fixture.log" || fail "the Maven repository never refused"
grep -q ' 200$' "$work/bad-fixture.log" && { show "$work/bad.txt"; fail "a feed accepted a wrong secret"; }
refused=${#clients[@]} # one refused step per client
grep -qF "summary: 10 step(s) run, $refused failed" "$work/bad.txt" || { show "$work/bad.txt"; fail "summary of the refused run"; }
check_log "$work/bad.txt"
left
echo "with wrong secrets every client was refused and the run failed ($(grep -o 'summary: .*' "$work/bad.txt"))"
