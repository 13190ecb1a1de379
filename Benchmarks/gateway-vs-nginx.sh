#!/usr/bin/env bash
# The data-plane gateway benchmark: `sluice serve` against nginx as a reverse proxy, both in
# front of the same two trivial V2 upstreams with the same 90/10 split, driven by wrk.
#
#   Benchmarks/gateway-vs-nginx.sh
#   DURATION=30 RUNS=5 CONNECTIONS="64 16 256" Benchmarks/gateway-vs-nginx.sh
#
# In one run it starts (everything on 127.0.0.1, everything under Benchmarks/.work/gateway/):
#   upstreams  one nginx, two server blocks on :9101 (v1) and :9102 (v2), answering
#              POST /v2/models/bench/infer with a fixed V2 response and GET /v2/health/ready
#              (UPSTREAM=haproxy: one haproxy, two frontends answering the same with
#              `http-request return`, for comparing with the runs made before sluice's gateway
#              sent a Host header, which nginx requires of HTTP/1.1 requests)
#   nginx      a second nginx on :9200: upstream {v1 weight=9; v2 weight=1; keepalive 64},
#              proxy_http_version 1.1, Connection "", worker_processes auto, access_log off
#   sluice     `sluice serve --quiet` (release build) on :9300 (admin :9301) with a runtime
#              spec of two endpoint versions, route weights v1 90 / v2 10
# and then, for each connection count and for one paced mode, RUNS rounds of wrk interleaved as
#   direct (wrk -> :9101), nginx (wrk -> :9200), sluice (wrk -> :9300), direct, nginx, ...
# each `wrk -t$THREADS -c$C -d${DURATION}s --latency -s post.lua URL`, POSTing a small V2 body.
# Unpaced runs are closed-loop at full speed (throughput); the paced mode makes each connection
# pause PACED_DELAY_MS after every response (wrk's delay(), not counted in latency), so every
# target carries about the same moderate load (latency). Before each run the script waits while
# other work keeps the shared machine busy. The table reports medians over the rounds of req/s,
# p50 and p99 (wrk's latency distribution), the CPU time the gateway process used per request,
# the other load seen during the runs, sluice/nginx throughput and the latency each gateway adds
# over direct, and the sluice/nginx ratios of each round (nginx and sluice run back to back in a
# round, so their spread shows how much the neighbours' load moved the medians).
#
# Environment (defaults):
#   DURATION=15          seconds per wrk run
#   RUNS=3               interleaved rounds (medians are reported)
#   CONNECTIONS="64 16"  connection counts of the unpaced runs
#   PACED_CONNECTIONS=16 PACED_DELAY_MS=2   the paced mode (PACED_CONNECTIONS= to skip it)
#   THREADS=2            wrk threads
#   WARMUP=3             seconds of unrecorded wrk per target before measuring
#   QUIET_BUSY=20 QUIET_WAIT=120   before each run, wait up to QUIET_WAIT s while other work keeps
#                        more than QUIET_BUSY % of the CPUs busy
#   UPSTREAM=nginx       or haproxy: the same two upstreams answered by haproxy's
#                        `http-request return`
#   SKIP_BUILD=0         1: use the existing release binary
#   SLUICE=              a sluice binary to measure instead of building one (implies SKIP_BUILD=1)
#   GATEWAY_ENGINE=epoll serve.gatewayEngine of the measured sluice (nio: SwiftNIO, the earlier default)
#   PERF=0               1: after the measurements, `perf record -g` the sluice process during one
#                        more unpaced run at the first connection count (perf-report*.txt)
#   UPSTREAM1_PORT=9101 UPSTREAM2_PORT=9102 NGINX_PORT=9200 SLUICE_PORT=9300 ADMIN_PORT=9301
# Results: Benchmarks/.work/gateway/ (git-ignored): wrk-*.txt (raw), raw.tsv, results.md.
set -euo pipefail

DURATION="${DURATION:-15}"
RUNS="${RUNS:-3}"
CONNECTIONS="${CONNECTIONS:-64 16}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-3}"
PACED_CONNECTIONS="${PACED_CONNECTIONS-16}"
PACED_DELAY_MS="${PACED_DELAY_MS:-2}"
QUIET_BUSY="${QUIET_BUSY:-20}"
QUIET_WAIT="${QUIET_WAIT:-120}"
SKIP_BUILD="${SKIP_BUILD:-0}"
SLUICE="${SLUICE:-}"
GIVEN_SLUICE="$SLUICE"   # named by the caller: the report must not claim this tree built it
[ -n "$SLUICE" ] && SKIP_BUILD=1
PERF="${PERF:-0}"
UPSTREAM="${UPSTREAM:-nginx}"
UPSTREAM1_PORT="${UPSTREAM1_PORT:-9101}"
UPSTREAM2_PORT="${UPSTREAM2_PORT:-9102}"
NGINX_PORT="${NGINX_PORT:-9200}"
SLUICE_PORT="${SLUICE_PORT:-9300}"
ADMIN_PORT="${ADMIN_PORT:-9301}"
HOST=127.0.0.1   # loopback only

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/Benchmarks/.work/gateway"
SCRATCH=".build-bench-gw"   # never .build: others build there concurrently

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'gateway-vs-nginx: %s\n' "$*" >&2; exit 1; }

# ---- processes we start, stopped on any exit ------------------------------------------------
PIDS=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. tools -------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    hash -r
fi
for tool in curl python3; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required"; done
NGINX="$(command -v nginx)"
if [ "$UPSTREAM" = haproxy ]; then
    if ! command -v haproxy >/dev/null 2>&1; then
        say "installing haproxy"
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
        hash -r
    fi
    HAPROXY="$(command -v haproxy)"
elif [ "$UPSTREAM" != nginx ]; then
    die "UPSTREAM must be nginx or haproxy"
fi

for port in "$UPSTREAM1_PORT" "$UPSTREAM2_PORT" "$NGINX_PORT" "$SLUICE_PORT" "$ADMIN_PORT"; do
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
        die "something already listens on $HOST:$port (set *_PORT to move)"
    fi
done

rm -rf "$WORK"
mkdir -p "$WORK"/{upstreams,nginx,sluice}/{logs,tmp}

# ---- 2. build sluice (release, own scratch path) ---------------------------------------------
cd "$ROOT"
if [ "$SKIP_BUILD" != 1 ]; then
    say "building sluice as deployed: scripts/build-release.sh --scratch-path $SCRATCH"
    scripts/build-release.sh --scratch-path "$SCRATCH" > "$WORK/build.log" 2>&1 \
        || { tail -n 20 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
fi
[ -n "$SLUICE" ] || SLUICE="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/sluice"
[ -x "$SLUICE" ] || die "no release binary at $SLUICE"

# ---- 3. configs ---------------------------------------------------------------------------------
RESPONSE='{"model_name":"bench","outputs":[{"name":"predict","shape":[1],"datatype":"FP64","data":[0.5]}]}'
REQUEST='{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[120.5,0.3,14,2.5]}]}'

temp_paths() {  # keep every nginx temp path inside the work directory
    local dir="$1"
    printf '    client_body_temp_path %s/tmp/body;\n    proxy_temp_path %s/tmp/proxy;\n' "$dir" "$dir"
    printf '    fastcgi_temp_path %s/tmp/fastcgi;\n    uwsgi_temp_path %s/tmp/uwsgi;\n    scgi_temp_path %s/tmp/scgi;\n' "$dir" "$dir" "$dir"
}

upstream_server() {  # PORT NAME
    cat <<EOF
    server {
        listen $HOST:$1 backlog=4096;
        # \`return\` discards the request body (ngx_http_send_response) and keeps the connection.
        location = /v2/models/bench/infer {
            default_type application/json;
            add_header X-Served-By $2 always;
            return 200 '$RESPONSE';
        }
        location = /v2/health/ready {
            default_type application/json;
            return 200 '{"ready":true}';
        }
        location / { return 404; }
    }
EOF
}

cat > "$WORK/upstreams/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/upstreams/nginx.pid;
error_log $WORK/upstreams/logs/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
$(temp_paths "$WORK/upstreams")
$(upstream_server "$UPSTREAM1_PORT" v1)
$(upstream_server "$UPSTREAM2_PORT" v2)
}
EOF

# The same two upstreams in haproxy (UPSTREAM=haproxy). `option http-buffer-request` reads the
# whole request body before `http-request return` answers, so the connection stays reusable.
haproxy_frontend() {  # PORT NAME
    cat <<EOF
frontend $2
    bind $HOST:$1 backlog 4096
    http-request return status 200 content-type application/json string '$RESPONSE' hdr X-Served-By $2 if METH_POST { path /v2/models/bench/infer }
    http-request return status 200 content-type application/json string '{"ready":true}' if METH_GET { path /v2/health/ready }
    http-request return status 404
EOF
}
cat > "$WORK/upstreams/haproxy.cfg" <<EOF
global
    nbthread $(nproc)
    maxconn 4096
defaults
    mode http
    option http-buffer-request
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-request 10s
    timeout http-keep-alive 300s
$(haproxy_frontend "$UPSTREAM1_PORT" v1)
$(haproxy_frontend "$UPSTREAM2_PORT" v2)
EOF

cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
$(temp_paths "$WORK/nginx")
    upstream bench {
        server $HOST:$UPSTREAM1_PORT weight=9;
        server $HOST:$UPSTREAM2_PORT weight=1;
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }
    server {
        listen $HOST:$NGINX_PORT backlog=4096;
        location /v2/ {
            proxy_pass http://bench;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF

TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SLUICE_BENCH_TOKEN="$TOKEN"
cat > "$WORK/sluice/sluice.yaml" <<EOF
serve:
  gatewayEngine: ${GATEWAY_ENGINE:-epoll}
  listen: $HOST:$SLUICE_PORT
  admin:
    listen: $HOST:$ADMIN_PORT
    tokenEnv: SLUICE_BENCH_TOKEN
  stateDirectory: ./state
  artifactRoot: .
runtimes: {}
EOF
cat > "$WORK/sluice/spec.json" <<EOF
{"revision":"bench","models":[{"name":"bench","versions":[{"name":"v1","endpoint":"http://$HOST:$UPSTREAM1_PORT"},{"name":"v2","endpoint":"http://$HOST:$UPSTREAM2_PORT"}],"route":{"weights":{"v1":90,"v2":10}}}]}
EOF

# Paced: each connection pauses PACED_DELAY_MS after every response (wrk's delay(); the pause
# is not part of the measured latency), so all three targets see about the same moderate rate.
cat > "$WORK/post-paced.lua" <<EOF
wrk.method = "POST"
wrk.body = '$REQUEST'
wrk.headers["Content-Type"] = "application/json"
function delay() return $PACED_DELAY_MS end
EOF
cat > "$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$REQUEST'
wrk.headers["Content-Type"] = "application/json"
EOF

# ---- 4. start everything ----------------------------------------------------------------------
wait_http() {  # URL: until it answers at all (any status)
    for _ in $(seq 1 100); do
        curl -s -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    die "nothing answers at $1"
}

if [ "$UPSTREAM" = haproxy ]; then
    say "starting upstream haproxy on :$UPSTREAM1_PORT and :$UPSTREAM2_PORT"
    "$HAPROXY" -c -q -f "$WORK/upstreams/haproxy.cfg"
    "$HAPROXY" -db -f "$WORK/upstreams/haproxy.cfg" > "$WORK/upstreams/logs/haproxy.log" 2>&1 &
else
    say "starting upstream nginx on :$UPSTREAM1_PORT and :$UPSTREAM2_PORT"
    "$NGINX" -t -q -p "$WORK/upstreams" -c "$WORK/upstreams/nginx.conf" -e "$WORK/upstreams/logs/error.log"
    "$NGINX" -p "$WORK/upstreams" -c "$WORK/upstreams/nginx.conf" -e "$WORK/upstreams/logs/error.log" -g 'daemon off;' &
fi
UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
wait_http "http://$HOST:$UPSTREAM1_PORT/v2/health/ready"
wait_http "http://$HOST:$UPSTREAM2_PORT/v2/health/ready"

say "starting nginx gateway on :$NGINX_PORT"
"$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" -g 'daemon off;' &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
wait_http "http://$HOST:$NGINX_PORT/"

say "starting sluice serve on :$SLUICE_PORT (admin :$ADMIN_PORT)"
(cd "$WORK/sluice" && exec "$SLUICE" serve --config sluice.yaml --quiet > stdout.log 2> stderr.log) &
SLUICE_PID=$!; PIDS+=("$SLUICE_PID")
for _ in $(seq 1 100); do
    grep -q '^sluice serve: inference on' "$WORK/sluice/stdout.log" 2>/dev/null && break
    kill -0 "$SLUICE_PID" 2>/dev/null || { cat "$WORK/sluice/stderr.log" >&2; die "sluice serve exited"; }
    sleep 0.1
done
grep -q '^sluice serve: inference on' "$WORK/sluice/stdout.log" || die "sluice serve did not start listening"

ADMIN="http://$HOST:$ADMIN_PORT"
curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary @"$WORK/sluice/spec.json" "$ADMIN/v1/spec" > "$WORK/sluice/apply.json" \
    || die "PUT /v1/spec failed: $(cat "$WORK/sluice/apply.json" 2>/dev/null)"
ready=0
for _ in $(seq 1 200); do
    curl -sf -H "Authorization: Bearer $TOKEN" "$ADMIN/v1/state" > "$WORK/sluice/state.json" || true
    if python3 - "$WORK/sluice/state.json" <<'PY'
import json, sys
try:
    state = json.load(open(sys.argv[1]))
    versions = [v for m in state["models"] if m["name"] == "bench" for v in m["versions"]]
    sys.exit(0 if len(versions) == 2 and all(v.get("ready") is True for v in versions) else 1)
except Exception:
    sys.exit(1)
PY
    then ready=1; break; fi
    sleep 0.1
done
[ "$ready" = 1 ] || { cat "$WORK/sluice/state.json" >&2; die "versions v1 and v2 did not become ready"; }

# ---- 5. sanity: every target answers 200 with the upstream's body; the split is 90/10 --------
say "checking the three targets and the split"
python3 - "$HOST" "$UPSTREAM1_PORT" "$NGINX_PORT" "$SLUICE_PORT" "$REQUEST" > "$WORK/sanity.txt" <<'PY'
import http.client, json, sys
host, direct, nginx, sluice, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
path = "/v2/models/bench/infer"
headers = {"Content-Type": "application/json"}
for name, port in (("direct", direct), ("nginx", nginx), ("sluice", sluice)):
    connection = http.client.HTTPConnection(host, port, timeout=5)
    counts = {}
    for _ in range(2000):
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200 or json.loads(data)["outputs"][0]["data"] != [0.5]:
            sys.exit(f"{name}: unexpected answer {response.status} {data[:200]!r}")
        served = response.getheader("X-Served-By", "?")
        counts[served] = counts.get(served, 0) + 1
    print(f"{name}: 2000 x 200 OK, served by {dict(sorted(counts.items()))}")
connection = http.client.HTTPConnection(host, sluice, timeout=5)
connection.request("POST", path, body="{not json", headers=headers)
response = connection.getresponse(); response.read()
if response.status != 400:
    sys.exit(f"sluice: bad JSON answered {response.status}, expected 400")
print("sluice: bad JSON -> 400")
PY
cat "$WORK/sanity.txt" >&2

# ---- 6. measure ---------------------------------------------------------------------------------
declare -A URL=(
    [direct]="http://$HOST:$UPSTREAM1_PORT/v2/models/bench/infer"
    [nginx]="http://$HOST:$NGINX_PORT/v2/models/bench/infer"
    [sluice]="http://$HOST:$SLUICE_PORT/v2/models/bench/infer"
)
TARGETS=(direct nginx sluice)
CLK_TCK="$(getconf CLK_TCK)"

cpu_ticks() {  # utime+stime (all threads) of a process and its direct children
    local total=0 pid fields
    for pid in "$1" $(pgrep -P "$1" || true); do
        [ -r "/proc/$pid/stat" ] || continue
        fields="$(sed 's/^.*) //' "/proc/$pid/stat")"
        set -- $fields
        total=$(( total + ${12} + ${13} ))
    done
    echo "$total"
}
gateway_pid() {
    case "$1" in
        direct) echo "$UPSTREAM_PID" ;;
        nginx) echo "$NGINX_PID" ;;
        sluice) echo "$SLUICE_PID" ;;
    esac
}

busy_pct() {  # % of all CPUs busy over one second (between runs only other work is busy)
    local a b
    a="$(head -n1 /proc/stat)"; sleep 1; b="$(head -n1 /proc/stat)"
    printf '%s\n%s\n' "$a" "$b" | awk '{t=0; for (i=2;i<=9;i++) t+=$i; idle=$5+$6; if (NR==1) {t0=t; i0=idle} else {printf "%d\n", (t-t0-(idle-i0))*100/(t-t0>0?t-t0:1)}}'
}
wait_quiet() {  # before each run, wait up to QUIET_WAIT seconds for other work to go below QUIET_BUSY %
    local waited=0 busy
    busy="$(busy_pct)"
    while [ "$busy" -gt "$QUIET_BUSY" ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
        sleep 4; waited=$((waited + 5)); busy="$(busy_pct)"
    done
    [ "$waited" -gt 0 ] && echo "   waited ${waited}s for other load to settle (now ${busy}% busy)" >&2
    return 0
}

run_wrk() {  # TARGET MODE SECONDS OUTFILE; MODE is C (as fast as possible) or C+Dms (paced)
    local connections="${2%%+*}" script="$WORK/post.lua"
    [ "$2" != "$connections" ] && script="$WORK/post-paced.lua"
    "$(command -v wrk)" -t"$THREADS" -c"$connections" -d"$3"s --latency -s "$script" "${URL[$1]}" > "$4" 2>&1
}

say "warm-up: ${WARMUP}s per target"
for target in "${TARGETS[@]}"; do
    run_wrk "$target" "$(echo "$CONNECTIONS" | awk '{print $1}')" "$WARMUP" "$WORK/warmup-$target.txt"
done

printf 'connections\ttarget\trun\trps\tp50_ms\tp99_ms\trequests\terrors\tcpu_us_per_req\tupstream_cpu_us_per_req\tload\tother_cpu_pct\tsteal_pct\n' > "$WORK/raw.tsv"
MODES="$CONNECTIONS"
[ -n "$PACED_CONNECTIONS" ] && MODES="$MODES $PACED_CONNECTIONS+${PACED_DELAY_MS}ms"
for connections in $MODES; do
    for run in $(seq 1 "$RUNS"); do
        for target in "${TARGETS[@]}"; do
            out="$WORK/wrk-$target-c$connections-r$run.txt"
            wait_quiet
            load="$(cut -d' ' -f1 /proc/loadavg)"
            say "c=$connections run $run/$RUNS: $target (load $load)"
            gw="$(gateway_pid "$target")"
            before="$(cpu_ticks "$gw")"; up_before="$(cpu_ticks "$UPSTREAM_PID")"
            stat_before="$(head -n1 /proc/stat)"; times > "$WORK/times-before.txt"
            run_wrk "$target" "$connections" "$DURATION" "$out"
            times > "$WORK/times-after.txt"; stat_after="$(head -n1 /proc/stat)"
            after="$(cpu_ticks "$gw")"; up_after="$(cpu_ticks "$UPSTREAM_PID")"
            python3 - "$out" "$connections" "$target" "$run" $((after - before)) $((up_after - up_before)) "$CLK_TCK" "$load" \
                "$stat_before" "$stat_after" "$WORK/times-before.txt" "$WORK/times-after.txt" >> "$WORK/raw.tsv" <<'PY'
import re, sys
path, connections, target, run, ticks, up_ticks, clk, load, stat0, stat1, times0, times1 = sys.argv[1:]
text = open(path).read()
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
def latency(percent):
    m = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m: sys.exit(f"{path}: no {percent}% line")
    return float(m.group(1)) * unit[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
errors = 0
if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text): errors += int(m.group(1))
if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
    errors += sum(int(x) for x in m.groups())
per = lambda t: int(t) * 1e6 / int(clk) / max(requests, 1)
gw = per(ticks) if target != "direct" else 0.0
# CPU used on the machine by anything but wrk, the gateway and the upstreams (other load),
# and time stolen by the hypervisor, both in % of all CPUs over the run.
def jiffies(line):
    v = [int(x) for x in line.split()[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(v), v[3] + v[4], v[7]
def wrk_seconds(file):  # bash `times`, second line: children's user and system time
    fields = open(file).read().split("\n")[1].split()
    return sum(int(m) * 60 + float(sec) for m, sec in (re.match(r"(\d+)m([\d.]+)s", f).groups() for f in fields))
total0, idle0, steal0 = jiffies(stat0); total1, idle1, steal1 = jiffies(stat1)
total = max(total1 - total0, 1)
mine = int(ticks) + (int(up_ticks) if target != "direct" else 0) + (wrk_seconds(times1) - wrk_seconds(times0)) * int(clk)
other = max(0.0, (total - (idle1 - idle0) - (steal1 - steal0) - mine) / total * 100)
steal = (steal1 - steal0) / total * 100
print(f"{connections}\t{target}\t{run}\t{rps:.1f}\t{latency(50):.3f}\t{latency(99):.3f}\t{requests}\t{errors}\t{gw:.1f}\t{per(up_ticks):.1f}\t{load}\t{other:.1f}\t{steal:.1f}")
PY
            tail -n 1 "$WORK/raw.tsv" >&2
        done
    done
done

curl -sf -H "Authorization: Bearer $TOKEN" "$ADMIN/v1/stats" > "$WORK/sluice/stats.json" || true

# ---- 7. optional profile of sluice ---------------------------------------------------------------
if [ "$PERF" = 1 ]; then
    first="$(echo "$CONNECTIONS" | awk '{print $1}')"
    say "perf record -g on sluice (pid $SLUICE_PID) during one more ${DURATION}s run at c=$first"
    perf record -F 499 -g -p "$SLUICE_PID" -o "$WORK/perf.data" -- sleep "$DURATION" > "$WORK/perf-record.log" 2>&1 &
    perf_pid=$!
    run_wrk sluice "$first" "$DURATION" "$WORK/wrk-sluice-perf.txt"
    wait "$perf_pid" || true
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --percent-limit 0.7 --stdio -g none \
        > "$WORK/perf-report.txt" 2>/dev/null || true
    perf report -i "$WORK/perf.data" --children --sort symbol --percent-limit 3 --stdio -g none \
        > "$WORK/perf-report-children.txt" 2>/dev/null || true
    say "profile: $WORK/perf-report.txt"
fi

# ---- 8. report ------------------------------------------------------------------------------------
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD)"
DIRTY=""; git -C "$ROOT" diff --quiet HEAD -- Sources 2>/dev/null || DIRTY=" (Sources/ had uncommitted changes)"
if [ -n "$GIVEN_SLUICE" ]; then COMMIT="binary $GIVEN_SLUICE, given by SLUICE= (this tree: $COMMIT)"; DIRTY=""; fi
python3 - "$WORK/raw.tsv" "$WORK/sanity.txt" "$DURATION" "$RUNS" "$THREADS" "$COMMIT$DIRTY" \
    "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
    "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" "$(wrk -v 2>&1 | head -n1 | awk '{print $2}')" \
    "$UPSTREAM $([ "$UPSTREAM" = haproxy ] && "$HAPROXY" -v | head -n1 | awk '{print $3}' || "$NGINX" -v 2>&1 | sed 's/^nginx version: nginx.//')" \
    > "$WORK/results.md" <<'PY'
import csv, statistics, sys, datetime
raw, sanity, duration, runs, threads, commit, nproc, cpu, nginx, wrk, upstream = sys.argv[1:]
rows = list(csv.DictReader(open(raw), delimiter="\t"))
order = ["direct", "nginx", "sluice"]
label = {"direct": f"direct to upstream v1 ({upstream.split()[0]})", "nginx": "nginx gateway (90/10)", "sluice": "sluice serve (90/10)"}
med = {}
for c in dict.fromkeys(r["connections"] for r in rows):
    for t in order:
        rs = [r for r in rows if r["connections"] == c and r["target"] == t]
        if not rs: continue
        m = lambda k: statistics.median(float(r[k]) for r in rs)
        med[c, t] = dict(rps=m("rps"), p50=m("p50_ms"), p99=m("p99_ms"), cpu=m("cpu_us_per_req"),
                         up=m("upstream_cpu_us_per_req"), other=max(float(r["other_cpu_pct"]) for r in rs), errors=sum(int(r["errors"]) for r in rs),
                         rps_all=[float(r["rps"]) for r in rs], n=len(rs))
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"{now}; {nproc} CPUs ({cpu}); sluice {commit}; gateway {nginx}; upstreams {upstream}; wrk {wrk}; "
      f"wrk -t{threads} -d{duration}s, medians of {runs} interleaved runs.\n")
print("| configuration | connections | req/s (median) | p50 | p99 | added p50 vs direct | added p99 vs direct | gateway CPU per request | errors | other load (max) | req/s of each run |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
ms = lambda v: f"{v:.3f} ms"
def cname(c):
    return c if "+" not in c else f"{c.split('+')[0]}, paced ({c.split('+')[1].replace('ms', ' ms')} pause)"
for (c, t), v in med.items():
    d = med.get((c, "direct"))
    add50 = "" if t == "direct" or not d else f"{v['p50'] - d['p50']:+.3f} ms"
    add99 = "" if t == "direct" or not d else f"{v['p99'] - d['p99']:+.3f} ms"
    cpu_text = "" if t == "direct" else f"{v['cpu']:.1f} µs"
    runs_text = ", ".join(f"{x:,.0f}" for x in v["rps_all"])
    print(f"| {label[t]} | {cname(c)} | {v['rps']:,.0f} | {ms(v['p50'])} | {ms(v['p99'])} | {add50} | {add99} | {cpu_text} | {v['errors']} | {v['other']:.0f}% | {runs_text} |")
print()
# Each round runs nginx and sluice back to back, so a round's own ratio is free of the
# neighbours' load that moves both between rounds: their spread says how far to trust the medians.
def round_ratios(c, key):
    by_run = {(r["target"], r["run"]): float(r[key]) for r in rows if r["connections"] == c}
    ratios = [by_run["sluice", run] / by_run["nginx", run] for (t, run) in by_run if t == "nginx" and ("sluice", run) in by_run and by_run["nginx", run] > 0]
    return ", ".join(f"{x:.2f}x" for x in ratios)
print("| connections | sluice / nginx req/s | sluice / nginx CPU per request | nginx added p99 | sluice added p99 | req/s ratio of each round | CPU ratio of each round |")
print("| ---: | ---: | ---: | ---: | ---: | --- | --- |")
for c in dict.fromkeys(k[0] for k in med):
    n, s, d = med.get((c, "nginx")), med.get((c, "sluice")), med.get((c, "direct"))
    if not (n and s and d): continue
    print(f"| {cname(c)} | {s['rps'] / n['rps']:.2f}x | {s['cpu'] / n['cpu']:.2f}x | {n['p99'] - d['p99']:+.3f} ms | {s['p99'] - d['p99']:+.3f} ms "
          f"| {round_ratios(c, 'rps')} | {round_ratios(c, 'cpu_us_per_req')} |")
print()
print("Sanity checks (2,000 sequential keep-alive requests per target, counted by the upstream's X-Served-By header):\n")
for line in open(sanity):
    print(f"- {line.strip()}")
PY
cat "$WORK/results.md"
