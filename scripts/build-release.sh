#!/usr/bin/env bash
# Builds `sluice` as it is deployed: release, the Swift runtime linked in, and no runtime
# exclusivity checks in any module. Extra arguments go to `swift build` (e.g. a scratch path):
#
#   scripts/build-release.sh                               # -> .build/release/sluice
#   scripts/build-release.sh --scratch-path .build-perf    # -> .build-perf/release/sluice
#
# `-enforce-exclusivity=unchecked`: Swift checks at run time that no two accesses to a class's
# stored property or a global overlap; the compiler proves the rest. On the gateway's hot path
# those checks are ~7,000 of ~65,000 instructions per proxied request, most of them inside
# SwiftNIO (its channel's lifecycle state alone is read 22 times a request), which a package
# cannot exempt from its own manifest. Debug builds, and so every test run, keep the checks, and
# a violation any test reaches traps there. Drop the flag to keep them in the release binary too.
# Figures: Benchmarks/README.md, "Hot path, slice 42".
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift build -c release --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked --product sluice "$@"
