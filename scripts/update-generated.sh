#!/usr/bin/env bash
# Regenerates what is generated from the format's definitions: the shipped JSON Schema and
# the README's field reference table. Tests fail until this has been run after a change.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -q
.build/debug/sluice schema > manifests/modeldeployment.schema.json
.build/debug/sluice schema --format markdown > .build/reference.md
python3 - <<'PY'
import re
readme = open("README.md").read()
table = open(".build/reference.md").read()
start, end = "<!-- reference:start -->\n", "<!-- reference:end -->"
head, rest = readme.split(start, 1)
_, tail = rest.split(end, 1)
open("README.md", "w").write(head + start + table + end + tail)
PY
echo "updated manifests/modeldeployment.schema.json and the README reference table"
