#!/usr/bin/env bash
# Runs the dashboard's headless-browser suite (DashboardBrowserTests): Chromium renders the
# models page and model pages (a canary with its timeline, monitor charts, an abort) and runs the
# refresh script; screenshots go to .build/dashboard-screenshots/.
# Needs Chromium (scripts/setup.sh installs it); without it the suite fails, it does not skip.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests -q
SLUICE_BROWSER_TESTS=1 swift test --skip-build --filter DashboardBrowserTests
echo "screenshots: .build/dashboard-screenshots/"
