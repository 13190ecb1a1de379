#!/usr/bin/env bash
# The gRPC gateway benchmark: ModelInfer through `sluice serve`'s gRPC listener against the same
# calls made directly to the model server's gRPC port, to measure the latency the gateway adds.
#
#   Benchmarks/grpc-vs-direct.sh
#   DURATION=20 RUNS=5 CONCURRENCY="1 8" Benchmarks/grpc-vs-direct.sh
#
# ghz is not packaged by Debian, so the load comes from grpc_load.py (grpcio, closed loop: each
# of CONCURRENCY threads has its own channel and calls back to back). In one run it starts, on
# 127.0.0.1, under Benchmarks/.work/grpc/:
#   sluice     `sluice serve --quiet` (release build) with serve.grpcListen on :9402 (REST :9400,
#              admin :9401) and one model, `bench`, whose version v1 runs grpc_bench_server.py
#              as a runtime with {port} (HTTP readiness) and {grpcPort} (gRPC), both from
#              serve.ports 9410-9419; the server writes its gRPC port to a file for `direct`
#   upstream   grpc_bench_server.py, answering ModelInfer with a fixed response (grpcio server,
#              16 threads), so the figures are the gateway's, not a model's
# then, for each concurrency, RUNS interleaved rounds of `direct` (-> its gRPC port) and `sluice`
# (-> :9402), DURATION seconds each after WARMUP seconds. The table reports medians over the
# rounds of calls/s, p50 and p99, and the p50/p99 sluice adds over direct.
#
# Environment (defaults): DURATION=10 RUNS=3 CONCURRENCY="1 4" WARMUP=2
#   SKIP_BUILD=0 (1: use the existing release binary) SLUICE= (a sluice binary to measure)
# Needs .build/mlserver (scripts/setup-mlserver.sh: grpcio and the protocol's generated stubs).
# Results: Benchmarks/.work/grpc/ (git-ignored): raw.tsv, results.md.
set -euo pipefail

DURATION="${DURATION:-10}"
RUNS="${RUNS:-3}"
CONCURRENCY="${CONCURRENCY:-1 4}"
WARMUP="${WARMUP:-2}"
SKIP_BUILD="${SKIP_BUILD:-0}"
SLUICE="${SLUICE:-}"
[ -n "$SLUICE" ] && SKIP_BUILD=1
HOST=127.0.0.1
REST_PORT=9400 ADMIN_PORT=9401 GRPC_PORT=9402

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/Benchmarks/.work/grpc"
SCRATCH="$ROOT/.build-bench"
PY="$ROOT/.build/mlserver/bin/python"
say() { printf '== %s\n' "$*" >&2; }
die() { printf 'grpc-vs-direct: %s\n' "$*" >&2; exit 1; }

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$ROOT/scripts/setup-mlserver.sh"
for port in $REST_PORT $ADMIN_PORT $GRPC_PORT; do
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then die "something already listens on $HOST:$port"; fi
done
rm -rf "$WORK"
mkdir -p "$WORK"

cd "$ROOT"
if [ "$SKIP_BUILD" != 1 ]; then
    say "building sluice as deployed: scripts/build-release.sh --scratch-path $SCRATCH"
    scripts/build-release.sh --scratch-path "$SCRATCH" > "$WORK/build.log" 2>&1 \
        || { tail -n 20 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
fi
[ -n "$SLUICE" ] || SLUICE="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/sluice"
[ -x "$SLUICE" ] || die "no release binary at $SLUICE"

TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SLUICE_BENCH_TOKEN="$TOKEN"
echo '{}' > "$WORK/model.json"
cat > "$WORK/sluice.yaml" <<YAML
serve:
  listen: $HOST:$REST_PORT
  grpcListen: $HOST:$GRPC_PORT
  admin:
    listen: $HOST:$ADMIN_PORT
    tokenEnv: SLUICE_BENCH_TOKEN
  stateDirectory: ./state
  artifactRoot: .
  ports: 9410-9419
runtimes:
  grpc-bench:
    command: ["$PY", "$ROOT/Benchmarks/grpc_bench_server.py", "{port}", "{grpcPort}", "$WORK/upstream-grpc-port"]
    readinessPath: /ready
YAML
echo '{"revision":"bench","models":[{"name":"bench","versions":[{"name":"v1","runtime":"grpc-bench","artifact":"model.json"}],"route":{"weights":{"v1":100}}}]}' > "$WORK/spec.json"

say "starting sluice serve (gRPC :$GRPC_PORT)"
(cd "$WORK" && exec "$SLUICE" serve --config sluice.yaml --quiet > stdout.log 2> stderr.log) &
PIDS+=("$!")
for _ in $(seq 1 100); do
    grep -q '^sluice serve: inference on' "$WORK/stdout.log" 2>/dev/null && break
    sleep 0.1
done
grep -q 'gRPC on' "$WORK/stdout.log" || die "sluice serve did not start its gRPC listener: $(cat "$WORK/stderr.log")"
curl -sf -X PUT -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/spec.json" "http://$HOST:$ADMIN_PORT/v1/spec" > /dev/null \
    || die "PUT /v1/spec failed"
for _ in $(seq 1 300); do
    curl -sf "http://$HOST:$REST_PORT/v2/health/ready" > /dev/null && break
    sleep 0.2
done
curl -sf "http://$HOST:$REST_PORT/v2/health/ready" > /dev/null || die "the bench version did not become ready"
UPSTREAM_GRPC="$(cat "$WORK/upstream-grpc-port")"

printf 'concurrency\ttarget\tround\tcalls_per_s\tp50_ms\tp99_ms\tcodes\n' > "$WORK/raw.tsv"
for c in $CONCURRENCY; do
    for round in $(seq 1 "$RUNS"); do
        for target in direct sluice; do
            port=$([ "$target" = direct ] && echo $UPSTREAM_GRPC || echo $GRPC_PORT)
            say "c=$c round $round: $target"
            "$PY" "$ROOT/Benchmarks/grpc_load.py" "$HOST:$port" --seconds "$DURATION" --concurrency "$c" --warmup "$WARMUP" > "$WORK/run.json"
            python3 "$ROOT/Benchmarks/grpc_results.py" row "$WORK/run.json" "$c" "$target" "$round" >> "$WORK/raw.tsv"
        done
    done
done

python3 "$ROOT/Benchmarks/grpc_results.py" table "$WORK/raw.tsv" > "$WORK/results.md"
cat "$WORK/results.md"
