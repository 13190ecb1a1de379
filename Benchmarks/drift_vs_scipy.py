#!/usr/bin/env python3
"""PSI and the two-sample KS test: SluiceCore (drift-bench) against scipy/numpy.

    swift build -c release --product drift-bench
    python3 Benchmarks/drift_vs_scipy.py [--sizes 10000,100000,1000000] [--runs 5]
                                          [--shapes-size 1000000] [--sketch-sizes 100000,1000000,10000000]

For each n, a reference N(0, 1) and a current N(0.02, 1.05) sample (seeded) are written as raw
float64 files. scipy's `stats.ks_2samp(method="auto")` and a numpy PSI (the conventions of
Tests/SluiceCoreTests/Fixtures/drift/generate_golden.py) are timed in-process on the arrays,
file loading excluded; drift-bench reads the same files and reports its read, sort and compute
times separately. Its default algorithm is what `sluice drift` runs on a column of raw values:
`DriftComparator.score` with psi, then with ks, on the unsorted arrays. Values must agree: KS statistic exactly, p-value to 1e-9 relative (or both
underflow to 0), PSI to 1e-12. The shape table repeats the exact comparison on skewed, tied and
identical samples; the sketch table streams the files through two KLL sketches.
"""
import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build", "release", "drift-bench")


GOLDEN = os.path.join(ROOT, "Tests", "SluiceCoreTests", "Fixtures", "drift", "generate_golden.py")


def golden_psi():
    """The PSI of generate_golden.py itself (its EPS, edges, histogram, proportions and psi,
    without running the script), so the conventions compared cannot drift apart."""
    with open(GOLDEN) as file:
        tree = ast.parse(file.read())
    wanted = {"EPS", "edges", "histogram", "proportions", "psi"}
    body = [node for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            or (isinstance(node, ast.FunctionDef) and node.name in wanted)
            or (isinstance(node, ast.Assign) and any(getattr(t, "id", None) in wanted for t in node.targets))]
    namespace = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), GOLDEN, "exec"), namespace)
    return namespace["psi"]


psi = golden_psi()


def evidently_drift():
    """Evidently's own KS and PSI tests (legacy stattests), when it is installed: KS is scipy's
    ks_2samp; its PSI bins numerical data by Sturges' rule over both samples, so its value
    is not comparable with the quantile-bin PSI and is timed only."""
    try:
        import pandas as pd
        from evidently.legacy.calculations.stattests import ks_stattest, psi as evidently_psi
        from evidently.legacy.core import ColumnType
    except Exception:  # not installed, or incompatible with the installed pandas
        return None

    def run(reference, current):
        a, b = pd.Series(reference), pd.Series(current)
        ks_stattest._ks_stat_test(a, b, ColumnType.Numerical, 0.05)
        evidently_psi._psi(a, b, ColumnType.Numerical, 0.1, 10)
    return run


def timed(runs, body):
    durations, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = body()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def samples(n, directory):
    rng = np.random.default_rng(20261207 + n)
    reference = rng.normal(0.0, 1.0, n)
    current = rng.normal(0.02, 1.05, n)
    paths = (os.path.join(directory, f"reference-{n}.f64"), os.path.join(directory, f"current-{n}.f64"))
    reference.tofile(paths[0])
    current.tofile(paths[1])
    return reference, current, paths


def bench(mode, paths, runs, verify=False, algorithm="core"):
    # Through sh, which forks its own small process: a child forked straight from this
    # process (holding the samples) would report this process's peak RSS as its own.
    command = ["/bin/sh", "-c", '"$@"; exit $?', "sh", BINARY, "--mode", mode, "--algorithm", algorithm,
               "--runs", str(runs)] + (["--verify"] if verify else []) + list(paths)
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def p_agrees(ours, theirs):
    if theirs == 0 or ours == 0:
        return ours == theirs or max(ours, theirs) < 1e-300
    return abs(ours - theirs) <= 1e-9 * abs(theirs)


def exact_table(sizes, runs, directory):
    rows = []
    for n in sizes:
        reference, current, paths = samples(n, directory)
        ks_seconds, ks = timed(runs, lambda: stats.ks_2samp(reference, current, method="auto"))
        psi_seconds, psi_value = timed(runs, lambda: psi(reference, current))
        evidently = evidently_drift()
        evidently_seconds = timed(runs, lambda: evidently(reference, current))[0] if evidently else None
        ours = bench("exact", paths, runs)
        sorting = bench("exact", paths, runs, algorithm="sort")
        # A separate run checks both algorithms and SluiceCore's plain paths against each other.
        verified = bench("exact", paths, 1, verify=True)["verified"]
        checks = {}
        for name, result in (("core", ours), ("sort", sorting)):
            checks[name + " ks statistic"] = result["ks"]["statistic"] == float(ks.statistic)
            checks[name + " ks p-value"] = p_agrees(result["ks"]["pValue"], float(ks.pvalue))
            checks[name + " psi"] = abs(result["psi"] - psi_value) <= 1e-12
        checks["verified"] = verified is True
        scipy_total = ks_seconds + psi_seconds
        sluice_total = ours["seconds"]["sortAndCompute"]
        sort_total = sorting["seconds"]["sortAndCompute"]
        rows.append({"n": n, "evidently": evidently_seconds, "scipy_ks": ks_seconds, "numpy_psi": psi_seconds, "scipy_total": scipy_total,
                     "read": ours["seconds"]["read"], "psi_score": ours["seconds"]["psi"],
                     "ks_score": ours["seconds"]["ksStatistic"] + ours["seconds"]["ksPValue"],
                     "pvalue": ours["seconds"]["ksPValue"], "compute": ours["seconds"]["compute"],
                     "sluice_total": sluice_total, "ratio": scipy_total / sluice_total, "rss": ours["peakRSSMiB"],
                     "sort": sorting["seconds"]["sort"], "sort_compute": sorting["seconds"]["compute"],
                     "sort_total": sort_total, "sort_ratio": scipy_total / sort_total, "sort_rss": sorting["peakRSSMiB"],
                     "D": float(ks.statistic), "p": float(ks.pvalue), "method": ours["ks"]["method"], "psi": psi_value,
                     "ok": all(checks.values()), "checks": checks})
        for path in paths:
            os.remove(path)
    return rows


def shapes(n):
    """Data shapes beyond the normal pair, seeded: what moves values into few buckets."""
    rng = np.random.default_rng(20261208)
    normal = rng.normal(0.0, 1.0, n)
    return [
        ("normal (as above)", normal, rng.normal(0.02, 1.05, n)),
        ("log-normal, σ = 2", rng.lognormal(0.0, 2.0, n), rng.lognormal(0.01, 2.0, n)),
        ("normal + 10 outliers at ±1e12..1e15", np.concatenate([normal[:n - 10], [1e12] * 10]),
         np.concatenate([rng.normal(0.0, 1.0, n - 5), [-1e15] * 5])),
        ("integers 0..99", rng.integers(0, 100, n).astype(float), rng.integers(0, 101, n).astype(float)),
        ("0/1", (rng.random(n) < 0.3).astype(float), (rng.random(n) < 0.31).astype(float)),
        ("identical samples", normal, normal.copy()),
    ]


def shape_table(n, runs, directory):
    rows = []
    for name, reference, current in shapes(n):
        paths = (os.path.join(directory, "reference-shape.f64"), os.path.join(directory, "current-shape.f64"))
        reference.tofile(paths[0])
        current.tofile(paths[1])
        ks_seconds, ks = timed(runs, lambda: stats.ks_2samp(reference, current, method="auto"))
        psi_seconds, psi_value = timed(runs, lambda: psi(reference, current))
        ours = bench("exact", paths, runs)
        sorting = bench("exact", paths, runs, algorithm="sort")
        checks = {"ks statistic": ours["ks"]["statistic"] == float(ks.statistic),
                  "ks p-value": p_agrees(ours["ks"]["pValue"], float(ks.pvalue)),
                  "verified": bench("exact", paths, 1, verify=True)["verified"] is True}
        if len(np.unique(reference[:1000])) > 10:  # else sluice bins per distinct value, numpy by quantiles
            checks["psi"] = abs(ours["psi"] - psi_value) <= 1e-12
        scipy_total = ks_seconds + psi_seconds
        rows.append({"shape": name, "scipy_total": scipy_total, "psi_score": ours["seconds"]["psi"],
                     "ks_score": ours["seconds"]["ksStatistic"] + ours["seconds"]["ksPValue"],
                     "sluice_total": ours["seconds"]["compute"], "ratio": scipy_total / ours["seconds"]["compute"],
                     "sort_total": sorting["seconds"]["sortAndCompute"], "ok": all(checks.values()), "checks": checks})
        for path in paths:
            os.remove(path)
    return rows


def sketch_table(sizes, runs, directory):
    rows = []
    for n in sizes:
        _, _, paths = samples(n, directory)
        exact = bench("exact", paths, 1)
        sketch = bench("sketch", paths, runs)
        rows.append({"n": n, "exact_rss": exact["peakRSSMiB"], "sketch_rss": sketch["peakRSSMiB"],
                     "exact_D": exact["ks"]["statistic"], "sketch_D": sketch["ks"]["statistic"],
                     "D_bound": sketch["ksErrorBound"], "exact_psi": exact["psi"], "sketch_psi": sketch["psi"],
                     "sketch_p": sketch["ks"]["pValue"], "exact_p": exact["ks"]["pValue"],
                     "retained": sketch["retained"], "stream": sketch["seconds"]["stream"],
                     "ingest": sketch["ingestValuesPerSecond"], "histogram_error": sketch["histogramError"]})
        for path in paths:
            os.remove(path)
    return rows


def table(headers, rows):
    print()
    print("| " + " | ".join(headers) + " |")
    left = ("KS p (method)", "values agree", "retained items")
    print("| " + " | ".join("---" if h in left or h.startswith("data") else "---:" for h in headers) + " |")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


def ms(seconds):
    return f"{seconds * 1e3:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--sketch-sizes", default="100000,1000000,10000000")
    parser.add_argument("--shapes-size", type=int, default=1000000, help="n per side of the data-shape table (0: none)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the raw rows as JSON too")
    arguments = parser.parse_args()
    if not os.path.exists(BINARY):
        sys.exit(f"build drift-bench first: swift build -c release --product drift-bench")
    sizes = [int(s) for s in arguments.sizes.split(",") if s]
    sketch_sizes = [int(s) for s in arguments.sketch_sizes.split(",") if s]
    print(f"scipy {scipy.__version__}, numpy {np.__version__}; medians of {arguments.runs} runs; times in ms")
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as directory:
        exact = exact_table(sizes, arguments.runs, directory)
        table(["n per side", "evidently KS+PSI", "scipy ks_2samp", "numpy PSI", "scipy+numpy", "sluice read", "sluice PSI score",
               "sluice KS score", "of which KS p-value", "sluice total", "ratio", "peak RSS MiB", "radix sort", "sort: KS+PSI", "sort: total",
               "ratio", "peak RSS MiB", "KS p (method)", "values agree"],
              [[f"{r['n']:,}", ms(r["evidently"]) if r["evidently"] else "n/a", ms(r["scipy_ks"]), ms(r["numpy_psi"]), ms(r["scipy_total"]), ms(r["read"]), ms(r["psi_score"]),
                ms(r["ks_score"]), ms(r["pvalue"]), ms(r["sluice_total"]), f"{r['ratio']:.1f}x", f"{r['rss']:.0f}", ms(r["sort"]),
                ms(r["sort_compute"]), ms(r["sort_total"]), f"{r['sort_ratio']:.1f}x", f"{r['sort_rss']:.0f}",
                f"{r['p']:.3g} ({r['method']})", "yes" if r["ok"] else "NO " + str(r["checks"])] for r in exact])
        shaped = shape_table(arguments.shapes_size, arguments.runs, directory) if arguments.shapes_size > 0 else []
        if shaped:
            table(["data, n per side = " + f"{arguments.shapes_size:,}", "scipy+numpy", "sluice PSI score", "sluice KS score",
                   "sluice total", "ratio", "sort: total", "values agree"],
                  [[r["shape"], ms(r["scipy_total"]), ms(r["psi_score"]), ms(r["ks_score"]), ms(r["sluice_total"]),
                    f"{r['ratio']:.1f}x", ms(r["sort_total"]), "yes" if r["ok"] else "NO " + str(r["checks"])] for r in shaped])
        sketch = sketch_table(sketch_sizes, arguments.runs, directory) if sketch_sizes else []
        if sketch:
            table(["n per side", "exact peak RSS MiB", "sketch peak RSS MiB", "D exact", "D sketch", "bound on error of D",
                   "PSI exact", "PSI sketch", "retained items", "stream (read+insert) ms", "ingest values/s (one core)"],
                  [[f"{r['n']:,}", f"{r['exact_rss']:.0f}", f"{r['sketch_rss']:.0f}", f"{r['exact_D']:.5f}", f"{r['sketch_D']:.5f}",
                    f"±{r['D_bound']:.4f}", f"{r['exact_psi']:.6f}", f"{r['sketch_psi']:.6f}",
                    f"{r['retained'][0]}+{r['retained'][1]}", ms(r["stream"]), f"{r['ingest']:.3g}"] for r in sketch])
        if arguments.json:
            print(json.dumps({"exact": exact, "shapes": shaped, "sketch": sketch}, indent=1))
    failed = [r["n"] for r in exact if not r["ok"]] + [r["shape"] for r in shaped if not r["ok"]]
    if failed:
        sys.exit(f"values disagree for n = {failed}")


if __name__ == "__main__":
    main()
