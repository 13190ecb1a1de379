#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test
# The example V2 model server that the data-plane tests and the quickstart run.
python3 -m unittest examples/server/test_v2_server.py
# A 20-second run of every fuzz target (docs/fuzzing.md) when SLUICE_FUZZ_SMOKE=1. Not in CI by
# default: its cold sanitizer build of SwiftNIO and Yams alone takes 6-13 minutes on 2 cores,
# which would put the run near the 20-minute budget. It needs the toolchain's libFuzzer
# runtime (Linux): without it scripts/fuzz.sh stops with an error saying so.
if [ "${SLUICE_FUZZ_SMOKE:-0}" = 1 ]; then
    scripts/fuzz.sh 20
fi
