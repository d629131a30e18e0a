# svctask.sh - what svcconn's Bash tasks share: reading their inputs and
# connections the way azure-pipelines-task-lib does (INPUT_*, ENDPOINT_*),
# the job's private directory, escaping for the formats the tools read,
# and the logging commands that hand a path or a secret to the job's later
# steps.  Sourced by each task's main.sh; bash and coreutils only.
#
# Every file is written under a new directory made by mktemp -d (0700)
# inside AGENT_TEMPDIRECTORY (the job's private directory, 0700), with
# umask 077 and noclobber, so each file is created 0600 and never reused.

set -euo pipefail
umask 077
set -o noclobber
# '&' in a ${v//x/y} replacement is the match in bash 5.2: not here
shopt -u patsub_replacement 2>/dev/null || true

svc_task=${SVC_TASK_NAME:-task}
# bash's own temporary files (large here-documents) stay private too
[ -z "${AGENT_TEMPDIRECTORY:-}" ] || export TMPDIR=$AGENT_TEMPDIRECTORY

# svc_fail MESSAGE: report an error the way tasks do and stop.
svc_fail() {
  printf '##[error]%s: %s\n' "$svc_task" "$1" >&2
  exit 1
}

svc_warn() { printf '##[warning]%s: %s\n' "$svc_task" "$1" >&2; }

# svc_env_key TEXT: TEXT upper-cased, '.' and ' ' turned into '_'.
svc_env_key() {
  local k=${1^^}
  k=${k//./_}
  printf '%s' "${k// /_}"
}

# svc_getenv NAME: the value of environment variable NAME (which may hold
# characters bash cannot name, like the '-' of a connection id), or "".
svc_getenv() { printenv -- "$1" || true; }

svc_input() { svc_getenv "INPUT_$(svc_env_key "$1")"; }
svc_ep_url() { svc_getenv "ENDPOINT_URL_$1"; }
svc_ep_scheme() { svc_getenv "ENDPOINT_AUTH_SCHEME_$1"; }
svc_ep_auth() { svc_getenv "ENDPOINT_AUTH_PARAMETER_$1_$(svc_env_key "$2")"; }
svc_ep_data() { svc_getenv "ENDPOINT_DATA_$1_$(svc_env_key "$2")"; }

# svc_ids INPUT: the connection ids of a (multi-select) input, one a line.
svc_ids() {
  local v id
  v=$(svc_input "$1")
  local IFS=,
  for id in $v; do
    id=${id//[[:space:]]/}
    [ -z "$id" ] || printf '%s\n' "$id"
  done
}

# svc_need_conn ID: fail unless the step has connection ID.  The agent
# gives every connection of a step ENDPOINT_URL_<id>, empty when the
# connection has no URL (a kubeconfig, for one): set is what counts.
svc_need_conn() {
  printenv -- "ENDPOINT_URL_$1" >/dev/null ||
    svc_fail "connection '$1' is not available to this step"
}

# svc_need_url ID: the connection's URL, or fail (as the task library's
# getEndpointUrl(id, false) does for a missing or empty one).
svc_need_url() {
  local u
  svc_need_conn "$1"
  u=$(svc_ep_url "$1")
  [ -n "$u" ] || svc_fail "connection '$1' has no URL"
  printf '%s' "$u"
}

# svc_private_dir NAME: a new private directory for this step's files.
svc_private_dir() {
  local base=${AGENT_TEMPDIRECTORY:-}
  [ -n "$base" ] || svc_fail "AGENT_TEMPDIRECTORY is not set: not run by an agent"
  [ -d "$base" ] && [ -O "$base" ] && [ ! -L "$base" ] ||
    svc_fail "'$base' is not a directory of ours"
  [ "$(stat -c %a -- "$base")" = 700 ] ||
    svc_fail "'$base' is not private (mode $(stat -c %a -- "$base"), want 700)"
  mktemp -d -- "$base/$1.XXXXXXXX"
}

# svc_owned PATH: true when PATH is inside this job's private directory.
svc_owned() {
  [ -n "${AGENT_TEMPDIRECTORY:-}" ] && [ -n "$1" ] &&
    case "$1" in "$AGENT_TEMPDIRECTORY"/*) [ -O "$1" ] ;; *) false ;; esac
}

# svc_logdata TEXT: TEXT escaped as a logging command's data or property.
svc_logdata() {
  local v=${1//%/%AZP25}
  v=${v//$'\r'/%0D}
  v=${v//$'\n'/%0A}
  v=${v//]/%5D}
  printf '%s' "${v//;/%3B}"
}

# svc_setvar NAME VALUE: a variable for the job's later steps (as NAME).
svc_setvar() {
  printf '##vso[task.setvariable variable=%s]%s\n' "$1" "$(svc_logdata "$2")"
}

# svc_setsecret NAME VALUE: a secret variable (later steps: SECRET_NAME).
svc_setsecret() {
  printf '##vso[task.setvariable variable=%s;issecret=true]%s\n' "$1" \
    "$(svc_logdata "$2")"
}

# svc_mask VALUE: mask VALUE in this step and in the job's later steps (the
# connection's own secrets are masked only in the steps that reference it;
# what a task writes from them is read by others).
svc_mask() {
  [ -z "$1" ] || printf '##vso[task.setsecret]%s\n' "$(svc_logdata "$1")"
}

# svc_no_ctl WHAT VALUE: fail when VALUE holds a control character (a line
# break would start a new entry in every format written here).
svc_no_ctl() {
  case "$2" in *[[:cntrl:]]*) svc_fail "$1 holds a control character" ;; esac
}

# svc_json TEXT: TEXT as a JSON string, quotes included.
svc_json() {
  svc_no_ctl "a value" "$1"
  local v=${1//\\/\\\\}
  printf '"%s"' "${v//\"/\\\"}"
}

# svc_xml TEXT: TEXT escaped for XML content and attribute values.
svc_xml() {
  svc_no_ctl "a value" "$1"
  local v=${1//&/"&amp;"}
  v=${v//</"&lt;"}
  v=${v//>/"&gt;"}
  v=${v//\"/"&quot;"}
  printf '%s' "${v//\'/"&apos;"}"
}

# svc_pct TEXT: TEXT percent-encoded (RFC 3986 unreserved kept).
svc_pct() {
  local LC_ALL=C s=$1 i c out=
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# svc_b64 TEXT: base64 of TEXT, on one line (TEXT goes through a pipe).
svc_b64() { printf '%s' "$1" | base64 -w0; }

# svc_xml_credentials ID DEFAULT_USER: xml_user and xml_pass, the user name
# and secret of svc_user_secret XML-escaped; the secret is masked for the
# job, raw and escaped.
svc_xml_credentials() {
  local us
  us=$(svc_user_secret "$1" "$2")
  xml_user=$(svc_xml "${us%%$'\t'*}")
  xml_pass=$(svc_xml "${us#*$'\t'}")
  svc_mask "${us#*$'\t'}"
  svc_mask "$xml_pass"
}

# svc_user_secret ID DEFAULT_USER: "user<TAB>secret" of a connection by
# its scheme: UsernamePassword (username, password), Token (DEFAULT_USER,
# apitoken).
svc_user_secret() {
  local scheme user pass
  scheme=$(svc_ep_scheme "$1")
  case "$scheme" in
    UsernamePassword)
      user=$(svc_ep_auth "$1" username); pass=$(svc_ep_auth "$1" password) ;;
    Token)
      user=$2; pass=$(svc_ep_auth "$1" apitoken) ;;
    *) svc_fail "connection '$1': scheme '$scheme' is not supported here (UsernamePassword, Token)" ;;
  esac
  [ -n "$pass" ] || svc_fail "connection '$1' has no secret"
  svc_no_ctl "the user name of connection '$1'" "$user"
  svc_no_ctl "the secret of connection '$1'" "$pass"
  printf '%s\t%s' "$user" "$pass"
}
