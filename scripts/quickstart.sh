#!/usr/bin/env bash
# The README's first command: installs what is missing, builds sluice, validates the
# example manifest tree, shows a broken manifest's errors, checks the shipped JSON Schema,
# then plans a change in a demo git repository and rolls it back with a revert commit.
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
echo "== sluice plan and sluice rollback on a demo repository made from manifests/"
demo=$(mktemp -d)
trap 'rm -f "$schema"; rm -rf "$demo"' EXIT
sluice_abs="$PWD/$sluice"
git -C "$demo" init -q -b main
mkdir -p "$demo/manifests" && cp manifests/models/*.yaml "$demo/manifests/"
gitc() { git -C "$demo" -c user.name=Quickstart -c user.email=quickstart@example.com -c commit.gpgsign=false "$@"; }
gitc add -A && gitc commit -q -m "Three models"
sed -i 's/v2.1: 0/v2.1: 50/; s/v2.2: 100/v2.2: 50/' "$demo/manifests/fraud-detector.yaml"
gitc commit -q -am "fraud-detector: split 50/50"
expect_status() {  # expected, then the command
  local expected=$1; shift
  local status=0
  "$@" || status=$?
  if [ "$status" -ne "$expected" ]; then echo "quickstart: expected exit $expected from: $*; got $status" >&2; exit 1; fi
}
echo "-- the plan of the last commit (exit 1: changes)"
expect_status 1 "$sluice_abs" plan --repo "$demo" --path manifests
echo "-- sluice rollback fraud-detector: a revert commit, validated first"
expect_status 0 "$sluice_abs" rollback fraud-detector --repo "$demo" --path manifests
gitc log --oneline -3
echo "-- the plan of the revert: a fast rollback, no steps, no analysis"
plan_output=$("$sluice_abs" plan --repo "$demo" --path manifests || true)
echo "$plan_output"
if ! grep -q "fast rollback" <<<"$plan_output"; then
  echo "quickstart: the revert should plan as a fast rollback" >&2
  exit 1
fi

echo
echo "quickstart: all stages did what they claimed"
