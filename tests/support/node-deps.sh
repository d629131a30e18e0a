# Sourced by tests: make sure azure-pipelines-task-lib is installed from npm
# into $deps (one install at a time: tests run in parallel), and say so.
: "${SVC_BIN_DIR:?}"
deps=${SVC_NODE_DEPS:-$SVC_BIN_DIR/../node-deps}
mkdir -p "$deps"
(
  flock 9
  if [ ! -f "$deps/node_modules/azure-pipelines-task-lib/task.js" ]; then
    npm install --prefix "$deps" --no-audit --no-fund --silent azure-pipelines-task-lib@4 >/dev/null \
      || { echo "cannot install azure-pipelines-task-lib from npm" >&2; exit 1; }
  fi
) 9>"$deps/.lock"
