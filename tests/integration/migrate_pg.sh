#!/usr/bin/env bash
# `svcconn migrate`: a store on SQLite with connections of several types
# and their secrets, projects and a share, roles, an approval check, runs
# that waited and were approved (check runs, approvals, usage history),
# tokens, an agent pool and its registration token, OIDC keys and an audit
# log is copied to PostgreSQL, then from there to a new SQLite store
# directory.  At each hop: list --json, show --json of each connection,
# export with secrets, audit --json, history, approvals, checks, tokens,
# pools, projects and security give the same output as the source; the
# checksums both hops print are equal, and name every table both databases
# have; the PostgreSQL dump holds no secret in the clear (nor in hex);
# both copies take new rows.  A migrate into a database or directory that
# holds a store, or by a user who is not the store's Administrator, is
# refused and changes nothing; a source with one byte of
# a sealed secret changed is refused and leaves no target behind.  Needs
# the ctest fixture "pg" ($SVCCONN_TEST_PG).
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}" "${SVCCONN_TEST_PG:?}"
command -v sqlite3 >/dev/null || { echo "migrate_pg: needs the sqlite3 shell"; exit 1; }
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d /tmp/svcmigrate.XXXXXX)
base=$(cat "$SVCCONN_TEST_PG/url")
dbname="svcmigrate_$$"
cleanup() {
  psql -q "$base" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1 || true
  psql -q "$base" -c "DROP DATABASE IF EXISTS ${dbname}_b" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export SVCCONN_HOME="$work/src" SVCCONN_USER=admin
unset SVCCONN_DATABASE SVCCONN_KEY_FILE SVCCONN_SERVER SVCCONN_PROJECT
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
fail() { echo "migrate_pg: $*"; exit 1; }
psql -q "$base" -c "CREATE DATABASE $dbname" >/dev/null
url="${base%/*}/$dbname"

# ---- a store with something in every kind of table --------------------------
S1=migrate-secret-one-$RANDOM$RANDOM
S2=migrate-secret-two-$RANDOM$RANDOM
S3=migrate-secret-three-$RANDOM$RANDOM
printf '%s\n' "$S1" > "$work/s1"
printf '%s\n' "$S2" > "$work/s2"
printf '%s\n' "$S3" > "$work/s3"
svcconn init >/dev/null
svcconn create generic gh --url https://api.example.test --set username=u \
  --secret password=@"$work/s1" --description "generic one" >/dev/null
svcconn create github hub --scheme Token --secret AccessToken=@"$work/s2" >/dev/null
svcconn create dockerregistry registry --scheme Others \
  --set registry=https://r.example.test/ --set username=ci \
  --secret password=@"$work/s3" --grant-all-pipelines >/dev/null
svcconn checks registry add approval --approvers alice,bob --min 1 >/dev/null
svcconn security registry --grant alice=User >/dev/null
svcconn projects create team --description "a team" >/dev/null
svcconn share gh --project team --name gh-of-team >/dev/null
svcconn tokens create t1 --scopes full >/dev/null 2>&1
svcconn pools create dev --trusted >/dev/null
svcconn agents registration-token --pool dev >/dev/null 2>&1
svcconn oidc rotate >/dev/null
# two runs: each waits for its approval, is approved, then starts
start() {
  SVCCONN_USER=carol "$SVC_BIN_DIR/svcconn-agent" job-start \
    --pipeline-file "$SVC_SOURCE_DIR/fixtures/authz/pipeline.yml" \
    --pipeline app --stage Deploy --job Ship --run-id "$1" \
    --branch refs/heads/main --requested-by carol --var conn=registry \
    --job-dir "$work/job-$1-$2" >"$work/start.out" 2>&1 && echo 0 || echo $?
}
for run in 1 2; do
  [ "$(start $run a)" = 4 ] || fail "run $run does not wait: $(cat "$work/start.out")"
  id=$(svcconn approvals --pending --json | awk '/"id":/ { gsub(/[",]/, "", $2); print $2; exit }')
  [ -n "$id" ] || fail "no pending approval for run $run"
  SVCCONN_USER=alice svcconn approve "$id" --comment "ok $run" >/dev/null
  [ "$(start $run b)" = 0 ] || fail "run $run does not start: $(cat "$work/start.out")"
done
svcconn delete hub >/dev/null   # a gap in the ids, and an audit record
svcconn create github hub2 --scheme Token --secret AccessToken=@"$work/s2" >/dev/null

# everything the command line shows of a store, into file $1
snapshot() {
  local out=$1 c
  {
    echo "== list"; svcconn list --json
    echo "== list team"; svcconn --project team list --json
    for c in gh hub2 registry; do echo "== show $c"; svcconn show "$c" --json; done
    rm -f "$out.yml"
    svcconn export --include-secrets -o "$out.yml" >/dev/null 2>&1
    echo "== export"; cat "$out.yml"
    echo "== audit"; svcconn audit --json
    echo "== history"; svcconn history registry --json
    echo "== approvals"; svcconn approvals --json
    echo "== checks"; svcconn checks registry --json
    echo "== security"; svcconn security registry
    echo "== tokens"; svcconn tokens list --json
    echo "== pools"; svcconn pools list --json
    echo "== projects"; svcconn projects list --json
    echo "== oidc"; svcconn oidc keys --json
  } > "$out" 2>&1 || fail "reading the store failed: $(tail -5 "$out")"
}
snapshot "$work/before"
grep -q "$S1" "$work/before" || fail "the snapshot does not reach the secrets"

# ---- hop 1: SQLite -> PostgreSQL --------------------------------------------
svcconn migrate --to "$url" > "$work/hop1" 2>&1 || fail "migrate to PostgreSQL failed: $(cat "$work/hop1")"
cat "$work/hop1"
grep -q "^migrated .* rows of .* tables" "$work/hop1" || fail "no summary: $(cat "$work/hop1")"
SVCCONN_DATABASE=$url snapshot "$work/pg"
diff "$work/before" "$work/pg" > "$work/diff" || fail "the PostgreSQL store differs: $(head -40 "$work/diff")"
# the source is untouched
snapshot "$work/after1"
cmp -s "$work/before" "$work/after1" || fail "migrate changed its source"

# the list of tables is every table of both databases
sums() { awk 'NR > 1 && NF == 3 { print }' "$1"; }
sums "$work/hop1" | awk '{ print $1 }' | sort > "$work/tables"
psql -At "$url" -c "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ('svcconn_schema', 'svcconn_version') ORDER BY 1" | sort > "$work/pg_tables"
sqlite3 "$SVCCONN_HOME/store.db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence'" | sort > "$work/sqlite_tables"
diff "$work/tables" "$work/pg_tables" || fail "migrate's tables are not PostgreSQL's"
diff "$work/tables" "$work/sqlite_tables" || fail "migrate's tables are not SQLite's"
# ... with every column but the rowid that orders fields and oidc_keys
for t in $(cat "$work/tables"); do
  pc=$(psql -At "$url" -c "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '$t' AND column_name <> 'rowid'")
  sc=$(sqlite3 "$SVCCONN_HOME/store.db" "SELECT count(*) FROM pragma_table_info('$t')")
  [ "$pc" = "$sc" ] || fail "table $t has $pc columns on PostgreSQL and $sc on SQLite"
done
for t in audit usage_history approvals check_runs fields conn_macs oidc_keys access_tokens agent_pools conn_shares projects; do
  n=$(awk -v t="$t" '$1 == t { print $2 }' "$work/hop1")
  [ "${n:-0}" -gt 0 ] || fail "table $t was copied empty: the store should have rows there"
done

# the database holds no secret in the clear, nor in hex
"$pgbin/pg_dump" "$url" > "$work/dump.sql" || fail "pg_dump failed"
grep -q "registry.example.test\|r.example.test" "$work/dump.sql" || fail "the dump does not hold the store"
for s in "$S1" "$S2" "$S3"; do
  hex=$(printf '%s' "$s" | od -An -tx1 | tr -d ' \n')
  if grep -qF "$s" "$work/dump.sql"; then fail "a secret is in the PostgreSQL dump in the clear"; fi
  if grep -qiF "$hex" "$work/dump.sql"; then fail "a secret is in the PostgreSQL dump in hex"; fi
done

# a database that holds a store is refused, and stays as it was
# (pg_dump's \restrict lines carry a random key of each run)
data_dump() { "$pgbin/pg_dump" --data-only "$url" | grep -v '^\\\(un\)\?restrict '; }
data_dump > "$work/dump1.sql"
if out=$(svcconn migrate --to "$url" 2>&1); then fail "a migrate into a store succeeded"; fi
grep -q "is not empty: table 'meta'" <<<"$out" || fail "unexpected refusal: $out"
data_dump > "$work/dump2.sql"
cmp -s "$work/dump1.sql" "$work/dump2.sql" || fail "the refused migrate changed the target"

# only the store's Administrator migrates, and a refusal makes nothing
if out=$(SVCCONN_USER=bob svcconn migrate --to "$work/bob" 2>&1); then fail "bob migrated the store"; fi
grep -q "needs the Administrator role on the store" <<<"$out" || fail "unexpected refusal: $out"
[ ! -e "$work/bob" ] || fail "a refused migrate made its target directory"

# ---- hop 2: PostgreSQL -> a new SQLite store directory ----------------------
SVCCONN_DATABASE=$url svcconn migrate --to "$work/dst" > "$work/hop2" 2>&1 ||
  fail "migrate from PostgreSQL failed: $(cat "$work/hop2")"
diff <(sums "$work/hop1") <(sums "$work/hop2") || fail "the checksums of the two hops differ"
[ "$(stat -c %a "$work/dst")" = 700 ] || fail "the new store directory is not 0700"
[ "$(stat -c %a "$work/dst/master.key")" = 600 ] || fail "the key copy is not 0600"
cmp -s "$work/src/master.key" "$work/dst/master.key" || fail "the key copy differs"
[ ! -e "$work/dst/database" ] || fail "the SQLite copy names a database"
SVCCONN_HOME=$work/dst snapshot "$work/dst.out"
diff "$work/before" "$work/dst.out" > "$work/diff" || fail "the SQLite copy differs: $(head -40 "$work/diff")"
# into it again: refused, and it is unchanged
sqlite3 "$work/dst/store.db" .dump > "$work/dst1.sql"
if out=$(svcconn migrate --to "$work/dst" 2>&1); then fail "a migrate into a store directory succeeded"; fi
grep -q "is not empty" <<<"$out" || fail "unexpected refusal: $out"
sqlite3 "$work/dst/store.db" .dump > "$work/dst2.sql"
cmp -s "$work/dst1.sql" "$work/dst2.sql" || fail "the refused migrate changed the store directory"
# into the source itself: refused
if out=$(svcconn migrate --to "$work/src" 2>&1); then fail "a migrate into itself succeeded"; fi
grep -q "is not empty" <<<"$out" || fail "unexpected refusal: $out"

# ---- both copies take new rows ----------------------------------------------
for where in pg dst; do
  if [ $where = pg ]; then env=(SVCCONN_DATABASE="$url"); else env=(SVCCONN_HOME="$work/dst"); fi
  env "${env[@]}" "$SVC_BIN_DIR/svcconn" create generic "new-$where" --url https://n.example.test \
    --set username=n --secret password=@"$work/s1" >/dev/null || fail "create on $where failed"
  env "${env[@]}" "$SVC_BIN_DIR/svcconn" checks "new-$where" add approval --approvers bob >/dev/null ||
    fail "a check on $where failed"
  # the new records follow the copied ones with new ids
  old_ids=$(sed -n '/^== audit/,/^== history/p' "$work/before" | grep -c '^    "id": ')
  ids=$(env "${env[@]}" "$SVC_BIN_DIR/svcconn" audit --json | awk '/^    "id": / { gsub(/,/, "", $2); print $2 }')
  [ "$(sort -n <<<"$ids" | uniq | wc -l)" = "$(wc -l <<<"$ids")" ] || fail "audit ids repeat on $where"
  [ "$(wc -l <<<"$ids")" -eq $((old_ids + 2)) ] || fail "the audit of $where did not take the 2 new records"
  [ "$(sort -n <<<"$ids" | tail -1)" -gt "$old_ids" ] || fail "the new audit ids on $where are not past the copied ones"
  env "${env[@]}" "$SVC_BIN_DIR/svcconn" export "new-$where" --include-secrets -o "$work/new-$where.yml" >/dev/null
  grep -q "$S1" "$work/new-$where.yml" || fail "the new connection on $where does not read back"
done
n=$(psql -At "$url" -c "SELECT count(DISTINCT seq) = count(*) FROM audit")
[ "$n" = t ] || fail "audit sequence numbers repeat on PostgreSQL"

# ---- a tampered source is refused -------------------------------------------
cp -a "$work/src" "$work/tampered"
db="$work/tampered/store.db"
hex=$(sqlite3 "$db" "SELECT hex(sealed) FROM fields WHERE secret = 1 ORDER BY rowid LIMIT 1")
rid=$(sqlite3 "$db" "SELECT rowid FROM fields WHERE secret = 1 ORDER BY rowid LIMIT 1")
c=${hex:40:1}; [ "$c" = 0 ] && n=1 || n=0
sqlite3 "$db" "UPDATE fields SET sealed = X'${hex:0:40}${n}${hex:41}' WHERE rowid = $rid"
psql -q "$base" -c "CREATE DATABASE ${dbname}_b" >/dev/null
for to in "$work/fromtampered" "${base%/*}/${dbname}_b"; do
  if out=$(SVCCONN_HOME=$work/tampered svcconn migrate --to "$to" 2>&1); then
    fail "a tampered source was migrated to $to"
  fi
  grep -q "integrity check\|are not what was written" <<<"$out" || fail "unexpected refusal: $out"
done
[ ! -e "$work/fromtampered" ] || fail "the refused migrate left its store directory"
n=$(psql -At "${base%/*}/${dbname}_b" -c "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
[ "$n" = 0 ] || fail "the refused migrate left $n tables in PostgreSQL"
echo "migrate_pg: ok"
