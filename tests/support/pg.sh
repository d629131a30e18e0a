#!/usr/bin/env bash
# pg.sh - a real PostgreSQL on loopback for the tests.
#
#   pg.sh start DIR   initdb and start a server; DIR (made if missing)
#                     receives "url", the libpq URL of its database
#                     "postgres" (no password: trust, on loopback only),
#                     and the state pg.sh needs later
#   pg.sh down DIR    stop the server, keeping its data (a lost database)
#   pg.sh up DIR      start it again on the same port
#   pg.sh stop DIR    stop it and remove everything start made (or standby)
#   pg.sh standby PRIMARY DIR
#                     a streaming standby of the running cluster of
#                     PRIMARY (a DIR of start): pg_basebackup -R of it,
#                     started on a port of its own; DIR receives the same
#                     files as start ("url": the standby's database,
#                     read-only until promoted).  The standby connects as
#                     application_name "standby" (for the primary's
#                     synchronous_standby_names)
#   pg.sh crash DIR   stop the server at once (pg_ctl -m immediate: no
#                     shutdown checkpoint, as a crashed host)
#   pg.sh promote DIR promote a standby (pg_ctl promote, waiting until it
#                     accepts writes)
#
# PostgreSQL refuses to run as root, and CI runs as root: then the cluster
# belongs to "nobody" and every PostgreSQL program runs as nobody through
# setpriv.  The cluster lives in a private directory of its own under
# /tmp (nobody cannot reach a build tree under root's directories); it
# listens on 127.0.0.1 only, at a free port, and on a Unix socket in that
# directory.  fsync is off: the data is thrown away.  Nothing listens
# beyond loopback, and pg_hba.conf lets in only loopback and the socket.
set -euo pipefail
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}; dir=${2:-}
if [ "$cmd" = standby ]; then primary=$dir; dir=${3:-}; fi
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg.sh start|down|up|stop|crash|promote DIR | standby PRIMARY DIR" >&2; exit 2; }

# a private directory under /tmp for a cluster, owned by its owner
new_top() {
  top=$(mktemp -d /tmp/svcconn-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown 65534:65534 "$top"; fi
  echo "$top" > "$dir/data"
  data=$top/data
}
# run a PostgreSQL program as the cluster's owner
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
  else
    "$@"
  fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
pg_start() {
  as_owner "$bin/pg_ctl" -D "$data" -l "$data/../log" -w -t 60 \
    -o "-p $(cat "$dir/port")" start >/dev/null ||
    { echo "pg.sh: PostgreSQL did not start:" >&2; cat "$data/../log" >&2; exit 1; }
}

case "$cmd" in
start)
  mkdir -p "$dir"
  if [ -f "$dir/data" ]; then "$0" stop "$dir"; fi
  new_top
  as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 -N >"$top/initdb.log" 2>&1 ||
    { echo "pg.sh: initdb failed:" >&2; cat "$top/initdb.log" >&2; exit 1; }
  cat >"$data/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
  cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$top'
fsync = off
full_page_writes = off
max_connections = 200
EOF
  [ "$(id -u)" = 0 ] && chown 65534:65534 "$data/pg_hba.conf" "$data/postgresql.conf"
  free_port > "$dir/port"
  pg_start
  echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres" > "$dir/url"
  ;;
down)
  data=$(cat "$dir/data")/data
  as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  ;;
up)
  data=$(cat "$dir/data")/data
  pg_start
  ;;
standby)
  [ -f "$primary/data" ] || { echo "pg.sh: no cluster in $primary" >&2; exit 1; }
  mkdir -p "$dir"
  if [ -f "$dir/data" ]; then "$0" stop "$dir"; fi
  new_top
  # the primary lets its owner replicate over its socket (start's
  # pg_hba.conf has no replication line); reloaded, not restarted
  pdata=$(cat "$primary/data")/data
  grep -q '^local replication' "$pdata/pg_hba.conf" || {
    echo 'local replication all trust' | as_owner tee -a "$pdata/pg_hba.conf" >/dev/null
    as_owner "$bin/pg_ctl" -D "$pdata" reload >/dev/null
  }
  # over the primary's socket, as its superuser (trust on loopback);
  # -R writes primary_conninfo and standby.signal
  as_owner "$bin/pg_basebackup" -h "$(cat "$primary/data")" -p "$(cat "$primary/port")" \
    -U postgres -D "$data" -R -X stream --checkpoint=fast >"$top/basebackup.log" 2>&1 ||
    { echo "pg.sh: pg_basebackup failed:" >&2; cat "$top/basebackup.log" >&2; exit 1; }
  # its own socket directory, and a name the primary can wait for
  as_owner sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$top'|" \
    "$data/postgresql.conf"
  as_owner sed -i "s|^primary_conninfo = '|primary_conninfo = 'application_name=standby |" \
    "$data/postgresql.auto.conf"
  free_port > "$dir/port"
  pg_start
  echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres" > "$dir/url"
  ;;
crash)
  data=$(cat "$dir/data")/data
  as_owner "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null
  ;;
promote)
  data=$(cat "$dir/data")/data
  as_owner "$bin/pg_ctl" -D "$data" -w -t 60 promote >/dev/null
  ;;
stop)
  [ -f "$dir/data" ] || exit 0
  top=$(cat "$dir/data")
  case "$top" in /tmp/svcconn-pg.*) ;; *) echo "pg.sh: odd state in $dir" >&2; exit 1 ;; esac
  as_owner "$bin/pg_ctl" -D "$top/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$top"
  rm -f "$dir/data" "$dir/port" "$dir/url"
  ;;
*)
  echo "usage: pg.sh start|down|up|stop|crash|promote DIR | standby PRIMARY DIR" >&2; exit 2 ;;
esac
