#!/usr/bin/env bash
# npmAuthenticate@0: the credentials of each customEndpoint registry into
# an .npmrc of the job's own (NPM_CONFIG_USERCONFIG for the later steps):
# "//host/path/:_authToken" for a token, ":username" and ":_password" for
# a user name and password.  The project's workingFile (its registries) is
# read by npm as it is and never written to.
SVC_TASK_NAME=npmAuthenticate@0
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

working=$(svc_input workingFile)
if [ -n "$working" ] && [ ! -f "$working" ]; then
  svc_fail "workingFile '$working' is not a file"
fi
ids=$(svc_ids customEndpoint)
[ -n "$ids" ] || svc_warn "no customEndpoint: nothing to authenticate"

lines=()
while IFS= read -r id; do
  [ -n "$id" ] || continue
  url=$(svc_need_url "$id")
  # the registry as npm keys its credentials: no scheme, a final '/'
  nerf=${url#*:}
  case "$nerf" in //*) ;; *) svc_fail "connection '$id': '$url' is not an absolute URL" ;; esac
  nerf=${nerf%%[?#]*}
  nerf=${nerf%/}/
  svc_no_ctl "the registry URL" "$nerf"
  scheme=$(svc_ep_scheme "$id")
  case "$scheme" in
    Token)
      token=$(svc_ep_auth "$id" apitoken)
      [ -n "$token" ] || svc_fail "connection '$id' has no token"
      svc_mask "$token"
      v=$(svc_json "$token")
      lines+=("$nerf:_authToken=$v") ;;
    UsernamePassword)
      user=$(svc_ep_auth "$id" username)
      pass=$(svc_ep_auth "$id" password)
      [ -n "$user" ] && [ -n "$pass" ] || svc_fail "connection '$id' lacks a user name or password"
      svc_mask "$pass"
      u=$(svc_json "$user")
      p=$(svc_b64 "$pass")
      lines+=("$nerf:username=$u" "$nerf:_password=$p" "$nerf:always-auth=true") ;;
    *) svc_fail "connection '$id': scheme '$scheme' is not supported (Token, UsernamePassword)" ;;
  esac
  echo "credentials for ${url%%[?#]*}"
done <<< "$ids"

dir=$(svc_private_dir npm)
{
  # an earlier npmAuthenticate of this job: its registries stay
  old=${NPM_CONFIG_USERCONFIG:-}
  if svc_owned "$old" && [ -f "$old" ]; then cat -- "$old"; fi
  [ "${#lines[@]}" -eq 0 ] || printf '%s\n' "${lines[@]}"
} > "$dir/.npmrc"
lines=() token= pass=
svc_setvar NPM_CONFIG_USERCONFIG "$dir/.npmrc"
echo "NPM_CONFIG_USERCONFIG=$dir/.npmrc"
