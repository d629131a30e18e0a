# The two sides of the remote CLI tests (remote_cli.sh,
# remote_cli_admin.sh): one scenario run on a local store and against a
# server, compared verb by verb.  Source it after srv_setup, with $bin
# set (the svcconn to run):
#   remote_sides          two stores, $work/local and $work/srv, each with
#                         admin and a Reader (reader); tokens of scope full
#                         of both on the server's ($tok, $rtok); the
#                         server started on it over TLS at $url
#   cl CMD...             CMD as the client: its own HOME, no store
#   run SIDE USER NAME ARGS...   svcconn ARGS on SIDE (local, remote)
#   norm FILE             FILE with ids, times and tokens as one word
#   both_ways STEP...     each step ("USER NAME ARGS") run both ways and
#                         compared (standard output, error, exit code)
remote_sides() {
  local h
  mkdir -m 0700 "$work/local" "$work/srv" "$work/client"
  for h in local srv; do
    SVCCONN_HOME="$work/$h" SVCCONN_USER=admin "$bin" init >/dev/null
    # reader may read everything and change nothing, on both sides
    SVCCONN_HOME="$work/$h" SVCCONN_USER=admin "$bin" security --grant reader=Reader >/dev/null
  done
  tok=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=admin "$bin" tokens create cli --scopes full 2>/dev/null)
  rtok=$(SVCCONN_HOME="$work/srv" SVCCONN_USER=reader "$bin" tokens create cli --scopes full 2>/dev/null)
  srv_cert
  SVCCONN_HOME="$work/srv" start_server --listen 127.0.0.1:0 \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
  url="https://127.0.0.1:$port"
}
# the client's side: its own HOME, no store (SVCCONN_HOME names nothing)
cl() { env -u SVCCONN_USER HOME="$work/client" SVCCONN_HOME="$work/nostore" "$@"; }
# run SIDE USER NAME ARGS...: svcconn ARGS as USER on SIDE; output kept as
# $work/SIDE.NAME.{out,err,rc}
run() {
  local side=$1 user=$2 name=$3; shift 3
  local rc=0
  if [ "$side" = local ]; then
    SVCCONN_HOME="$work/local" SVCCONN_USER=$user "$bin" "$@" \
      >"$work/$side.$name.out" 2>"$work/$side.$name.err" || rc=$?
  elif [ "$user" = admin ]; then
    cl SVCCONN_SERVER="$url" "$bin" "$@" \
      >"$work/$side.$name.out" 2>"$work/$side.$name.err" || rc=$?
  else
    printf '%s\n' "$rtok" > "$work/rtok"; chmod 600 "$work/rtok"
    cl SVCCONN_TOKEN_FILE="$work/rtok" SVCCONN_CA="$work/cert.pem" "$bin" --server "$url" "$@" \
      >"$work/$side.$name.out" 2>"$work/$side.$name.err" || rc=$?
  fi
  echo "$rc" > "$work/$side.$name.rc"
}
# ids and times vary: one word each; the local side acts as root
# impersonating admin (SVCCONN_USER), which its records say
norm() {
  sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/ID/g;
          s/root as (admin|reader)/\1/g;
          s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z?/TIME/g;
          s/"created": [0-9]+/"created": TIME/;
          s/svcr_[A-Za-z0-9_-]+/TOKEN/g' "$1"
}
# both_ways STEP...: every step on the local side, then on the server,
# then compared; @REQ and @CHK in a step stand for the side's request id
# ($work/SIDE.REQ) and the check id its step 'cadd' printed
both_ways() {
  local side s user name args k
  for side in local remote; do
    for s in "$@"; do
      read -r user name args <<<"$s"
      [ -e "$work/$side.REQ" ] && args=${args//@REQ/$(cat "$work/$side.REQ")}
      [ -e "$work/$side.cadd.out" ] && args=${args//@CHK/$(sed -nE 's/^added .* check ([0-9a-f-]{36})$/\1/p' "$work/$side.cadd.out")}
      # shellcheck disable=SC2086
      run "$side" "$user" "$name" $args
    done
  done
  for s in "$@"; do
    read -r _ name _ <<<"$s"
    for k in rc out err; do
      diff <(norm "$work/local.$name.$k") <(norm "$work/remote.$name.$k") >"$work/diff" \
        || fail "'$name' differs in its $k, local (<) and remote (>): $(cat "$work/diff")"
    done
  done
}
