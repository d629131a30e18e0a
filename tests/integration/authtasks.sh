#!/usr/bin/env bash
# The tool-configuration tasks of tasks/ (Docker@2 login, npmAuthenticate@0,
# PipAuthenticate@1, TwineAuthenticate@1, MavenAuthenticate@0,
# NuGetAuthenticate@1, CargoAuthenticate@0, Kubernetes@1 login), run by
# `svcconn-agent run` from a pipeline written with Azure's task names and
# inputs, with connections made by `svcconn create`, against fixture servers
# on loopback (tests/support/authfix.py) that require the credentials.  The
# real tools then read what the tasks wrote, through the variables the tasks
# set for the job's later steps, and succeed; without those variables they
# fail.  Also: the files are 0600 in 0700 directories of the job's private
# directory, every secret is masked in the log, nothing with a secret is
# left in HOME or the working directory, and the job's directory is gone
# after the job.  A tool that is not installed is said so and skipped
# (docker: the docker CLI, when present; cargo: 1.74 or later).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
work=$(mktemp -d /tmp/svcauthtasks.XXXXXX)
fix_pid=
cleanup() { [ -z "$fix_pid" ] || kill "$fix_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export SVCCONN_HOME="$work/store" SVCCONN_USER=admin
export SVCCONN_TASKS_PATH="$SVC_SOURCE_DIR/tasks"
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
secret() { printf '%s' "$2" > "$work/$1"; echo "$work/$1"; }
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# secrets, each distinct so that each check proves its own
cat > "$work/creds" <<'C'
NPM_TOKEN=npm_T0ken-for-whoami-5521
PY_USER=pyreader
PY_PASS=py pa:ss@w%rd-7731
UP_USER=uploader
UP_PASS=upload-s3cret;9912
MVN_USER=mvnbot
MVN_PASS=mvn<&>"pass-4410
CARGO_TOKEN=cargo-tok-3318-XYZ
DOCKER_USER=dockbot
DOCKER_PASS=dock-Pa55-6620
KUBE_TOKEN=kube-bearer-token-8812
NUGET_PASS=nuget-pw-&<1177
C
get() { sed -n "s/^$1=//p" "$work/creds"; }

. "$SVC_SOURCE_DIR/tests/support/authfix.sh"
authfix_start
base=http://127.0.0.1:$port

svcconn init >/dev/null
svcconn create externalnpmregistry npmfeed --scheme Token --url "$base/npm/" \
  --secret apitoken=@"$(secret s1 "$(get NPM_TOKEN)")" >/dev/null
svcconn create externalPythonDownloadFeed pydl --scheme UsernamePassword \
  --url "$base/pypi/simple/" --set username="$(get PY_USER)" \
  --secret password=@"$(secret s2 "$(get PY_PASS)")" >/dev/null
svcconn create externalPythonUploadFeed pyup --scheme UsernamePassword \
  --url "$base/upload/" --set username="$(get UP_USER)" --set endpointname=fixfeed \
  --secret password=@"$(secret s3 "$(get UP_PASS)")" >/dev/null
svcconn create externalmavenrepository mvnrepo --scheme UsernamePassword \
  --url "$base/maven2/" --set username="$(get MVN_USER)" --set RepositoryId=fixrepo \
  --secret password=@"$(secret s4 "$(get MVN_PASS)")" >/dev/null
svcconn create externalcargorepository cargoreg --scheme Token --url "$base/cargo/index/" \
  --secret apitoken=@"$(secret s5 "$(get CARGO_TOKEN)")" >/dev/null
svcconn create dockerregistry reg --scheme UsernamePassword --set registrytype=Others \
  --set registry="https://127.0.0.1:$tlsport" --set username="$(get DOCKER_USER)" \
  --secret password=@"$(secret s6 "$(get DOCKER_PASS)")" >/dev/null
svcconn create kubernetes kube --scheme Token --url "https://127.0.0.1:$tlsport" \
  --set serviceAccountCertificate="$(base64 -w0 "$work/kube.crt")" \
  --secret apiToken=@"$(secret s7 "$(printf '%s' "$(get KUBE_TOKEN)" | base64 -w0)")" >/dev/null
svcconn create externalnugetfeed nugetfeed --scheme UsernamePassword \
  --url "$base/nuget/v3/index.json" --set username=nugetbot \
  --secret password=@"$(secret s8 "$(get NUGET_PASS)")" >/dev/null
rm -f "$work"/s[0-9]
for c in npmfeed pydl pyup mvnrepo cargoreg reg kube nugetfeed; do
  svcconn permissions "$c" --all-pipelines >/dev/null
done

# the working directory: what a repository would hold
ws=$work/ws
mkdir -p "$ws/mvn" "$ws/crate/src" "$ws/crate/.cargo"
printf 'registry=%s/npm/\n' "$base" > "$ws/.npmrc"
cat > "$ws/mvn/pom.xml" <<'POM'
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.svcconn.test</groupId>
    <artifactId>parent</artifactId>
    <version>1.0</version>
    <relativePath/>
  </parent>
  <artifactId>child</artifactId>
  <packaging>pom</packaging>
  <repositories>
    <repository><id>fixrepo</id><url>@BASE@/maven2/</url></repository>
  </repositories>
</project>
POM
sed -i "s|@BASE@|$base|" "$ws/mvn/pom.xml"
cat > "$ws/crate/Cargo.toml" <<'TOML'
[package]
name = "svcuser"
version = "0.1.0"
edition = "2021"

[dependencies]
svcdep = { version = "1.0.0", registry = "fix-reg" }
TOML
: > "$ws/crate/src/lib.rs"
printf '[registries]\nfix-reg = { index = "sparse+%s/cargo/index/" }\n' "$base" > "$ws/crate/.cargo/config.toml"
# the crate's own config names the registry; the index comes from the task
mv "$ws/crate/.cargo/config.toml" "$ws/cargo-config.toml"
mkdir -p "$work/home"

# which tools are here
cargo_bin= rustc_bin=
if command -v rustup >/dev/null 2>&1; then
  cargo_bin=$(rustup which cargo 2>/dev/null || true)
  rustc_bin=$(rustup which rustc 2>/dev/null || true)
fi
[ -n "$cargo_bin" ] || cargo_bin=$(command -v cargo || true)
[ -n "$rustc_bin" ] || rustc_bin=$(command -v rustc || true)
if [ -n "$cargo_bin" ]; then
  v=$("$cargo_bin" --version | sed -n 's/^cargo \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  set -- $v
  if [ "${1:-0}" -lt 1 ] || { [ "${1:-0}" -eq 1 ] && [ "${2:-0}" -lt 74 ]; }; then
    echo "SKIP cargo: $("$cargo_bin" --version) has no authenticated sparse registries (1.74+)"
    cargo_bin=
  fi
else
  echo "SKIP cargo: not installed"
fi
docker_bin=$(command -v docker || true)
[ -n "$docker_bin" ] || echo "SKIP docker: no docker CLI on this machine (Debian 12: docker.io)"

cat > "$work/p.yml" <<'YAML'
jobs:
  - job: Auth
    steps:
      - task: Docker@2
        inputs:
          command: login
          containerRegistry: reg
      - task: npmAuthenticate@0
        inputs:
          workingFile: .npmrc
          customEndpoint: npmfeed
      - task: PipAuthenticate@1
        inputs:
          pythonDownloadServiceConnections: pydl
      - task: TwineAuthenticate@1
        inputs:
          pythonUploadServiceConnection: pyup
      - task: MavenAuthenticate@0
        inputs:
          mavenServiceConnections: mvnrepo
      - task: NuGetAuthenticate@1
        inputs:
          nuGetServiceConnections: nugetfeed
      - task: CargoAuthenticate@0
        inputs:
          configFile: cargo-config.toml
          cargoServiceConnections: cargoreg
      - task: Kubernetes@1
        inputs:
          connectionType: Kubernetes Service Connection
          kubernetesServiceEndpoint: kube
          command: login
      - script: |
          echo "public: $VSTS_PUBLIC_VARIABLES"
          echo "secret: $VSTS_SECRET_VARIABLES"
          for f in "$DOCKER_CONFIG/config.json" "$NPM_CONFIG_USERCONFIG" "$PIP_CONFIG_FILE" \
                   "$PYPIRC_PATH" "${MAVEN_ARGS#-s }" "$NUGET_CONFIG_FILE" "$KUBECONFIG"; do
            case "$f" in "$AGENT_TEMPDIRECTORY"/*) ;; *) echo "NOT PRIVATE $f"; exit 1 ;; esac
            echo "mode $(stat -c %a "$f") $(stat -c %a "$(dirname "$f")") $(basename "$f")"
          done
          echo "tempdir $(stat -c %a "$AGENT_TEMPDIRECTORY")"
          echo "cargo index: $CARGO_REGISTRIES_FIX_REG_INDEX"
          echo "--- the files, as a careless step would print them"
          cat "$DOCKER_CONFIG/config.json" "$NPM_CONFIG_USERCONFIG" "$PIP_CONFIG_FILE" \
              "$PYPIRC_PATH" "${MAVEN_ARGS#-s }" "$NUGET_CONFIG_FILE" "$KUBECONFIG"
          echo "cargo token: $SECRET_CARGO_REGISTRIES_FIX_REG_TOKEN"
          echo "--- end"
          "@PY@" - "$NUGET_CONFIG_FILE" <<'PY'
          import sys, xml.etree.ElementTree as ET
          r = ET.parse(sys.argv[1]).getroot()
          src = r.find("packageSources/add")
          cred = r.find("packageSourceCredentials/" + src.get("key"))
          pw = {a.get("key"): a.get("value") for a in cred}
          print("nuget source", src.get("value"), "user", pw["Username"],
                "password-ok" if pw["ClearTextPassword"] == open("@CREDS@").read().split("NUGET_PASS=")[1].split("\n")[0] else "password-WRONG")
          PY
        displayName: files
      - script: |
          npm whoami --registry "@BASE@/npm/"; echo "OK npm"
          if NPM_CONFIG_USERCONFIG=/dev/null npm whoami --registry "@BASE@/npm/" >/dev/null 2>&1; then echo "npm without the task's .npmrc succeeded"; exit 1; fi
        displayName: npm
      - script: |
          "@PY@" -m pip download --no-cache-dir --no-deps -d "$AGENT_TEMPDIRECTORY/dl" svcdemo; echo "OK pip"
          if PIP_CONFIG_FILE=/dev/null "@PY@" -m pip download --no-cache-dir --no-deps -d "$AGENT_TEMPDIRECTORY/dl2" --index-url "@BASE@/pypi/simple/" svcdemo >/dev/null 2>&1; then echo "pip without the task's pip.conf succeeded"; exit 1; fi
          twine upload --non-interactive --disable-progress-bar -r fixfeed --config-file "$PYPIRC_PATH" "$AGENT_TEMPDIRECTORY"/dl/svcdemo-1.0-py3-none-any.whl; echo "OK twine"
          if twine upload --non-interactive --disable-progress-bar --repository-url "@BASE@/upload/" -u "@UP_USER@" -p wrong-password "$AGENT_TEMPDIRECTORY"/dl/svcdemo-1.0-py3-none-any.whl >/dev/null 2>&1; then echo "twine with a wrong password succeeded"; exit 1; fi
        displayName: python
      - script: |
          cd mvn
          mvn -B -q $MAVEN_ARGS -Dmaven.repo.local="$AGENT_TEMPDIRECTORY/m2" validate; echo "OK mvn"
          if mvn -B -q -Dmaven.repo.local="$AGENT_TEMPDIRECTORY/m2b" validate >/dev/null 2>&1; then echo "mvn without the task's settings.xml succeeded"; exit 1; fi
        displayName: maven
      - script: |
          kubectl version -o json > "$AGENT_TEMPDIRECTORY/kv.json"; grep -q v1.28.0-svcconn "$AGENT_TEMPDIRECTORY/kv.json"; echo "OK kubectl"
          if KUBECONFIG=/dev/null kubectl version -o json --server "https://127.0.0.1:@TLSPORT@" --insecure-skip-tls-verify >/dev/null 2>&1; then echo "kubectl without the task's kubeconfig succeeded"; exit 1; fi
        displayName: kubectl
      - script: |
          [ -n "@DOCKER@" ] || { echo "docker skipped"; exit 0; }
          "@DOCKER@" manifest inspect --insecure "127.0.0.1:@TLSPORT@/svc/demo:1.0" > "$AGENT_TEMPDIRECTORY/m.json"; grep -q schemaVersion "$AGENT_TEMPDIRECTORY/m.json"; echo "OK docker"
          if DOCKER_CONFIG="$AGENT_TEMPDIRECTORY/none" "@DOCKER@" manifest inspect --insecure "127.0.0.1:@TLSPORT@/svc/demo:1.0" >/dev/null 2>&1; then echo "docker without the task's config.json succeeded"; exit 1; fi
        displayName: docker
      - script: |
          [ -n "@CARGO@" ] || { echo "cargo skipped"; exit 0; }
          cd crate
          export CARGO_HOME="$AGENT_TEMPDIRECTORY/cargo-home" RUSTC="@RUSTC@"
          if "@CARGO@" generate-lockfile >/dev/null 2>&1; then echo "cargo without the token succeeded"; exit 1; fi
          CARGO_REGISTRIES_FIX_REG_TOKEN="$SECRET_CARGO_REGISTRIES_FIX_REG_TOKEN" "@CARGO@" generate-lockfile; grep -q 'name = "svcdep"' Cargo.lock; echo "OK cargo"
          rm -f Cargo.lock
        displayName: cargo
YAML
sed -i -e "s|@BASE@|$base|g; s|@PORT@|$port|g; s|@TLSPORT@|$tlsport|g; s|@PY@|$py|g" \
  -e "s|@CREDS@|$work/creds|g; s|@UP_USER@|$(get UP_USER)|g; s|@DOCKER@|$docker_bin|g" \
  -e "s|@CARGO@|$cargo_bin|g; s|@RUSTC@|$rustc_bin|g" "$work/p.yml"
set +e
HOME=$work/home "$SVC_BIN_DIR/svcconn-agent" run "$work/p.yml" --pipeline auth --run-id 7 \
  --workdir "$ws" > "$work/log.txt" 2>&1
rc=$?
set -e
show() { cat "$work/log.txt"; echo "--- fixture"; cat "$work/fixture.log"; }
[ "$rc" -eq 0 ] || { show; fail "the run exited $rc"; }

want=(
  "OK npm" "OK pip" "OK twine" "OK mvn" "OK kubectl"
  "mode 600 700 config.json" "mode 600 700 .npmrc" "mode 600 700 pip.conf"
  "mode 600 700 .pypirc" "mode 600 700 settings.xml" "mode 600 700 NuGet.Config"
  "mode 600 700 config" "tempdir 700"
  "cargo index: sparse+$base/cargo/index/"
  "nuget source $base/nuget/v3/index.json user nugetbot password-ok"
  "secret: [\"CARGO_REGISTRIES_FIX_REG_TOKEN\"]"
)
[ -z "$docker_bin" ] || want+=("OK docker")
[ -z "$cargo_bin" ] || want+=("OK cargo")
for w in "${want[@]}"; do
  grep -qF -- "$w" "$work/log.txt" || { show; fail "missing in the log: $w"; }
done
pub=$(sed -n 's/.*public: //p' "$work/log.txt")
for v in DOCKER_CONFIG NPM_CONFIG_USERCONFIG PIP_CONFIG_FILE PYPIRC_PATH MAVEN_ARGS \
         NUGET_CONFIG_FILE CARGO_REGISTRIES_FIX_REG_INDEX KUBECONFIG; do
  case "$pub" in *"\"$v\""*) ;; *) show; fail "$v not in VSTS_PUBLIC_VARIABLES: $pub" ;; esac
done
echo "the tools read what the tasks wrote (npm, pip, twine, mvn, kubectl${docker_bin:+, docker}${cargo_bin:+, cargo}; NuGet.Config parsed)"

# every secret, in the forms the files hold, is masked in the step log
sed -n '/--- the files/,/--- end/p' "$work/log.txt" > "$work/files.txt"
grep -q '\*\*\*' "$work/files.txt" || { show; fail "nothing masked"; }
for k in NPM_TOKEN PY_PASS UP_PASS CARGO_TOKEN DOCKER_PASS KUBE_TOKEN MVN_PASS NUGET_PASS; do
  s=$(get "$k")
  grep -qF -- "$s" "$work/log.txt" && { show; fail "$k in the log"; }
done
enc=$("$py" -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$(get PY_PASS)")
grep -qF -- "$enc" "$work/log.txt" && fail "the pip password, percent-encoded, in the log"
for pair in "DOCKER_USER:DOCKER_PASS"; do
  b=$(printf '%s:%s' "$(get DOCKER_USER)" "$(get DOCKER_PASS)" | base64 -w0)
  grep -qF -- "$b" "$work/log.txt" && fail "docker's auth (base64 user:password) in the log"
done
for k in MVN_PASS NUGET_PASS; do
  x=$(get "$k" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g')
  grep -qF -- "$x" "$work/log.txt" && fail "$k, XML-escaped, in the log"
done
echo "secrets masked in the step log"

# the job's private directory is gone; no secret anywhere in HOME or the
# working directory
[ ! -e "$SVCCONN_HOME/jobs/7/_-Auth/tmp" ] && [ ! -e "$ws/.svcconn" ] || fail "the job's temporary directory was left behind"
for k in NPM_TOKEN PY_PASS UP_PASS CARGO_TOKEN DOCKER_PASS KUBE_TOKEN MVN_PASS NUGET_PASS; do
  s=$(get "$k")
  if grep -rqF -- "$s" "$work/home" "$ws" 2>/dev/null; then fail "$k left in HOME or the working directory"; fi
done
b=$(printf '%s:%s' "$(get DOCKER_USER)" "$(get DOCKER_PASS)" | base64 -w0)
grep -rqF -- "$b" "$work/home" "$ws" 2>/dev/null && fail "docker's auth left behind"
echo "nothing left in HOME or the working directory"
