#!/usr/bin/env bash
# The README's first command: installs what is missing, builds sluice, validates the
# example manifest tree, shows a broken manifest's errors, checks the shipped JSON Schema,
# then plans a change in a demo git repository and rolls it back with a revert commit,
# runs the data plane (`sluice serve`) with the example model server, runs `sluice up`
# through a canary, an automatic rollback, a git revert and a shadow step that stops a
# plausible but wrong model before it serves anyone, and last shows drift caught
# in CI (`sluice drift`) and on live traffic (a monitor's alert webhook).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# CI runs the quickstart on the debug build its tests already made (SLUICE_QUICKSTART_BUILD=debug),
# with more patience: a debug binary on a loaded 2-core machine is several times slower.
configuration=${SLUICE_QUICKSTART_BUILD:-release}
patience=1
if [ "$configuration" != release ]; then patience=4; fi
# The build's own output (package resolution, compiling) goes to a log, shown when it fails.
mkdir -p .build
build_log=.build/quickstart-build.log
echo "== building sluice ($configuration; the first build takes several minutes; log: $build_log)"
# A release quickstart builds as deployed (scripts/build-release.sh); a debug one plainly.
build=(swift build -c "$configuration" --product sluice)
if [ "$configuration" = release ]; then build=(scripts/build-release.sh); fi
if ! "${build[@]}" > "$build_log" 2>&1; then
  tail -40 "$build_log" >&2
  echo "quickstart: the build failed (full log: $build_log)" >&2
  exit 1
fi
sluice=.build/$configuration/sluice
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
for _ in $(seq $(( 100 * patience ))); do grep -q "admin on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
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
applied=false
for _ in $(seq $(( 300 * patience ))); do
  if admin_call GET /v1/state | tr -d ' \n' | grep > /dev/null '"effectiveWeights":{[^}]*"v2.2":10'; then applied=true; break; fi
  sleep 0.1
done
$applied || { echo "quickstart: the 90/10 split never took effect" >&2; admin_call GET /v1/state >&2; exit 1; }
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
echo "-- ground truth: feedback needs its own token (state/feedback-token); without it, 401"
python3 - "$inference" "$(cat "$work/state/feedback-token")" <<'PY'
import json, sys, urllib.request, urllib.error
address, token = sys.argv[1:3]
body = json.dumps({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [120.5, 0.3, 14, 2.5]}]}).encode()
answer = urllib.request.urlopen(urllib.request.Request(f"http://{address}/v2/models/fraud-detector/infer", data=body), timeout=30)
request_id = answer.headers["x-request-id"]
prediction = json.loads(answer.read())["outputs"][0]["data"][0]
label = json.dumps({"request_id": request_id, "label": prediction}).encode()
url = f"http://{address}/v2/models/fraud-detector/feedback"
try:
    urllib.request.urlopen(urllib.request.Request(url, data=label), timeout=30)
    sys.exit("quickstart: feedback without a token was accepted")
except urllib.error.HTTPError as error:
    if error.code != 401: sys.exit(f"quickstart: feedback without a token: expected 401, got {error.code}")
    print("   without the token: 401")
accepted = json.loads(urllib.request.urlopen(urllib.request.Request(url, data=label, headers={"Authorization": f"Bearer {token}"}), timeout=30).read())
if accepted.get("accepted") != 1: sys.exit(f"quickstart: the label was not accepted: {accepted}")
print(f"   with the token: {accepted}")
PY
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
echo "== sluice up: git drives the data plane (canary and promote, automatic rollback, git revert, shadow step)"
up_dir="$work/up"
mkdir -p "$up_dir/repo/manifests" "$up_dir/repo/models"
cp examples/models/fraud-v2.1.json examples/models/fraud-v2.2.json examples/models/fraud-bad.json examples/models/fraud-swapped.json "$up_dir/repo/models/"
upgit() { git -C "$up_dir/repo" -c user.name=Quickstart -c user.email=quickstart@example.com -c commit.gpgsign=false "$@"; }
fraud_manifest() {  # stable-version stable-file [candidate-version candidate-file [shadow]]
  cat <<YAML
apiVersion: sluice/v1
kind: ModelDeployment
metadata:
  name: fraud-detector
spec:
  runtime: python-v2
  versions:
    - name: $1
      artifact: models/$2
YAML
  if [ -n "${5:-}" ]; then  # a shadow step first: judged on copies before it serves anyone
    cat <<YAML
    - name: $3
      artifact: models/$4
  traffic: {$1: 0, $3: 100}
  rollout:
    steps:
      - shadow: {percent: 100, duration: 20s}
      - weight: 30
    analysis:
      interval: 3s
      minRequests: 20
      checks:
        - metric: agreement
          min: 0.95
        - metric: error_rate
          max: 0.05
YAML
  elif [ -n "${3:-}" ]; then
    cat <<YAML
    - name: $3
      artifact: models/$4
  traffic: {$1: 0, $3: 100}
  rollout:
    steps:
      - weight: 30
      - pause: 2s
      - weight: 60
    analysis:
      interval: 3s
      minRequests: 20
      checks:
        - metric: error_rate
          max: 0.05
        - metric: latency_p99_ms
          maxRatioToStable: 5
YAML
  else
    echo "  traffic: {$1: 100}"
  fi
}
upgit init -q -b main
fraud_manifest v2.1 fraud-v2.1.json > "$up_dir/repo/manifests/fraud-detector.yaml"
upgit add -A && upgit commit -q -m "fraud-detector v2.1"
cat > "$up_dir/sluice.yaml" <<YAML
serve:
  listen: 127.0.0.1:0
  admin: {listen: 127.0.0.1:18781}
  stateDirectory: state/serve
  artifactRoot: state
  monitoring: {bucket: 1s}
runtimes:
  python-v2:
    command: [python3, $PWD/examples/server/v2_server.py, --model-file, "{artifact}", --port, "{port}", --name, "{model}", --version, "{version}"]
controller:
  repository: repo
  path: manifests
  listen: 127.0.0.1:18790
  stateDirectory: state/controller
  monitors:
    interval: 1s
    alertWebhook: http://127.0.0.1:18795/alerts
YAML
(cd "$up_dir" && exec "$sluice_abs" up --config sluice.yaml > up.out 2> up.log) &
up_pid=$!
cleanup_up() { kill "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; }
trap 'cleanup_up; cleanup' EXIT
status_field() {  # python expression over the model's status JSON (variable m)
  "$sluice_abs" status fraud-detector --format json --config "$up_dir/sluice.yaml" 2>/dev/null \
    | python3 -c "import json,sys; m=json.load(sys.stdin); print($1)" 2>/dev/null || true
}
wait_for() {  # description, python condition over m, seconds
  for _ in $(seq $(( $3 * 5 * patience ))); do
    if [ "$(status_field "$2")" = "True" ]; then echo "   ok: $1"; return 0; fi
    sleep 0.2
  done
  echo "quickstart: timed out waiting for: $1" >&2
  "$sluice_abs" status --config "$up_dir/sluice.yaml" >&2 || true
  tail -30 "$up_dir/up.log" >&2
  exit 1
}
wait_for "v2.1 deployed and healthy" 'm["health"]=="Healthy" and m["stable"]["version"]=="v2.1"' 60
inference=$(sed -n 's/.*inference on \([^,]*\),.*/\1/p' "$up_dir/state/serve/serve.log" | head -1)
python3 examples/traffic.py --url "http://$inference" --model fraud-detector --requests 100000 --concurrency 2 --allow-errors > "$up_dir/traffic.json" &
traffic_pid=$!
trap 'kill $traffic_pid 2>/dev/null || true; cleanup_up; cleanup' EXIT
echo "-- commit v2.2 (a good model): canary 30% -> pause -> 60%, analysis every 3 s, then promotion"
fraud_manifest v2.1 fraud-v2.1.json v2.2 fraud-v2.2.json > "$up_dir/repo/manifests/fraud-detector.yaml"
upgit commit -q -am "fraud-detector: canary v2.2"
wait_for "v2.2 canary started" 'm.get("candidate",{}).get("version")=="v2.2"' 30
wait_for "v2.2 promoted after successful analysis" 'm["stable"]["version"]=="v2.2" and m["health"]=="Healthy"' 90
echo "-- commit v2.3 (answers half its requests with 500s): analysis fails, 100% back to v2.2"
fraud_manifest v2.2 fraud-v2.2.json v2.3 fraud-bad.json > "$up_dir/repo/manifests/fraud-detector.yaml"
upgit commit -q -am "fraud-detector: canary v2.3"
wait_for "v2.3 aborted automatically" 'm["health"]=="Degraded" and m["reason"]=="AnalysisFailed" and m["weights"].get("v2.3",0)==0' 90
status_field 'm["message"]' | sed 's/^/   /'
echo "-- git revert twice (v2.3, then v2.2): v2.1 is a recent stable spec, a fast rollback"
upgit revert --no-edit HEAD > /dev/null
upgit revert --no-edit HEAD~2 > /dev/null
wait_for "fast rollback to v2.1" 'm["stable"]["version"]=="v2.1" and m["reason"] in ("FastRollback","Synced")' 30
echo "-- commit v2.4 (fraud and legit swapped: no errors, normal latency, a plausible mix): a shadow step"
echo "   sends it a copy of every request and compares its answers with v2.1's; callers get v2.1's"
fraud_manifest v2.1 fraud-v2.1.json v2.4 fraud-swapped.json shadow > "$up_dir/repo/manifests/fraud-detector.yaml"
upgit commit -q -am "fraud-detector: canary v2.4 behind a shadow step"
wait_for "v2.4 in its shadow step" 'm.get("candidate",{}).get("version")=="v2.4"' 30
python3 examples/traffic.py --url "http://$inference" --model fraud-detector --requests 200 --concurrency 2 > "$up_dir/shadow-traffic.json"
python3 -c "import json,sys; v=json.load(open(sys.argv[1]))['versions']; print('   200 requests during the shadow step, answered by', v); sys.exit('v2.4' in v)" "$up_dir/shadow-traffic.json" \
  || { echo "quickstart: a caller got an answer from v2.4 during its shadow step" >&2; exit 1; }
wait_for "v2.4 aborted in its shadow step, before serving anyone" 'm["health"]=="Degraded" and m["reason"]=="AnalysisFailed" and m["weights"].get("v2.4",0)==0' 90
status_field 'm["message"]' | sed 's/^/   /'
kill $traffic_pid 2>/dev/null || true; wait $traffic_pid 2>/dev/null || true
"$sluice_abs" history fraud-detector --config "$up_dir/sluice.yaml" | sed 's/^/   /'
"$sluice_abs" history fraud-detector --config "$up_dir/sluice.yaml" | grep -q fastRollback \
  || { echo "quickstart: the history should show the fast rollback" >&2; exit 1; }

echo
echo "== monitors: drift caught in CI (sluice drift) and on live traffic (an alert webhook)"
python3 examples/traffic.py --model fraud-detector --write-csv "$up_dir/training.csv" --rows 5000
python3 examples/traffic.py --model fraud-detector --write-csv "$up_dir/like-training.csv" --rows 2000 --seed 8
python3 examples/traffic.py --model fraud-detector --write-csv "$up_dir/amounts-tripled.csv" --rows 2000 --seed 9 --shift 3
echo "-- sluice drift training.csv like-training.csv  (same distribution: exit 0)"
expect_status 0 "$sluice_abs" drift "$up_dir/training.csv" "$up_dir/like-training.csv"
echo "-- sluice drift training.csv amounts-tripled.csv  (amount tripled: exit 1, amount named)"
drift_output=$("$sluice_abs" drift "$up_dir/training.csv" "$up_dir/amounts-tripled.csv" || true)
echo "$drift_output"
grep -q "amount" <<<"$drift_output" || { echo "quickstart: sluice drift should name amount" >&2; exit 1; }
expect_status 1 "$sluice_abs" drift "$up_dir/training.csv" "$up_dir/amounts-tripled.csv" > /dev/null
echo "-- sluice baseline build training.csv, and a monitor on amount in the manifest"
mkdir -p "$up_dir/repo/baselines"
"$sluice_abs" baseline build "$up_dir/training.csv" -o "$up_dir/repo/baselines/fraud-inputs.json"
{ fraud_manifest v2.1 fraud-v2.1.json; cat <<YAML
  monitors:
    - name: amount-drift
      metric: input_drift
      inputs: [amount]
      test: psi
      reference: baselines/fraud-inputs.json
      max: 0.2
      window: 4s
      minSamples: 200
      action: alert
YAML
} > "$up_dir/repo/manifests/fraud-detector.yaml"
upgit add -A && upgit commit -q -m "fraud-detector: drift monitor on amount"
python3 examples/webhook_receiver.py 18795 "$up_dir/alerts.jsonl" &
receiver_pid=$!
trap 'kill $receiver_pid $traffic_pid 2>/dev/null || true; cleanup_up; cleanup' EXIT
python3 examples/traffic.py --url "http://$inference" --model fraud-detector --requests 600 --concurrency 1 > /dev/null
wait_for "a reading of amount-drift on traffic like the training data" \
  'any(x["name"]=="amount-drift" and x.get("latest",{}).get("verdict")=="ok" for x in m.get("monitors",[]))' 30
[ ! -s "$up_dir/alerts.jsonl" ] || { echo "quickstart: no alert was expected yet" >&2; exit 1; }
echo "-- traffic with amounts tripled: the alert webhook fires within a window or two"
python3 examples/traffic.py --url "http://$inference" --model fraud-detector --requests 100000 --concurrency 1 --shift 3 > /dev/null &
traffic_pid=$!
for _ in $(seq $(( 150 * patience ))); do [ -s "$up_dir/alerts.jsonl" ] && break; sleep 0.2; done
[ -s "$up_dir/alerts.jsonl" ] || { echo "quickstart: no drift alert arrived" >&2; tail -20 "$up_dir/up.log" >&2; exit 1; }
kill $traffic_pid 2>/dev/null || true; wait $traffic_pid 2>/dev/null || true
python3 - "$up_dir/alerts.jsonl" <<'PY'
import json, sys
alert = json.loads(open(sys.argv[1]).readline())["body"]
print("   alert received:", json.dumps({k: alert[k] for k in ("status", "model", "version", "monitor", "value", "threshold", "samples", "detail")}))
assert alert["status"] == "firing" and alert["monitor"] == "amount-drift" and alert["value"] >= 0.2, alert
PY
"$sluice_abs" status fraud-detector --config "$up_dir/sluice.yaml" | sed 's/^/   /'

echo
echo "quickstart: all stages did what they claimed"
