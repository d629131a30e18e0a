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

# node_deps_install DIR PKG...: the npm packages PKG (name@range) installed
# from the registry into their own prefix DIR (one install at a time), for
# tests of Microsoft's common task libraries; DIR/node_modules holds them.
node_deps_install() {
  local dir=$1
  shift
  mkdir -p "$dir"
  (
    flock 9
    if [ ! -f "$dir/.installed" ] || [ "$(cat "$dir/.installed")" != "$*" ]; then
      npm install --prefix "$dir" --no-audit --no-fund --silent "$@" >/dev/null \
        || { echo "cannot install $* from npm" >&2; exit 1; }
      echo "$*" > "$dir/.installed"
    fi
  ) 9>"$dir/.lock"
}
