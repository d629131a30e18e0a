#!/usr/bin/env bash
# The programs of the build tree find the tasks svcconn ships (the source
# tree's tasks/, through <build>/share/svcconn): `svcconn plan` classifies
# Docker@2's connection input with no --tasks-dir nor SVCCONN_TASKS_PATH.
# A task without a manifest is said so with every directory searched, as a
# warning of `plan` and as the failure of its step in `svcconn-agent run`.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
work=$(mktemp -d /tmp/svcshipped.XXXXXX)
trap 'rm -rf "$work"' EXIT
unset SVCCONN_TASKS_PATH
export SVCCONN_HOME="$work/store" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
shipped=$(cd "$SVC_SOURCE_DIR/tasks" && pwd -P)

svcconn init >/dev/null
printf 'the-registry-password-4471' > "$work/pw"
svcconn create dockerregistry reg --scheme UsernamePassword --set registrytype=Others \
  --set registry=https://registry.example.test --set username=bot \
  --secret password=@"$work/pw" --grant-all-pipelines >/dev/null
svcconn plan "$SVC_SOURCE_DIR/tests/support/docker-login.yml" >"$work/out" 2>&1 || { cat "$work/out"; fail "plan of Docker@2"; }
grep -q "^1 reference(s): 1 resolved, 0 not" "$work/out" || { cat "$work/out"; fail "Docker@2's reference is not found"; }
grep -q "Docker@2 containerRegistry reg" "$work/out" || { cat "$work/out"; fail "Docker@2's input is not classified"; }
echo "plan from the build tree: $(grep 'reference(s)' "$work/out")"

# a task no directory has
cat > "$work/q.yml" <<'Y'
steps:
- task: NoSuchTask@3
  inputs:
    connection: reg
Y
mkdir "$work/mine"
want="no manifest for task 'NoSuchTask@3' (searched: $work/mine, $shipped)"
svcconn plan "$work/q.yml" --tasks-dir "$work/mine" >"$work/out" 2>&1 || true
grep -qF "q.yml:2:9: warning: $want" "$work/out" || { cat "$work/out"; fail "plan does not say: $want"; }
echo "plan: $(grep -o "warning: no manifest[^:]*" "$work/out")"
if (cd "$work" && "$SVC_BIN_DIR/svcconn-agent" run q.yml --pipeline app --tasks-dir "$work/mine") >"$work/out" 2>&1; then
  cat "$work/out"; fail "a step without a manifest succeeded"
fi
grep -qF "$want" "$work/out" || { cat "$work/out"; fail "run does not say: $want"; }
if grep -q "has no handler" "$work/out"; then cat "$work/out"; fail "run blames the handler"; fi
echo "run: $(grep -o "no manifest.*" "$work/out" | head -n 1)"
