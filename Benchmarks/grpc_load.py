"""A closed-loop gRPC load client for Benchmarks/grpc-vs-direct.sh (ghz is not in Debian):
CONCURRENCY threads, each with its own channel (its own HTTP/2 connection), call ModelInfer
back to back for SECONDS after a warm-up, and the per-call latencies are reported as JSON:
calls, calls/s, p50 and p99 in milliseconds, and the status codes seen.

    grpc_load.py TARGET --seconds 10 --concurrency 4 --warmup 2
"""
import argparse, json, threading, time
from collections import Counter

import grpc
from mlserver.grpc import dataplane_pb2 as pb

REQUEST = pb.ModelInferRequest(
    model_name="bench",
    inputs=[pb.ModelInferRequest.InferInputTensor(
        name="x", datatype="FP64", shape=[1, 4], contents=pb.InferTensorContents(fp64_contents=[5.1, 3.5, 1.4, 0.2]))])


def worker(target, warmup_until, stop_at, latencies, codes, lock):
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(
            "/inference.GRPCInferenceService/ModelInfer",
            request_serializer=pb.ModelInferRequest.SerializeToString,
            response_deserializer=pb.ModelInferResponse.FromString)
        mine, seen = [], Counter()
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                break
            try:
                call(REQUEST, timeout=30)
                code = "OK"
            except grpc.RpcError as error:
                code = error.code().name
            if started >= warmup_until:
                mine.append(time.perf_counter() - started)
                seen[code] += 1
        with lock:
            latencies.extend(mine)
            codes.update(seen)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2)
    args = parser.parse_args()
    now = time.perf_counter()
    warmup_until, stop_at = now + args.warmup, now + args.warmup + args.seconds
    latencies, codes, lock = [], Counter(), threading.Lock()
    threads = [threading.Thread(target=worker, args=(args.target, warmup_until, stop_at, latencies, codes, lock))
               for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    quantile = lambda q: 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else None
    print(json.dumps({"calls": len(latencies), "rps": len(latencies) / args.seconds,
                      "p50_ms": quantile(0.50), "p99_ms": quantile(0.99), "codes": dict(codes)}))


if __name__ == "__main__":
    main()
