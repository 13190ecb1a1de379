#!/usr/bin/env bash
# The README's first command: installs what is missing, builds sluice, validates the
# example manifest tree, shows a broken manifest's errors, and prints the JSON Schema's head.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
sluice=.build/release/sluice
echo "== sluice validate manifests/  (the example desired state)"
"$sluice" validate manifests/
echo
echo "== sluice validate examples/invalid/  (a manifest with mistakes; exit 1 is expected)"
status=0
"$sluice" validate examples/invalid/ || status=$?
if [ "$status" -ne 1 ]; then
  echo "quickstart: expected exit 1 for the broken example, got $status" >&2
  exit 1
fi
echo
echo "== sluice schema | head  (the JSON Schema editors use)"
schema=$(mktemp)
trap 'rm -f "$schema"' EXIT
"$sluice" schema > "$schema"
head -12 "$schema"
if ! cmp -s "$schema" manifests/modeldeployment.schema.json; then
  echo "quickstart: manifests/modeldeployment.schema.json is stale; run: $sluice schema > manifests/modeldeployment.schema.json" >&2
  exit 1
fi
echo
echo "quickstart: all stages did what they claimed"
