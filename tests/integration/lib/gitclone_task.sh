# A task for the tests: GitClone@1 clones a repository with git, its
# credentials from the job's broker (a connection input of type git).
#   gitclone_task DIR   writes DIR/GitCloneV1/{task.json,clone.sh}
gitclone_task() {
  mkdir -p "$1/GitCloneV1"
  cat > "$1/GitCloneV1/task.json" <<'JSON'
{
  "id": "6c0f1e7a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
  "name": "GitClone",
  "friendlyName": "git clone",
  "description": "Test task: clones a repository with git, credentials from the job's broker.",
  "author": "svcconn",
  "category": "Utility",
  "version": { "Major": 1, "Minor": 0, "Patch": 0 },
  "instanceNameFormat": "clone",
  "inputs": [
    { "name": "gitConnection", "type": "connectedService:git", "label": "Git server", "required": true },
    { "name": "repoUrl", "type": "string", "label": "Repository URL", "required": true },
    { "name": "dest", "type": "string", "label": "Directory", "required": true }
  ],
  "execution": { "Bash": { "target": "clone.sh" } }
}
JSON
  cat > "$1/GitCloneV1/clone.sh" <<'SH'
set -eu
export GIT_TERMINAL_PROMPT=0
rm -rf "$INPUT_DEST"
git clone -q "$INPUT_REPOURL" "$INPUT_DEST"
echo "cloned into $INPUT_DEST"
SH
}
