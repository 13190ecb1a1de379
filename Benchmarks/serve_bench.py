"""What the data-plane benchmarks (replicas.py, shadow.py) share: a release build of sluice in
its own scratch directory, a `sluice serve` started on free loopback ports with its admin
token, and a wrk POST load with its figures read back. Standard library only."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "examples", "server", "v2_server.py")
# The example V2 server as a runtime command (YAML flow list).
SERVER_COMMAND = f'[python3, {SERVER}, --model-file, "{{artifact}}", --port, "{{port}}", --name, "{{model}}", --version, "{{version}}"]'


def sluice_binary(scratch: str) -> str:
    """argv[1] when given, else a release build in `scratch` (never .build: tests build there concurrently)."""
    if len(sys.argv) > 1:
        return os.path.abspath(sys.argv[1])
    subprocess.run(["swift", "build", "-c", "release", "--product", "sluice", "--scratch-path", scratch], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--show-bin-path"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "sluice")


class Serve:
    """`sluice serve --config sluice.yaml` in a fresh `work` directory holding iris-v1 as iris.json."""

    def __init__(self, binary: str, work: str, config: str, name: str):
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        shutil.copy(os.path.join(ROOT, "examples", "models", "iris-v1.json"), os.path.join(work, "iris.json"))
        with open(os.path.join(work, "sluice.yaml"), "w") as f:
            f.write(config)
        self.process = subprocess.Popen([binary, "serve", "--quiet", "--config", "sluice.yaml"], cwd=work,
                                        stdout=subprocess.PIPE, stderr=open(os.path.join(work, "serve.log"), "w"), text=True)
        line = self.process.stdout.readline()
        found = re.search(r"inference on ([\d.]+:\d+), admin on ([\d.]+:\d+)", line)
        if not found:
            raise SystemExit(f"{name}: unexpected first line from sluice serve: {line!r}")
        self.inference, self.admin = found.group(1), found.group(2)
        self.token = open(os.path.join(work, "state", "admin-token")).read().strip()

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """The admin API with the token; the answer as JSON."""
        request = urllib.request.Request(f"http://{self.admin}{path}", data=json.dumps(body).encode() if body else None, method=method,
                                         headers={"authorization": f"Bearer {self.token}", "content-type": "application/json"})
        return json.loads(urllib.request.urlopen(request, timeout=30).read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def wrk(url: str, body: str, work: str, name: str, connections: int, duration: int, threads: int = 1) -> dict:
    """POSTs `body` to `url` with wrk --latency; requests, rps, p50 and p99 (ms). Any non-2xx answer ends the benchmark."""
    script = os.path.join(work, "post.lua")
    with open(script, "w") as f:
        f.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n')
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{name}: {errors.group(1)} failed requests\n{out}")

    def quantile(label: str) -> float:
        found = re.search(label + r"\s+([\d.]+)(us|ms|s)\b", out)
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    return {"requests": int(re.search(r"(\d+) requests in", out).group(1)), "p50": quantile("50%"), "p99": quantile("99%"),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
