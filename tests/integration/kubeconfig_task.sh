#!/usr/bin/env bash
# Kubernetes@1 (tasks/KubernetesV1) with a kubeconfig connection made
# without a URL (the catalog says the URL is ignored for that scheme, and
# the agent hands such a connection with an empty ENDPOINT_URL_<id>): the
# task writes the job's kubeconfig with the connection's clusterContext as
# the current context, and the real kubectl reads it and authenticates to a
# Kubernetes API fixture on loopback (tests/support/authfix.py), which
# refuses it without the token.  A connection the step does not have is
# said so.  The tasks come from the build tree (no
# SVCCONN_TASKS_PATH): the programs find the source tree's tasks/.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
command -v kubectl >/dev/null || { echo "kubectl is not installed: skipped"; exit 0; }
work=$(mktemp -d /tmp/svckubecfg.XXXXXX)
fix_pid=
cleanup() { [ -z "$fix_pid" ] || kill "$fix_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
unset SVCCONN_TASKS_PATH KUBECONFIG
export SVCCONN_HOME="$work/store" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
token=kubecfg-bearer-5093-token
printf 'KUBE_TOKEN=%s\n' "$token" > "$work/creds"
. "$SVC_SOURCE_DIR/tests/support/authfix.sh"
authfix_start

# a kubeconfig of two contexts: "good" has the token, "other" does not
ca=$(base64 -w0 "$work/kube.crt")
cat > "$work/kubeconfig" <<K
apiVersion: v1
kind: Config
clusters:
- name: fix
  cluster:
    server: https://127.0.0.1:$tlsport
    certificate-authority-data: $ca
users:
- name: tok
  user:
    token: $token
- name: none
  user: {}
contexts:
- name: other
  context:
    cluster: fix
    user: none
- name: good
  context:
    cluster: fix
    user: tok
current-context: other
K
svcconn init >/dev/null
svcconn create kubernetes cfg --scheme Kubeconfig --secret kubeconfig=@"$work/kubeconfig" \
  --set clusterContext=good --grant-all-pipelines >/dev/null
rm -f "$work/kubeconfig"

pipeline() {
  cat > "$work/p.yml" <<Y
steps:
- task: Kubernetes@1
  inputs:
    connectionType: Kubernetes Service Connection
    kubernetesServiceEndpoint: $1
    command: login
- bash: |
    set -e
    kubectl version -o json > "\$AGENT_TEMPDIRECTORY/kv.json"
    grep -q v1.28.0-svcconn "\$AGENT_TEMPDIRECTORY/kv.json"
    echo "OK kubectl"
Y
}

pipeline cfg
(cd "$work" && agent run p.yml --pipeline app --run-id 1) >"$work/out" 2>&1 ||
  { cat "$work/out" "$work/fixture.log"; fail "Kubernetes@1 with a kubeconfig connection"; }
grep -q "OK kubectl" "$work/out" || { cat "$work/out"; fail "kubectl did not run"; }
grep -q "GET /version" "$work/fixture.log" || { cat "$work/fixture.log"; fail "the fixture saw no request"; }
if grep -qF "$token" "$work/out"; then fail "the token is printed"; fi
echo "Kubernetes@1 + kubeconfig connection without a URL: kubectl authenticated with context 'good'"

# a connection id the step does not have
env -i PATH="$PATH" AGENT_TEMPDIRECTORY="$work" INPUT_COMMAND=login \
  INPUT_KUBERNETESSERVICEENDPOINT=0b5e2f9a-0000-4000-8000-000000000001 \
  bash "$SVC_SOURCE_DIR/tasks/KubernetesV1/main.sh" >"$work/out" 2>&1 && fail "an absent connection succeeded"
grep -q "connection '0b5e2f9a-0000-4000-8000-000000000001' is not available to this step" "$work/out" ||
  { cat "$work/out"; fail "the absent connection is not named"; }
echo "an absent connection is said to be not available"
