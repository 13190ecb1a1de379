#!/usr/bin/env bash
# Time and peak memory of `sluice validate` on hostile YAML (issue 11, item 8).
#
#   Benchmarks/yaml-bombs.sh [SLUICE_BINARY]
#
# Generates the files of Benchmarks/yaml_bombs.py into Benchmarks/.work/bombs (git-ignored)
# and runs `/usr/bin/time -v sluice validate --format json FILE` on each, printing wall time,
# peak RSS, exit status, diagnostics printed and output size. Without an argument it builds
# and uses `swift build -c release --scratch-path .build-bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-}"
if [ -z "$binary" ]; then
    swift build -c release --product sluice --scratch-path .build-bench >/dev/null
    binary=.build-bench/release/sluice
fi
work=Benchmarks/.work/bombs
rm -rf "$work"
python3 Benchmarks/yaml_bombs.py "$work"
printf '%-22s %9s %12s %5s %12s %12s\n' file seconds peak_kib exit diagnostics output_bytes
for name in one-doc.yaml many-docs.yaml many-files docs-under-cap.yaml files-under-cap errors.yaml \
    under-node-cap.yaml big-errors.yaml big-list.yaml tiny-docs.yaml laughs.yaml; do
    status=0
    /usr/bin/time -v "$binary" validate --format json "$work/$name" >"$work/out.json" 2>"$work/time.txt" || status=$?
    seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
    peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    printf '%-22s %9s %12s %5s %12s %12s\n' "$name" "$seconds" "$peak" "$status" \
        "$(grep -c '"code"' "$work/out.json" || true)" "$(wc -c <"$work/out.json")"
done
