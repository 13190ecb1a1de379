#!/usr/bin/env python3
"""Commit-to-traffic and revert-to-stable latency of `sluice controller` + `sluice serve`.

    swift build -c release --scratch-path .build-bench
    python3 Benchmarks/controller_latency.py --runs 20 [--sluice .build-bench/release/sluice]

Real processes on loopback: a git repository, `sluice serve` with the example V2 model server
(python3 stdlib), `sluice controller`. Each run changes a model's traffic with a commit and
measures, from the moment `git commit` returns, how long until the gateway answers from the
new version (polled every 2 ms). Three paths:

- local commit: the controller watches the local branch (no webhook);
- webhook: the controller follows a remote (file:// bare repository, fetched on demand); the
  commit is pushed, then a signed POST /hooks/git is sent; timed from the webhook call;
- git revert: a change is reverted, which returns to a recent stable spec (a fast rollback);
  timed until every answer comes from the stable version again.

Prints medians, p90 and max per path, and the controller's peak RSS. Standard library only.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from loopback_ports import free_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY = json.dumps({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [120.5, 0.3, 14, 2.5]}]})


def manifest(weights):
    versions = "".join(f"    - name: {v}\n      artifact: models/fraud-v2.{1 if v == 'v1' else 2}.json\n" for v in sorted(weights))
    traffic = ", ".join(f"{v}: {w}" for v, w in sorted(weights.items()))
    return f"apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: fraud\nspec:\n  runtime: python-v2\n  versions:\n{versions}  traffic: {{{traffic}}}\n"


def git(repo, *args):
    subprocess.run(["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=b@e", "-c", "commit.gpgsign=false", *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def version_now(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", "/v2/models/fraud/infer", body=BODY, headers={"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.getheader("x-sluice-version")
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def wait_version(port, wanted, start, timeout=30.0):
    while time.perf_counter() - start < timeout:
        if version_now(port) == wanted:
            return time.perf_counter() - start
        time.sleep(0.002)
    raise SystemExit(f"timed out waiting for {wanted}")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def setup(work, sluice, remote):
    repo = os.path.join(work, "repo")
    os.makedirs(os.path.join(repo, "manifests"))
    os.makedirs(os.path.join(repo, "models"))
    for name in ("fraud-v2.1.json", "fraud-v2.2.json"):
        shutil.copy(os.path.join(ROOT, "examples", "models", name), os.path.join(repo, "models", name))
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    with open(os.path.join(repo, "manifests", "fraud.yaml"), "w") as f:
        f.write(manifest({"v1": 100, "v2": 0}))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1")
    source = repo
    if remote:
        bare = os.path.join(work, "remote.git")
        subprocess.run(["git", "clone", "-q", "--bare", repo, bare], check=True)
        git(repo, "remote", "add", "origin", bare)
        source = "file://" + bare
    base = free_block()
    with open(os.path.join(work, "secret"), "w") as f:
        f.write("bench-secret")
    # Secret files must be owner-only, or sluice refuses them.
    os.chmod(os.path.join(work, "secret"), 0o600)
    with open(os.path.join(work, "sluice.yaml"), "w") as f:
        f.write(f"""serve:
  listen: 127.0.0.1:{base}
  admin: {{listen: 127.0.0.1:{base + 1}}}
  stateDirectory: state/serve
  artifactRoot: state
  ports: {base + 10}-{base + 40}
runtimes:
  python-v2:
    command: [python3, {ROOT}/examples/server/v2_server.py, --model-file, "{{artifact}}", --port, "{{port}}", --name, "{{model}}", --version, "{{version}}"]
controller:
  repository: {source}
  branch: main
  path: manifests
  interval: 10m
  listen: 127.0.0.1:{base + 2}
  webhookSecretFile: secret
  stateDirectory: state/controller
""")
    log = open(os.path.join(work, "processes.log"), "w")
    serve = subprocess.Popen([sluice, "serve", "--config", "sluice.yaml", "--quiet"], cwd=work, stdout=log, stderr=log)
    time.sleep(0.5)
    controller = subprocess.Popen([sluice, "controller", "--config", "sluice.yaml"], cwd=work, stdout=log, stderr=log)
    start = time.perf_counter()
    wait_version(base, "v1", start, timeout=60)
    return repo, base, serve, controller


def webhook(port, body=None):
    # Each delivery is distinct (id and body): sluice ignores a replayed delivery.
    delivery = os.urandom(8).hex()
    body = body or json.dumps({"ref": "refs/heads/main", "delivery": delivery}).encode()
    signature = "sha256=" + hmac.new(b"bench-secret", body, hashlib.sha256).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("POST", "/hooks/git", body=body, headers={"X-Hub-Signature-256": signature, "X-GitHub-Delivery": delivery})
    status = connection.getresponse().status
    connection.close()
    if status != 202:
        raise SystemExit(f"webhook refused: {status}")


def measure(args, remote):
    work = tempfile.mkdtemp(prefix="sluice-latency-")
    repo, port, serve, controller = setup(work, args.sluice, remote)
    commits, reverts = [], []
    try:
        for run in range(args.runs):
            target = "v2" if run % 2 == 0 else "v1"
            with open(os.path.join(repo, "manifests", "fraud.yaml"), "w") as f:
                f.write(manifest({"v1": 0 if target == "v2" else 100, "v2": 100 if target == "v2" else 0}))
            git(repo, "commit", "-q", "-am", f"run {run}: {target}")
            if remote:
                git(repo, "push", "-q", "origin", "main")
                start = time.perf_counter()
                webhook(port + 2)
            else:
                start = time.perf_counter()
            commits.append(wait_version(port, target, start))
            # Revert it: back to the previous (recently stable) spec.
            previous = "v1" if target == "v2" else "v2"
            git(repo, "revert", "--no-edit", "HEAD")
            if remote:
                git(repo, "push", "-q", "origin", "main")
                start = time.perf_counter()
                webhook(port + 2)
            else:
                start = time.perf_counter()
            reverts.append(wait_version(port, previous, start))
            # Return to the run's target for the next change.
            git(repo, "revert", "--no-edit", "HEAD")
            if remote:
                git(repo, "push", "-q", "origin", "main")
                webhook(port + 2)
            wait_version(port, target, time.perf_counter())
        rss = rss_kib(controller.pid)
    finally:
        for process in (controller, serve):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)
    return commits, reverts, rss


def summary(values):
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "runs": len(ordered),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sluice", default=os.path.join(ROOT, ".build-bench", "release", "sluice"))
    args = parser.parse_args()
    local_commits, local_reverts, local_rss = measure(args, remote=False)
    hook_commits, hook_reverts, hook_rss = measure(args, remote=True)
    result = {
        "local commit -> traffic": summary(local_commits),
        "local git revert -> stable": summary(local_reverts),
        "webhook (file:// remote) -> traffic": summary(hook_commits),
        "webhook git revert -> stable": summary(hook_reverts),
        "controller peak RSS MiB (local, webhook)": [round((local_rss or 0) / 1024, 1), round((hook_rss or 0) / 1024, 1)],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
