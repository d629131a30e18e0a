#!/usr/bin/env bash
# Microsoft's common task libraries, installed from npm by this test (not
# vendored), read connections made by `svcconn create` in steps of
# `svcconn-agent run` and do their job against loopback fixtures
# (tests/support/authfix.py), in probe tasks written as Azure's tasks are
# (fixtures/tasklibs: task.json with connectedService inputs, aliases and
# defaults, the Node20_1 handler, node_modules next to the task):
#
#  - azure-pipelines-tasks-docker-common: its token provider reads the
#    registry connection, its ContainerConnection writes a docker config
#    under Agent.TempDirectory, and the real docker CLI uses it for
#    `docker manifest inspect` against the fixture registry (TLS, basic
#    auth); skipped, said so, where no docker CLI is installed;
#  - azure-pipelines-tasks-kubernetes-common: KubernetesConnection turns a
#    service-account connection and a kubeconfig connection (its
#    clusterContext chosen, not the kubeconfig's current context) into a
#    kubeconfig that the real kubectl uses against the fixture API server
#    (skipped, said so, where kubectl is not installed);
#  - azure-pipelines-tasks-azure-arm-rest: AzureRMEndpoint(...).getEndpoint()
#    then getToken() for a service principal with a key and with a
#    certificate, from the fixture's token endpoint that the connection's
#    environmentAuthorityUrl names; the fixture checks the client id and
#    secret, or the client assertion's RS256 signature by the certificate's
#    key and its x5t.
#
# Every value arrives exact (compared by the probes' SHA-256 of secrets),
# a wrong password, token, key or certificate fails the run, no secret
# is printed unmasked, and nothing is left in HOME, the working directory
# or the jobs root after the job.
#
# The versions are the newest of each major that install from
# registry.npmjs.org: docker-common 2.280.x needs an azure-arm-rest and
# kubernetes-common 2.280.x an azure-pipelines-tool-lib that are published
# only on Microsoft's own feed.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svctasklibs1.XXXXXX)
fix_pid=
cleanup() { [ -z "$fix_pid" ] || kill "$fix_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export SVCCONN_HOME="$work/store" SVCCONN_USER=admin
unset KUBECONFIG DOCKER_CONFIG SVCCONN_TASKS_PATH
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
secret() { printf '%s' "$2" > "$work/$1"; echo "$work/$1"; }
fail() { echo "FAIL: $*"; exit 1; }
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

libs=$deps/../node-libs1
node_deps_install "$libs" azure-pipelines-task-lib@5 \
  azure-pipelines-tasks-docker-common@~2.271.0 \
  azure-pipelines-tasks-kubernetes-common@~2.279.0 \
  azure-pipelines-tasks-azure-arm-rest@^3.272.1
mkdir -p "$work/tasks"
for t in DockerLibProbeV0 KubeLibProbeV0 ArmLibProbeV0; do
  cp -r "$SVC_SOURCE_DIR/fixtures/tasklibs/$t" "$work/tasks/$t"
  ln -s "$(cd "$libs" && pwd)/node_modules" "$work/tasks/$t/node_modules"
done

# the service principal's certificate and key (one PEM, as Azure takes
# it), and another pair that the fixture does not know
for n in spn other; do
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=svcconn-$n" \
    -keyout "$work/$n.key" -out "$work/$n.crt" 2>/dev/null
  cat "$work/$n.crt" "$work/$n.key" > "$work/$n.pem"
done
tenant=7a8b9c0d-1111-4222-8333-944455566677
client=0c1d2e3f-1111-4222-8333-944455566677
sub=5e6f7a8b-1111-4222-8333-944455566677
cat > "$work/creds" <<C
DOCKER_USER=libdock
DOCKER_PASS=dock-Lib-Pa55;4471
KUBE_TOKEN=kube-lib-bearer-9930
ARM_TENANT=$tenant
ARM_CLIENT=$client
ARM_SECRET=arm spn "secret"-2208
ARM_CERT=$work/spn.crt
ARM_TOKEN=eyJ0eXAiOiJKV1QifQ.arm-access-token-6617
C
get() { sed -n "s/^$1=//p" "$work/creds"; }
. "$SVC_SOURCE_DIR/tests/support/authfix.sh"
authfix_start
base=http://127.0.0.1:$port
api=https://127.0.0.1:$tlsport

# the kubeconfig connection: its current context has no credentials, the
# connection's clusterContext names the one that has
cat > "$work/kubeconfig" <<K
apiVersion: v1
kind: Config
clusters:
- name: fix
  cluster:
    server: $api
    certificate-authority-data: $(base64 -w0 "$work/kube.crt")
users:
- name: tok
  user:
    token: $(get KUBE_TOKEN)
- name: none
  user: {}
contexts:
- name: other
  context: {cluster: fix, user: none}
- name: good
  context: {cluster: fix, user: tok}
current-context: other
K

svcconn init >/dev/null
registry() { # NAME PASSWORD
  svcconn create dockerregistry "$1" --scheme UsernamePassword --set registrytype=Others \
    --set registry="$api" --set username="$(get DOCKER_USER)" \
    --secret password=@"$(secret s "$2")" >/dev/null
}
serviceaccount() { # NAME TOKEN
  svcconn create kubernetes "$1" --scheme Token --url "$api" \
    --set serviceAccountCertificate="$(base64 -w0 "$work/kube.crt")" \
    --secret apiToken=@"$(secret s "$(printf '%s' "$2" | base64 -w0)")" >/dev/null
}
spn() { # NAME authenticationType SECRET-FIELD FILE
  svcconn create azurerm "$1" --scheme ServicePrincipal --set authenticationType="$2" \
    --set serviceprincipalid="$client" --set tenantid="$tenant" \
    --set subscriptionId="$sub" --set subscriptionName=prod \
    --set environmentAuthorityUrl="$base/" --secret "$3"=@"$4" >/dev/null
}
registry reg "$(get DOCKER_PASS)"
registry reg-bad "wrong-$(get DOCKER_PASS)"
serviceaccount kube-sa "$(get KUBE_TOKEN)"
serviceaccount kube-bad "wrong-$(get KUBE_TOKEN)"
svcconn create kubernetes kube-cfg --scheme Kubeconfig --secret kubeconfig=@"$work/kubeconfig" \
  --set clusterContext=good >/dev/null
spn arm-key spnKey serviceprincipalkey "$(secret s "$(get ARM_SECRET)")"
spn arm-key-bad spnKey serviceprincipalkey "$(secret s "wrong $(get ARM_SECRET)")"
spn arm-cert spnCertificate servicePrincipalCertificate "$work/spn.pem"
spn arm-cert-bad spnCertificate servicePrincipalCertificate "$work/other.pem"
rm -f "$work/s" "$work/kubeconfig"
for c in reg reg-bad kube-sa kube-bad kube-cfg arm-key arm-key-bad arm-cert arm-cert-bad; do
  svcconn permissions "$c" --all-pipelines >/dev/null
done

ws=$work/ws
mkdir -p "$ws" "$work/home"
runs=0
agentrun() { # PIPELINE-FILE LOG: run it; its exit status
  runs=$((runs + 1))
  HOME=$work/home "$SVC_BIN_DIR/svcconn-agent" run "$1" --pipeline libs --run-id "$runs" \
    --tasks-dir "$work/tasks" --workdir "$ws" > "$2" 2>&1
}

cat > "$work/good.yml" <<'YAML'
steps:
  - task: DockerLibProbe@0
    inputs:
      dockerRegistryServiceConnection: reg
  - task: KubeLibProbe@0
    displayName: kubectl with a service account
    inputs:
      kubernetesServiceConnection: kube-sa
      expectedVersion: v1.28.0-svcconn
  - task: KubeLibProbe@0
    displayName: kubectl with a kubeconfig
    inputs:
      kubernetesServiceEndpoint: kube-cfg
      expectedVersion: v1.28.0-svcconn
  - task: ArmLibProbe@0
    displayName: arm key
    inputs:
      azureSubscription: arm-key
  - task: ArmLibProbe@0
    displayName: arm certificate
    inputs:
      connectedServiceNameARM: arm-cert
  - script: |
      echo "--- the docker config, as a careless step would print it"
      cat "$DOCKER_CONFIG/config.json"; echo
      echo "--- end"
    displayName: careless
YAML
t0=$(date +%s%N)
agentrun "$work/good.yml" "$work/good.log" ||
  { cat "$work/good.log" "$work/fixture.log"; fail "the run with the right credentials failed"; }
t1=$(date +%s%N)
show() { cat "$work/$1"; echo "--- fixture"; cat "$work/fixture.log"; }
want=(
  "registry=$api username=$(get DOCKER_USER) password-sha256=$(sha "$(get DOCKER_PASS)")"
  "config in temp=true auths=$api"
  "kubeconfig in temp=true context=(none) server=$api ca-data=yes token-sha256=$(sha "$(get KUBE_TOKEN)")"
  "kubeconfig in temp=true context=good server=$api ca-data=yes token-sha256=$(sha "$(get KUBE_TOKEN)")"
  "endpoint subscriptionID=$sub subscriptionName=prod servicePrincipalClientID=$client tenantID=$tenant environmentAuthorityUrl=$base/ url=https://management.azure.com/ environment=AzureCloud scheme=ServicePrincipal authenticationType=spnKey activeDirectoryResourceID=https://management.azure.com/"
  "endpoint subscriptionID=$sub subscriptionName=prod servicePrincipalClientID=$client tenantID=$tenant environmentAuthorityUrl=$base/ url=https://management.azure.com/ environment=AzureCloud scheme=ServicePrincipal authenticationType=spnCertificate activeDirectoryResourceID=https://management.azure.com/"
  "key-sha256=$(sha "$(get ARM_SECRET)")"
  "certificate-sha256=$(sha "$(cat "$work/spn.pem")") in temp=true" # create drops the file's last newline
  "access token sha256=$(sha "$(get ARM_TOKEN)")"
)
if command -v docker >/dev/null; then want+=("docker manifest inspect: ok")
else want+=("SKIP docker: no docker CLI on this machine"); echo "SKIP docker: no docker CLI on this machine"; fi
if command -v kubectl >/dev/null; then want+=("server gitVersion=v1.28.0-svcconn")
else want+=("SKIP kubectl: not installed on this machine"); echo "SKIP kubectl: not installed on this machine"; fi
for w in "${want[@]}"; do
  grep -qF -- "$w" "$work/good.log" || { show good.log; fail "missing in the log: $w"; }
done
if command -v kubectl >/dev/null; then
  [ "$(grep -cF "server gitVersion=v1.28.0-svcconn" "$work/good.log")" -eq 2 ] &&
    grep -q '^GET /version[? ].* 200$' "$work/fixture.log" ||
    { show good.log; fail "kubectl did not reach the API server with both connections"; }
fi
[ "$(grep -cF "access token sha256=$(sha "$(get ARM_TOKEN)")" "$work/good.log")" -eq 2 ] ||
  { show good.log; fail "getToken did not return the fixture's token for both principals"; }
for how in client_secret client_assertion; do
  grep -qF "AAD tenant=$tenant client_id=$client resource=https://management.azure.com/ credential=$how accepted" \
    "$work/fixture.log" || { show good.log; fail "the token endpoint did not accept the $how"; }
done
echo "docker-common, kubernetes-common and azure-arm-rest did their job with svcconn's connections ($(( (t1 - t0) / 1000000 )) ms)"

# a wrong password, token, key or certificate fails the run
bad() { # CONNECTION-INPUT TASK NAME WHAT-THE-FIXTURE-SAYS (an ERE)
  cp "$work/fixture.log" "$work/fixture.before"
  printf 'steps:\n  - task: %s\n    inputs:\n      %s: %s\n' "$2" "$1" "$3" > "$work/bad.yml"
  if agentrun "$work/bad.yml" "$work/bad-$3.log"; then
    show "bad-$3.log"; fail "the run with $3 succeeded"
  fi
  tail -n +"$(($(wc -l < "$work/fixture.before") + 1))" "$work/fixture.log" > "$work/fixture.new"
  grep -qE -- "$4" "$work/fixture.new" ||
    { show "bad-$3.log"; fail "the fixture did not refuse $3 ($4)"; }
}
if command -v docker >/dev/null; then
  bad containerRegistry DockerLibProbe@0 reg-bad "GET /v2/svc/demo/manifests/1\.0 401"
fi
if command -v kubectl >/dev/null; then
  bad kubernetesServiceEndpoint KubeLibProbe@0 kube-bad "GET /version\?[^ ]* 401"
fi
bad azureSubscription ArmLibProbe@0 arm-key-bad "credential=client_secret refused: wrong client_secret"
bad azureSubscription ArmLibProbe@0 arm-cert-bad "credential=client_assertion refused: invalid \(InvalidSignature\)"
echo "a wrong password, token, key or certificate fails the run"

# no secret unmasked in any log, in any form the libraries or the files hold
sed -n '/--- the docker config/,/--- end/p' "$work/good.log" | grep -q '"auth": *"\*\*\*"' ||
  { show good.log; fail "the docker config's auth is not masked"; }
secrets=("$(get DOCKER_PASS)" "wrong-$(get DOCKER_PASS)" "$(get KUBE_TOKEN)" "wrong-$(get KUBE_TOKEN)"
         "$(printf '%s' "$(get KUBE_TOKEN)" | base64 -w0)" "$(get ARM_SECRET)" "wrong $(get ARM_SECRET)"
         "$(printf '%s:%s' "$(get DOCKER_USER)" "$(get DOCKER_PASS)" | base64 -w0)"
         "$(sed -n 2p "$work/spn.key")" "$(sed -n 2p "$work/other.key")" "$(get ARM_TOKEN)")
for i in "${!secrets[@]}"; do
  if grep -qF -- "${secrets[$i]}" "$work"/good.log "$work"/bad-*.log; then fail "secret #$i is printed"; fi
done
echo "no secret printed unmasked in $runs runs"

# nothing is left behind: no secret in HOME or the working directory, no
# job directory under the jobs root
for i in "${!secrets[@]}"; do
  if grep -rqF -- "${secrets[$i]}" "$work/home" "$ws" 2>/dev/null; then fail "secret #$i left in HOME or the working directory"; fi
done
left=$(find "$work/home" "$ws" -mindepth 1 \( -name 'DockerConfig_*' -o -name spnCert.pem \
  -o -name kubectlTask -o -name config.json \) -print)
[ -z "$left" ] || fail "left behind: $left"
# the job's directory, where the libraries wrote (DOCKER_CONFIG's parent
# is the job's Agent.TempDirectory), is gone with the job
jobtmp=$(sed -n 's/.*docker config dir=\(.*\)\/DockerConfig_[0-9]*$/\1/p' "$work/good.log")
case "$jobtmp" in /*/tmp) ;; *) show good.log; fail "no job temporary directory in the log: '$jobtmp'" ;; esac
[ ! -e "$jobtmp" ] && [ ! -e "$(dirname "$jobtmp")" ] || fail "the job's directory $(dirname "$jobtmp") is left"
echo "nothing left in HOME, the working directory or the jobs root"
