#!/usr/bin/env python3
"""Times idr and its peers on the same file in one run and checks they find the same partition.

idr runs with its guards off (the peers have no guards): `idr-bench resolve --config` with
generic values and built-in placeholders disabled. Each peer applies idr's normalization rules
(arrow_normalize.py, or the same rules in SQL) and must give the same partition, record for
record. Usage:
    run_peers.py records.csv [--idr-bench .build/release/idr-bench] [--networkx-max 1000000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def canonical(labels):
    first = {}
    return [first.setdefault(label, i) for i, label in enumerate(labels)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("--idr-bench", default=".build/release/idr-bench")
    parser.add_argument("--networkx-max", type=int, default=1_000_000)
    args = parser.parse_args()
    n = sum(1 for _ in open(args.input, "rb")) - 1
    results = []

    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "guards-off.json")
        json.dump({"generic": {"enabled": False}, "placeholders": {"builtin": False}}, open(config, "w"))
        out = os.path.join(tmp, "idr.csv")
        t0 = time.perf_counter()
        subprocess.run([args.idr_bench, "resolve", args.input, "--out", out, "--config", config, "--quiet"], check=True)
        idr_seconds = time.perf_counter() - t0
        rows = [line.rstrip("\n").split(",") for line in open(out)][1:]
        idr_partition = canonical([r[1] for r in rows])
        idr_keys = [r[0] for r in rows]
    results.append(("idr (guards off, whole command)", idr_seconds, True, ""))

    def peer(name, fn):
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        keys, labels = out[0], out[1]
        same = keys == idr_keys and canonical(list(labels)) == idr_partition
        note = f"{out[2]} iterations" if len(out) > 2 else ""
        results.append((name, seconds, same, note))

    import scipy_cc
    peer("pyarrow + scipy connected_components", lambda: scipy_cc.resolve(args.input))
    import duckdb_lp
    peer("DuckDB SQL label propagation", lambda: duckdb_lp.resolve(args.input))
    if n <= args.networkx_max:
        import networkx_cc
        peer("networkx connected_components", lambda: networkx_cc.resolve(args.input))

    print(f"{n:,} records; same file, same run")
    print(f"{'':40} {'seconds':>9} {'records/s':>12} {'vs idr':>8}  partition")
    for name, seconds, same, note in results:
        print(f"{name:40} {seconds:9.3f} {n / seconds:12,.0f} {seconds / idr_seconds:7.1f}x  "
              f"{'same as idr' if same else 'DIFFERENT'} {note}")
    if not all(r[2] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
