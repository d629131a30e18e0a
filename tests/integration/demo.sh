#!/usr/bin/env bash
# The README's demo runs to the end and finds no secret on disk.
set -euo pipefail
out=$(bash "$SVC_SOURCE_DIR/fixtures/demo/demo.sh" "$SVC_BIN_DIR" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 3
grep -q "none of the demo's secret values appears" <<<"$out"
