#!/usr/bin/env bash
# Regenerates what is generated from the format's and the commands' definitions: the shipped
# JSON Schemas of manifests and of sluice.yaml, the manifest field reference table in
# docs/manifests.md, the sluice.yaml table in docs/serve-config.md, the API's roles table in
# docs/controller.md, the command-line reference
# docs/cli-reference.md and the man page docs/sluice.1. Tests fail until this has been run
# after a change.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -q
.build/debug/sluice schema > manifests/modeldeployment.schema.json
.build/debug/sluice schema --format markdown > .build/reference.md
mkdir -p schema
.build/debug/sluice schema --config > schema/sluice-config.schema.json
.build/debug/sluice schema --config --format markdown > .build/config-reference.md
.build/debug/sluice cli-reference --api-roles > .build/api-roles.md
python3 - <<'PY'
def splice(doc, generated, marker):
    """Replaces what lies between <!-- MARKER:start --> and <!-- MARKER:end --> in DOC."""
    docs = open(doc).read()
    table = open(generated).read()
    start, end = "<!-- %s:start -->\n" % marker, "<!-- %s:end -->" % marker
    head, rest = docs.split(start, 1)
    _, tail = rest.split(end, 1)
    open(doc, "w").write(head + start + table + end + tail)
splice("docs/manifests.md", ".build/reference.md", "reference")
splice("docs/serve-config.md", ".build/config-reference.md", "config-reference")
splice("docs/controller.md", ".build/api-roles.md", "api-roles")
PY
.build/debug/sluice cli-reference > docs/cli-reference.md
# The man page, through swift-argument-parser's generate-manual plugin (it builds the package
# in debug, then runs `sluice --experimental-dump-help`). Its date is that of the last change
# to the commands, so the page changes only when they do; the cache directory's default is
# spelled as in the help, not as this machine's home directory.
swift package plugin generate-manual --configuration debug \
  --date "$(git log -1 --format=%cs -- Sources/sluice)" --section 1 > .build/generate-manual.log 2>&1 \
  || { cat .build/generate-manual.log >&2; exit 1; }
cache_default="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/repos"
sed "s|${cache_default}|~/.cache/sluice/repos|g" .build/plugins/GenerateManual/outputs/sluice/sluice.1 > docs/sluice.1
echo "updated the JSON Schemas (manifests/, schema/), the reference tables in docs/manifests.md, docs/serve-config.md and docs/controller.md, docs/cli-reference.md and docs/sluice.1"
