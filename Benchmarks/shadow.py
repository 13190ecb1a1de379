#!/usr/bin/env python3
"""What a shadow step's paired mirror costs the gateway and its callers (issue 16), in one run:

  cpu        gateway CPU per request: the `sluice serve` process's utime + stime (from
             /proc/PID/stat) over a wrk load of DURATION seconds, divided by the requests
             answered, with no mirror and with a 100% paired mirror (a copy of every request to
             a second iris server, its answer compared with the caller's), interleaved
             (none, shadow, none, shadow, ...) on the same data plane by re-applying the spec.
             Medians over RUNS rounds, and the ratio shadow / none.
  slow       caller-side p50 and p99 (wrk --latency) with a candidate that sleeps 200 ms per
             request shadowed at 100%, against no shadow, interleaved the same way, and the
             copies shed by the cap (serve.maxMirroredInFlight, default 64) per round.

    python3 Benchmarks/shadow.py [PATH/TO/sluice]     # default: a release build in .build-bench-shadow

Environment: RUNS=3 DURATION=8 CONNECTIONS=8 SLOW_CONNECTIONS=4.
Everything listens on 127.0.0.1; work files under Benchmarks/.work/shadow/ (git-ignored).
"""
from __future__ import annotations

import json
import os
import statistics
import time

import serve_bench
from serve_bench import ROOT, SERVER_COMMAND, Serve, sluice_binary

WORK = os.path.join(ROOT, "Benchmarks", ".work", "shadow")
RUNS = int(os.environ.get("RUNS", "3"))
DURATION = int(os.environ.get("DURATION", "8"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "8"))
SLOW_CONNECTIONS = int(os.environ.get("SLOW_CONNECTIONS", "4"))
BODY = json.dumps({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [5.8, 3.0, 3.8, 1.2]}]})
TICKS = os.sysconf("SC_CLK_TCK")


class DataPlane(Serve):
    def __init__(self, binary: str):
        super().__init__(binary, WORK, f"""serve:
  listen: 127.0.0.1:0
  admin:
    listen: 127.0.0.1:0
  stateDirectory: state
  artifactRoot: .
  ports: 21100-21199
  drainTimeout: 5s
runtimes:
  python-v2:
    command: {SERVER_COMMAND}
    startTimeout: 60s
  slow:
    command: {SERVER_COMMAND}
    env: {{SLUICE_FAULT_LATENCY_MS: "200"}}
    startTimeout: 60s
""", "shadow")

    def apply(self, candidate_runtime: str, shadow: bool) -> None:
        route: dict = {"weights": {"v1": 100, "v2": 0}}
        if shadow:
            route["mirror"] = {"version": "v2", "percent": 100, "pairing": {"tolerances": [0]}}
        self.call("PUT", "/v1/spec", {"revision": f"bench-{candidate_runtime}-{shadow}", "models": [{"name": "iris", "versions": [
            {"name": "v1", "runtime": "python-v2", "artifact": "iris.json"},
            {"name": "v2", "runtime": candidate_runtime, "artifact": "iris.json"}], "route": route}]})
        deadline = time.time() + 120
        while time.time() < deadline:
            versions = self.call("GET", "/v1/state")["models"][0]["versions"]
            live = [v for v in versions if v["name"] in ("v1", "v2")]
            if len(live) == 2 and all(v.get("ready") for v in live) and not self.call("GET", "/v1/state")["models"][0].get("retiring"):
                return
            time.sleep(0.1)
        raise SystemExit(f"shadow: versions not ready: {self.call('GET', '/v1/state')}")

    def shed(self) -> int:
        return self.call("GET", "/v1/stats")["models"]["iris"].get("v2", {}).get("mirroredShed", 0)

    def cpu_seconds(self) -> float:
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


def wrk(url: str, connections: int, duration: int) -> dict:
    return serve_bench.wrk(url, BODY, WORK, "shadow", connections, duration)


def main() -> None:
    plane = DataPlane(sluice_binary(".build-bench-shadow"))
    url = f"http://{plane.inference}/v2/models/iris/infer"
    try:
        cpu: dict[bool, list[float]] = {False: [], True: []}
        rps: dict[bool, list[float]] = {False: [], True: []}
        shed: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(RUNS):
            for shadow in (False, True):
                plane.apply("python-v2", shadow)
                wrk(url, CONNECTIONS, 2)  # warm-up
                before, shed_before = plane.cpu_seconds(), plane.shed()
                result = wrk(url, CONNECTIONS, DURATION)
                cpu[shadow].append((plane.cpu_seconds() - before) / result["requests"] * 1e6)
                rps[shadow].append(result["rps"])
                shed[shadow].append((plane.shed() - shed_before) / result["requests"])
        print(f"## gateway CPU per request: wrk -t1 -c{CONNECTIONS} -d{DURATION}s, median of {RUNS} interleaved rounds\n")
        print("| mirror | µs CPU / request | req/s | copies shed |\n| --- | ---: | ---: | ---: |")
        for shadow, name in ((False, "none"), (True, "100% paired shadow")):
            print(f"| {name} | {statistics.median(cpu[shadow]):.1f} | {statistics.median(rps[shadow]):.0f} | "
                  f"{statistics.median(shed[shadow]):.1%} |")
        print(f"\nCPU per request, shadow / none: {statistics.median(cpu[True]) / statistics.median(cpu[False]):.2f} "
              f"(rounds: {', '.join(f'{s / n:.2f}' for s, n in zip(cpu[True], cpu[False]))})")

        latency: dict[bool, list[dict]] = {False: [], True: []}
        for _ in range(RUNS):
            for shadow in (False, True):
                plane.apply("slow", shadow)
                wrk(url, SLOW_CONNECTIONS, 2)  # warm-up
                shed = plane.shed()
                result = wrk(url, SLOW_CONNECTIONS, DURATION)
                time.sleep(0.5)  # the last copies' slots
                result["shed"] = plane.shed() - shed
                latency[shadow].append(result)
        print(f"\n## callers with a 200 ms candidate: wrk -t1 -c{SLOW_CONNECTIONS} -d{DURATION}s, median of {RUNS} interleaved rounds\n")
        print("| mirror | p50 ms | p99 ms | req/s | copies shed per round |\n| --- | ---: | ---: | ---: | ---: |")
        for shadow, name in ((False, "none"), (True, "100% paired shadow, 200 ms candidate")):
            rows = latency[shadow]
            print(f"| {name} | {statistics.median(r['p50'] for r in rows):.2f} | {statistics.median(r['p99'] for r in rows):.2f} | "
                  f"{statistics.median(r['rps'] for r in rows):.0f} | {statistics.median(r['shed'] for r in rows):.0f} |")
    finally:
        plane.stop()


if __name__ == "__main__":
    main()
