#!/usr/bin/env bash
# Custom connection types (docs/custom-types.md): definitions loaded from
# the store's types/ directory and SVCCONN_TYPES_PATH, `svcconn types add`
# and `types remove` with every refusal (file, line and reason; nothing
# installed), and a custom type used end to end like a built-in one:
# create with validation, secrets encrypted and hidden, show, export and
# import, a pipeline's task input of type connectedService:<id>, the real
# azure-pipelines-task-lib reading it in a step, and its secret masked in
# the step's output.
set -uo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svctypes.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
unset SVCCONN_TYPES_PATH
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
shipped="$SVC_SOURCE_DIR/types"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
# check NAME CMD...: CMD must succeed
check() { local name=$1; shift; if "$@" >"$work/out" 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/# /' "$work/out"; fi; }

svcconn init >/dev/null

# ---- installing ------------------------------------------------------------
# the shipped definitions are read from the build tree as from an
# installation (share/svcconn/types); a fresh store has none of its own
check "a fresh store has no definition of its own" bash -c "[ -z \"\$(ls -A '$SVCCONN_HOME/types' 2>/dev/null)\" ]"
check "the shipped Power Platform type is listed" bash -c "'$SVC_BIN_DIR/svcconn' types | grep -q '^powerplatform-spn '"
check "types add installs the shipped Power Platform definition" \
	svcconn types add "$shipped/powerplatform-spn.yml"
check "installed as <store>/types/ID.yml, 0600 in a 0700 directory" bash -c \
	"[ \"\$(stat -c %a '$SVCCONN_HOME/types')\" = 700 ] && [ \"\$(stat -c %a '$SVCCONN_HOME/types/powerplatform-spn.yml')\" = 600 ]"
check "types lists it" bash -c "'$SVC_BIN_DIR/svcconn' types | grep -q '^powerplatform-spn  *Power Platform  *None'"
check "types --json marks it custom" bash -c \
	"'$SVC_BIN_DIR/svcconn' types powerplatform-spn --json | grep -q '\"custom\": true'"

# refuse NAME WANT_MESSAGE FILE: types add FILE fails with exit 2, says
# WANT_MESSAGE, and installs nothing
refuse() {
	local name=$1 want=$2 file=$3 before after
	before=$(ls "$SVCCONN_HOME/types" | sort)
	svcconn types add "$file" >"$work/out" 2>&1
	local rc=$?
	after=$(ls "$SVCCONN_HOME/types" | sort)
	if [ "$rc" != 0 ] && grep -q -- "$want" "$work/out" && [ "$before" = "$after" ] &&
	   grep -q "nothing was installed" "$work/out"; then
		ok "types add refuses $name"
	else
		not_ok "types add refuses $name (rc $rc)"
		sed 's/^/# /' "$work/out"
	fi
}
def() { cat >"$work/$1.yml"; echo "$work/$1.yml"; }
refuse "a built-in id" "bad-github.yml:1:1: error: 'github' is a built-in type and cannot be redefined" "$(def bad-github <<'EOF'
id: github
name: My GitHub
schemes: [{id: Token, fields: [{key: token, kind: auth, secret: true}]}]
EOF
)"
refuse "an alias of a built-in id" "'Azure' is a built-in type" "$(def bad-alias <<'EOF'
id: Azure
name: Azure again
schemes: [{id: None}]
EOF
)"
refuse "broken YAML, at its line" "bad-yaml.yml:4:1: error: invalid YAML" "$(def bad-yaml <<'EOF'
id: x1
name: X
schemes: [ {id: None
EOF
)"
refuse "an unknown key, at its line" "bad-key.yml:5:36: error: unknown key 'secrett' in a field" "$(def bad-key <<'EOF'
id: x2
name: X
schemes:
  - id: Basic
    fields: [{key: pw, kind: auth, secrett: true}]
EOF
)"
refuse "a bad field kind" "bad-kind.yml:6:25: error: field 'pw': kind must be auth, data or url" "$(def bad-kind <<'EOF'
id: x3
name: X
schemes:
  - id: Basic
    fields:
      - {key: pw, kind: header}
EOF
)"
refuse "an invalid regular expression" "bad-regex.yml:6:.*regex: .(. without its .). (at byte 1 of the pattern)" "$(def bad-regex <<'EOF'
id: x4
name: X
schemes:
  - id: Basic
    fields:
      - {key: code, kind: data, validate: {regex: "a(b"}}
EOF
)"
refuse "an id with a NUL byte" "bad-nul-id.yml:1:5: error: 'id' holds a NUL byte" "$(def bad-nul-id <<'EOF'
id: "x6\0evil"
name: X
schemes: [{id: None}]
EOF
)"
refuse "a field key with a control character" "bad-ctl-key.yml:5:.*'key' holds a control character (0x1b)" "$(def bad-ctl-key <<'EOF'
id: x7
name: X
schemes:
  - id: None
    fields: [{key: "k\e[2J", kind: data}]
EOF
)"
refuse "a display name with a NUL byte" "bad-nul-name.yml:2:.*'name' holds a NUL byte" "$(def bad-nul-name <<'EOF'
id: x8
name: "X\0Y"
schemes: [{id: None}]
EOF
)"
refuse "a default its own validation rejects" "the default is not valid" "$(def bad-default <<'EOF'
id: x5
name: X
schemes:
  - id: Basic
    fields:
      - {key: region, kind: data, default: north, validate: {enum: [east, west]}}
EOF
)"
refuse "requiredWhen naming no field" "requiredWhen names no field" "$(def bad-when <<'EOF'
id: x6
name: X
schemes:
  - id: Basic
    fields:
      - {key: user, kind: auth, requiredWhen: "mode=basic"}
EOF
)"
refuse "a verify URL naming no field" "'{token}' names no field of the type" "$(def bad-verify <<'EOF'
id: x7
name: X
schemes:
  - id: Basic
    fields: [{key: url, kind: url, required: true}, {key: pw, kind: auth, secret: true}]
verify: {url: "{url}/api?t={token}"}
EOF
)"
refuse "a verify URL that does not start with its base" "the verify url must start with {url} or a field validated as a URL" "$(def bad-base <<'EOF'
id: x8
name: X
schemes:
  - id: Basic
    fields: [{key: url, kind: url, required: true}, {key: pw, kind: auth, secret: true}]
verify: {url: "https://example.test/{pw}"}
EOF
)"
refuse "a verify base field without URL validation" "'{host}' starts the verify url, so it must have validate: url" "$(def bad-host <<'EOF'
id: x9
name: X
schemes:
  - id: Basic
    fields: [{key: host, kind: data, required: true}]
verify: {url: "{host}/api"}
EOF
)"
refuse "an id installed already, without --replace" "is installed already" "$shipped/powerplatform-spn.yml"
check "types add --replace replaces it" svcconn types add --replace "$shipped/powerplatform-spn.yml"
refuse "a file that is not there" "no-such.yml" "$work/no-such.yml"

# ---- loading ---------------------------------------------------------------
mkdir -p "$work/path1" "$work/path2"
cp "$shipped/vmware.yml" "$work/path1/"
sed 's/^name: .*/name: VMware from path2/' "$shipped/vmware.yml" >"$work/path2/vmware.yml"
check "SVCCONN_TYPES_PATH adds definitions, the first of an id wins" bash -c \
	"SVCCONN_TYPES_PATH='$work/path1:$work/path2' '$SVC_BIN_DIR/svcconn' types | grep -q '^vmware  *VMware vCenter Server '"
printf 'id: broken\nname: B\nschemes: [{id: None, fields: [{key: k, kind: nope}]}]\n' >"$work/path2/zz-broken.yml"
SVCCONN_TYPES_PATH="$work/path2" svcconn types >"$work/out" 2>&1
if [ $? = 0 ] && grep -q "zz-broken.yml:3:.*warning: .*kind must be auth, data or url (definition skipped)" "$work/out" &&
   grep -q "^vmware .*from path2" "$work/out" && ! grep -q "^broken " "$work/out"; then
	ok "a malformed definition on the path is skipped with a warning naming file and line; the rest loads"
else
	not_ok "a malformed definition on the path is skipped with a warning naming file and line; the rest loads"; sed 's/^/# /' "$work/out"
fi
rm "$work/path2/zz-broken.yml"

# ---- regular expressions that cannot blow up ----------------------------------
# glibc's regcomp() expanded this one into gigabytes: every command hung
cat >"$work/path2/zz-hostile.yml" <<'EOF'
id: hostile
name: Hostile
schemes:
  - id: None
    fields:
      - key: x
        kind: data
        validate: {regex: "((a{0,255}){0,255}){0,255}"}
EOF
# 1 GiB of address space (not under AddressSanitizer, which reserves more)
if grep -q __asan_init "$SVC_BIN_DIR/svcconn"; then vlimit=unlimited; else vlimit=1048576; fi
limits() { ( ulimit -v $vlimit; timeout 20 "$@" ); }
limits "$SVC_BIN_DIR/svcconn" types add "$work/path2/zz-hostile.yml" >"$work/out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "zz-hostile.yml:8:.*regex: the pattern is too large once its repeats are counted out" "$work/out" &&
   [ ! -e "$SVCCONN_HOME/types/hostile.yml" ]; then
	ok "types add refuses nested counted repeats at file, line and column, in bounded time and memory"
else
	not_ok "types add refuses nested counted repeats at file, line and column, in bounded time and memory (rc $rc)"; sed 's/^/# /' "$work/out"
fi
mkfifo "$work/path2/zz-fifo.yml"
SVCCONN_TYPES_PATH="$work/path2" limits "$SVC_BIN_DIR/svcconn" types >"$work/out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "zz-hostile.yml:8:.*warning: regex: .*(definition skipped)" "$work/out" &&
   grep -q "zz-fifo.yml: warning: not a regular file (definition skipped)" "$work/out" &&
   grep -q "^vmware .*from path2" "$work/out"; then
	ok "on the path, the hostile definition and a FIFO are skipped with warnings; svcconn works"
else
	not_ok "on the path, the hostile definition and a FIFO are skipped with warnings; svcconn works (rc $rc)"; sed 's/^/# /' "$work/out"
fi
check "and svcconn-agent works with them on the path" env SVCCONN_TYPES_PATH="$work/path2" \
	bash -c "ulimit -v $vlimit; echo hello | timeout 20 '$SVC_BIN_DIR/svcconn-agent' mask --secrets-file /dev/null | grep -q hello"
rm "$work/path2/zz-hostile.yml" "$work/path2/zz-fifo.yml"
cat >"$work/re.yml" <<'EOF'
id: re-check
name: Regex check
schemes:
  - id: None
    fields:
      - key: host
        kind: data
        validate: {regex: "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?){0,20}"}
      - key: code
        kind: data
        validate: {regex: "[[:upper:]]{2}\\d{3}|x"}
EOF
check "types add installs a definition with bounded repeats" svcconn types add "$work/re.yml"
check "a value matching the whole pattern is accepted" \
	svcconn create re-check re1 --set host=a-1.b.example --set code=AB123
for bad in "host=-a.b" "host=a.b." "code=AB1234" "code=ab123" "code=xx"; do
	svcconn create re-check re2 --set "$bad" >"$work/out" 2>&1
	if [ $? = 2 ] && grep -q "does not match the required pattern" "$work/out"; then
		ok "a value that does not match the whole pattern is refused ($bad)"
	else
		not_ok "a value that does not match the whole pattern is refused ($bad)"; sed 's/^/# /' "$work/out"
	fi
done

# ---- a custom type like a built-in one --------------------------------------
printf 'pp-Client-S3cret~value' >"$work/secret"
check "create validates and stores a Power Platform connection" \
	svcconn create powerplatform-spn pp --url https://contoso.crm4.dynamics.com \
	--set tenantId=72f988bf-86f1-41af-91ab-2d7cd011db47 \
	--set applicationId=0c1d2e3f-1111-4222-8333-944455566677 --secret clientSecret=@"$work/secret"
svcconn create powerplatform-spn pp2 --url https://contoso.crm4.dynamics.com --set tenantId=not-a-guid \
	--set applicationId=0c1d2e3f-1111-4222-8333-944455566677 --secret clientSecret=@"$work/secret" >"$work/out" 2>&1
if [ $? = 2 ] && grep -q "invalid value for field 'tenantId' (Tenant ID): not a GUID" "$work/out"; then
	ok "create checks a custom field's validation"
else
	not_ok "create checks a custom field's validation"; sed 's/^/# /' "$work/out"
fi
svcconn create powerplatform-spn pp3 --url https://x.example --set tenantId=72f988bf-86f1-41af-91ab-2d7cd011db47 \
	--set applicationId=0c1d2e3f-1111-4222-8333-944455566677 --set clientSecret=inline >"$work/out" 2>&1
if [ $? != 0 ] && grep -q "secret" "$work/out"; then ok "a custom secret field is refused in --set"; else not_ok "a custom secret field is refused in --set"; sed 's/^/# /' "$work/out"; fi
check "show hides the secret and shows the default" bash -c \
	"'$SVC_BIN_DIR/svcconn' show pp | grep -q 'clientSecret  *\*\*\*' && '$SVC_BIN_DIR/svcconn' show pp | grep -q 'authorityUrl  *https://login.microsoftonline.com'"
check "the secret is not in the store's files in the clear" bash -c \
	"! cat '$SVCCONN_HOME'/store.db* | grep -a -q 'pp-Client-S3cret'"
check "list shows it" bash -c "'$SVC_BIN_DIR/svcconn' list | grep -q '^pp  *powerplatform-spn'"
svcconn export pp --include-secrets --output "$work/export.yml" >/dev/null 2>&1
SVCCONN_HOME="$work/home2" svcconn init >/dev/null
cp -r "$SVCCONN_HOME/types" "$work/home2/"
check "export and import into another store with the type" bash -c \
	"SVCCONN_HOME='$work/home2' '$SVC_BIN_DIR/svcconn' import '$work/export.yml' && SVCCONN_HOME='$work/home2' '$SVC_BIN_DIR/svcconn' show pp | grep -q 'tenantId  *72f988bf'"
SVCCONN_HOME="$work/home3" svcconn init >/dev/null
sed 's/powerplatform-spn/nosuch-custom/g' "$work/export.yml" >"$work/export-unknown.yml"
SVCCONN_HOME="$work/home3" svcconn import "$work/export-unknown.yml" >"$work/out" 2>&1
if [ $? != 0 ] && grep -q "nosuch-custom" "$work/out"; then
	ok "import of a type no store defines is refused"
else
	not_ok "import of a type no store defines is refused"; sed 's/^/# /' "$work/out"
fi
svcconn permissions pp --all-pipelines >/dev/null

cat >"$work/p.yml" <<'YAML'
jobs:
  - job: Deploy
    steps:
      - task: PowerPlatformProbe@1
        inputs:
          PowerPlatformSPN: pp
YAML
check "plan resolves a connectedService:powerplatform-spn input to it" bash -c \
	"'$SVC_BIN_DIR/svcconn' plan '$work/p.yml' --tasks-dir '$SVC_SOURCE_DIR/fixtures/tasks' | grep -q pp"
agent job-start --pipeline-file "$work/p.yml" --pipeline deploy --job Deploy --run-id 1 \
	--tasks-dir "$SVC_SOURCE_DIR/fixtures/tasks" --job-dir "$work/job" >"$work/out" 2>&1 ||
	{ not_ok "job-start"; sed 's/^/# /' "$work/out"; }
agent step --job-dir "$work/job" --step 0 -- node "$SVC_SOURCE_DIR/fixtures/tasks/PowerPlatformProbeV1/probe.js" \
	"$deps/node_modules" "$work/read.json" >"$work/log.txt" 2>&1 ||
	{ not_ok "the step ran"; sed 's/^/# /' "$work/log.txt"; }
id=$(svcconn show pp --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
if node -e '
const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const want = { id: process.argv[2], url: "https://contoso.crm4.dynamics.com", scheme: "None",
  tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47", applicationId: "0c1d2e3f-1111-4222-8333-944455566677",
  clientSecret: "pp-Client-S3cret~value", authorityUrl: "https://login.microsoftonline.com" };
if (JSON.stringify(o) !== JSON.stringify(want)) { console.log(JSON.stringify(o)); process.exit(1); }' "$work/read.json" "$id"; then
	ok "azure-pipelines-task-lib reads the custom connection's URL, scheme, auth and data"
else
	not_ok "azure-pipelines-task-lib reads the custom connection's URL, scheme, auth and data"
fi
if grep -q "connecting with client secret \*\*\*" "$work/log.txt" && ! grep -q "S3cret" "$work/log.txt"; then
	ok "its secret field is masked in the step's output"
else
	not_ok "its secret field is masked in the step's output"; sed 's/^/# /' "$work/log.txt"
fi
agent job-end --job-dir "$work/job" --result Succeeded >/dev/null 2>&1

# ---- removing ---------------------------------------------------------------
svcconn types remove powerplatform-spn >"$work/out" 2>&1
if [ $? != 0 ] && grep -q "used by 1 connection ('pp')" "$work/out" &&
   [ -f "$SVCCONN_HOME/types/powerplatform-spn.yml" ]; then
	ok "types remove refuses while a connection of the type exists"
else
	not_ok "types remove refuses while a connection of the type exists"; sed 's/^/# /' "$work/out"
fi
svcconn types remove github >"$work/out" 2>&1
if [ $? != 0 ] && grep -q "built-in" "$work/out"; then ok "types remove refuses a built-in type"; else not_ok "types remove refuses a built-in type"; fi
svcconn delete pp --yes >/dev/null 2>&1 || svcconn delete pp >/dev/null 2>&1
check "types remove removes it once unused" svcconn types remove powerplatform-spn
check "and its file is gone (the shipped definition stays)" bash -c "[ ! -e '$SVCCONN_HOME/types/powerplatform-spn.yml' ]"
SVCCONN_USER=nobody svcconn types add "$shipped/scvmm.yml" >"$work/out" 2>&1
if [ $? != 0 ] && [ ! -e "$SVCCONN_HOME/types/scvmm.yml" ]; then
	ok "types add needs the Administrator role"
else
	not_ok "types add needs the Administrator role"; sed 's/^/# /' "$work/out"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
