#!/usr/bin/env bash
# MavenAuthenticate@0: a <server> per mavenServiceConnections repository,
# its id the connection's Registry ID, in a settings.xml of the job's own,
# passed to mvn as "-s PATH" through MAVEN_ARGS (read by Maven 3.9 and
# later; older ones: mvn $MAVEN_ARGS ...).
SVC_TASK_NAME=MavenAuthenticate@0
. "$(dirname -- "${BASH_SOURCE[0]}")/../common/svctask.sh"

[ -z "$(svc_input artifactsFeeds)" ] ||
  svc_warn "artifactsFeeds (Azure Artifacts feeds) are not served by svcconn; use a service connection"
ids=$(svc_ids mavenServiceConnections)
[ -n "$ids" ] || { svc_warn "no mavenServiceConnections: nothing to authenticate"; exit 0; }
dir=$(svc_private_dir maven)
case "$dir" in *[[:space:]]*) svc_fail "the job's directory '$dir' holds a space, which MAVEN_ARGS cannot carry" ;; esac
servers=()
k=0
while IFS= read -r id; do
  [ -n "$id" ] || continue
  url=$(svc_need_url "$id")
  repo=$(svc_ep_data "$id" RepositoryId)
  [ -n "$repo" ] || svc_fail "connection '$id' has no Registry ID"
  xid=$(svc_xml "$repo")
  scheme=$(svc_ep_scheme "$id")
  case "$scheme" in
    UsernamePassword|Token)
      svc_xml_credentials "$id" AzureDevOps
      servers+=("    <server>
      <id>$xid</id>
      <username>$xml_user</username>
      <password>$xml_pass</password>
    </server>") ;;
    PrivateKey)
      key=$(svc_ep_auth "$id" privateKey)
      [ -n "$key" ] || svc_fail "connection '$id' has no private key"
      svc_mask "$key"
      k=$((k + 1))
      printf '%s\n' "$key" > "$dir/key-$k.pem"
      key=
      xk=$(svc_xml "$dir/key-$k.pem")
      phrase=$(svc_ep_auth "$id" passphrase)
      svc_mask "$phrase"
      xph=
      [ -z "$phrase" ] || xph="
      <passphrase>$(svc_xml "$phrase")</passphrase>"
      phrase=
      servers+=("    <server>
      <id>$xid</id>
      <privateKey>$xk</privateKey>$xph
    </server>") ;;
    *) svc_fail "connection '$id': scheme '$scheme' is not supported (UsernamePassword, Token, PrivateKey)" ;;
  esac
  echo "server '$repo' for $url"
done <<< "$ids"
{
  printf '<?xml version="1.0" encoding="UTF-8"?>\n'
  printf '<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">\n  <servers>\n'
  printf '%s\n' "${servers[@]}"
  printf '  </servers>\n</settings>\n'
} > "$dir/settings.xml"
servers=() xml_pass= xph=
svc_setvar MAVEN_ARGS "-s $dir/settings.xml"
echo "MAVEN_ARGS=-s $dir/settings.xml"
