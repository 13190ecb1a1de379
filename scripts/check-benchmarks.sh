#!/usr/bin/env bash
# Checks that everything in Benchmarks/ still builds: the two Swift packages compile (debug,
# in their own scratch folders), the Python drivers parse and the shell drivers parse.
# Running them is by hand (Benchmarks/README.md): their figures need a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
for package in Benchmarks/DriftBench Benchmarks/GatewayMetricsBench; do
  name=$(basename "$package")
  echo "== swift build $package"
  swift build --package-path "$package" --scratch-path ".build-check-$name" 2>&1 | tail -3
done
python3 -c "import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]" Benchmarks/*.py
for script in Benchmarks/*.sh; do bash -n "$script"; done
echo "== Benchmarks/: builds"
