#!/usr/bin/env python3
"""Replicas and autoscaling through the gateway (issue 21), in one run:

  throughput  the example V2 server (examples/server/v2_server.py: CPU-bound, single-threaded
              Python, one GIL) serving the iris model behind `sluice serve`, with a fixed
              1 replica and a fixed 2 replicas, interleaved (1, 2, 1, 2, ...) on the same data
              plane by re-applying the runtime spec. wrk -c CONNECTIONS closed-loop; medians of
              req/s and p99 over RUNS rounds, and the ratio 2 replicas / 1 replica.
  load step   scaling {min 1, max 4, target concurrency STEP_TARGET, scaleDownDelay 10s}: from
              idle, a wrk load of STEP_CONNECTIONS connections starts; /v1/state is polled
              every 50 ms for the time until the autoscaler wants more replicas (decided) and
              until the first added replica and the fourth (the maximum the load asks for) are ready. Medians over
              STEP_RUNS steps (the data plane scales back to 1 between them).

    python3 Benchmarks/replicas.py [PATH/TO/sluice]     # default: a release build in .build-bench-replicas

Environment: RUNS=3 DURATION=10 CONNECTIONS=16 STEP_RUNS=3 STEP_CONNECTIONS=16 STEP_TARGET=2.
Everything listens on 127.0.0.1; work files under Benchmarks/.work/replicas/ (git-ignored).
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time

import serve_bench
from serve_bench import ROOT, SERVER_COMMAND, Serve, sluice_binary

WORK = os.path.join(ROOT, "Benchmarks", ".work", "replicas")
RUNS = int(os.environ.get("RUNS", "3"))
DURATION = int(os.environ.get("DURATION", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
STEP_RUNS = int(os.environ.get("STEP_RUNS", "3"))
STEP_CONNECTIONS = int(os.environ.get("STEP_CONNECTIONS", "16"))
STEP_TARGET = float(os.environ.get("STEP_TARGET", "2"))
BODY = json.dumps({"inputs": [
    {"name": n, "shape": [1], "datatype": "FP64", "data": [v]}
    for n, v in [("sepal_length", 5.8), ("sepal_width", 3.0), ("petal_length", 3.8), ("petal_width", 1.2)]
]})


class DataPlane(Serve):
    def __init__(self, binary: str):
        super().__init__(binary, WORK, f"""serve:
  listen: 127.0.0.1:0
  admin:
    listen: 127.0.0.1:0
  stateDirectory: state
  artifactRoot: .
  ports: 21000-21099
  drainTimeout: 5s
  maxProcesses: 8
runtimes:
  python-v2:
    command: {SERVER_COMMAND}
    readinessPath: /v2/models/{{model}}/ready
    startTimeout: 60s
""", "replicas")

    def apply(self, scaling: dict) -> None:
        self.call("PUT", "/v1/spec", {"revision": "bench", "models": [{"name": "iris", "versions": [
            {"name": "v1", "runtime": "python-v2", "artifact": "iris.json", "scaling": scaling}],
            "route": {"weights": {"v1": 100}}}]})

    def replicas(self) -> dict:
        state = self.call("GET", "/v1/state")
        version = state["models"][0]["versions"][0]
        replicas = version.get("replicas") or {}
        processes = replicas.get("processes") or []
        return {"desired": replicas.get("desired", 1), "ready": replicas.get("ready", 1 if version.get("ready") else 0),
                "running": sum(1 for p in processes if p.get("pid")),
                # every model-server process, draining ones included
                "total": (state.get("processes") or {}).get("running", 0)}

    def wait(self, predicate, what: str, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.replicas()):
                return
            time.sleep(0.1)
        raise SystemExit(f"replicas: timed out waiting for {what}: {self.replicas()}")


def wrk(url: str, connections: int, duration: int) -> tuple[float, float]:
    result = serve_bench.wrk(url, BODY, WORK, "replicas", connections, duration, threads=2)
    return result["rps"], result["p99"]


def main() -> None:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    plane = DataPlane(sluice_binary(".build-bench-replicas"))
    url = f"http://{plane.inference}/v2/models/iris/infer"
    try:
        results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for _ in range(RUNS):
            for count in (1, 2):
                plane.apply({"minReplicas": count, "maxReplicas": count})
                plane.wait(lambda r, c=count: r["ready"] == c and r["total"] == c, f"{count} ready replicas and no other process")
                wrk(url, CONNECTIONS, 2)  # warm-up
                results[count].append(wrk(url, CONNECTIONS, DURATION))
        print(f"## throughput: wrk -t2 -c{CONNECTIONS} -d{DURATION}s, median of {RUNS} interleaved rounds\n")
        print("| replicas | req/s | p99 ms |\n| --- | ---: | ---: |")
        medians = {}
        for count, rows in results.items():
            medians[count] = (statistics.median(r for r, _ in rows), statistics.median(p for _, p in rows))
            print(f"| {count} | {medians[count][0]:.0f} | {medians[count][1]:.1f} |")
        print(f"\nthroughput ratio 2/1: {medians[2][0] / medians[1][0]:.2f}; p99 ratio 2/1: {medians[2][1] / medians[1][1]:.2f}")

        decided, first, last = [], [], []
        scaling = {"minReplicas": 1, "maxReplicas": 4, "target": {"concurrency": STEP_TARGET}, "scaleDownDelay": "10s"}
        for _ in range(STEP_RUNS):
            plane.apply({"minReplicas": 1, "maxReplicas": 1})
            plane.wait(lambda r: r["total"] == 1 and r["ready"] == 1, "one replica and no other process")
            # The autoscaler remembers its recommendations for scaleDownDelay (10 s here): the
            # last step's would bring its replicas back before this step's load starts.
            time.sleep(11)
            plane.apply(scaling)
            # Idle samples fill the autoscaler's 2 s load window first, as on a version that
            # has been running a while, so the step is judged as it would be in service.
            time.sleep(3)
            load = subprocess.Popen(["wrk", "-t2", f"-c{STEP_CONNECTIONS}", "-d40s", "-s", os.path.join(WORK, "post.lua"), url],
                                    stdout=subprocess.DEVNULL)
            start = time.time()
            seen_decided = seen_first = None
            try:
                while time.time() - start < 40:
                    now = plane.replicas()
                    elapsed = time.time() - start
                    if seen_decided is None and now["desired"] > 1:
                        seen_decided = elapsed
                    if seen_first is None and now["ready"] > 1:
                        seen_first = elapsed
                    if now["ready"] >= scaling["maxReplicas"]:
                        decided.append(seen_decided)
                        first.append(seen_first)
                        last.append(elapsed)
                        break
                    time.sleep(0.05)
                else:
                    raise SystemExit(f"replicas: no scale-up within 40 s: {plane.replicas()}")
            finally:
                load.terminate()
                load.wait()
        print(f"\n## load step: idle → wrk -c{STEP_CONNECTIONS}, target concurrency {STEP_TARGET:g}, max 4; median of {STEP_RUNS} steps\n")
        print("| from the load step to | seconds |\n| --- | ---: |")
        print(f"| autoscaler wants more replicas | {statistics.median(decided):.2f} |")
        print(f"| first added replica ready | {statistics.median(first):.2f} |")
        print(f"| all 4 replicas ready | {statistics.median(last):.2f} |")
    finally:
        plane.stop()


if __name__ == "__main__":
    main()
