#!/usr/bin/env python3
"""Reads `swift test` logs (Swift Testing's lines) and prints the ten slowest tests, so that a
CI log says where the suite's time goes; with --unfinished, the tests that started and never
finished (what a hang or a crash interrupted)."""
import re
import sys

# A test is named by its quoted display name (which may itself hold "failed" or "passed") or
# its function name; "with N test cases" comes between the name and the outcome. Test-case
# lines of parameterized tests are left out: the test's own line covers them.
NAME = r'("(?:[^"\\]|\\.)*"|\S+)'
FINISHED = re.compile(r'Test ' + NAME + r'(?: with \d+ test cases?)? (?:passed|failed|skipped)\b(?:.*? after ([0-9.]+) seconds)?')
STARTED = re.compile(r'Test ' + NAME + r' started\.')

arguments = sys.argv[1:]
unfinished_only = "--unfinished" in arguments
paths = [a for a in arguments if a != "--unfinished"]
times, running = [], {}
for path in paths:
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if "Suite " in line.split("Test ", 1)[0] or "Test run " in line or "Test case passing" in line:
                continue
            started = STARTED.search(line)
            if started:
                running[started.group(1)] = running.get(started.group(1), 0) + 1
                continue
            finished = FINISHED.search(line)
            if finished:
                name = finished.group(1)
                if running.get(name):
                    running[name] -= 1
                if finished.group(2):
                    times.append((float(finished.group(2)), name))
if unfinished_only:
    left = sorted(name for name, count in running.items() if count > 0)
    print(f"== {len(left)} tests started and did not finish" + (":" if left else ""))
    for name in left:
        print(f"   {name}")
else:
    times.sort(reverse=True)
    print(f"== the ten slowest of {len(times)} tests")
    for seconds, name in times[:10]:
        print(f"{seconds:8.1f} s  {name}")
