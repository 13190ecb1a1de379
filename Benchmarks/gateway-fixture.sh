#!/usr/bin/env bash
# The gateway benchmarks' shared fixture, sourced by gateway-cpu.sh and gateway-instructions.sh:
# the V2 request and the upstreams' fixed answer, the nginx configs (upstream server blocks,
# the whole config), the 90/10 spec (SHADOW=1: v1 100 / v2 0 with every request mirrored to
# v2 and paired) and the `sluice serve` config. Reads HOST, UPSTREAM1_PORT, UPSTREAM2_PORT,
# SHADOW, SKETCH_INPUTS, PREDICTIONS and SKETCHED_PER_SECOND from the sourcing script.

RESPONSE='{"model_name":"bench","outputs":[{"name":"predict","shape":[1],"datatype":"FP64","data":[0.5]}]}'
REQUEST='{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[120.5,0.3,14,2.5]}]}'

server_block() {  # PORT NAME: an upstream answering RESPONSE, tagged X-Served-By NAME, and ready
    printf '    server {\n        listen %s:%s backlog=4096;\n' "$HOST" "$1"
    printf "        location = /v2/models/bench/infer { default_type application/json; add_header X-Served-By %s always; return 200 '%s'; }\n" "$2" "$RESPONSE"
    printf "        location = /v2/health/ready { default_type application/json; return 200 '{\"ready\":true}'; }\n        location / { return 404; }\n    }\n"
}

nginx_conf() {  # DIR PROCESS-LINES BLOCKS: an nginx config keeping everything under DIR, serving BLOCKS
    local dir="$1"
    cat <<CONF
$2
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy; fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;
$3
}
CONF
}

proxy_block() {  # PORT: nginx as the gateway on PORT, 90/10 over the two upstreams
    # (SHADOW=1: everything to v1, each request also mirrored to v2 with nginx's `mirror`,
    # whose answers are dropped: the copy Sluice's shadow step sends, without the pairing)
    if [ "$SHADOW" = 1 ]; then
        printf '%s' "    upstream bench { server $HOST:$UPSTREAM1_PORT; keepalive 64; keepalive_requests 1000000; keepalive_timeout 300s; }
    upstream shadow { server $HOST:$UPSTREAM2_PORT; keepalive 64; keepalive_requests 1000000; keepalive_timeout 300s; }
    server {
        listen $HOST:$1 backlog=4096;
        location /v2/ { mirror /shadow; proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
        location = /shadow { internal; proxy_pass http://shadow\$request_uri; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
    }"
        return
    fi
    printf '%s' "    upstream bench { server $HOST:$UPSTREAM1_PORT weight=9; server $HOST:$UPSTREAM2_PORT weight=1;
                     keepalive 64; keepalive_requests 1000000; keepalive_timeout 300s; }
    server {
        listen $HOST:$1 backlog=4096;
        location /v2/ { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
    }"
}

ROUTE='{"weights":{"v1":90,"v2":10}}'
[ "$SHADOW" = 1 ] && ROUTE='{"weights":{"v1":100,"v2":0},"mirror":{"version":"v2","percent":100,"pairing":{"tolerances":[0]}}}'
SPEC="{\"revision\":\"bench\",\"models\":[{\"name\":\"bench\",\"sketchInputs\":[$SKETCH_INPUTS],\"versions\":[{\"name\":\"v1\",\"endpoint\":\"http://$HOST:$UPSTREAM1_PORT\"},{\"name\":\"v2\",\"endpoint\":\"http://$HOST:$UPSTREAM2_PORT\"}],\"route\":$ROUTE}]}"

sluice_config() {  # PORT ADMIN_PORT [ENGINE] [LOOPS]: `sluice serve`'s config (the admin token in SLUICE_BENCH_TOKEN;
    # ENGINE is serve.gatewayEngine, default GATEWAY_ENGINE or epoll; LOOPS is serve.eventLoops, default one per core)
    cat <<CONF
serve:
  gatewayEngine: ${3:-${GATEWAY_ENGINE:-epoll}}
${4:+  eventLoops: $4
}  listen: $HOST:$1
  admin:
    listen: $HOST:$2
    tokenEnv: SLUICE_BENCH_TOKEN
  stateDirectory: ./state
  artifactRoot: .
  monitoring:
    predictions: $PREDICTIONS
    sketchedPerSecond: $SKETCHED_PER_SECOND
runtimes: {}
CONF
}
