#!/usr/bin/env bash
# Checks that everything in Benchmarks/ still builds: drift-bench and gateway-floor are targets
# of the root package (every build compiles them); the Python and shell drivers parse.
# GatewayMetricsBench is a package of its own (so Sluice does not depend on swift-prometheus):
# building it compiles SluiceServe and all of SwiftNIO a second time in its own scratch folder,
# 160-200 s on CI's two cores, the step that put CI over its 20-minute budget. It builds here
# only with SLUICE_BENCH_PACKAGES=1 (by hand, and before changing the public API it uses).
# Running them is by hand (Benchmarks/README.md): their figures need a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product drift-bench 2>&1 | tail -1
swift build --product gateway-floor 2>&1 | tail -1
if [ "${SLUICE_BENCH_PACKAGES:-0}" = 1 ]; then
  for package in Benchmarks/GatewayMetricsBench; do
    name=$(basename "$package")
    echo "== swift build $package"
    swift build --package-path "$package" --scratch-path ".build-check-$name" 2>&1 | tail -3
  done
else
  echo "== Benchmarks/GatewayMetricsBench: not built (SLUICE_BENCH_PACKAGES=1 builds it)"
fi
python3 -c "import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]" Benchmarks/*.py
for script in Benchmarks/*.sh; do bash -n "$script"; done
echo "== Benchmarks/: builds"
