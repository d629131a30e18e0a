#!/usr/bin/env bash
# An installation works under any prefix: `cmake --install --prefix` into a
# temporary directory, which is then moved elsewhere (nothing may point
# back to where it was installed, nor to the build tree).  From there, with
# only the installed files: the programs start (the library is found
# through the run path relative to $ORIGIN), the shipped tasks and types are
# found (`plan` classifies Docker@2's input, `types` lists vmware), the
# README's demo runs to the end, and a program compiled with
# `pkg-config --cflags --libs svcconn` (svcconn.pc relative to its own
# directory, libgit2 among its private requirements) links the installed
# library, which finds its shipped tasks and types beside itself.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}" "${CC:=cc}" "${CMAKE:=cmake}"
build=$(cd "$SVC_BIN_DIR/.." && pwd)
work=$(mktemp -d /tmp/svcinstall.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset SVCCONN_TASKS_PATH SVCCONN_TYPES_PATH LD_LIBRARY_PATH PKG_CONFIG_PATH

"$CMAKE" --install "$build" --prefix "$work/first" >"$work/install.log" ||
	{ cat "$work/install.log"; fail "cmake --install"; }
mv "$work/first" "$work/moved"
prefix="$work/moved"
bin="$prefix/bin"
for p in svcconn svcconn-agent git-credential-svcconn svcconn-askpass; do
	[ -x "$bin/$p" ] || fail "$p is not installed in bin"
done
ls "$prefix"/libexec/svcconn/svcconn-gitcred >/dev/null
echo "installed into $work/first, moved to $prefix"

# the programs start, with the library of the prefix
"$bin/svcconn" --help >/dev/null || fail "the installed svcconn does not start"
"$bin/svcconn-agent" --help >/dev/null || fail "the installed svcconn-agent does not start"
lib=$(ldd "$bin/svcconn" | awk '/libsvcconn/ {print $3}')
case "$lib" in
"$prefix"/*) echo "svcconn loads $lib" ;;
*) fail "svcconn loads libsvcconn from '$lib', not from the prefix" ;;
esac
for p in svcconn svcconn-agent; do
	rp=$(readelf -d "$bin/$p" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p')
	case "$rp" in
	'$ORIGIN/'*) ;;
	*) fail "$p's run path '$rp' is not relative to \$ORIGIN" ;;
	esac
done
echo "run path: $rp"

# the shipped tasks and types, found relative to the programs
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
"$bin/svcconn" init >/dev/null
"$bin/svcconn" plan "$SVC_SOURCE_DIR/tests/support/docker-login.yml" >"$work/plan.out" 2>&1 || true
grep -q "Docker@2 containerRegistry reg" "$work/plan.out" ||
	{ cat "$work/plan.out"; fail "the installed svcconn does not find Docker@2"; }
if grep -q "no manifest" "$work/plan.out"; then
	cat "$work/plan.out"; fail "a shipped task has no manifest"
fi
"$bin/svcconn" types | grep -q '^vmware ' || fail "the shipped vmware type is not found"
echo "plan finds Docker@2 in $prefix/share/svcconn/tasks; types lists vmware"

# the demo, with the installed programs only
unset SVCCONN_HOME
out=$(bash "$SVC_SOURCE_DIR/fixtures/demo/demo.sh" "$bin" 2>&1) || { echo "$out"; fail "the demo"; }
grep -q "none of the demo's secret values appears" <<<"$out" || { echo "$out"; fail "the demo's end"; }
echo "the demo runs from the installation"

# a program of a library user, built with pkg-config
pc="$prefix/lib/pkgconfig/svcconn.pc"
[ -f "$pc" ] || pc=$(find "$prefix" -name svcconn.pc | head -n 1)
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
grep -q '^Requires.private:.* libgit2' "$pc" || fail "svcconn.pc leaves libgit2 out of Requires.private"
[ "$(pkg-config --variable=libdir svcconn)" -ef "$(dirname "$lib")" ] ||
	fail "svcconn.pc names libdir $(pkg-config --variable=libdir svcconn)"
pkg-config --static --libs svcconn | grep -q -- -lgit2 || fail "pkg-config --static misses -lgit2"
cat > "$work/user.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <svcconn/svcconn.h>
#include <svcconn/catalog.h>
#include <svcconn/tasks.h>

int main(void)
{
	svc_catalog *cat = NULL;
	svc_tasks *tasks = NULL;
	int ok;

	if (svc_catalog_new(&cat) != 0 ||
	    svc_tasks_load_path(&tasks, NULL, 0, NULL) != 0) {
		fprintf(stderr, "error: %s\n", svc_error_last());
		return 1;
	}
	ok = svc_catalog_find(cat, "vmware") != NULL &&
	     svc_tasks_find(tasks, "Docker@2") != NULL;
	printf("svcconn %s: vmware %s, Docker@2 %s (searched: %s)\n",
	       svc_version(), svc_catalog_find(cat, "vmware") ? "found" : "missing",
	       svc_tasks_find(tasks, "Docker@2") ? "found" : "missing",
	       svc_tasks_searched(tasks));
	svc_tasks_free(tasks);
	svc_catalog_free(cat);
	return ok ? 0 : 1;
}
C
# a library built with the sanitizers (build-asan) needs them in its user
san=
# (the whole of ldd's output read: grep -q could end the pipe early)
case "$(ldd "$lib")" in *libasan*) san=-fsanitize=address,undefined ;; esac
# shellcheck disable=SC2046
"$CC" -std=c11 -Wall -Werror $san -o "$work/user" "$work/user.c" \
	$(pkg-config --cflags --libs svcconn) \
	-Wl,-rpath,"$(pkg-config --variable=libdir svcconn)"
(cd "$work" && ./user) >"$work/user.out" || { cat "$work/user.out"; fail "the library user"; }
cat "$work/user.out"
grep -qF "(searched: $prefix/share/svcconn/tasks)" "$work/user.out" ||
	fail "the library does not find its tasks beside itself"
