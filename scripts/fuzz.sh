#!/usr/bin/env bash
# Builds the libFuzzer targets (docs/fuzzing.md) and runs each for SECONDS, one at a time.
#   scripts/fuzz.sh [SECONDS] [TARGET…]     default: 600 seconds, every target
# Targets: FuzzManifest FuzzHTTP FuzzInference FuzzFeedback FuzzRuntimeSpec FuzzBaseline.
# Crashes, hangs (-timeout) and out-of-memory (-rss_limit_mb) are written to
# .build-fuzz/findings/TARGET/ and make the script exit 1. The grown corpus stays in
# .build-fuzz/corpus/TARGET, so a later run continues where this one stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(FuzzManifest FuzzHTTP FuzzInference FuzzFeedback FuzzRuntimeSpec FuzzBaseline)
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
SCRATCH=.build-fuzz
# Extra libFuzzer flags, e.g. FUZZ_FLAGS="-only_ascii=1"; FUZZ_NO_BUILD=1 runs what is built.
read -r -a EXTRA <<< "${FUZZ_FLAGS:-}"

# -sanitize=fuzzer needs libclang_rt.fuzzer from the Swift toolchain (Linux only): say so
# plainly rather than fail later in the linker.
resource_dir=$(swiftc -print-target-info | python3 -c 'import json,sys; print(json.load(sys.stdin)["paths"]["runtimeResourcePath"])')
if ! ls "$resource_dir"/clang/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1; then
    echo "error: this Swift toolchain has no libFuzzer runtime (libclang_rt.fuzzer under $resource_dir/clang/lib);" >&2
    echo "       fuzzing needs a swift.org toolchain on Linux" >&2
    exit 2
fi

seed() {  # seed TARGET DIR: the committed seeds plus the fixtures that fit the target
    local target=$1 dir=$2
    mkdir -p "$dir"
    cp -n Fuzz/corpus/"$target"/* "$dir"/ 2>/dev/null || true
    case $target in
        FuzzManifest)
            for f in manifests/models/*.yaml examples/invalid/*.yaml examples/sluice.yaml Tests/SluiceCoreTests/Fixtures/invalid/*.yaml; do
                cp -n "$f" "$dir/$(echo "$f" | tr / _)"
            done ;;
        FuzzBaseline)
            for f in examples/baselines/*.json; do cp -n "$f" "$dir/$(echo "$f" | tr / _)"; done ;;
    esac
}

dictionary() {
    case $1 in
        FuzzManifest) echo Fuzz/dict/yaml.dict ;;
        FuzzHTTP) echo Fuzz/dict/http.dict ;;
        *) echo Fuzz/dict/json.dict ;;
    esac
}

# LeakSanitizer reports Swift's lazily initialized globals (one allocation each) as leaks, at
# exit too; memory that grows with every input is caught by -rss_limit_mb instead.
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# Swift's own crash backtracer takes minutes on a big binary; libFuzzer reports the crash.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

status=0
for target in "${TARGETS[@]}"; do
    [[ " ${ALL[*]} " == *" $target "* ]] || { echo "error: unknown target '$target'; one of: ${ALL[*]}" >&2; exit 2; }
    if [ -z "${FUZZ_NO_BUILD:-}" ]; then
        echo "== $target: building" >&2
        SLUICE_FUZZ=1 swift build -c release --scratch-path "$SCRATCH" --product "$target" \
            -Xswiftc -sanitize=fuzzer,address 2>&1 | { grep -E "error|warning: .*\.swift|Compiling|complete" >&2 || true; }
        # A failed build leaves the previous binary in place: never fuzz that stale one.
        [ "${PIPESTATUS[0]}" = 0 ] || { echo "error: $target did not build" >&2; exit 2; }
    fi
    binary="$SCRATCH/release/$target"
    [ -x "$binary" ] || { echo "error: $target did not build" >&2; exit 2; }
    corpus="$SCRATCH/corpus/$target"
    findings="$SCRATCH/findings/$target"
    log="$SCRATCH/logs/$target.log"
    seed "$target" "$corpus"
    mkdir -p "$findings" "$(dirname "$log")"
    echo "== $target: fuzzing for ${SECONDS_EACH}s (log $log)" >&2
    # nice: the fuzzer shares the machine; one target at a time.
    if ! nice -n 19 "$binary" "$corpus" -dict="$(dictionary "$target")" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -detect_leaks=0 \
        -artifact_prefix="$findings/" -print_final_stats=1 "${EXTRA[@]}" >"$log" 2>&1; then
        echo "== $target: FINDING (see $log and $findings/)" >&2
        grep -E "ERROR|SUMMARY|Fatal error|Test unit written" "$log" | head -5 >&2 || true
        status=1
    fi
    grep -E "^#[0-9]+.*(DONE|INITED)|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$log" >&2 || true
done
exit $status
