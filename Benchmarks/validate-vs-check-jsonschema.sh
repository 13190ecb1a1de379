#!/usr/bin/env bash
# Times `sluice validate` against check-jsonschema on the same synthetic manifests and checks
# that both reject exactly the files made invalid on purpose.
#
#   Benchmarks/validate-vs-check-jsonschema.sh [N]        (default N=10000; 1,000 is always run too)
#
# Timed, from inside the generated directory, in one hyperfine run per size:
#   sluice            sluice validate --format json .
#   sluice-1core      the same, pinned to one CPU (taskset -c 0)
#   sluice-files      xargs -a FILES -s 2000000 -x sluice validate --format json   (files by name)
#   sluice-list       sluice validate --format json --files-from FILES           (the same list, read by sluice)
#   check-jsonschema  xargs -a FILES -s 2000000 -x check-jsonschema --schemafile SCHEMA -o json
# xargs gets a buffer large enough that it starts ONE process with every file (checked).
#
# Environment: RUNS (default 5), WARMUP (default 1), SMALL (default 1000), SEED (default 1),
# INVALID_SHARE (default 0.1). Results land in Benchmarks/.work/ (git-ignored):
# hyperfine-N.json, verdicts-N.json, results.md.
set -euo pipefail

N="${1:-10000}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
SMALL="${SMALL:-1000}"
SEED="${SEED:-1}"
INVALID_SHARE="${INVALID_SHARE:-0.1}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/Benchmarks"
WORK="$BENCH/.work"
SCHEMA="$ROOT/manifests/modeldeployment.schema.json"
SCRATCH="$ROOT/.build-bench"   # never .build: others build there concurrently
mkdir -p "$WORK"

say() { printf '\n== %s\n' "$*" >&2; }

# ---- 1. tools ------------------------------------------------------------------------------
if ! command -v check-jsonschema >/dev/null 2>&1; then
    say "installing check-jsonschema"
    python3 -m pip install --quiet check-jsonschema
    hash -r
fi
if ! command -v hyperfine >/dev/null 2>&1; then
    say "installing hyperfine"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq hyperfine >/dev/null
fi

# ---- 2. build sluice (release, own scratch path) -------------------------------------------
# The working tree may be edited while we build ("input file ... was modified during the
# build"); retry a few times before giving up.
say "building sluice (release, --scratch-path .build-bench)"
built=0
for attempt in 1 2 3 4 5 6; do
    if (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH") > "$WORK/build.log" 2>&1; then
        built=1; break
    fi
    tail -n 5 "$WORK/build.log" >&2
    echo "build attempt $attempt failed; retrying in 30 s" >&2
    sleep 30
done
[ "$built" -eq 1 ] || { echo "could not build sluice" >&2; exit 2; }
SLUICE="$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/sluice"
echo "binary: $SLUICE" >&2

# The schema check-jsonschema uses must be the one this sluice generates, or the comparison
# compares two different formats.
"$SLUICE" schema > "$WORK/schema.generated.json"
if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
    "$WORK/schema.generated.json" "$SCHEMA"; then
    SCHEMA_SYNC="manifests/modeldeployment.schema.json equals \`sluice schema\` output"
else
    SCHEMA_SYNC="WARNING: manifests/modeldeployment.schema.json differs from \`sluice schema\` output"
fi
echo "$SCHEMA_SYNC" >&2

# ---- 3. per size: generate, check verdicts, time --------------------------------------------
COUNTS=("$SMALL")
[ "$N" != "$SMALL" ] && COUNTS+=("$N")
AGREE_ALL=1
for n in "${COUNTS[@]}"; do
    DIR="$WORK/m$n"
    say "$n manifests"
    python3 "$BENCH/generate_manifests.py" "$n" "$DIR" --invalid-share "$INVALID_SHARE" --seed "$SEED"
    # Paths relative to $DIR, so both tools name files the same way.
    (cd "$DIR" && find . -name '*.yaml' | sed 's|^\./||' | LC_ALL=C sort > "$WORK/files-$n.txt")
    # check-jsonschema takes files as arguments: xargs with a buffer big enough that the whole
    # list goes to ONE process (verified here).
    XARGS="xargs -a $WORK/files-$n.txt -s 2000000 -x"
    invocations=$(cd "$DIR" && $XARGS sh -c 'echo $#' sh | wc -l)
    [ "$invocations" -eq 1 ] || { echo "xargs would start $invocations check-jsonschema processes" >&2; exit 2; }
    CJ="$XARGS check-jsonschema --schemafile $SCHEMA -o json"
    SL="$SLUICE validate --format json ."

    # Verdicts: one run each, output kept.
    set +e
    (cd "$DIR" && $SL > "$WORK/sluice-$n.json"); rc_s=$?
    (cd "$DIR" && $CJ > "$WORK/cj-$n.json"); rc_c=$?
    set -e
    # xargs reports 123 when the command it ran exited with 1..125 (check-jsonschema: 1 = invalid).
    echo "exit codes: sluice $rc_s, check-jsonschema via xargs $rc_c" >&2
    if ! python3 "$BENCH/compare_verdicts.py" verdicts "$DIR/expected-invalid.txt" \
        "$WORK/sluice-$n.json" "$WORK/cj-$n.json" --out "$WORK/verdicts-$n.json" >&2; then
        AGREE_ALL=0
    fi
    # Peak memory, one run each.
    if [ -x /usr/bin/time ]; then
        for tool in sluice cj; do
            cmd="$SL"; [ "$tool" = cj ] && cmd="$CJ"
            (cd "$DIR" && /usr/bin/time -f '%M' -o "$WORK/maxrss-$tool-$n.txt" sh -c "$cmd" >/dev/null 2>&1) || true
        done
        echo "peak RSS: sluice $(tail -n 1 "$WORK/maxrss-sluice-$n.txt") KiB, check-jsonschema $(tail -n 1 "$WORK/maxrss-cj-$n.txt") KiB" >&2
    fi

    # Timing, side by side in one hyperfine run. Both exit 1 on invalid input, hence -i.
    # sluice-1core pins sluice to one CPU: check-jsonschema is single-threaded.
    # sluice-files passes the same files by name, through the same xargs, as pre-commit does.
    echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$WORK/load-$n.txt" >&2
    (cd "$DIR" && hyperfine --warmup "$WARMUP" --runs "$RUNS" --ignore-failure --style basic \
        --export-json "$WORK/hyperfine-$n.json" \
        -n sluice "$SL" \
        -n sluice-1core "taskset -c 0 $SL" \
        -n sluice-files "$XARGS $SLUICE validate --format json" \
        -n sluice-list "$SLUICE validate --format json --files-from $WORK/files-$n.txt" \
        -n check-jsonschema "$CJ") >&2
done

# ---- 4. report -------------------------------------------------------------------------------
{
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
    echo "sluice: $(cd "$ROOT" && git rev-parse --short HEAD)$( [ -n "$(cd "$ROOT" && git status --porcelain -- Sources Package.swift)" ] && echo ' + uncommitted changes in Sources/'), release build"
    echo "check-jsonschema: $(check-jsonschema --version 2>&1 | awk '{print $NF}'), $(python3 --version 2>&1); hyperfine $(hyperfine --version | awk '{print $2}'): --warmup $WARMUP --runs $RUNS"
    echo "Schema: $SCHEMA_SYNC"
    for n in "${COUNTS[@]}"; do
        rss=""
        [ -f "$WORK/maxrss-sluice-$n.txt" ] && rss="; peak RSS sluice $(tail -n 1 "$WORK/maxrss-sluice-$n.txt") KiB, check-jsonschema $(tail -n 1 "$WORK/maxrss-cj-$n.txt") KiB"
        echo "$n manifests: $(cat "$WORK/load-$n.txt")$rss"
    done
    echo
    python3 "$BENCH/compare_verdicts.py" table "$WORK" "${COUNTS[@]}"
} | tee "$WORK/results.md"

[ "$AGREE_ALL" -eq 1 ] || { echo "verdicts disagree; see above" >&2; exit 1; }
