#!/usr/bin/env bash
# PipAuthenticate@1: the index URLs of the pythonDownloadServiceConnections
# feeds, with their credentials, in a pip.conf of the job's own
# (PIP_CONFIG_FILE for the later steps): the first as index-url and the
# others as extra-index-url, or all as extra-index-url with
# onlyAddExtraIndex.  A URL with credentials never goes into a variable.
SVC_TASK_NAME=PipAuthenticate@1
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

[ -z "$(svc_input artifactFeeds)" ] ||
  svc_warn "artifactFeeds (Azure Artifacts feeds) are not served by svcconn; use a service connection"
extra_only=$(svc_input onlyAddExtraIndex)
urls=()
while IFS= read -r id; do
  [ -n "$id" ] || continue
  url=$(svc_need_url "$id")
  us=$(svc_user_secret "$id" build)
  user=${us%%$'\t'*} pass=${us#*$'\t'} us=
  svc_mask "$pass"
  case "$url" in
    http://*|https://*) ;;
    *) svc_fail "connection '$id': '$url' is not an http(s) URL" ;;
  esac
  svc_no_ctl "the index URL" "$url"
  case "$url" in *[[:space:]]*) svc_fail "connection '$id': the index URL holds a space" ;; esac
  rest=${url#*://}
  rest=${rest#*@} # credentials already in the URL are replaced
  u=$(svc_pct "$user")
  p=$(svc_pct "$pass")
  urls+=("${url%%://*}://$u:$p@$rest")
  echo "credentials for ${url%%://*}://$rest"
done <<< "$(svc_ids pythonDownloadServiceConnections)"
[ "${#urls[@]}" -gt 0 ] || { svc_warn "no pythonDownloadServiceConnections: nothing to authenticate"; exit 0; }

dir=$(svc_private_dir pip)
{
  printf '[global]\n'
  first=0
  if [ "${extra_only,,}" != true ]; then
    printf 'index-url = %s\n' "${urls[0]}"
    first=1
  fi
  if [ "${#urls[@]}" -gt "$first" ]; then
    printf 'extra-index-url =\n'
    printf '    %s\n' "${urls[@]:first}"
  fi
} > "$dir/pip.conf"
urls=() pass= p=
svc_setvar PIP_CONFIG_FILE "$dir/pip.conf"
echo "PIP_CONFIG_FILE=$dir/pip.conf"
