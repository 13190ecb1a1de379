#!/usr/bin/env bash
# CPU per proxied request of `sluice serve`'s gateway over short fixed wrk runs, and where it
# goes: cheap enough to measure one change (run it for the old and the new binary in turn).
#
#   SLUICE=path/to/sluice Benchmarks/gateway-cpu.sh
#   SLUICE=... RUNS=5 DURATION=5 CONNECTIONS=16 PERF_RECORD=1 Benchmarks/gateway-cpu.sh
#
# It starts (on 127.0.0.1 only, under Benchmarks/.work/gateway-cpu/) one nginx with two
# upstream server blocks answering a fixed V2 response, and `sluice serve --quiet` in front of
# them with the 90/10 spec of gateway-vs-nginx.sh. Each run is `wrk -t2 -c$CONNECTIONS
# -d$DURATION` inside `perf stat -e task-clock -p <sluice>` (sluice does nothing outside wrk's
# run, so the count is the run's), divided by the requests wrk completed. (Where the CPU has
# hardware counters, `perf stat -e instructions` would count instructions instead; the
# Firecracker VM this was written on has none, and valgrind 3.19 crashes on the Swift 6.3
# binary, so CPU time it is.) Prints one line per run and the medians. PERF_RECORD=1 then profiles one more run with
# `perf record -e cpu-clock -g` (perf-report.txt).
#
# Environment (defaults): SLUICE (the release binary of .build-perf), RUNS=3, DURATION=5,
# CONNECTIONS=64, WARMUP=2, PERF_RECORD=0, UPSTREAM1_PORT=9111 UPSTREAM2_PORT=9112 SLUICE_PORT=9310 ADMIN_PORT=9311.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLUICE="${SLUICE:-$ROOT/.build-perf/release/sluice}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
WARMUP="${WARMUP:-2}"
PERF_RECORD="${PERF_RECORD:-0}"
UPSTREAM1_PORT="${UPSTREAM1_PORT:-9111}"
UPSTREAM2_PORT="${UPSTREAM2_PORT:-9112}"
SLUICE_PORT="${SLUICE_PORT:-9310}"
ADMIN_PORT="${ADMIN_PORT:-9311}"
HOST=127.0.0.1   # loopback only
WORK="$ROOT/Benchmarks/.work/gateway-cpu"

die() { printf 'gateway-cpu: %s\n' "$*" >&2; exit 1; }
for tool in nginx wrk perf curl python3; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required"; done
[ -x "$SLUICE" ] || die "no sluice binary at $SLUICE"

PIDS=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$WORK"
mkdir -p "$WORK"/{upstreams,sluice}/{logs,tmp}
RESPONSE='{"model_name":"bench","outputs":[{"name":"predict","shape":[1],"datatype":"FP64","data":[0.5]}]}'
REQUEST='{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[120.5,0.3,14,2.5]}]}'
server_block() {  # PORT NAME
    printf '    server {\n        listen %s:%s backlog=4096;\n' "$HOST" "$1"
    printf "        location = /v2/models/bench/infer { default_type application/json; add_header X-Served-By %s always; return 200 '%s'; }\n" "$2" "$RESPONSE"
    printf "        location = /v2/health/ready { default_type application/json; return 200 '{\"ready\":true}'; }\n        location / { return 404; }\n    }\n"
}
D="$WORK/upstreams"
cat > "$D/nginx.conf" <<CONF
worker_processes auto;
pid $D/nginx.pid;
error_log $D/logs/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path $D/tmp/body; proxy_temp_path $D/tmp/proxy; fastcgi_temp_path $D/tmp/fastcgi;
    uwsgi_temp_path $D/tmp/uwsgi; scgi_temp_path $D/tmp/scgi;
$(server_block "$UPSTREAM1_PORT" v1)
$(server_block "$UPSTREAM2_PORT" v2)
}
CONF
nginx -p "$D" -c "$D/nginx.conf" -e "$D/logs/error.log" -g 'daemon off;' &
PIDS+=("$!")

TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SLUICE_BENCH_TOKEN="$TOKEN"
cat > "$WORK/sluice/sluice.yaml" <<CONF
serve:
  listen: $HOST:$SLUICE_PORT
  admin:
    listen: $HOST:$ADMIN_PORT
    tokenEnv: SLUICE_BENCH_TOKEN
  stateDirectory: ./state
  artifactRoot: .
runtimes: {}
CONF
(cd "$WORK/sluice" && exec "$SLUICE" serve --config sluice.yaml --quiet > stdout.log 2> stderr.log) &
SLUICE_PID=$!; PIDS+=("$SLUICE_PID")
for _ in $(seq 1 200); do
    grep -q '^sluice serve: inference on' "$WORK/sluice/stdout.log" 2>/dev/null && break
    kill -0 "$SLUICE_PID" 2>/dev/null || die "sluice serve exited: $(cat "$WORK/sluice/stderr.log")"
    sleep 0.1
done
SPEC="{\"revision\":\"bench\",\"models\":[{\"name\":\"bench\",\"versions\":[{\"name\":\"v1\",\"endpoint\":\"http://$HOST:$UPSTREAM1_PORT\"},{\"name\":\"v2\",\"endpoint\":\"http://$HOST:$UPSTREAM2_PORT\"}],\"route\":{\"weights\":{\"v1\":90,\"v2\":10}}}]}"
curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary "$SPEC" \
    "http://$HOST:$ADMIN_PORT/v1/spec" > /dev/null || die "PUT /v1/spec failed"
URL="http://$HOST:$SLUICE_PORT/v2/models/bench/infer"
for _ in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$REQUEST" "$URL")" = 200 ] && break
    sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$REQUEST" "$URL")" = 200 ] || die "sluice does not answer 200"

printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$REQUEST'" > "$WORK/post.lua"
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP"s -s "$WORK/post.lua" "$URL" > /dev/null

printf 'run\trequests\treq_per_s\tcpu_us_per_req\terrors\n' > "$WORK/raw.tsv"
for run in $(seq 1 "$RUNS"); do
    perf stat -e task-clock -p "$SLUICE_PID" -o "$WORK/stat-$run.txt" -- sleep $((DURATION + 1)) &
    perf_pid=$!
    sleep 0.3
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s -s "$WORK/post.lua" "$URL" > "$WORK/wrk-$run.txt" 2>&1
    wait "$perf_pid"
    python3 - "$WORK/wrk-$run.txt" "$WORK/stat-$run.txt" "$run" >> "$WORK/raw.tsv" <<'PY'
import re, sys
wrk, stat, run = sys.argv[1:]
text = open(wrk).read()
requests = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = 0
if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text): errors += int(m.group(1))
if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
    errors += sum(int(x) for x in m.groups())
msec = float(re.search(r"([\d.,]+)\s+msec task-clock", open(stat).read()).group(1).replace(",", ""))
print(f"{run}\t{requests}\t{rps:.0f}\t{msec * 1000 / max(requests, 1):.1f}\t{errors}")
PY
    tail -n 1 "$WORK/raw.tsv" >&2
done
python3 - "$WORK/raw.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
m = lambda k: statistics.median(float(r[k]) for r in rows)
print(f"median of {len(rows)} runs: {m('req_per_s'):,.0f} req/s, {m('cpu_us_per_req'):.1f} µs CPU per request; "
      f"errors {sum(int(r['errors']) for r in rows)}")
PY

if [ "$PERF_RECORD" = 1 ]; then
    perf record -e cpu-clock -F 999 -g -p "$SLUICE_PID" -o "$WORK/perf.data" -- sleep "$DURATION" > "$WORK/perf-record.log" 2>&1 &
    perf_pid=$!
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s -s "$WORK/post.lua" "$URL" > "$WORK/wrk-perf.txt" 2>&1
    wait "$perf_pid" || true
    perf report -i "$WORK/perf.data" --no-children --sort symbol --percent-limit 0.5 --stdio -g none > "$WORK/perf-report.txt" 2>/dev/null || true
    perf report -i "$WORK/perf.data" --children --sort symbol --percent-limit 2 --stdio -g none > "$WORK/perf-report-children.txt" 2>/dev/null || true
    echo "profile: $WORK/perf-report.txt" >&2
fi
