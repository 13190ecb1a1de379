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
# run, so the count is the run's), divided by the requests wrk completed; user_us and kernel_us
# split it, from the process's user and system ticks in /proc/PID/stat over the same run;
# upstream_us is the upstream nginx workers' CPU per request, machine_us the whole machine's busy
# time per request (/proc/stat: wrk, upstreams, target, interrupts), segments the TCP segments
# sent per request (/proc/net/snmp): a gateway that makes the others work harder, or sends more
# packets, costs throughput its own CPU does not show. (Where the CPU has
# hardware counters, `perf stat -e instructions` would count instructions instead; the
# Firecracker VM this was written on has none, and valgrind 3.19 crashes on the Swift 6.3
# binary, so CPU time it is.) Prints one line per run and the medians. PERF_RECORD=1 then profiles one more run with
# `perf record -e cpu-clock -g` (perf-report.txt; with COMPARE_NGINX=1 the nginx proxy's too,
# perf-nginx-report.txt).
#
# SYSCALLS=1 also counts, per request, the system calls (by kind) and context switches of the
# process (perf's syscall tracepoints: no slowdown like strace's, but each traced call costs
# kernel time, the same for every target, so at a paced load, where a request's own CPU is
# small, the CPU ratios with SYSCALLS=1 read closer to 1 than without); COMPARE_NGINX=1 measures, in each
# run right after sluice, an nginx reverse proxy in front of the same upstreams (the config
# of gateway-vs-nginx.sh, its worker processes counted), so the two are side by side.
# FLOOR=path/to/gateway-floor measures, in each run after sluice (and nginx), the floor of a
# NIO proxy (Benchmarks/GatewayFloor: raw bytes through, no headers parsed; its FLOOR_* knobs
# pass through the environment) in front of the same upstreams, as a third target; with
# PERF_RECORD=1 it is profiled too (perf-floor.data, perf-floor-report.txt).
# SLUICE_B=path/to/sluice measures a second `sluice serve` (target sluice-b, on SLUICE_B_PORT
# and ADMIN_B_PORT) in each run right after the first, with SLUICE_B_ENV (NAME=VALUE words)
# added to its environment: an A/B of two binaries, or of one binary's settings, interleaved
# run by run.
# PACED_DELAY_MS=2 makes each connection pause that long after every response (wrk's delay(),
# as gateway-vs-nginx.sh's paced mode does with 16 connections): the CPU of a moderate load,
# where each request costs its own wakeups, rather than of a saturated one.
# The monitoring features can be varied: SKETCH_INPUTS='"input-0"' names the sketched inputs
# in the spec (default none), SKETCHED_PER_SECOND (serve.monitoring.sketchedPerSecond,
# default 200), PREDICTIONS (serve.monitoring.predictions, default 100000; 0: off),
# SHADOW=1 mirrors every request to v2 with shadow pairing (route weights v1 100 / v2 0); the
# nginx proxy (COMPARE_NGINX=1) then mirrors every request to v2 too, with its `mirror`.
#
# Environment (defaults): SLUICE (the release binary of .build-perf), RUNS=3, DURATION=5,
# CONNECTIONS=64, WARMUP=2, PERF_RECORD=0, SYSCALLS=0, PACED_DELAY_MS (unset), COMPARE_NGINX=0, UPSTREAM1_PORT=9111
# UPSTREAM2_PORT=9112 SLUICE_PORT=9310 ADMIN_PORT=9311 NGINX_PORT=9320, FLOOR (unset),
# FLOOR_PORT=9321, SLUICE_B (unset), SLUICE_B_ENV (empty), SLUICE_B_PORT=9322, ADMIN_B_PORT=9323,
# NGINX_WORKERS=auto (the nginx proxy's worker_processes: with EVENT_LOOPS=1, one loop against
# one worker).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLUICE="${SLUICE:-$ROOT/.build-perf/release/sluice}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
WARMUP="${WARMUP:-2}"
PERF_RECORD="${PERF_RECORD:-0}"
SYSCALLS="${SYSCALLS:-0}"
PACED_DELAY_MS="${PACED_DELAY_MS:-}"
COMPARE_NGINX="${COMPARE_NGINX:-0}"
FLOOR="${FLOOR:-}"
FLOOR_PORT="${FLOOR_PORT:-9321}"
SLUICE_B="${SLUICE_B:-}"
SLUICE_B_ENV="${SLUICE_B_ENV:-}"
# serve.gatewayEngine of SLUICE and of SLUICE_B (nio or epoll; B defaults to A's).
GATEWAY_ENGINE="${GATEWAY_ENGINE:-epoll}"
GATEWAY_ENGINE_B="${GATEWAY_ENGINE_B:-$GATEWAY_ENGINE}"
# serve.eventLoops of SLUICE and of SLUICE_B (empty: one per core; B defaults to A's).
EVENT_LOOPS="${EVENT_LOOPS:-}"
EVENT_LOOPS_B="${EVENT_LOOPS_B:-$EVENT_LOOPS}"
NGINX_WORKERS="${NGINX_WORKERS:-auto}"
SLUICE_B_PORT="${SLUICE_B_PORT:-9322}"
ADMIN_B_PORT="${ADMIN_B_PORT:-9323}"
SKETCH_INPUTS="${SKETCH_INPUTS:-}"
SKETCHED_PER_SECOND="${SKETCHED_PER_SECOND:-200}"
PREDICTIONS="${PREDICTIONS:-100000}"
SHADOW="${SHADOW:-0}"
NGINX_PORT="${NGINX_PORT:-9320}"
UPSTREAM1_PORT="${UPSTREAM1_PORT:-9111}"
UPSTREAM2_PORT="${UPSTREAM2_PORT:-9112}"
SLUICE_PORT="${SLUICE_PORT:-9310}"
ADMIN_PORT="${ADMIN_PORT:-9311}"
HOST=127.0.0.1   # loopback only
WORK="$ROOT/Benchmarks/.work/gateway-cpu"

die() { printf 'gateway-cpu: %s\n' "$*" >&2; exit 1; }
for tool in nginx wrk perf curl python3; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required (Debian: apt-get install nginx wrk linux-perf curl python3)"; done
[ -x "$SLUICE" ] || die "no sluice binary at $SLUICE"
[ -z "$FLOOR" ] || [ -x "$FLOOR" ] || die "no gateway-floor binary at $FLOOR"
[ -z "$SLUICE_B" ] || [ -x "$SLUICE_B" ] || die "no sluice binary at $SLUICE_B"

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
mkdir -p "$WORK"/{upstreams,proxy,sluice,floor}/{logs,tmp}
# shellcheck source=Benchmarks/gateway-fixture.sh
source "$ROOT/Benchmarks/gateway-fixture.sh"
D="$WORK/upstreams"
nginx_conf "$D" "worker_processes auto;" "$(server_block "$UPSTREAM1_PORT" v1; server_block "$UPSTREAM2_PORT" v2)" > "$D/nginx.conf"
nginx -p "$D" -c "$D/nginx.conf" -e "$D/logs/error.log" -g 'daemon off;' &
UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
if [ "$COMPARE_NGINX" = 1 ]; then
    P="$WORK/proxy"
    nginx_conf "$P" "worker_processes $NGINX_WORKERS;" "$(proxy_block "$NGINX_PORT")" > "$P/nginx.conf"
    nginx -p "$P" -c "$P/nginx.conf" -e "$P/logs/error.log" -g 'daemon off;' &
    PROXY_PID=$!; PIDS+=("$PROXY_PID")
fi

wait_ready() {  # PID DIR LINE: waits until DIR/stdout.log has a line starting with LINE
    for _ in $(seq 1 200); do
        grep -q "^$3" "$2/stdout.log" 2>/dev/null && return
        kill -0 "$1" 2>/dev/null || die "$(basename "$2") exited: $(cat "$2/stderr.log")"
        sleep 0.1
    done
}
if [ -n "$FLOOR" ]; then
    "$FLOOR" "$FLOOR_PORT" "$UPSTREAM1_PORT" "$UPSTREAM2_PORT" > "$WORK/floor/stdout.log" 2> "$WORK/floor/stderr.log" &
    FLOOR_PID=$!; PIDS+=("$FLOOR_PID")
    wait_ready "$FLOOR_PID" "$WORK/floor" 'gateway-floor: listening'
    cat "$WORK/floor/stdout.log" >&2
fi

TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SLUICE_BENCH_TOKEN="$TOKEN"
start_sluice() {  # DIR BINARY PORT ADMIN_PORT ENGINE LOOPS ENV...: starts `sluice serve` (with ENV added) and sets the spec; sets STARTED_PID
    local dir="$1" binary="$2" port="$3" admin="$4" engine="$5" loops="$6"
    shift 6
    mkdir -p "$dir"
    sluice_config "$port" "$admin" "$engine" "$loops" > "$dir/sluice.yaml"
    (cd "$dir" && exec env "$@" "$binary" serve --config sluice.yaml --quiet > stdout.log 2> stderr.log) &
    STARTED_PID=$!; PIDS+=("$STARTED_PID")
    wait_ready "$STARTED_PID" "$dir" 'sluice serve: inference on'
    curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary "$SPEC" \
        "http://$HOST:$admin/v1/spec" > /dev/null || die "PUT /v1/spec failed"
    local url="http://$HOST:$port/v2/models/bench/infer"
    for _ in $(seq 1 200); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$REQUEST" "$url")" = 200 ] && return
        sleep 0.1
    done
    die "sluice ($dir) does not answer 200"
}
start_sluice "$WORK/sluice" "$SLUICE" "$SLUICE_PORT" "$ADMIN_PORT" "$GATEWAY_ENGINE" "$EVENT_LOOPS"
SLUICE_PID=$STARTED_PID
URL="http://$HOST:$SLUICE_PORT/v2/models/bench/infer"
if [ -n "$SLUICE_B" ]; then
    # shellcheck disable=SC2086 # SLUICE_B_ENV is a list of NAME=VALUE words
    start_sluice "$WORK/sluice-b" "$SLUICE_B" "$SLUICE_B_PORT" "$ADMIN_B_PORT" "$GATEWAY_ENGINE_B" "$EVENT_LOOPS_B" $SLUICE_B_ENV
    SLUICE_B_PID=$STARTED_PID
fi

printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$REQUEST'" > "$WORK/post.lua"
# Paced: each connection pauses PACED_DELAY_MS after every response (gateway-vs-nginx.sh's paced mode).
[ -n "$PACED_DELAY_MS" ] && printf 'function delay() return %s end\n' "$PACED_DELAY_MS" >> "$WORK/post.lua"
TARGETS="sluice"
[ -n "$SLUICE_B" ] && TARGETS="$TARGETS sluice-b"
[ "$COMPARE_NGINX" = 1 ] && TARGETS="$TARGETS nginx"
[ -n "$FLOOR" ] && TARGETS="$TARGETS floor"
url_of() {
    case "$1" in
        nginx) echo "http://$HOST:$NGINX_PORT/v2/models/bench/infer" ;;
        floor) echo "http://$HOST:$FLOOR_PORT/v2/models/bench/infer" ;;
        sluice-b) echo "http://$HOST:$SLUICE_B_PORT/v2/models/bench/infer" ;;
        *) echo "$URL" ;;
    esac
}
# The processes whose CPU counts: sluice, the floor, or the proxy nginx's workers (its master idles).
pids_of() {
    case "$1" in
        nginx) pgrep -d, -P "$PROXY_PID" ;;
        floor) echo "$FLOOR_PID" ;;
        sluice-b) echo "$SLUICE_B_PID" ;;
        *) echo "$SLUICE_PID" ;;
    esac
}
# The user and system ticks (/proc/PID/stat fields 14 and 15, all threads) of the comma-separated PIDs, summed.
user_system_ticks() {
    local user=0 system=0 pid fields
    for pid in ${1//,/ }; do
        fields="$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12, $13}')"
        user=$((user + ${fields% *})); system=$((system + ${fields#* }))
    done
    echo "$user $system"
}
# The whole machine's busy ticks (/proc/stat's cpu line: all but idle and iowait).
machine_ticks() {
    awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}
# The machine's TCP segments sent so far (/proc/net/snmp's OutSegs): every hop is loopback.
tcp_segments() {
    awk '/^Tcp:/ { if (seen) { print $column } else { for (i = 1; i <= NF; i++) if ($i == "OutSegs") column = i; seen = 1 } }' /proc/net/snmp
}
EVENTS="task-clock"
if [ "$SYSCALLS" = 1 ]; then
    EVENTS="$EVENTS,context-switches,raw_syscalls:sys_enter"
    for call in read readv write writev recvfrom sendto recvmsg sendmsg epoll_wait epoll_ctl futex accept4 close; do
        EVENTS="$EVENTS,syscalls:sys_enter_$call"
    done
fi
for target in $TARGETS; do
    wrk -t2 -c"$CONNECTIONS" -d"$WARMUP"s -s "$WORK/post.lua" "$(url_of "$target")" > /dev/null
done

printf 'run\ttarget\trequests\treq_per_s\tcpu_us_per_req\terrors\tevents\n' > "$WORK/raw.tsv"
for run in $(seq 1 "$RUNS"); do
    for target in $TARGETS; do
        perf stat -x, -e "$EVENTS" -p "$(pids_of "$target")" -o "$WORK/stat-$run-$target.txt" -- sleep $((DURATION + 1)) &
        perf_pid=$!
        sleep 0.3
        upstreams="$(pgrep -d, -P "$UPSTREAM_PID")"
        ticks_before="$(user_system_ticks "$(pids_of "$target")") $(user_system_ticks "$upstreams") $(machine_ticks) $(tcp_segments)"
        wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s -s "$WORK/post.lua" "$(url_of "$target")" > "$WORK/wrk-$run-$target.txt" 2>&1
        ticks_after="$(user_system_ticks "$(pids_of "$target")") $(user_system_ticks "$upstreams") $(machine_ticks) $(tcp_segments)"
        wait "$perf_pid"
        python3 - "$WORK/wrk-$run-$target.txt" "$WORK/stat-$run-$target.txt" "$run" "$target" "$ticks_before" "$ticks_after" "$(getconf CLK_TCK)" >> "$WORK/raw.tsv" <<'PY'
import re, sys
wrk, stat, run, target, before, after, hertz = sys.argv[1:]
text = open(wrk).read()
requests = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = 0
if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text): errors += int(m.group(1))
if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
    errors += sum(int(x) for x in m.groups())
counts = {}
for line in open(stat):
    fields = line.strip().split(",")
    if len(fields) > 2 and fields[0] and fields[0][0].isdigit():
        counts[fields[2].replace("syscalls:sys_enter_", "").replace("raw_syscalls:sys_enter", "syscalls")] = float(fields[0])
msec = counts.pop("task-clock")
per = max(requests, 1)
events = " ".join(f"{k}={v / per:.2f}" for k, v in counts.items() if v > 0)
# The split of the CPU between user space and the kernel, from /proc's tick counts (1/CLK_TCK s).
(user0, system0, upuser0, upsystem0, machine0, segments0), (user1, system1, upuser1, upsystem1, machine1, segments1) = (map(int, t.split()) for t in (before, after))
micros = lambda ticks: ticks * 1e6 / int(hertz) / per
events += f" user_us={micros(user1 - user0):.2f} kernel_us={micros(system1 - system0):.2f}"
# The rest of the machine's work for each request: the upstream nginx's workers, and all the
# machine's busy time (wrk, the upstreams, the target, interrupts): a gateway that makes the
# others work harder costs throughput its own CPU does not show.
events += f" upstream_us={micros(upuser1 - upuser0 + upsystem1 - upsystem0):.2f} machine_us={micros(machine1 - machine0):.2f} segments={(segments1 - segments0) / per:.2f}"
print(f"{run}\t{target}\t{requests}\t{rps:.0f}\t{msec * 1000 / per:.1f}\t{errors}\t{events}")
PY
        tail -n 1 "$WORK/raw.tsv" >&2
    done
done
python3 - "$WORK/raw.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
for target in dict.fromkeys(r["target"] for r in rows):
    mine = [r for r in rows if r["target"] == target]
    m = lambda k: statistics.median(float(r[k]) for r in mine)
    line = (f"{target}: median of {len(mine)} runs: {m('req_per_s'):,.0f} req/s, {m('cpu_us_per_req'):.1f} µs CPU per request; "
            f"errors {sum(int(r['errors']) for r in mine)}")
    per_request = {}
    for r in mine:
        for pair in r["events"].split():
            name, value = pair.split("=")
            per_request.setdefault(name, []).append(float(value))
    if per_request:
        line += "; per request: " + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in per_request.items())
    print(line)
PY

profile() {  # TARGET SUFFIX: one more run of TARGET under perf record
    local data="$WORK/perf$2.data"
    perf record -e cpu-clock -F 999 -g -p "$(pids_of "$1")" -o "$data" -- sleep "$DURATION" > "$WORK/perf-record$2.log" 2>&1 &
    perf_pid=$!
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s -s "$WORK/post.lua" "$(url_of "$1")" > "$WORK/wrk-perf$2.txt" 2>&1
    wait "$perf_pid" || true
    perf report -i "$data" --no-children --sort symbol --percent-limit 0.5 --stdio -g none > "$WORK/perf$2-report.txt" 2>/dev/null || true
    perf report -i "$data" --children --sort symbol --percent-limit 2 --stdio -g none > "$WORK/perf$2-report-children.txt" 2>/dev/null || true
    echo "profile: $WORK/perf$2-report.txt" >&2
}
if [ "$PERF_RECORD" = 1 ]; then
    profile sluice ""
    [ "$COMPARE_NGINX" != 1 ] || profile nginx -nginx
    [ -z "$FLOOR" ] || profile floor -floor
fi
