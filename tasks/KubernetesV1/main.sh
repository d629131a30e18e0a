#!/usr/bin/env bash
# Kubernetes@1, command login: a kubeconfig of the job's own for the
# kubernetesServiceEndpoint connection (KUBECONFIG for the later steps):
# the connection's kubeconfig with its clusterContext as the current
# context, or, for a service account, its cluster URL, CA and token.
# logout forgets it.  Other commands are kubectl's: run them in a script
# step after a login.
SVC_TASK_NAME=Kubernetes@1
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

command=$(svc_input command)
case "$command" in
  login) ;;
  logout) svc_setvar KUBECONFIG ""; echo "logged out"; exit 0 ;;
  *) svc_fail "svcconn runs command 'login' and 'logout' only; run kubectl in a script step after a login" ;;
esac
ctype=$(svc_input connectionType)
case "${ctype:-Kubernetes Service Connection}" in
  "Kubernetes Service Connection") ;;
  *) svc_fail "connectionType '$ctype' is not served by svcconn (Kubernetes Service Connection)" ;;
esac
id=$(svc_ids kubernetesServiceEndpoint | head -n1)
[ -n "$id" ] || svc_fail "input 'kubernetesServiceEndpoint' is required"
# a kubeconfig connection has no URL: only a service account needs one
svc_need_conn "$id"
namespace=$(svc_input namespace)
[ -n "$namespace" ] || namespace=$(svc_ep_data "$id" namespace)
insecure=$(svc_ep_data "$id" acceptUntrustedCerts)
scheme=$(svc_ep_scheme "$id")
authtype=$(svc_ep_data "$id" authorizationType)
dir=$(svc_private_dir kube)
case "$scheme/${authtype:-Kubeconfig}" in
  Kubernetes/Kubeconfig)
    config=$(svc_ep_auth "$id" kubeconfig)
    [ -n "$config" ] || svc_fail "connection '$id' has no kubeconfig"
    svc_mask "$config"
    context=$(svc_ep_auth "$id" clusterContext)
    if [ -n "$context" ]; then
      case "$config" in
        [[:space:]]*'{'*|'{'*) svc_fail "clusterContext needs a kubeconfig in YAML block style" ;;
      esac
      cur=$(svc_json "$context")
      # the top-level current-context, replaced or added
      out= seen=0 rest=$config
      while [ -n "$rest" ]; do
        line=${rest%%$'\n'*}
        if [[ $rest == *$'\n'* ]]; then rest=${rest#*$'\n'}; else rest=; fi
        case "$line" in
          current-context:*) line="current-context: $cur" seen=1 ;;
        esac
        out+=$line$'\n'
      done
      [ "$seen" = 1 ] || out+="current-context: $cur"$'\n'
      config=$out out=
    fi
    printf '%s\n' "$config" > "$dir/config"
    config= ;;
  Token/*|Kubernetes/ServiceAccount)
    url=$(svc_need_url "$id")
    b64=$(svc_ep_auth "$id" apiToken)
    [ -n "$b64" ] || svc_fail "connection '$id' has no service account token"
    token=$(printf '%s' "$b64" | base64 -d 2>/dev/null) ||
      svc_fail "connection '$id': the service account token is not base64"
    b64=
    svc_mask "$token"
    jtoken=$(svc_json "$token")
    token=
    ca=$(svc_ep_auth "$id" serviceAccountCertificate)
    case "$ca" in *[!A-Za-z0-9+/=]*) svc_fail "connection '$id': the cluster certificate is not base64" ;; esac
    if [ "$insecure" = true ]; then
      tls='"insecure-skip-tls-verify": true'
    elif [ -n "$ca" ]; then
      tls="\"certificate-authority-data\": \"$ca\""
    else
      tls=
    fi
    jurl=$(svc_json "$url")
    jns=
    [ -z "$namespace" ] || jns=", \"namespace\": $(svc_json "$namespace")"
    {
      printf '{\n  "apiVersion": "v1",\n  "kind": "Config",\n'
      printf '  "clusters": [{"name": "cluster", "cluster": {"server": %s%s}}],\n' "$jurl" "${tls:+, $tls}"
      printf '  "users": [{"name": "user", "user": {"token": %s}}],\n' "$jtoken"
      printf '  "contexts": [{"name": "context", "context": {"cluster": "cluster", "user": "user"%s}}],\n' "$jns"
      printf '  "current-context": "context"\n}\n'
    } > "$dir/config"
    jtoken= ;;
  *) svc_fail "connection '$id': authorization '${authtype:-$scheme}' is not served by svcconn (Kubeconfig, ServiceAccount)" ;;
esac
svc_setvar KUBECONFIG "$dir/config"
echo "KUBECONFIG=$dir/config"
