#!/usr/bin/env bash
# User-space instructions per proxied request, counted by valgrind's callgrind: the
# gateway's own work measured exactly, where CPU time on this shared VM moves by 5-15%
# between runs and the CPU has no hardware counters (`perf stat -e instructions` is
# <not supported>). Kernel time (system calls, wakeups) is not counted: gateway-cpu.sh
# measures that.
#
#   SLUICE=.build-perf/release/sluice Benchmarks/gateway-instructions.sh
#   SLUICE=/tmp/before SLUICE_B=/tmp/after COMPARE_NGINX=1 FLOOR=path/to/gateway-floor Benchmarks/gateway-instructions.sh
#
# It starts (on 127.0.0.1 only, under Benchmarks/.work/gateway-instructions/) one nginx with
# two upstream server blocks answering gateway-cpu.sh's fixed V2 response, then each target
# in turn under `valgrind --tool=callgrind`: `sluice serve` with gateway-cpu.sh's 90/10 spec
# (and SLUICE_B, a second binary, when set), with COMPARE_NGINX=1 an nginx reverse proxy
# with the same config as gateway-cpu.sh's but one process (`master_process off`), with
# FLOOR= the NIO floor (Benchmarks/GatewayFloor). Each target gets WARMUP requests
# (valgrind translates code on first use; see below for why so many), its counters zeroed (`callgrind_control -z`),
# REQUESTS requests over CONNECTIONS keep-alive connections from one Python client, a dump
# (`callgrind_control -d`), and its instructions (Ir) divided by REQUESTS. The counts are
# repeatable to a fraction of a percent, so a change of a few hundred instructions per
# request is visible; the dumps stay for `callgrind_annotate --inclusive=yes`.
#
# valgrind 3.19 needs two workarounds for Swift 6.3 binaries, both here: the DWARF 5
# debug info is stripped from a copy of each binary (`objcopy --strip-debug`: symbols stay,
# so the per-function costs are named), and `sigsuspend` is given a writable copy of its
# mask by a 5-line LD_PRELOAD shim (valgrind 3.19 writes to the mask it is passed, and
# libdispatch's is read-only, which crashes valgrind when the process first calls
# `dispatch_main`).
#
# Under valgrind the gateway answers ~300 requests a second, a hundredth of its rate outside,
# so what is budgeted per second must be scaled down to stay the same share of requests:
# SKETCHED_PER_SECOND defaults to 2 (the default 200 a second at ~30,000 requests a second
# sketches 0.7% of them; 200 here would sketch two thirds). The per-version sample reservoir
# (512 rows, never reset) admits most requests of a young version: WARMUP=20000 leaves ~2.5%.
#
# Environment (defaults): SLUICE (the release binary of .build-perf), SLUICE_B (unset),
# SLUICE_B_ENV (NAME=VALUE words for SLUICE_B), COMPARE_NGINX=0, FLOOR (unset), REQUESTS=3000,
# WARMUP=20000, CONNECTIONS=4, PREDICTIONS=100000, SKETCHED_PER_SECOND=2, SKETCH_INPUTS
# (empty), SHADOW=0, UPSTREAM1_PORT=9411, UPSTREAM2_PORT=9412, GATEWAY_PORT=9413, ADMIN_PORT=9414,
# CALLGRIND_OPTIONS (empty; more options for callgrind, e.g. `--cache-sim=yes
# --LL=1048576,16,64` to count the data reads that miss a 1 MiB cache, this VM's L2: a
# request's memory traffic, which instructions do not show).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLUICE="${SLUICE:-$ROOT/.build-perf/release/sluice}"
SLUICE_B="${SLUICE_B:-}"
SLUICE_B_ENV="${SLUICE_B_ENV:-}"
# serve.gatewayEngine of SLUICE and of SLUICE_B (nio or epoll; B defaults to A's).
GATEWAY_ENGINE="${GATEWAY_ENGINE:-epoll}"
GATEWAY_ENGINE_B="${GATEWAY_ENGINE_B:-$GATEWAY_ENGINE}"
COMPARE_NGINX="${COMPARE_NGINX:-0}"
FLOOR="${FLOOR:-}"
REQUESTS="${REQUESTS:-3000}"
WARMUP="${WARMUP:-20000}"
CALLGRIND_OPTIONS="${CALLGRIND_OPTIONS:-}"
CONNECTIONS="${CONNECTIONS:-4}"
PREDICTIONS="${PREDICTIONS:-100000}"
SKETCHED_PER_SECOND="${SKETCHED_PER_SECOND:-2}"
SKETCH_INPUTS="${SKETCH_INPUTS:-}"
SHADOW="${SHADOW:-0}"
UPSTREAM1_PORT="${UPSTREAM1_PORT:-9411}"
UPSTREAM2_PORT="${UPSTREAM2_PORT:-9412}"
GATEWAY_PORT="${GATEWAY_PORT:-9413}"
ADMIN_PORT="${ADMIN_PORT:-9414}"
HOST=127.0.0.1   # loopback only
WORK="$ROOT/Benchmarks/.work/gateway-instructions"

die() { printf 'gateway-instructions: %s\n' "$*" >&2; exit 1; }
for tool in nginx valgrind callgrind_control objcopy cc curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (Debian: apt-get install nginx valgrind binutils gcc curl python3)"
done
[ -x "$SLUICE" ] || die "no sluice binary at $SLUICE"
[ -z "$SLUICE_B" ] || [ -x "$SLUICE_B" ] || die "no sluice binary at $SLUICE_B"
[ -z "$FLOOR" ] || [ -x "$FLOOR" ] || die "no gateway-floor binary at $FLOOR"

PIDS=()
stop() {  # PID: TERM, then KILL after 10 s (valgrind exits slowly)
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do stop "$pid"; done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$WORK"
mkdir -p "$WORK"/{upstreams,proxy}/{logs,tmp}
cat > "$WORK/sigsuspend-shim.c" <<'C'
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
/* valgrind 3.19 writes to the mask it is passed; libdispatch passes a read-only one. */
int sigsuspend(const sigset_t *mask) { sigset_t copy = *mask; return (int)syscall(SYS_rt_sigsuspend, &copy, 8); }
C
cc -shared -fPIC -O2 "$WORK/sigsuspend-shim.c" -o "$WORK/sigsuspend-shim.so"

# shellcheck source=Benchmarks/gateway-fixture.sh
source "$ROOT/Benchmarks/gateway-fixture.sh"
D="$WORK/upstreams"
nginx_conf "$D" "worker_processes 2;" "$(server_block "$UPSTREAM1_PORT" v1; server_block "$UPSTREAM2_PORT" v2)" > "$D/nginx.conf"
nginx -p "$D" -c "$D/nginx.conf" -e "$D/logs/error.log" -g 'daemon off;' &
PIDS+=("$!")

TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SLUICE_BENCH_TOKEN="$TOKEN"
URL="http://$HOST:$GATEWAY_PORT/v2/models/bench/infer"

GRIND_ENV=""
grind() {  # NAME BINARY ARGS...: starts BINARY under callgrind in $WORK/NAME, GRIND_ENV (NAME=VALUE words) added to its environment; sets GRIND_PID
    local name="$1" binary="$2"
    shift 2
    mkdir -p "$WORK/$name"
    objcopy --strip-debug "$binary" "$WORK/$name/binary"
    # shellcheck disable=SC2086 # GRIND_ENV and CALLGRIND_OPTIONS are lists of words
    (cd "$WORK/$name" && LD_PRELOAD="$WORK/sigsuspend-shim.so" exec env $GRIND_ENV valgrind --tool=callgrind $CALLGRIND_OPTIONS \
        --callgrind-out-file="$WORK/$name/callgrind.out" "$WORK/$name/binary" "$@" > stdout.log 2> stderr.log) &
    GRIND_PID=$!
    PIDS+=("$GRIND_PID")
}
answers() {  # whether the gateway answers 200
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$REQUEST" "$URL")" = 200 ]
}
wait_answers() {  # PID NAME
    for _ in $(seq 1 600); do
        answers && return
        kill -0 "$1" 2>/dev/null || die "$2 exited: $(tail -n 20 "$WORK/$2/stderr.log")"
        sleep 0.2
    done
    die "$2 does not answer 200 at $URL"
}
start_sluice() {  # NAME BINARY ENGINE ENV...: `sluice serve` under callgrind (ENV: NAME=VALUE words) with the spec set
    local name="$1" binary="$2" engine="$3"
    shift 3
    mkdir -p "$WORK/$name"
    sluice_config "$GATEWAY_PORT" "$ADMIN_PORT" "$engine" > "$WORK/$name/sluice.yaml"
    GRIND_ENV="$*"
    grind "$name" "$binary" serve --config sluice.yaml --quiet
    GRIND_ENV=""
    for _ in $(seq 1 600); do
        curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
            --data-binary "$SPEC" "http://$HOST:$ADMIN_PORT/v1/spec" && break
        kill -0 "$GRIND_PID" 2>/dev/null || die "$name exited: $(tail -n 20 "$WORK/$name/stderr.log")"
        sleep 0.2
    done
    wait_answers "$GRIND_PID" "$name"
}
start_nginx() {
    local P="$WORK/proxy"
    nginx_conf "$P" "master_process off;
daemon off;" "$(proxy_block "$GATEWAY_PORT")" > "$P/nginx.conf"
    grind nginx "$(command -v nginx)" -p "$P" -c "$P/nginx.conf" -e "$P/logs/error.log"
    wait_answers "$GRIND_PID" nginx
}
load() {  # COUNT: COUNT requests over CONNECTIONS keep-alive connections, each answer checked
    python3 - "$HOST" "$GATEWAY_PORT" "$1" "$CONNECTIONS" "$REQUEST" <<'PY'
import http.client, sys, threading
host, port, count, connections, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
failures = []
def run(share):
    conn = http.client.HTTPConnection(host, port, timeout=120)
    for _ in range(share):
        conn.request("POST", "/v2/models/bench/infer", body=body, headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200: failures.append(answer.status)
    conn.close()
shares = [count // connections + (1 if i < count % connections else 0) for i in range(connections)]
threads = [threading.Thread(target=run, args=(share,)) for share in shares]
for t in threads: t.start()
for t in threads: t.join()
if failures: sys.exit(f"{len(failures)} answers were not 200: {sorted(set(failures))}")
PY
}
measure() {  # NAME: warm up, zero, load, dump; appends NAME and Ir per request to results.tsv
    local name="$1" dumps
    load "$WARMUP"
    sleep 1
    callgrind_control -z "$GRIND_PID" > /dev/null
    load "$REQUESTS"
    callgrind_control -d "$GRIND_PID" > /dev/null
    dumps=$(ls "$WORK/$name"/callgrind.out.* 2>/dev/null | head -n 1)
    [ -n "$dumps" ] || die "$name: no callgrind dump"
    python3 - "$name" "$REQUESTS" "$dumps" >> "$WORK/results.tsv" <<'PY'
import sys
name, requests, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# The dump's `summary:` (what callgrind_annotate calls PROGRAM TOTALS); its `totals:` line
# runs ~11,000 a request higher on these dumps and does not match the per-function costs.
total, events, counts = 0, [], []
for line in open(path):
    if line.startswith("events:"):
        events = line.split()[1:]
    if line.startswith("summary:"):
        counts = [int(x) for x in line.split()[1:]]
        total = counts[0]
# With CALLGRIND_OPTIONS' cache simulation, the other events a request after the path.
extra = " ".join(f"{e}={c / requests:.1f}" for e, c in zip(events[1:], counts[1:]))
print(f"{name}\t{total / requests:.0f}\t{path}" + (f"\t{extra}" if extra else ""))
PY
    tail -n 1 "$WORK/results.tsv" >&2
    stop "$GRIND_PID"
}

printf 'target\tinstructions_per_request\tdump\n' > "$WORK/results.tsv"
start_sluice sluice "$SLUICE" "$GATEWAY_ENGINE"
measure sluice
if [ -n "$SLUICE_B" ]; then
    # shellcheck disable=SC2086 # SLUICE_B_ENV is a list of NAME=VALUE words
    start_sluice sluice-b "$SLUICE_B" "$GATEWAY_ENGINE_B" $SLUICE_B_ENV
    measure sluice-b
fi
if [ "$COMPARE_NGINX" = 1 ]; then
    start_nginx
    measure nginx
fi
if [ -n "$FLOOR" ]; then
    grind floor "$FLOOR" "$GATEWAY_PORT" "$UPSTREAM1_PORT" "$UPSTREAM2_PORT"
    wait_answers "$GRIND_PID" floor
    measure floor
fi
column -t "$WORK/results.tsv"
