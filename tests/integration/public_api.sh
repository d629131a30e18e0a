#!/usr/bin/env bash
# The public API: every public header compiles on its own as strict C11
# (-pedantic -Werror), and the shared library exports only svc_* symbols.
set -euo pipefail
: "${SVC_SOURCE_DIR:?}" "${SVC_LIB:?}" "${CC:=cc}"
inc="$SVC_SOURCE_DIR/resolver/include"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
for h in "$inc"/svcconn/*.h; do
  printf '#include <svcconn/%s>\nint main(void) { return 0; }\n' "$(basename "$h")" > "$tmp/t.c"
  "$CC" -std=c11 -pedantic -Wall -Wextra -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"
  n=$((n + 1))
done
echo "$n public headers compile alone with -std=c11 -pedantic -Werror"
bad=$(nm -D --defined-only "$SVC_LIB" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | grep -v '^svc_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols outside svc_*:"; echo "$bad"; exit 1
fi
echo "$(nm -D --defined-only "$SVC_LIB" | grep -c ' svc_') symbols exported, all svc_*"
