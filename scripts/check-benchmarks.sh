#!/usr/bin/env bash
# Checks that everything in Benchmarks/ still builds: drift-bench and gateway-floor are targets
# of the root package (every build compiles them); GatewayMetricsBench is a package of its own (so Sluice does
# not depend on swift-prometheus) and compiles here in debug, in its own scratch folder; the
# Python and shell drivers parse.
# Running them is by hand (Benchmarks/README.md): their figures need a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product drift-bench 2>&1 | tail -1
swift build --product gateway-floor 2>&1 | tail -1
for package in Benchmarks/GatewayMetricsBench; do
  name=$(basename "$package")
  echo "== swift build $package"
  swift build --package-path "$package" --scratch-path ".build-check-$name" 2>&1 | tail -3
done
python3 -c "import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]" Benchmarks/*.py
for script in Benchmarks/*.sh; do bash -n "$script"; done
echo "== Benchmarks/: builds"
