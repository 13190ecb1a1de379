#!/usr/bin/env python3
"""Drive V2 inference traffic at a Sluice gateway and report which versions answered.

    python3 examples/traffic.py --url http://127.0.0.1:8080 --model fraud-detector \
        --requests 200 [--concurrency 4] [--sticky-header x-user-id --users 20] [--shift 3]
    python3 examples/traffic.py --model fraud-detector --write-csv training.csv --rows 5000

Requests carry one named tensor per feature (what monitors and baselines name), drawn
from a fixed distribution per model; `--shift F` multiplies the first feature by F (drift
on purpose). `--write-csv` writes rows from the same distribution instead (a training
set for `sluice baseline build`) and sends nothing.

Prints one JSON line: {"requests": N, "status": {"200": N}, "versions": {"v1": N},
"p50_ms": x, "p99_ms": y}. Exits 1 if any request failed at the transport level or
got a status other than 200 unless --allow-errors is given. Standard library only.
"""
import argparse
import concurrent.futures
import http.client
import json
import random
import sys
import time
import urllib.parse

FEATURES = {
    # model: [(feature, distribution, parameter a, parameter b)]
    "fraud-detector": [("amount", "lognormal", 4.5, 0.6), ("merchant_risk", "uniform", 0, 1),
                       ("hour", "integer", 0, 23), ("distance_km", "lognormal", 1.5, 1.0)],
    "iris-classifier": [("sepal_length", "normal", 5.8, 0.8), ("sepal_width", "normal", 3.0, 0.4),
                        ("petal_length", "normal", 3.8, 1.7), ("petal_width", "normal", 1.2, 0.7)],
    "churn-predictor": [("tenure_months", "integer", 0, 72), ("monthly_charges", "normal", 65, 30),
                        ("contract_monthly", "integer", 0, 1)],
}


def row_for(model, rng, shift=1.0):
    spec = FEATURES.get(model, [(f"x{i}", "uniform", 0, 10) for i in range(4)])
    row = []
    for index, (name, kind, a, b) in enumerate(spec):
        if kind == "lognormal":
            value = rng.lognormvariate(a, b)
        elif kind == "normal":
            value = rng.gauss(a, b)
        elif kind == "integer":
            value = rng.randint(int(a), int(b))
        else:
            value = rng.uniform(a, b)
        if index == 0:
            value *= shift
        row.append((name, round(value, 3) if kind != "integer" else value))
    return row


def body_for(model, rng, shift=1.0):
    tensors = [{"name": name, "shape": [1], "datatype": "FP64", "data": [value]} for name, value in row_for(model, rng, shift)]
    return json.dumps({"inputs": tensors})


def worker(args, count, seed):
    rng = random.Random(seed)
    url = urllib.parse.urlparse(args.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    results = []
    for _ in range(count):
        headers = {"content-type": "application/json"}
        if args.sticky_header:
            headers[args.sticky_header] = f"user-{rng.randrange(args.users)}"
        started = time.perf_counter()
        try:
            connection.request("POST", f"/v2/models/{args.model}/infer", body=body_for(args.model, rng, args.shift), headers=headers)
            response = connection.getresponse()
            response.read()
            results.append((response.status, response.getheader("x-sluice-version") or "-", time.perf_counter() - started))
        except OSError as error:
            results.append((0, f"error: {error.__class__.__name__}", time.perf_counter() - started))
            connection.close()
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--model", required=True)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sticky-header")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--allow-errors", action="store_true")
    parser.add_argument("--shift", type=float, default=1.0, help="multiply the first feature by this")
    parser.add_argument("--write-csv", help="write --rows rows to this CSV file instead of sending requests")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.write_csv:
        rng = random.Random(args.seed)
        with open(args.write_csv, "w", encoding="utf-8") as out:
            rows = [row_for(args.model, rng, args.shift) for _ in range(args.rows)]
            out.write(",".join(name for name, _ in rows[0]) + "\n")
            for row in rows:
                out.write(",".join(str(value) for _, value in row) + "\n")
        return 0
    if not args.url:
        parser.error("--url is required unless --write-csv is given")
    per_worker = [args.requests // args.concurrency + (1 if i < args.requests % args.concurrency else 0) for i in range(args.concurrency)]
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        for batch in pool.map(lambda item: worker(args, item[1], item[0]), enumerate(per_worker)):
            results.extend(batch)
    statuses, versions = {}, {}
    for status, version, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        versions[version] = versions.get(version, 0) + 1
    latencies = sorted(seconds * 1000 for _, _, seconds in results)
    def quantile(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None
    print(json.dumps({"requests": len(results), "status": statuses, "versions": versions,
                      "p50_ms": quantile(0.5), "p99_ms": quantile(0.99)}, sort_keys=True))
    failed = sum(count for status, count in statuses.items() if status != "200")
    return 1 if failed and not args.allow_errors else 0


if __name__ == "__main__":
    sys.exit(main())
