#!/usr/bin/env bash
# TwineAuthenticate@1: the upload feed of pythonUploadServiceConnection in
# a .pypirc of the job's own, its section named by the connection's
# EndpointName (PYPIRC_PATH for the later steps: twine upload -r NAME
# --config-file "$PYPIRC_PATH").
SVC_TASK_NAME=TwineAuthenticate@1
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

[ -z "$(svc_input artifactFeed)" ] ||
  svc_warn "artifactFeed (an Azure Artifacts feed) is not served by svcconn; use a service connection"
id=$(svc_ids pythonUploadServiceConnection | head -n1)
[ -n "$id" ] || { svc_warn "no pythonUploadServiceConnection: nothing to authenticate"; exit 0; }
url=$(svc_need_url "$id")
name=$(svc_ep_data "$id" endpointname)
[ -n "$name" ] || svc_fail "connection '$id' has no EndpointName"
case "$name" in
  *[!A-Za-z0-9._-]*|distutils) svc_fail "EndpointName '$name' cannot name a .pypirc section (letters, digits, '.', '_', '-')" ;;
esac
us=$(svc_user_secret "$id" build)
user=${us%%$'\t'*} pass=${us#*$'\t'} us=
svc_mask "$pass"
# configparser drops the spaces around a value
for v in "$url" "$user" "$pass"; do
  case "$v" in [[:space:]]*|*[[:space:]]) svc_fail "connection '$id': a value starts or ends with a space, which .pypirc cannot hold" ;; esac
done
svc_no_ctl "the upload URL" "$url"

dir=$(svc_private_dir twine)
{
  printf '[distutils]\nindex-servers =\n    %s\n\n' "$name"
  printf '[%s]\nrepository = %s\nusername = %s\npassword = %s\n' "$name" "$url" "$user" "$pass"
} > "$dir/.pypirc"
pass= v=
svc_setvar PYPIRC_PATH "$dir/.pypirc"
echo "repository '$name' ($url): PYPIRC_PATH=$dir/.pypirc"
