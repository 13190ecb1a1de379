#!/usr/bin/env python3
"""Benchmark: reading desired state from git and planning a one-file change, at 1,000 and
10,000 manifests, side by side with what a user would otherwise run.

    python3 Benchmarks/git_plan.py [--sizes 1000 10000] [--runs 10] [--sluice PATH]

For each size it creates a git repository under Benchmarks/.work/git-N (generated manifests,
one commit; then a commit changing one file) and measures, medians over --runs:

  sluice plan (process)   `sluice plan --path manifests --from HEAD~1 --no-index` (revisions
                          named, as CI names them): a cold process, reads the base whole (cold
                          read) and then only the change
  first run, writes index the same with an empty --index-dir: a cold read, then the manifest
                          index written (what CI pays once, or when its cache is lost)
  warm index              `sluice plan --path manifests --index-dir D` with D kept from the run
                          before: what CI pays with the index in its cache
  cold read               the `read base` phase of `sluice plan --timing`: list the tree, read
                          and validate every manifest (all cores)
  one-file plan           every phase after the base is read: diff the trees, read the changed
                          file, build both desired states, history, plan, render
  git cat-file (all)      `git ls-tree -r HEAD manifests | git cat-file --batch`: git alone
                          reading every manifest blob, no validation (a lower bound)
  check-jsonschema (diff) `git diff --name-only HEAD~1 HEAD -- manifests | xargs check-jsonschema`:
                          validating just the changed files, the usual CI step
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "Benchmarks", ".work")
SCHEMA = os.path.join(ROOT, "manifests", "modeldeployment.schema.json")
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]


def run(command, cwd, shell=False):
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, shell=shell, capture_output=True, text=True)
    return time.perf_counter() - started, result


def make_repository(size):
    path = os.path.join(WORK, "git-%d" % size)
    if os.path.isdir(os.path.join(path, ".git")):
        return path
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "generate_manifests.py"), str(size),
                    os.path.join(path, "manifests"), "--invalid-share", "0", "--seed", "7"],
                   check=True, capture_output=True)
    os.remove(os.path.join(path, "manifests", "expected-invalid.txt"))
    subprocess.run(GIT + ["add", "-A"], cwd=path, check=True)
    subprocess.run(GIT + ["commit", "-q", "-m", "base"], cwd=path, check=True)
    changed = sorted(subprocess.run(["git", "ls-files", "manifests"], cwd=path, capture_output=True, text=True,
                                    check=True).stdout.split())[size // 2]
    with open(os.path.join(path, changed)) as handle:
        text = handle.read()
    with open(os.path.join(path, changed), "w") as handle:
        handle.write(re.sub(r"(?m)^  runtime: .*$", "  runtime: benchmark-runtime", text, count=1))
    subprocess.run(GIT + ["commit", "-q", "-am", "change one model"], cwd=path, check=True)
    return path


def phases(stderr):
    values = {}
    for line in stderr.splitlines():
        match = re.match(r"timing:\s+([0-9.]+) ms  (.*)$", line)
        if match:
            values[match.group(2)] = float(match.group(1)) / 1000
    return values


def median(values):
    return statistics.median(values) if values else float("nan")


def show(seconds):
    return "%.1f ms" % (seconds * 1000) if seconds < 1 else "%.3f s" % seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sluice", default=os.path.join(ROOT, ".build-bench", "release", "sluice"))
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    have_cj = shutil.which("check-jsonschema") is not None
    rows = []
    for size in args.sizes:
        repo = make_repository(size)
        measured = {"process": [], "first": [], "warm": [], "cold": [], "incremental": [], "git": [], "cj": []}
        index_dir = os.path.join(WORK, "index-%d" % size)
        for _ in range(args.runs):
            shutil.rmtree(index_dir, ignore_errors=True)
            elapsed, result = run([args.sluice, "plan", "--path", "manifests", "--from", "HEAD~1", "--index-dir", index_dir], repo)
            if result.returncode != 1:
                sys.exit("sluice plan exited %d: %s%s" % (result.returncode, result.stdout, result.stderr))
            measured["first"].append(elapsed)
            elapsed, result = run([args.sluice, "plan", "--path", "manifests", "--from", "HEAD~1", "--index-dir", index_dir, "--timing"], repo)
            if result.returncode != 1 or "read base (0 files read)" not in result.stderr:
                sys.exit("sluice plan with a warm index exited %d: %s%s" % (result.returncode, result.stdout, result.stderr))
            measured["warm"].append(elapsed)
            elapsed, result = run([args.sluice, "plan", "--path", "manifests", "--from", "HEAD~1", "--no-index", "--timing"], repo)
            if result.returncode != 1:
                sys.exit("sluice plan exited %d: %s%s" % (result.returncode, result.stdout, result.stderr))
            values = phases(result.stderr)
            measured["process"].append(elapsed)
            cold = next(v for k, v in values.items() if k.startswith("read base"))
            measured["cold"].append(cold)
            measured["incremental"].append(sum(v for k, v in values.items()
                                               if not k.startswith(("read base", "open", "manifest index")) and k != "total"))
            elapsed, _ = run("git ls-tree -r HEAD manifests | awk '{print $3}' | git cat-file --batch > /dev/null", repo, shell=True)
            measured["git"].append(elapsed)
            if have_cj:
                elapsed, _ = run("git diff --name-only HEAD~1 HEAD -- manifests | xargs check-jsonschema --schemafile %s" % SCHEMA,
                                 repo, shell=True)
                measured["cj"].append(elapsed)
        plan_output = run([args.sluice, "plan", "--path", "manifests", "--no-index"], repo)[1].stdout.strip().splitlines()
        rows.append((size, {key: median(values) for key, values in measured.items()}, plan_output[-1]))
    print("| manifests | sluice plan (process, no index) | first run, writes index | warm index | cold read (all cores) | one-file plan after the base is read | git cat-file, all blobs | check-jsonschema, changed file | plan says |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for size, m, summary in rows:
        print("| {:,} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            size, show(m["process"]), show(m["first"]), show(m["warm"]), show(m["cold"]), show(m["incremental"]), show(m["git"]),
            show(m["cj"]) if have_cj else "-", summary))
    if len(rows) >= 2:
        first, last = rows[0][1], rows[-1][1]
        print("\none-file plan at %s vs %s manifests: %.2fx; check-jsonschema (changed file) / one-file plan at %s: %.0fx"
              % ("{:,}".format(rows[-1][0]), "{:,}".format(rows[0][0]), last["incremental"] / first["incremental"],
                 "{:,}".format(rows[-1][0]), (last["cj"] / last["incremental"]) if have_cj else float("nan")))


if __name__ == "__main__":
    main()
