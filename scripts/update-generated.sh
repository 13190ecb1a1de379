#!/usr/bin/env bash
# Regenerates what is generated from the format's definitions: the shipped JSON Schemas of
# manifests and of sluice.yaml, the manifest field reference table in docs/manifests.md and the
# sluice.yaml table in docs/serve-config.md. Tests fail until this has been run after a change.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -q
.build/debug/sluice schema > manifests/modeldeployment.schema.json
.build/debug/sluice schema --format markdown > .build/reference.md
mkdir -p schema
.build/debug/sluice schema --config > schema/sluice-config.schema.json
.build/debug/sluice schema --config --format markdown > .build/config-reference.md
python3 - <<'PY'
import re
docs = open("docs/manifests.md").read()
table = open(".build/reference.md").read()
start, end = "<!-- reference:start -->\n", "<!-- reference:end -->"
head, rest = docs.split(start, 1)
_, tail = rest.split(end, 1)
open("docs/manifests.md", "w").write(head + start + table + end + tail)
docs = open("docs/serve-config.md").read()
table = open(".build/config-reference.md").read()
start, end = "<!-- config-reference:start -->\n", "<!-- config-reference:end -->"
head, rest = docs.split(start, 1)
_, tail = rest.split(end, 1)
open("docs/serve-config.md", "w").write(head + start + table + end + tail)
PY
echo "updated the JSON Schemas (manifests/, schema/), the reference tables in docs/manifests.md and docs/serve-config.md"
