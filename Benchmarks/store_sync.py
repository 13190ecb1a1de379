#!/usr/bin/env python3
"""What synchronous=FULL costs the controller's store: one transaction per reconcile pass
(an upsert of a model state of about 2 KB plus two events), in WAL mode as ControllerStore
opens it, with synchronous=NORMAL and FULL side by side on the same disk.

Usage: python3 Benchmarks/store_sync.py [--passes N] [--dir DIR]
"""
import argparse, os, sqlite3, statistics, tempfile, time

def run(mode, passes, directory):
    path = os.path.join(directory, f"store-{mode}.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix): os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={mode}")
    db.execute("CREATE TABLE modelState (name TEXT PRIMARY KEY, state TEXT NOT NULL, updatedAt REAL)")
    db.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, model TEXT, at REAL, kind TEXT, message TEXT)")
    state = "x" * 2048
    times = []
    for i in range(passes):
        started = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT INTO modelState VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET state = excluded.state, updatedAt = excluded.updatedAt",
                   (f"model-{i % 20}", state, i))
        db.execute("INSERT INTO event (model, at, kind, message) VALUES (?, ?, 'step', 'step 1/3')", (f"model-{i % 20}", i))
        db.execute("INSERT INTO event (model, at, kind, message) VALUES (?, ?, 'analysis', 'ok')", (f"model-{i % 20}", i))
        db.execute("COMMIT")
        times.append(time.perf_counter() - started)
    db.close()
    return times

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--passes", type=int, default=2000)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="sluice-store-bench-")
    results = {mode: run(mode, args.passes, directory) for mode in ("NORMAL", "FULL")}
    for mode, times in results.items():
        times.sort()
        print(f"{mode:6}  median {statistics.median(times)*1e6:8.1f} µs  p99 {times[int(len(times)*0.99)]*1e6:8.1f} µs  per saved pass")
    ratio = statistics.median(results["FULL"]) / statistics.median(results["NORMAL"])
    print(f"FULL / NORMAL median: {ratio:.1f}x")

if __name__ == "__main__":
    main()
