#!/usr/bin/env bash
# SVCCONN_USER is an impersonation, not an identity: the OS user running
# svcconn with SVCCONN_USER=alice acts under alice's roles, and the audit
# log and the approval record say "<os user> as alice".  The requester of a
# run cannot approve it by any name: not as herself through SVCCONN_USER,
# and the OS user who queued a run cannot approve it by impersonating an
# approver.  The store's creator (and a connection's) gets its role under
# the name it acts as, never under the "X as Y" audit name.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
work=$(mktemp -d /tmp/svcimp.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home"
unset SVCCONN_USER
os=$(id -un)
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
as() { local u=$1; shift; SVCCONN_USER=$u "$SVC_BIN_DIR/svcconn" "$@"; }
fail() { echo "impersonation: $*"; exit 1; }
case "$os" in alice|bob|admin) echo "impersonation: skipped (run as $os)"; exit 0 ;; esac
n=0
# job-start of run $1 requested by $2; prints the exit code
start() {
  n=$((n + 1))
  set +e
  "$SVC_BIN_DIR/svcconn-agent" job-start \
    --pipeline-file "$SVC_SOURCE_DIR/fixtures/authz/pipeline.yml" \
    --pipeline app --stage Deploy --job Ship --run-id "$1" \
    --branch refs/heads/main --requested-by "$2" --var conn=registry \
    --job-dir "$work/job-$n" >"$work/start.out" 2>&1
  echo $?
  set -e
}
# the id of the pending approval of run $1
pending_id() {
  as admin approvals --pending --json |
    awk -v run="$1" '/"id":/ { gsub(/[",]/, "", $2); id = $2 }
                     /"runId":/ { gsub(/[",]/, "", $2); if ($2 == run) print id }'
}

as admin init >/dev/null
as admin audit --json >"$work/audit"
grep -q "\"actor\": \"$os as admin\"" "$work/audit" ||
  fail "init is not recorded as '$os as admin'"
# the role went to admin, whom the OS user acts as
as admin security | grep -q "^  Administrator  admin$" ||
  fail "the store's administrator is not 'admin'"
printf 'pw-123\n' | as admin create dockerregistry registry --scheme Others \
  --set registry=https://r.example.test/ --set username=ci --secret password=- \
  --grant-all-pipelines >/dev/null
as admin checks registry add approval --approvers alice,bob --min 1 >/dev/null

# bob queued run 1: SVCCONN_USER=alice approves it, recorded as "<os> as alice"
[ "$(start 1 bob)" = 4 ] || fail "run 1 does not wait: $(cat "$work/start.out")"
id1=$(pending_id 1)
[ -n "$id1" ] || fail "no pending approval for run 1"
as alice approve "$id1" --comment ok >/dev/null
as admin audit --json >"$work/audit"
grep -A3 "\"actor\": \"$os as alice\"" "$work/audit" | grep -q '"action": "approval"' ||
  fail "the approval is not recorded as '$os as alice': $(tail -20 "$work/audit")"
if grep -q '"actor": "alice"' "$work/audit"; then
  fail "an audit record names alice alone"
fi
[ "$(start 1 bob)" = 0 ] || fail "run 1 is not granted after alice's approval"

# alice queued run 2: SVCCONN_USER=alice may not approve it
[ "$(start 2 alice)" = 4 ] || fail "run 2 does not wait: $(cat "$work/start.out")"
id2=$(pending_id 2)
set +e; as alice approve "$id2" >"$work/out" 2>&1; rc=$?; set -e
[ "$rc" = 5 ] || fail "alice approved her own run (exit $rc)"
grep -q "requested this run" "$work/out" || fail "refusal: $(cat "$work/out")"

# the OS user queued run 3: impersonating bob does not let it approve
[ "$(start 3 "$os")" = 4 ] || fail "run 3 does not wait: $(cat "$work/start.out")"
id3=$(pending_id 3)
set +e; as bob approve "$id3" >"$work/out" 2>&1; rc=$?; set -e
[ "$rc" = 5 ] || fail "'$os as bob' approved the run '$os' queued (exit $rc)"
grep -q "'$os as bob' requested this run" "$work/out" ||
  fail "refusal: $(cat "$work/out")"
# refusals change nothing: the audit log is as it was
as admin audit --json >"$work/audit2"
[ "$(grep -c '"action": "approval"' "$work/audit2")" = 1 ] ||
  fail "a refused approval was recorded"

# a connection's creator gets its role under the name it acts as
printf 'pw-456\n' | as admin create dockerregistry r2 --scheme Others \
  --set registry=https://r2.example.test/ --set username=ci --secret password=- >/dev/null
as admin security r2 | grep -q "^  Administrator  admin$" ||
  fail "r2's creator role is not admin's"
echo "impersonation: ok"
