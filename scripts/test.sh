#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test, the
# quickstart (on the debug build) and a build of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The zero-warnings guard (docs/testing.md): a compiler warning in our own targets is an error
# in every build of this run, the quickstart's included. Dependencies are not judged.
export SLUICE_WARNINGS_AS_ERRORS=1
# setup.sh installed Chromium: the dashboard's headless-browser suite runs too.
export SLUICE_BROWSER_TESTS=1
swift build --build-tests
logs=.build/test-logs
mkdir -p "$logs"
rm -f "$logs"/*-flaky.txt "$logs"/*-first-try.log
# Two steps, so that the CPU-heavy unit tests of SluiceCore (sketches fed millions of values)
# never share the two cores with the tests that start servers and wait for their answers.
# Every suite has a 10-minute time limit per test; `timeout` (which signals its whole process
# group, model servers and python peers included) is the backstop for a test that ignores it,
# so that a hang fails the run with the names of the unfinished tests instead of using up CI.
#
# A step that fails (not at the backstop) runs once more, and only a second failure fails the
# run: a stopgap for the rare process-wide stalls among hundreds of concurrent tests on two
# cores (a loopback connect or an answer overdue by seconds; docs/testing.md). The first try's
# failures are kept in .build/test-logs/STEP-flaky.txt and printed at the end, never hidden.
run_tests() {  # log name, minutes, swift test arguments
  local name=$1 log=$logs/$1.log minutes=$2 status=0
  shift 2
  timeout -k 30 "${minutes}m" swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ -z "${SLUICE_NO_RETRY:-}" ]; then
    cp "$log" "$logs/$name-first-try.log"
    grep -E 'recorded an issue|Caught error' "$log" > "$logs/$name-flaky.txt" || true
    echo "test.sh: the $name step failed once ($(wc -l < "$logs/$name-flaky.txt") issues, in $logs/$name-flaky.txt); running it again" >&2
    status=0
    timeout -k 30 "${minutes}m" swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?
  fi
  if [ "$status" -ne 0 ]; then
    scripts/slowest-tests.py --unfinished "$log"
    echo "test.sh: swift test $* failed (status $status; 124 is the ${minutes}-minute backstop)" >&2
    exit "$status"
  fi
}
echo "== swift test: SluiceCoreTests (pure logic)"
run_tests core 20 --filter '^SluiceCoreTests\.'
# Suites that judge time against a short lease or deadline run on their own afterwards: among
# hundreds of concurrent tests, a test holding one of the two threads of the cooperative pool
# (a synchronous git call) stalls the process for seconds, longer than a 1.5 s renew deadline.
# The epoll loop's own suites too: they wait on loop threads and blocking sockets, which a
# saturated cooperative pool delayed past their limits in one full run.
serial='LeaderElectionTests|ControllerLoopTests|EpollEventLoopTests|EpollServerSocketTests|EpollUpstreamSocketTests'
echo "== swift test: every other target (real git, SQLite, processes, loopback peers, the binary)"
run_tests components 25 --skip "^SluiceCoreTests\\.|$serial"
echo "== swift test: the timing-sensitive suites, alone ($serial)"
run_tests serial 10 --filter "$serial"
# The data plane's suites once more with the gateway on SwiftNIO's channels, the engine
# before epoll became the default (serve.gatewayEngine: nio, set by their fixture from this variable).
echo "== swift test: SluiceServeTests on serve.gatewayEngine: nio"
SLUICE_TEST_GATEWAY_ENGINE=nio run_tests nio 15 --filter '^SluiceServeTests\.'
scripts/slowest-tests.py "$logs/core.log" "$logs/components.log" "$logs/serial.log" "$logs/nio.log"
for flaky in "$logs"/*-flaky.txt; do
  [ -e "$flaky" ] || continue
  echo "test.sh: passed on the second try; the first try's issues ($flaky):" >&2
  cat "$flaky" >&2
done
# The example V2 model server that the data-plane tests and the quickstart run.
python3 -m unittest examples/server/test_v2_server.py
# The README's first command, on the debug build the tests already made (a release build
# would add ten minutes of compiling on two cores; release is what users run).
SLUICE_QUICKSTART_BUILD=debug scripts/quickstart.sh > "$logs/quickstart.log" 2>&1 \
  || { tail -60 "$logs/quickstart.log"; echo "test.sh: the quickstart failed (full log: $logs/quickstart.log)" >&2; exit 1; }
echo "== quickstart: $(tail -1 "$logs/quickstart.log")"
# The benchmarks compile (they are separate packages; running them is by hand: Benchmarks/README.md).
scripts/check-benchmarks.sh
# A 20-second run of every fuzz target (docs/fuzzing.md) when SLUICE_FUZZ_SMOKE=1. Not in CI by
# default: its cold sanitizer build of SwiftNIO and Yams alone takes 6-13 minutes on 2 cores,
# which would put the run near the 20-minute budget. It needs the toolchain's libFuzzer
# runtime (Linux): without it scripts/fuzz.sh stops with an error saying so.
if [ "${SLUICE_FUZZ_SMOKE:-0}" = 1 ]; then
    scripts/fuzz.sh 20
fi
