#!/usr/bin/env bash
# Docker@2, command login: the registry's credentials into a config.json
# of the job's own (DOCKER_CONFIG for the later steps); logout forgets it.
# Other commands are the docker CLI's: run them in a script step.
SVC_TASK_NAME=Docker@2
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

command=$(svc_input command)
case "${command:-buildAndPush}" in
  login) ;;
  logout)
    svc_setvar DOCKER_CONFIG ""
    echo "logged out: later steps use the agent's docker configuration"
    exit 0 ;;
  *) svc_fail "svcconn runs command 'login' and 'logout' only; run '$command' with the docker CLI in a script step after a login" ;;
esac
id=$(svc_ids containerRegistry | head -n1)
[ -n "$id" ] || svc_fail "input 'containerRegistry' is required for login"
svc_need_conn "$id"
scheme=$(svc_ep_scheme "$id")
case "$scheme" in
  UsernamePassword)
    registry=$(svc_ep_auth "$id" registry)
    user=$(svc_ep_auth "$id" username)
    pass=$(svc_ep_auth "$id" password) ;;
  ServicePrincipal)
    registry=$(svc_ep_auth "$id" loginServer)
    user=$(svc_ep_auth "$id" serviceprincipalid)
    pass=$(svc_ep_auth "$id" serviceprincipalkey) ;;
  *) svc_fail "connection '$id': scheme '$scheme' is not supported (UsernamePassword, ServicePrincipal)" ;;
esac
[ -n "$registry" ] && [ -n "$user" ] && [ -n "$pass" ] ||
  svc_fail "connection '$id' lacks a registry, user name or password"
svc_no_ctl "the user name" "$user"
svc_no_ctl "the password" "$pass"
key=$(svc_json "$registry")
auth=$(svc_b64 "$user:$pass")
svc_mask "$pass"
svc_mask "$auth"

dir=$(svc_private_dir docker)
# an earlier login of this job: keep its other registries (our own lines)
entries=()
old=${DOCKER_CONFIG:-}
if svc_owned "$old" && [ -f "$old/config.json" ]; then
  while IFS= read -r line; do
    case "$line" in
      "    $key: "*) ;;
      '    "'*) entries+=("${line%,}") ;;
    esac
  done < "$old/config.json"
fi
entries+=("    $key: {\"auth\": \"$auth\"}")
{
  printf '{\n  "auths": {\n'
  n=${#entries[@]}
  for ((i = 0; i < n; i++)); do
    printf '%s%s\n' "${entries[i]}" "$([ $((i + 1)) -lt "$n" ] && echo ,)"
  done
  printf '  }\n}\n'
} > "$dir/config.json"
auth=
svc_setvar DOCKER_CONFIG "$dir"
echo "logged in to $registry: DOCKER_CONFIG=$dir"
