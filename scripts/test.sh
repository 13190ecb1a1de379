#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test
# The example V2 model server that the data-plane tests and the quickstart run.
python3 -m unittest examples/server/test_v2_server.py
