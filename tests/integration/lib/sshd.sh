# A real OpenSSH sshd on a free loopback port, for the tests (as root):
# its own host key, one system user whose keys are in an authorized_keys
# file of the server's directory.  Source this file, then:
#   sshd_user_add USER HOME SHELL  add the system user (unlocked: a locked
#                                  account is refused even for keys)
#   sshd_start_free DIR USER [PASSWORD_AUTH]
#                                  write DIR/sshd_config (host key
#                                  DIR/keys/host_key, made when missing;
#                                  AuthorizedKeysFile DIR/authorized_keys/%u;
#                                  PasswordAuthentication PASSWORD_AUTH,
#                                  default no), start sshd on a free port:
#                                  sets sshd_port and sshd_pid
#   sshd_stop                      stop it (by pid)
#   sshd_user_del USER             remove the user (retrying while a
#                                  session of the user is still ending)
sshd_user_add() {
  local user=$1 home=$2 shell=$3
  useradd --system --home-dir "$home" --create-home --shell "$shell" "$user"
  usermod -p '*' "$user"
}

sshd_user_del() {
  local user=$1
  for _ in $(seq 1 50); do
    id "$user" >/dev/null 2>&1 || return 0
    userdel "$user" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# sshd_start_on DIR USER PORT PASSWORD_AUTH: 0 once sshd listens on PORT.
sshd_start_on() {
  local dir=$1 user=$2 port=$3 pwauth=$4
  cat > "$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/keys/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys/%u
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication $pwauth
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PrintMotd no
LogLevel VERBOSE
CONF
  /usr/sbin/sshd -t -f "$dir/sshd_config" || return 1
  /usr/sbin/sshd -D -e -f "$dir/sshd_config" > "$dir/log/sshd.log" 2>&1 &
  sshd_pid=$!
  for _ in $(seq 1 100); do
    kill -0 "$sshd_pid" 2>/dev/null || { sshd_pid=""; return 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  kill "$sshd_pid"; sshd_pid=""; return 1
}

sshd_start_free() {
  local dir=$1 user=$2 pwauth=${3:-no} p
  mkdir -p "$dir/keys" "$dir/authorized_keys" "$dir/log" /run/sshd
  [ -f "$dir/keys/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/keys/host_key"
  sshd_port=""
  for _ in $(seq 1 20); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue   # taken
    if sshd_start_on "$dir" "$user" "$p" "$pwauth"; then sshd_port=$p; return 0; fi
  done
  cat "$dir/log/sshd.log" >&2 2>/dev/null
  return 1
}

sshd_stop() {
  if [ -n "${sshd_pid:-}" ]; then
    kill "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
  fi
  sshd_pid=""
}
