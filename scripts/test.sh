#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test
# The example V2 model server that the data-plane tests and the quickstart run.
python3 -m unittest examples/server/test_v2_server.py
# A 20-second run of every fuzz target (docs/fuzzing.md) in CI (where CI is set) or when
# SLUICE_FUZZ_SMOKE=1; SLUICE_FUZZ_SMOKE=0 skips it. It needs the toolchain's libFuzzer
# runtime (Linux): without it scripts/fuzz.sh stops with an error saying so.
if [ "${SLUICE_FUZZ_SMOKE:-${CI:+1}}" = 1 ]; then
    scripts/fuzz.sh 20
fi
