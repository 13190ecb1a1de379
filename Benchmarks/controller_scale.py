#!/usr/bin/env python3
"""One reconcile pass with 1,000 models, and the controller's memory.

    swift build -c release --scratch-path .build-bench
    python3 Benchmarks/controller_scale.py --models 1000

A repository with N manifests (one version each) and a data plane whose runtime is a
process that does nothing (`sleep`), so N processes are cheap; readiness never comes, which
does not change the controller's work per pass: read git, observe the data plane, decide
for N models, compare and PUT one N-model runtime spec, save to SQLite. Pass durations are
read from the controller's own histogram (`/metrics`): the first pass (cold: reads and
validates N manifests, writes N artifacts, creates N rows), a pass after a one-file commit,
and passes with no change. Standard library only.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from loopback_ports import free_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def metrics(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("sluice_reconcile_duration_seconds_sum"):
            values["sum"] = float(line.split()[-1])
        if line.startswith("sluice_reconcile_duration_seconds_count"):
            values["count"] = int(line.split()[-1])
    return values


def wait_passes(port, count, timeout=600):
    start = time.time()
    while time.time() - start < timeout:
        try:
            values = metrics(port)
            if values.get("count", 0) >= count:
                return values
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for pass {count}")


def git(repo, *args):
    subprocess.run(["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=b@e", *args], check=True,
                   stdout=subprocess.DEVNULL)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--sluice", default=os.path.join(ROOT, ".build-bench", "release", "sluice"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-scale-")
    repo = os.path.join(work, "repo")
    os.makedirs(os.path.join(repo, "manifests"))
    os.makedirs(os.path.join(repo, "models"))
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    for index in range(args.models):
        with open(os.path.join(repo, "models", f"m{index}.json"), "w") as f:
            f.write(json.dumps({"model": index}))
        with open(os.path.join(repo, "manifests", f"m{index}.yaml"), "w") as f:
            f.write(f"apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: m{index}\nspec:\n  runtime: idle\n"
                    f"  versions:\n    - name: v1\n      artifact: models/m{index}.json\n  traffic: {{v1: 100}}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "models")
    base = free_block(args.models + 20)
    with open(os.path.join(work, "sluice.yaml"), "w") as f:
        f.write(f"""serve:
  listen: 127.0.0.1:{base}
  admin: {{listen: 127.0.0.1:{base + 1}}}
  stateDirectory: state/serve
  artifactRoot: state
  ports: {base + 10}-{base + 10 + args.models + 5}
runtimes:
  idle:
    command: [sleep, "3600"]
    startTimeout: 1h
controller:
  repository: repo
  path: manifests
  interval: 1h
  listen: 127.0.0.1:{base + 2}
  stateDirectory: state/controller
""")
    log = open(os.path.join(work, "log"), "w")
    serve = subprocess.Popen([args.sluice, "serve", "--config", "sluice.yaml", "--quiet"], cwd=work, stdout=log, stderr=log)
    time.sleep(0.5)
    controller = subprocess.Popen([args.sluice, "controller", "--config", "sluice.yaml"], cwd=work, stdout=log, stderr=log)
    try:
        first = wait_passes(base + 2, 1)
        time.sleep(2)
        settled = metrics(base + 2)
        # A one-file change.
        with open(os.path.join(repo, "manifests", "m7.yaml"), "a") as f:
            f.write("  # touched\n")
        with open(os.path.join(repo, "models", "m7.json"), "w") as f:
            f.write(json.dumps({"model": 7, "retrained": True}))
        git(repo, "commit", "-q", "-am", "m7 retrained")
        changed = wait_passes(base + 2, settled["count"] + 1)
        rss = rss_mib(controller.pid)
        result = {
            "models": args.models,
            "first pass s (cold: read, validate, write artifacts, PUT, save)": round(first["sum"], 3),
            "one-file commit pass ms": round((changed["sum"] - settled["sum"]) / max(1, changed["count"] - settled["count"]) * 1000, 1),
            "controller RSS MiB": rss,
        }
        print(json.dumps(result, indent=2))
    finally:
        for process in (controller, serve):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
