#!/usr/bin/env bash
# Logging commands as an attacker (or a real task) writes them, through
# `svcconn-agent run` and through the hooks (job-start, step, job-end):
#  - a step sets, with task.setvariable, every name on the closed list
#    (docs/runtime.md): each is refused with a warning and the next step's
#    environment holds none of the values;
#  - a secret variable set again without issecret stays secret: masked on
#    its own line, in the rest of the step and in later steps, with the
#    value it held first;
#  - "issecret= True" is true; "##VSO[TASK.SETSECRET]" is a command;
#    commands written on stderr are read too;
#  - a secret is masked inside a URL's userinfo and in XML.
set -euo pipefail
: "${SVC_BIN_DIR:?}"
work=$(mktemp -d /tmp/svcsetvar.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
svcconn init >/dev/null

# the names the issue found passing, and one of each family of the list,
# written as steps write them (any case, '.' for '_')
names="LD_PRELOAD LD_LIBRARY_PATH ld.audit GLIBC_TUNABLES GCONV_PATH BASH_ENV ENV
SHELLOPTS BASHOPTS IFS PS4 PROMPT_COMMAND CDPATH GLOBIGNORE BASH_FUNC_ls%%
NODE_OPTIONS node.path NODE_EXTRA_CA_CERTS PYTHONPATH
PYTHONSTARTUP PERL5OPT PERLLIB RUBYOPT RUBYLIB JAVA_TOOL_OPTIONS _JAVA_OPTIONS
JDK_JAVA_OPTIONS CLASSPATH DOTNET_STARTUP_HOOKS GIT_ASKPASS GIT_SSH_COMMAND
git.dir GIT_EXEC_PATH GIT_CONFIG_GLOBAL SSH_AUTH_SOCK SSH_ASKPASS GCM_INTERACTIVE
XDG_CONFIG_HOME SSL_CERT_FILE OPENSSL_CONF CURL_HOME http_proxy HTTPS_PROXY
all_proxy no_proxy PATH HOME TMPDIR SHELL SVCCONN_HOME svcconn.key.file
Build.SourceBranch BUILD_SOURCEBRANCH System.AccessToken
System.TeamFoundationCollectionUri Agent.TempDirectory TF_BUILD Release.ReleaseId
Pipeline.Workspace Endpoint.Url.x Input.conn Secret.tok VSTS_PUBLIC_VARIABLES"

# the attacker's step: each name public, and again as a secret
{
  echo 'set -e'
  i=0
  for n in $names; do
    i=$((i + 1))
    echo "echo '##vso[task.setvariable variable=$n]/tmp/attacker-$i'"
    echo "echo '##vso[task.setvariable variable=$n;issecret=true]attacker-secret-$i'"
  done
  echo "echo '##vso[task.setvariable variable=harmless.name]fine-value'"
} > "$work/attack.sh"
count=$(echo $names | wc -w)

# the D items, in one step and the next
cat > "$work/secrets.sh" <<'SH'
echo "##vso[task.setvariable variable=tok;issecret=true]first-secret-8841"
echo "##vso[task.setvariable variable=tok]second-secret-8842"
echo "same step: second-secret-8842 first-secret-8841"
echo "##vso[task.setvariable variable=sp;issecret= True ]spaced-secret-8843"
echo "spaced: spaced-secret-8843"
echo "##VSO[TASK.SETSECRET]upper-secret-8844"
echo "upper: upper-secret-8844"
echo "##vso[task.setsecret]stderr-secret-8845" >&2
sleep 0.3   # stdout and stderr are two pipes: the order between them is not kept
echo "out: stderr-secret-8845"
echo "err: stderr-secret-8845" >&2
# a credential as real tasks write it: in a URL's userinfo, in settings.xml
echo '##vso[task.setsecret]p@ss:w/rd&<8846>'
echo 'url: https://build:p%40ss%3Aw%2Frd&%3C8846%3E@feed.example/simple/'
echo 'xml: <password>p@ss:w/rd&amp;&lt;8846&gt;</password>'
SH
cat > "$work/later.sh" <<'SH'
echo "later: first-secret-8841 second-secret-8842 spaced-secret-8843 upper-secret-8844 stderr-secret-8845"
echo "sp public: ${SP:-none}; sp secret: ${SECRET_SP:+set}"
env > "$(dirname "$0")/env-$1.txt"
SH

leaks() { # output file: every secret of secrets.sh and every attacker value must be absent
  local f=$1 s
  for s in first-secret-8841 second-secret-8842 spaced-secret-8843 upper-secret-8844 \
           stderr-secret-8845 8846 'variable=tok]'; do
    if grep -qF -- "$s" "$f"; then echo "# $s in $(basename "$f")"; return 0; fi
  done
  return 1
}

check_run() { # mode output-file env-dump
  local mode=$1 out=$2 dump=$3 n=0 w
  w=$(grep -c "##\[warning\]svcconn: task.setvariable: '.*' refused: .* a step may not set it" "$out" || true)
  if [ "$w" = $((count * 2)) ]; then ok "$mode: each of $count names refused with a warning, public and secret"
  else not_ok "$mode: $w warnings for $((count * 2)) refusals"; sed 's/^/# /' "$out" | head -20; fi
  if ! grep -q "attacker" "$dump" && grep -q "^HARMLESS_NAME=fine-value$" "$dump"; then
    ok "$mode: the next step's environment has none of the values; a harmless name passes"
  else
    not_ok "$mode: the next step's environment"; grep "attacker\|HARMLESS" "$dump" | sed 's/^/# /'
  fi
  grep -q "^PATH=/" "$dump" && ! grep -q "^LD_PRELOAD=" "$dump" && ! grep -q "^BASH_ENV=" "$dump" &&
    ! grep -q "^IFS=" "$dump" && ! grep -q "^SECRET_SYSTEM_ACCESSTOKEN=" "$dump" &&
    ok "$mode: PATH is the agent's; LD_PRELOAD, BASH_ENV, IFS, SECRET_SYSTEM_ACCESSTOKEN unset" ||
    not_ok "$mode: the next step's PATH, LD_PRELOAD, BASH_ENV, IFS"
  if ! leaks "$out"; then ok "$mode: no secret in the output (set again without issecret, 'issecret= True', ##VSO[, stderr)"
  else not_ok "$mode: a secret in the output"; sed 's/^/# /' "$out"; fi
  for want in "url: https://build:\*\*\*@feed.example/simple/" "xml: <password>\*\*\*</password>" \
              "same step: \*\*\* \*\*\*" "spaced: \*\*\*" "upper: \*\*\*" "out: \*\*\*" "err: \*\*\*" \
              "later: \*\*\* \*\*\* \*\*\* \*\*\* \*\*\*" "sp public: none; sp secret: set"; do
    n=$((n + 1))
    grep -q "$want" "$out" || { not_ok "$mode: no line '$want'"; sed 's/^/# /' "$out"; n=-99; }
  done
  [ $n -gt 0 ] && ok "$mode: each value masked in its step and the later one; 'issecret= True' made SECRET_SP"
}

# ---- svcconn-agent run ------------------------------------------------------
cat > "$work/p.yml" <<YAML
steps:
  - bash: bash "$work/attack.sh"
  - bash: bash "$work/secrets.sh"
  - bash: bash "$work/later.sh" run
YAML
(cd "$work" && agent run p.yml --pipeline attack) >"$work/run.txt" 2>&1 ||
  { not_ok "run failed"; sed 's/^/# /' "$work/run.txt"; }
check_run run "$work/run.txt" "$work/env-run.txt"

# ---- the hooks --------------------------------------------------------------
cat > "$work/h.yml" <<YAML
jobs:
  - job: Hook
    steps:
      - script: attack
      - script: secrets
      - script: later
YAML
agent job-start --pipeline-file "$work/h.yml" --pipeline attack --job Hook --run-id 1 \
  --job-dir "$work/job" >/dev/null
: > "$work/hook.txt"
agent step --job-dir "$work/job" --step 0 -- bash "$work/attack.sh" >>"$work/hook.txt" 2>&1
agent step --job-dir "$work/job" --step 1 -- bash "$work/secrets.sh" >>"$work/hook.txt" 2>&1
agent step --job-dir "$work/job" --step 2 -- bash "$work/later.sh" hook >>"$work/hook.txt" 2>&1
agent job-end --job-dir "$work/job" --result Succeeded >/dev/null
check_run hooks "$work/hook.txt" "$work/env-hook.txt"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
