#!/usr/bin/env bash
# CargoAuthenticate@0: for each registry of configFile (.cargo/config.toml)
# whose index is the URL of one of cargoServiceConnections, the token as
# the secret variable CARGO_REGISTRIES_<NAME>_TOKEN (later steps:
# SECRET_CARGO_REGISTRIES_<NAME>_TOKEN, masked), the index as
# CARGO_REGISTRIES_<NAME>_INDEX and CARGO_REGISTRIES_<NAME>_CREDENTIAL_PROVIDER
# cargo:token.  A token connection's value is the token;
# a user name and password become "Basic base64(user:password)".
SVC_TASK_NAME=CargoAuthenticate@0
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

config=$(svc_input configFile)
[ -n "$config" ] || svc_fail "input 'configFile' is required"
[ -f "$config" ] || svc_fail "configFile '$config' is not a file"

# index URL as compared: no sparse+ prefix, no final '/'
norm() { local u=${1#sparse+}; printf '%s' "${u%/}"; }

# the registries: "[registries] NAME = { index = "URL" }" and
# "[registries.NAME] index = "URL""
names=() indexes=()
section=
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  if [[ $line =~ ^[[:space:]]*\[([^]]*)\][[:space:]]*$ ]]; then
    section=${BASH_REMATCH[1]//[[:space:]]/}
  elif [ "$section" = registries ] &&
       [[ $line =~ ^[[:space:]]*([A-Za-z0-9_-]+)[[:space:]]*=[[:space:]]*\{.*index[[:space:]]*=[[:space:]]*\"([^\"]*)\" ]]; then
    names+=("${BASH_REMATCH[1]}") indexes+=("${BASH_REMATCH[2]}")
  elif [[ $section =~ ^registries\.([A-Za-z0-9_-]+)$ ]] &&
       [[ $line =~ ^[[:space:]]*index[[:space:]]*=[[:space:]]*\"([^\"]*)\" ]]; then
    names+=("${section#registries.}") indexes+=("${BASH_REMATCH[1]}")
  fi
done < "$config"

found=0
while IFS= read -r id; do
  [ -n "$id" ] || continue
  url=$(svc_need_url "$id")
  scheme=$(svc_ep_scheme "$id")
  case "$scheme" in
    Token) token=$(svc_ep_auth "$id" apitoken) ;;
    UsernamePassword)
      us=$(svc_user_secret "$id" "")
      token="Basic $(svc_b64 "${us%%$'\t'*}:${us#*$'\t'}")"
      svc_mask "${us#*$'\t'}"
      us= ;;
    *) svc_fail "connection '$id': scheme '$scheme' is not supported (Token, UsernamePassword)" ;;
  esac
  [ -n "$token" ] || svc_fail "connection '$id' has no token"
  svc_no_ctl "the token of connection '$id'" "$token"
  matched=0
  for i in "${!names[@]}"; do
    [ "$(norm "${indexes[i]}")" = "$(norm "$url")" ] || continue
    var=CARGO_REGISTRIES_$(svc_env_key "${names[i]//-/_}")
    svc_setsecret "${var}_TOKEN" "$token"
    svc_setvar "${var}_INDEX" "${indexes[i]}"
    # cargo (1.74+) reads an authenticated registry's token through a
    # credential provider: cargo:token is the one that reads the variable
    svc_setvar "${var}_CREDENTIAL_PROVIDER" cargo:token
    echo "registry '${names[i]}': ${var}_TOKEN (secret), ${var}_INDEX, ${var}_CREDENTIAL_PROVIDER"
    matched=1 found=1
  done
  [ "$matched" = 1 ] || svc_warn "no registry of '$config' has the index $url"
  token=
done <<< "$(svc_ids cargoServiceConnections)"
[ "$found" = 1 ] || svc_warn "no registry authenticated"
