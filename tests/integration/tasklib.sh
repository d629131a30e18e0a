#!/usr/bin/env bash
# The agent contract against the real azure-pipelines-task-lib (installed
# from npm by this test, not vendored): a task reads, through getInput,
# getEndpointUrl, getEndpointAuthorization, ...Scheme, ...Parameter and
# getEndpointDataParameter, exactly the stored values of connections of six
# types, and only those its own inputs reference.
set -euo pipefail
: "${SVC_BIN_DIR:?}" "${SVC_SOURCE_DIR:?}"
. "$SVC_SOURCE_DIR/tests/support/node-deps.sh"
work=$(mktemp -d /tmp/svctasklib.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SVCCONN_HOME="$work/home" SVCCONN_USER=admin
svcconn() { "$SVC_BIN_DIR/svcconn" "$@"; }
agent() { "$SVC_BIN_DIR/svcconn-agent" "$@"; }
secret() { printf '%s' "$2" > "$work/$1"; echo "$work/$1"; }

svcconn init >/dev/null
svcconn create github gh --scheme Token --secret AccessToken=@"$(secret gh 'ghp_probeTOKEN123')" >/dev/null
svcconn create dockerregistry reg --scheme Others --set registry=https://registry.example.test/ \
  --set username=regbot --secret password=@"$(secret reg 'reg-Pa55!;%')" >/dev/null
svcconn create azurerm arm --scheme ServicePrincipal --set authenticationType=spnKey \
  --set serviceprincipalid=0c1d2e3f-1111-4222-8333-944455566677 \
  --set tenantid=7a8b9c0d-1111-4222-8333-944455566677 \
  --set subscriptionId=5e6f7a8b-1111-4222-8333-944455566677 --set subscriptionName=prod \
  --secret serviceprincipalkey=@"$(secret arm 'spn secret "quoted"')" >/dev/null
ssh-keygen -q -t ed25519 -N 'key-passphrase' -C tasklib -f "$work/key"
svcconn create ssh deploy --set Host=host.example.test --set Port=2222 --set username=deployer \
  --set hostKey="host.example.test ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVtZW1vLWhvc3Qta2V5LWZvci10aGUtZGVtby0xMjM0" \
  --secret PrivateKey=@"$work/key" --secret password=@"$(secret pass 'key-passphrase')" >/dev/null
svcconn create generic api --url https://api.example.test/v1 --set username=apiuser \
  --secret password=@"$(secret api 'api-token-xyz')" >/dev/null
svcconn create externalnpmregistry npm-a --scheme Token --url https://npm-a.example.test/ \
  --secret apitoken=@"$(secret npma 'npm_tokenA')" >/dev/null
svcconn create externalnpmregistry npm-b --scheme Token --url https://npm-b.example.test/ \
  --secret apitoken=@"$(secret npmb 'npm_tokenB')" >/dev/null
svcconn create generic unused --url https://unused.example.test \
  --secret password=@"$(secret unused 'never-injected')" --grant-all-pipelines >/dev/null
for c in gh reg arm deploy api npm-a npm-b; do svcconn permissions "$c" --all-pipelines >/dev/null; done

cat > "$work/p.yml" <<YAML
variables:
  feed2: npm-b
jobs:
  - job: Probe
    steps:
      - task: SvcProbe@1
        inputs:
          github: gh
          containerRegistry: reg
          azureSubscription: arm
          sshEndpoint: deploy
          serviceConnection: api
          customEndpoint: npm-a, \$(feed2)
          message: hello \$(feed2)
YAML
agent job-start --pipeline-file "$work/p.yml" --pipeline probe --job Probe --run-id 1 \
  --tasks-dir "$SVC_SOURCE_DIR/fixtures/tasks" --job-dir "$work/job" >/dev/null
agent step --job-dir "$work/job" --step 0 -- node "$SVC_SOURCE_DIR/fixtures/tasks/SvcProbeV1/probe.js" \
  "$deps/node_modules" "$work/out.json" > "$work/log.txt" 2>&1 || { cat "$work/log.txt"; exit 1; }
id_of() { svcconn show "$1" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))'; }
node - "$work/out.json" "$(id_of gh)" "$(id_of reg)" "$(id_of arm)" "$(id_of deploy)" "$(id_of api)" \
  "$(id_of npm-a)" "$(id_of npm-b)" "$(cat "$work/key")" <<'NODE'
const fs = require('fs');
const [file, gh, reg, arm, ssh, api, npma, npmb, key] = process.argv.slice(2);
const o = JSON.parse(fs.readFileSync(file, 'utf8'));
let failures = 0;
const eq = (what, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) { console.log(`FAIL ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`); failures++; }
};
const i = o.inputs;
eq('message', o.message, 'hello npm-b');
eq('github id', i.gitHubConnection.id, gh);
eq('github url', i.gitHubConnection.url, 'https://github.com');
eq('github scheme', i.gitHubConnection.scheme, 'Token');
eq('github token', i.gitHubConnection.params.AccessToken, 'ghp_probeTOKEN123');
eq('github auth json', i.gitHubConnection.auth, { parameters: { AccessToken: 'ghp_probeTOKEN123' }, scheme: 'Token' });
eq('registry id', i.containerRegistry.id, reg);
eq('registry password', i.containerRegistry.params.password, 'reg-Pa55!;%');
eq('registry user', i.containerRegistry.params.username, 'regbot');
eq('registry registry', i.containerRegistry.params.registry, 'https://registry.example.test/');
eq('registry type', i.containerRegistry.data.registrytype, 'Others');
eq('arm id (alias)', i.connectedServiceNameARM.id, arm);
eq('arm scheme', i.connectedServiceNameARM.scheme, 'ServicePrincipal');
eq('arm key', i.connectedServiceNameARM.params.serviceprincipalkey, 'spn secret "quoted"');
eq('arm tenant', i.connectedServiceNameARM.params.tenantid, '7a8b9c0d-1111-4222-8333-944455566677');
eq('arm subscription (data)', i.connectedServiceNameARM.data.subscriptionId, '5e6f7a8b-1111-4222-8333-944455566677');
eq('arm environment default', i.connectedServiceNameARM.data.environment, 'AzureCloud');
eq('arm url', i.connectedServiceNameARM.url, 'https://management.azure.com/');
eq('ssh id', i.sshEndpoint.id, ssh);
eq('ssh host', i.sshEndpoint.data.Host, 'host.example.test');
eq('ssh port', i.sshEndpoint.data.Port, '2222');
eq('ssh key (data)', i.sshEndpoint.data.PrivateKey, key);
eq('ssh passphrase', i.sshEndpoint.params.password, 'key-passphrase');
eq('generic url', i.serviceConnection.url, 'https://api.example.test/v1');
eq('generic user', i.serviceConnection.params.username, 'apiuser');
eq('generic password', i.serviceConnection.params.password, 'api-token-xyz');
eq('feeds', o.feeds, [{ id: npma, url: 'https://npm-a.example.test/', token: 'npm_tokenA' },
                      { id: npmb, url: 'https://npm-b.example.test/', token: 'npm_tokenB' }]);
if (failures) process.exit(1);
console.log('azure-pipelines-task-lib read 7 connections of 6 types correctly');
NODE
# a connection the step does not reference is not in its environment
agent step --job-dir "$work/job" --step 0 -- /usr/bin/env > "$work/env.txt"
if grep -q "never-injected\|$(id_of unused)" "$work/env.txt"; then
  echo "FAIL: an unreferenced connection reached the step"; exit 1
fi
grep -q '^INPUT_CONNECTEDSERVICENAMEARM=' "$work/env.txt" || { echo "FAIL: alias not mapped to the input's name"; exit 1; }
echo "only the step's own connections were injected"
agent job-end --job-dir "$work/job" --result Succeeded >/dev/null
