#!/usr/bin/env bash
# gitcred_conformance.sh - the conformance suite every git credential helper
# of svcconn must pass, run against git-credential-svcconn and, as the
# reference, against git's own `store` helper (git credential-store --file).
#
# The cases are those of git's t/lib-credential.sh `helper_test`, written
# anew here: each drives the helper the way git does, through
# `git credential fill|approve|reject` with -c credential.helper=<helper>
# (and credential.useHttpPath where a case needs it), with an askpass
# program standing in for the user, and compares git's standard output and
# standard error with what is expected.  The cases share one store, in
# order, as in git's suite.  Then both helpers' outputs are compared with
# each other, case by case.  A few cases of git's newer suite depend on the
# git that runs them: "does not erase a password distinct from input" needs
# the store helper of git 2.42 or later (older ones erase whatever the
# password), and git 2.41 and later echo wwwauth[] lines in `fill`; the
# expectations follow the installed git, and a known difference of an old
# git's store helper is reported, not failed.
#
# Then cases of our own, for git-credential-svcconn only: what the helper
# refuses (carriage returns, newlines smuggled through url=, lines without
# '=', over-long lines), what it ignores (unknown actions), the job mode,
# a missing store, no plaintext on disk, and `svcconn rekey` keeping every
# credential.
#
# Environment: SVC_BIN_DIR (svcconn and git-credential-svcconn), optional
# SVCCONN_USER.  Prints "ok"/"not ok" per case and "N passed, N failed".
set -uo pipefail
: "${SVC_BIN_DIR:?set SVC_BIN_DIR to the directory of the built executables}"
HELPER_BIN="$SVC_BIN_DIR/git-credential-svcconn"
SVCCONN_BIN="$SVC_BIN_DIR/svcconn"
for b in "$HELPER_BIN" "$SVCCONN_BIN"; do
	[ -x "$b" ] || { echo "missing executable: $b" >&2; exit 1; }
done
command -v git >/dev/null || { echo "git is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A clean git: no system or user configuration, no inherited helpers or
# prompts; our askpass answers "askpass-username" / "askpass-password" and
# says on stderr what it was asked, as git's suite's does.
export HOME="$tmp/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
unset GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT SSH_ASKPASS GIT_TERMINAL_PROMPT \
	SVCCONN_JOB_DIR SVCCONN_KEY_FILE
cat >"$tmp/askpass" <<\EOF
#!/bin/sh
echo >&2 askpass: $*
what=$(echo $1 | cut -d" " -f1 | tr A-Z a-z | tr -cd a-z)
echo "askpass-$what"
EOF
chmod +x "$tmp/askpass"
export GIT_ASKPASS="$tmp/askpass"

export SVCCONN_USER="${SVCCONN_USER:-tester}"
export SVCCONN_HOME="$tmp/svcconn"
"$SVCCONN_BIN" init >/dev/null || { echo "svcconn init failed" >&2; exit 1; }

# The installed git's version as one number: 2.39.5 -> 239.
gitver=$(git --version | sed -n 's/^git version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
gitnum=$(( $(echo "$gitver" | cut -d' ' -f1) * 100 + $(echo "$gitver" | cut -d' ' -f2) ))

passed=0
failed=0
n=0

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

# Read one "--"-separated chunk of lines from standard input.
read_chunk() {
	local line
	while IFS= read -r line; do
		[ "$line" = "--" ] && break
		printf '%s\n' "$line"
	done
}

# check CMD [git -c options...] <<chunks: stdin -- expected stdout --
# expected stderr.  Runs git credential CMD with the current $HELPER and
# sets $check_ok; appends what happened to $log.
check() {
	local cmd=$1
	shift
	read_chunk >"$tmp/stdin"
	read_chunk >"$tmp/expect-stdout"
	read_chunk >"$tmp/expect-stderr"
	if ! git -c credential.helper="$HELPER" "$@" credential "$cmd" \
		<"$tmp/stdin" >"$tmp/stdout" 2>"$tmp/stderr"; then
		echo "  git credential $cmd failed with code $?" >>"$log"
		sed 's/^/  | /' "$tmp/stderr" >>"$log"
		check_ok=0
		return 1
	fi
	{ echo "== $cmd"; cat "$tmp/stdout" "$tmp/stderr"; } >>"$transcript"
	if ! diff -u "$tmp/expect-stdout" "$tmp/stdout" >>"$log" ||
	   ! diff -u "$tmp/expect-stderr" "$tmp/stderr" >>"$log"; then
		check_ok=0
		return 1
	fi
	return 0
}

LONG_VALUE=$(printf 'a%.0s' $(seq 1 1001))

# Each case is a function; it returns non-zero on the first failed check.
case_no_existing_data() {
	check fill <<-\EOF
	protocol=https
	host=example.com
	--
	protocol=https
	host=example.com
	username=askpass-username
	password=askpass-password
	--
	askpass: Username for 'https://example.com':
	askpass: Password for 'https://askpass-username@example.com':
	EOF
}

case_stores_password() {
	check approve <<-\EOF
	protocol=https
	host=example.com
	username=store-user
	password=store-pass
	--
	--
	EOF
}

case_retrieves_password() {
	check fill <<-\EOF
	protocol=https
	host=example.com
	--
	protocol=https
	host=example.com
	username=store-user
	password=store-pass
	--
	EOF
}

case_matching_protocol() {
	check fill <<-\EOF
	protocol=http
	host=example.com
	--
	protocol=http
	host=example.com
	username=askpass-username
	password=askpass-password
	--
	askpass: Username for 'http://example.com':
	askpass: Password for 'http://askpass-username@example.com':
	EOF
}

case_matching_host() {
	check fill <<-\EOF
	protocol=https
	host=other.tld
	--
	protocol=https
	host=other.tld
	username=askpass-username
	password=askpass-password
	--
	askpass: Username for 'https://other.tld':
	askpass: Password for 'https://askpass-username@other.tld':
	EOF
}

case_matching_username() {
	check fill <<-\EOF
	protocol=https
	host=example.com
	username=other
	--
	protocol=https
	host=example.com
	username=other
	password=askpass-password
	--
	askpass: Password for 'https://other@example.com':
	EOF
}

case_matching_path() {
	check approve -c credential.useHttpPath=true <<-\EOF &&
	protocol=http
	host=path.tld
	path=foo.git
	username=user
	password=pass
	--
	--
	EOF
	check fill -c credential.useHttpPath=true <<-\EOF
	protocol=http
	host=path.tld
	path=bar.git
	--
	protocol=http
	host=path.tld
	path=bar.git
	username=askpass-username
	password=askpass-password
	--
	askpass: Username for 'http://path.tld/bar.git':
	askpass: Password for 'http://askpass-username@path.tld/bar.git':
	EOF
}

case_overwrites_on_store() {
	check approve <<-\EOF &&
	protocol=https
	host=example.com
	username=user-overwrite
	password=pass1
	--
	--
	EOF
	check approve <<-\EOF &&
	protocol=https
	host=example.com
	username=user-overwrite
	password=pass2
	--
	--
	EOF
	check fill <<-\EOF &&
	protocol=https
	host=example.com
	username=user-overwrite
	--
	protocol=https
	host=example.com
	username=user-overwrite
	password=pass2
	--
	EOF
	check reject <<-\EOF &&
	protocol=https
	host=example.com
	username=user-overwrite
	password=pass2
	--
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=example.com
	username=user-overwrite
	--
	protocol=https
	host=example.com
	username=user-overwrite
	password=askpass-password
	--
	askpass: Password for 'https://user-overwrite@example.com':
	EOF
}

case_forget_host() {
	check reject <<-\EOF &&
	protocol=https
	host=example.com
	--
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=example.com
	--
	protocol=https
	host=example.com
	username=askpass-username
	password=askpass-password
	--
	askpass: Username for 'https://example.com':
	askpass: Password for 'https://askpass-username@example.com':
	EOF
}

case_multiple_users() {
	check approve <<-\EOF &&
	protocol=https
	host=example.com
	username=user1
	password=pass1
	--
	--
	EOF
	check approve <<-\EOF &&
	protocol=https
	host=example.com
	username=user2
	password=pass2
	--
	--
	EOF
	check fill <<-\EOF &&
	protocol=https
	host=example.com
	username=user1
	--
	protocol=https
	host=example.com
	username=user1
	password=pass1
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=example.com
	username=user2
	--
	protocol=https
	host=example.com
	username=user2
	password=pass2
	--
	EOF
}

case_distinct_password() {
	check approve <<-\EOF &&
	protocol=https
	host=example.com
	username=user-distinct-pass
	password=pass1
	--
	--
	EOF
	check reject <<-\EOF &&
	protocol=https
	host=example.com
	username=user-distinct-pass
	password=pass2
	--
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=example.com
	username=user-distinct-pass
	--
	protocol=https
	host=example.com
	username=user-distinct-pass
	password=pass1
	--
	EOF
}

case_forget_user() {
	check reject <<-\EOF &&
	protocol=https
	host=example.com
	username=user1
	--
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=example.com
	username=user1
	--
	protocol=https
	host=example.com
	username=user1
	password=askpass-password
	--
	askpass: Password for 'https://user1@example.com':
	EOF
}

case_remembers_other_user() {
	check fill <<-\EOF
	protocol=https
	host=example.com
	username=user2
	--
	protocol=https
	host=example.com
	username=user2
	password=pass2
	--
	EOF
}

case_empty_username() {
	check approve <<-\EOF &&
	protocol=https
	host=sso.tld
	username=
	password=
	--
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=sso.tld
	--
	protocol=https
	host=sso.tld
	username=
	password=
	--
	EOF
}

case_erases_all_matching() {
	check approve <<-\EOF &&
	protocol=https
	host=example.com
	username=user-erase1
	password=pass1
	--
	--
	EOF
	check approve <<-\EOF &&
	protocol=https
	host=example.com
	username=user-erase2
	password=pass1
	--
	--
	EOF
	check reject <<-\EOF &&
	protocol=https
	host=example.com
	--
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=example.com
	--
	protocol=https
	host=example.com
	username=askpass-username
	password=askpass-password
	--
	askpass: Username for 'https://example.com':
	askpass: Password for 'https://askpass-username@example.com':
	EOF
}

case_long_header() {
	check approve <<-\EOF &&
	protocol=https
	host=victim.example.com
	username=user
	password=to-be-stolen
	--
	--
	EOF
	check fill < <(
		printf 'protocol=https\nhost=badguy.example.com\n'
		printf 'wwwauth[]=basic realm=%shost=victim.example.com\n' \
			"$LONG_VALUE"
		printf -- '--\nprotocol=https\nhost=badguy.example.com\n'
		printf 'username=askpass-username\npassword=askpass-password\n'
		# git 2.41 and later keep wwwauth[] and echo it back
		[ "$gitnum" -ge 241 ] &&
			printf 'wwwauth[]=basic realm=%shost=victim.example.com\n' \
				"$LONG_VALUE"
		printf -- "--\naskpass: Username for 'https://badguy.example.com':\n"
		printf "askpass: Password for 'https://askpass-username@badguy.example.com':\n"
	)
}

# Two cases beyond git's list, run against both helpers: the port is part
# of the host, and without credential.useHttpPath git drops an http path
# before asking, so a credential stored for one path answers for another.
case_matching_port() {
	check approve <<-\EOF &&
	protocol=https
	host=port.tld:8443
	username=port-user
	password=port-pass
	--
	--
	EOF
	check fill <<-\EOF &&
	protocol=https
	host=port.tld
	--
	protocol=https
	host=port.tld
	username=askpass-username
	password=askpass-password
	--
	askpass: Username for 'https://port.tld':
	askpass: Password for 'https://askpass-username@port.tld':
	EOF
	check fill <<-\EOF
	url=https://port.tld:8443/some/repo.git
	--
	protocol=https
	host=port.tld:8443
	username=port-user
	password=port-pass
	--
	EOF
}

case_path_without_usehttppath() {
	check fill <<-\EOF
	url=http://path.tld/bar.git
	--
	protocol=http
	host=path.tld
	username=user
	password=pass
	--
	EOF
}

# name | function | the git (as NNN) before which git's store helper is
# known to fail the case (0: none)
CASES="
has no existing data|case_no_existing_data|0
stores password|case_stores_password|0
can retrieve password|case_retrieves_password|0
requires matching protocol|case_matching_protocol|0
requires matching host|case_matching_host|0
requires matching username|case_matching_username|0
requires matching path|case_matching_path|0
overwrites on store|case_overwrites_on_store|0
can forget host|case_forget_host|0
can store multiple users|case_multiple_users|0
does not erase a password distinct from input|case_distinct_password|242
can forget user|case_forget_user|0
remembers other user|case_remembers_other_user|0
can store empty username|case_empty_username|0
erases all matching credentials|case_erases_all_matching|0
not confused by long header|case_long_header|0
requires matching port|case_matching_port|0
ignores the path without useHttpPath|case_path_without_usehttppath|0
"

# run_suite LABEL HELPER: every case, in order, against one helper.
run_suite() {
	local label=$1 name fn since
	HELPER=$2
	while IFS='|' read -r name fn since; do
		[ -n "$name" ] || continue
		log="$tmp/log.$label.$fn"
		transcript="$tmp/out.$label.$fn"
		: >"$log"
		: >"$transcript"
		check_ok=1
		$fn || check_ok=0
		if [ "$check_ok" = 1 ]; then
			ok "helper ($label) $name"
		elif [ "$label" = store ] && [ "$since" -gt 0 ] &&
		     [ "$gitnum" -lt "$since" ]; then
			ok "helper ($label) $name # known difference: the store helper of git $(git --version | cut -d' ' -f3) predates this rule"
			echo "known-difference" >"$tmp/known.$fn"
		else
			not_ok "helper ($label) $name"
			sed 's/^/# /' "$log"
		fi
	done <<<"$CASES"
}

# As users run it: the first request starts the store's daemon, the others
# go through it.  Then the whole helper alone for every request, on a store
# of its own.
run_suite svcconn "$HELPER_BIN"
(
	export SVCCONN_GITCRED_DAEMON=off SVCCONN_HOME="$tmp/svcconn-direct"
	"$SVCCONN_BIN" init >/dev/null
	run_suite svcconn-direct "$HELPER_BIN"
	echo "$n $passed $failed" >"$tmp/counts"
)
read -r n passed failed <"$tmp/counts"
run_suite store "store --file=$tmp/git-credentials"

# The helpers, case by case: what git printed must be the same.
for label in svcconn svcconn-direct; do
	while IFS='|' read -r name fn since; do
		[ -n "$name" ] || continue
		if [ -e "$tmp/known.$fn" ]; then
			ok "same behaviour as git's store helper ($label): $name # skipped: known difference of this git's store helper"
		elif cmp -s "$tmp/out.$label.$fn" "$tmp/out.store.$fn"; then
			ok "same behaviour as git's store helper ($label): $name"
		else
			not_ok "same behaviour as git's store helper ($label): $name"
			diff -u "$tmp/out.store.$fn" "$tmp/out.$label.$fn" | sed 's/^/# /'
		fi
	done <<<"$CASES"
done

# ---- the daemon --------------------------------------------------------------

# daemon_pid HOME: the pid of the daemon serving the store in HOME, or nothing.
daemon_pid() {
	local p home
	home=$(cd "$1" && pwd -P)
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "$SVC_BIN_DIR_ABS/svcconn-gitcred --serve " ] || continue
		tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "SVCCONN_HOME=$home" &&
			echo "${p#/proc/}"
	done
}
SVC_BIN_DIR_ABS=$(cd "$SVC_BIN_DIR" && pwd -P)
pid=$(daemon_pid "$SVCCONN_HOME")
if [ -n "$pid" ] && [ -S "$SVCCONN_HOME/gitcred.sock" ]; then
	ok "the first request started the store's daemon (pid $pid), on a socket in the store"
else
	not_ok "the first request started the store's daemon"
fi
if [ -z "$(daemon_pid "$tmp/svcconn-direct")" ] &&
   [ ! -e "$tmp/svcconn-direct/gitcred.sock" ]; then
	ok "SVCCONN_GITCRED_DAEMON=off starts no daemon"
else
	not_ok "SVCCONN_GITCRED_DAEMON=off starts no daemon"
fi
if [ -n "$pid" ] && grep -q '^Max core file size *0 *0' "/proc/$pid/limits" &&
   [ "$(stat -c %a "$SVCCONN_HOME/gitcred.sock")" = 700 ] &&
   ! ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -e pipe: -e /dev/pts; then
	ok "the daemon dumps no core, its socket is private, it holds no pipe or terminal of its starter"
else
	not_ok "the daemon dumps no core, its socket is private, it holds no pipe or terminal of its starter"
	[ -n "$pid" ] && ls -l "/proc/$pid/fd" | sed 's/^/# /'
fi
needed=$(readelf -d "$HELPER_BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$needed" in
*crypto* | *sqlite* | *svcconn*)
	not_ok "git-credential-svcconn loads only the C library (it loads: $needed)" ;;
*)
	ok "git-credential-svcconn loads only the C library ($needed)" ;;
esac

# ---- cases of our own: the helper driven directly --------------------------

# direct NAME WANT_RC WANT_STDOUT WANT_STDERR_GREP ACTION [ENV...] <input
direct() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4 action=$5 rc
	shift 5
	env "$@" "$HELPER_BIN" "$action" >"$tmp/d.out" 2>"$tmp/d.err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$(cat "$tmp/d.out")" = "$want_out" ] &&
	   { [ -z "$want_err" ] && [ ! -s "$tmp/d.err" ] ||
	     { [ -n "$want_err" ] && grep -q -- "$want_err" "$tmp/d.err"; }; }; then
		ok "git-credential-svcconn $name"
	else
		not_ok "git-credential-svcconn $name"
		echo "# rc $rc (want $want_rc)"
		sed 's/^/# stdout: /' "$tmp/d.out"
		sed 's/^/# stderr: /' "$tmp/d.err"
	fi
}

# (after git's cases, the store holds victim.example.com, sso.tld,
# path.tld and port.tld)
direct "answers get directly" 0 $'username=user\npassword=to-be-stolen' "" \
	get <<<$'protocol=https\nhost=victim.example.com\nusername=user\n'
direct "expands url= as git does" 0 $'username=port-user\npassword=port-pass' \
	"" get <<<$'url=https://port-user@port.tld:8443/\n'
direct "matches a url='s path only against stored paths" 0 "" "" get \
	<<<$'url=https://port-user@port.tld:8443/x.git\n'
direct "is not confused by a long header line" 0 "" "" get \
	<<<"protocol=https
host=badguy.example.com
wwwauth[]=basic realm=${LONG_VALUE}host=victim.example.com
"
direct "refuses a carriage return inside a value" 1 "" \
	"contains a carriage return" store \
	< <(printf 'protocol=https\nhost=evil.tld\r.example.com\nusername=u\npassword=p\n')
direct "stored nothing from that input" 0 "" "" get \
	< <(printf 'protocol=https\nhost=evil.tld\n')
direct "refuses a newline smuggled through url=" 1 "" "newline" store \
	<<<$'url=https://u%0ahost=evil.tld:p@example.com\n'
direct "refuses a line without '='" 1 "" "invalid credential line 2" get \
	<<<$'protocol=https\nhost example.com\n'
direct "refuses a NUL byte" 1 "" "NUL" get \
	< <(printf 'protocol=https\nhost=example.com\0evil\n')
direct "refuses an over-long line" 1 "" "longer than" get \
	< <(printf 'protocol=https\nhost=example.com\npassword_expiry_utc=%070000d\n' 0)
direct "ignores an unknown action" 0 "" "" capability \
	<<<$'protocol=https\nhost=example.com\n'
direct "fails closed in a job without a broker" 1 "" "no git credential broker serves the job" get \
	SVCCONN_JOB_DIR="$tmp" <<<$'protocol=https\nhost=example.com\n'
direct "finds nothing without a store" 0 "" "" get \
	SVCCONN_HOME="$tmp/nowhere" <<<$'protocol=https\nhost=example.com\n'
direct "cannot store without a store" 1 "" "svcconn init" store \
	SVCCONN_HOME="$tmp/nowhere" \
	<<<$'protocol=https\nhost=example.com\nusername=u\npassword=p\n'
"$HELPER_BIN" </dev/null >"$tmp/d.out" 2>"$tmp/d.err"
if [ $? = 129 ] && grep -q "usage: git credential-svcconn" "$tmp/d.err"; then
	ok "git-credential-svcconn says how it is used"
else
	not_ok "git-credential-svcconn says how it is used"
fi

# No stored password is on disk in the clear.
if cat "$SVCCONN_HOME"/store.db* | grep -a -q -e pass2 -e to-be-stolen -e port-pass; then
	not_ok "no password in the clear in the store's files"
else
	ok "no password in the clear in the store's files"
fi

# svcconn rekey reseals the git credentials: they still answer afterwards.
case_after_rekey() {
	check fill <<-\EOF &&
	protocol=https
	host=victim.example.com
	--
	protocol=https
	host=victim.example.com
	username=user
	password=to-be-stolen
	--
	EOF
	check fill <<-\EOF
	protocol=https
	host=sso.tld
	--
	protocol=https
	host=sso.tld
	username=
	password=
	--
	EOF
}

key_before=$(od -An -tx1 "$SVCCONN_HOME/master.key" | tr -d ' \n')
if "$SVCCONN_BIN" rekey >/dev/null 2>"$tmp/rekey.err" &&
   [ "$(od -An -tx1 "$SVCCONN_HOME/master.key" | tr -d ' \n')" != "$key_before" ]; then
	ok "svcconn rekey writes a new key"
else
	not_ok "svcconn rekey writes a new key"
	sed 's/^/# /' "$tmp/rekey.err"
fi
HELPER="$HELPER_BIN"
log="$tmp/log.rekey"
transcript="$tmp/out.rekey"
: >"$log"
check_ok=1
case_after_rekey || check_ok=0
if [ "$check_ok" = 1 ]; then
	ok "git credentials answer after svcconn rekey"
else
	not_ok "git credentials answer after svcconn rekey"
	sed 's/^/# /' "$log"
fi

# `exit` ends the daemon; the next request runs the whole helper and starts
# a new one; removing the store ends that one within its tick.
pid=$(daemon_pid "$SVCCONN_HOME")
"$HELPER_BIN" exit
gone=0
for _ in $(seq 1 100); do
	[ -n "$pid" ] && [ ! -e "/proc/$pid" ] && { gone=1; break; }
	sleep 0.1
done
if [ "$gone" = 1 ] && [ ! -e "$SVCCONN_HOME/gitcred.sock" ]; then
	ok "git credential-svcconn exit ends the daemon and removes its socket"
else
	not_ok "git credential-svcconn exit ends the daemon and removes its socket"
fi
direct "answers without a daemon, and starts one" 0 \
	$'username=user\npassword=to-be-stolen' "" get \
	<<<$'protocol=https\nhost=victim.example.com\nusername=user\n'
pid=""
for _ in $(seq 1 100); do
	pid=$(daemon_pid "$SVCCONN_HOME")
	[ -n "$pid" ] && break
	sleep 0.1
done
mv "$SVCCONN_HOME" "$tmp/moved"
gone=0
for _ in $(seq 1 300); do
	[ -n "$pid" ] && [ ! -e "/proc/$pid" ] && { gone=1; break; }
	sleep 0.1
done
if [ "$gone" = 1 ]; then
	ok "the daemon ends when its store is moved away"
else
	not_ok "the daemon ends when its store is moved away"
fi
mv "$tmp/moved" "$SVCCONN_HOME"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
