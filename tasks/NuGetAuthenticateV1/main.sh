#!/usr/bin/env bash
# NuGetAuthenticate@1: each nuGetServiceConnections feed as a package
# source with its packageSourceCredentials (user name and clear-text
# password; a token with the user name "build") in a NuGet.Config of the
# job's own, NUGET_CONFIG_FILE for the later steps (dotnet restore
# --configfile "$NUGET_CONFIG_FILE", nuget -ConfigFile ...).  An ApiKey
# feed (for push) gets its source, and its key as the secret variable
# NUGET_API_KEY.
SVC_TASK_NAME=NuGetAuthenticate@1
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

ids=$(svc_ids nuGetServiceConnections)
[ -n "$ids" ] || { svc_warn "no nuGetServiceConnections: nothing to authenticate"; exit 0; }
sources=() creds=()
while IFS= read -r id; do
  [ -n "$id" ] || continue
  url=$(svc_need_url "$id")
  # the source's key, as the Azure task names it: the URL's word characters
  key=${url//[^A-Za-z0-9_]/}
  xurl=$(svc_xml "$url")
  sources+=("    <add key=\"$key\" value=\"$xurl\" />")
  scheme=$(svc_ep_scheme "$id")
  case "$scheme" in
    UsernamePassword|Token)
      svc_xml_credentials "$id" build
      creds+=("    <$key>
      <add key=\"Username\" value=\"$xml_user\" />
      <add key=\"ClearTextPassword\" value=\"$xml_pass\" />
    </$key>") ;;
    None)
      apikey=$(svc_ep_auth "$id" nugetkey)
      [ -n "$apikey" ] || svc_fail "connection '$id' has no API key"
      svc_setsecret NUGET_API_KEY "$apikey"
      apikey= ;;
    *) svc_fail "connection '$id': scheme '$scheme' is not supported (UsernamePassword, Token, None)" ;;
  esac
  echo "source '$key' ($url)"
done <<< "$ids"
dir=$(svc_private_dir nuget)
{
  printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSources>\n'
  printf '%s\n' "${sources[@]}"
  printf '  </packageSources>\n'
  if [ "${#creds[@]}" -gt 0 ]; then
    printf '  <packageSourceCredentials>\n'
    printf '%s\n' "${creds[@]}"
    printf '  </packageSourceCredentials>\n'
  fi
  printf '</configuration>\n'
} > "$dir/NuGet.Config"
creds=() xml_pass=
svc_setvar NUGET_CONFIG_FILE "$dir/NuGet.Config"
echo "NUGET_CONFIG_FILE=$dir/NuGet.Config"
