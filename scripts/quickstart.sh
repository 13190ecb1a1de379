#!/usr/bin/env bash
# The README's first command: installs what is missing, builds sluice, validates the
# example manifest tree, shows a broken manifest's errors, checks the shipped JSON Schema,
# then plans a change in a demo git repository and rolls it back with a revert commit,
# and finally runs the data plane (`sluice serve`) with the example model server.
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
echo "== sluice serve: the data plane, with the example V2 model server (python3 stdlib)"
work=$(mktemp -d)
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then kill "$serve_pid"; wait "$serve_pid" || true; fi
  rm -f "$schema"; rm -rf "$demo" "$work"
}
trap cleanup EXIT
# examples/sluice.yaml with free ports and a scratch state directory.
sed -e 's#listen: 127.0.0.1:8080#listen: 127.0.0.1:0#' -e 's#listen: 127.0.0.1:8081#listen: 127.0.0.1:0#' \
    -e "s#stateDirectory: ../.sluice/serve#stateDirectory: $work/state#" \
    -e "s#artifactRoot: ..#artifactRoot: $PWD#" -e "s#workingDirectory: ..#workingDirectory: $PWD#" \
    examples/sluice.yaml > "$work/sluice.yaml"
"$sluice_abs" serve --config "$work/sluice.yaml" > "$work/serve.out" 2> "$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do grep -q "admin on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
cat "$work/serve.out"
inference=$(sed -n 's/.*inference on \([^,]*\),.*/\1/p' "$work/serve.out")
admin=$(sed -n 's/.*admin on //p' "$work/serve.out")
[ -n "$inference" ] && [ -n "$admin" ] || { echo "quickstart: sluice serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
admin_call() {  # METHOD PATH [BODY]: prints the body, fails unless 200
  python3 - "$admin" "$(cat "$work/state/admin-token")" "$@" <<'PY'
import sys, urllib.request
address, token, method, path = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
request = urllib.request.Request(f"http://{address}{path}", data=body, method=method,
                                 headers={"Authorization": f"Bearer {token}"})
try:
    print(urllib.request.urlopen(request, timeout=30).read().decode())
except urllib.error.HTTPError as error:
    print(error.read().decode(), file=sys.stderr); sys.exit(1)
PY
}
spec() {  # v2.1 weight, v2.2 weight
  echo "{\"revision\":\"quickstart\",\"models\":[{\"name\":\"fraud-detector\",\"versions\":[{\"name\":\"v2.1\",\"runtime\":\"python-v2\",\"artifact\":\"examples/models/fraud-v2.1.json\"},{\"name\":\"v2.2\",\"runtime\":\"python-v2\",\"artifact\":\"examples/models/fraud-v2.2.json\"}],\"route\":{\"weights\":{\"v2.1\":$1,\"v2.2\":$2}}}]}"
}
echo "-- PUT a runtime spec: fraud-detector v2.1 90% / v2.2 10% (the admin API needs the token)"
admin_call PUT /v1/spec "$(spec 90 10)" > /dev/null
for _ in $(seq 300); do
  admin_call GET /v1/state | grep -q '"effectiveWeights": {[^}]*"v2.2": 10' && break; sleep 0.1
done
echo "-- 400 requests through the gateway"
split=$(python3 examples/traffic.py --url "http://$inference" --model fraud-detector --requests 400)
echo "$split"
python3 -c 'import json,sys; v=json.loads(sys.argv[1])["versions"]; n=v.get("v2.2",0); sys.exit(0 if 15<=n<=70 and v.get("v2.1",0)+n==400 else 1)' "$split" \
  || { echo "quickstart: a 90/10 split should send about 40 of 400 requests to v2.2" >&2; exit 1; }
echo "-- a malformed spec is refused and the running one stays in force"
if admin_call PUT /v1/spec '{"models":[{"name":"fraud-detector","versions":[],"route":{"weights":{"v2.2":90}}}]}' 2> "$work/refusal"; then
  echo "quickstart: a bad spec was accepted" >&2; exit 1
fi
cat "$work/refusal"
echo "-- switch to 0/100: the route table is replaced atomically"
admin_call PUT /v1/spec "$(spec 0 100)" > /dev/null
after=$(python3 examples/traffic.py --url "http://$inference" --model fraud-detector --requests 50)
echo "$after"
grep -q '"versions": {"v2.2": 50}' <<<"$after" || { echo "quickstart: after the switch every request should reach v2.2" >&2; exit 1; }
echo "-- per-version statistics (admin API /v1/stats), and SIGTERM stops every model server"
admin_call GET /v1/stats > "$work/stats.json"
python3 - "$work/stats.json" <<'PY'
import json, sys
versions = json.load(open(sys.argv[1]))["models"]["fraud-detector"]
for name, data in versions.items():
    latency = data["latencyMs"]
    print(f"   {name}: {data['requests']} requests, {data['errors']} errors, p50 {latency['p50']} ms, p99 {latency['p99']} ms")
PY
children=$(pgrep -P "$serve_pid" || true)
kill "$serve_pid"; wait "$serve_pid" || true; serve_pid=""
for child in $children; do
  if kill -0 "$child" 2>/dev/null; then echo "quickstart: model server $child outlived sluice serve" >&2; exit 1; fi
done
echo "   stopped; no model server left running"

echo
echo "quickstart: all stages did what they claimed"
