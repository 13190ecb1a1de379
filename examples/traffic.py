#!/usr/bin/env python3
"""Drive V2 inference traffic at a Sluice gateway and report which versions answered.

    python3 examples/traffic.py --url http://127.0.0.1:8080 --model fraud-detector \
        --requests 200 [--concurrency 4] [--sticky-header x-user-id --users 20]

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
    "fraud-detector": 4,
    "iris-classifier": 4,
    "churn-predictor": 3,
}


def body_for(model, rng):
    width = FEATURES.get(model, 4)
    row = [round(rng.uniform(0, 10), 3) for _ in range(width)]
    return json.dumps({"inputs": [{"name": "input-0", "shape": [1, width], "datatype": "FP64", "data": row}]})


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
            connection.request("POST", f"/v2/models/{args.model}/infer", body=body_for(args.model, rng), headers=headers)
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
    parser.add_argument("--url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sticky-header")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--allow-errors", action="store_true")
    args = parser.parse_args()
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
