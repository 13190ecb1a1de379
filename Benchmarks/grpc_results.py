"""Tables for Benchmarks/grpc-vs-direct.sh.

    grpc_results.py row RUN.json CONCURRENCY TARGET ROUND   # one raw.tsv line from grpc_load.py's output
    grpc_results.py table RAW.tsv                         # medians per concurrency and target, added latency
"""
import csv, json, statistics, sys


def row(path, concurrency, target, round_):
    r = json.load(open(path))
    print("\t".join([concurrency, target, round_, "%.0f" % r["rps"], "%.3f" % r["p50_ms"], "%.3f" % r["p99_ms"], json.dumps(r["codes"])]))


def table(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    print("| concurrency | target | calls/s | p50 ms | p99 ms | added p50 ms | added p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for c in sorted({r["concurrency"] for r in rows}, key=int):
        med = {}
        for target in ("direct", "sluice"):
            mine = [r for r in rows if r["concurrency"] == c and r["target"] == target]
            med[target] = {k: statistics.median(float(r[k]) for r in mine) for k in ("calls_per_s", "p50_ms", "p99_ms")}
        for target in ("direct", "sluice"):
            m = med[target]
            added = ["", ""]
            if target == "sluice":
                added = ["%+.3f" % (m[k] - med["direct"][k]) for k in ("p50_ms", "p99_ms")]
            print("| %s | %s | %.0f | %.3f | %.3f | %s | %s |" % (c, target, m["calls_per_s"], m["p50_ms"], m["p99_ms"], added[0], added[1]))


if __name__ == "__main__":
    if sys.argv[1] == "row":
        row(*sys.argv[2:6])
    else:
        table(sys.argv[2])
