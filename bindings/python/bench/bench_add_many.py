#!/usr/bin/env python3
"""Records/s of Engine.add_many from Python against the native engine on the same records.

Reads a CSV written by `idr-bench generate` into columns (not timed), times add_many (encoding
included) over several rounds on fresh engines, then runs `idr-bench abi` on the same file for the
native figures (Swift API and C ABI batch add). Usage:
    bench_add_many.py records.csv [--idr-bench .build/release/idr-bench] [--rounds 3]
"""
import argparse
import csv
import re
import subprocess
import time

import idr

KINDS = ("email", "phone", "loyalty_id", "device_id", "pos_card")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("--idr-bench", default=".build/release/idr-bench")
    parser.add_argument("--library", default=None, help="libidr.so for the native run (default: the package's)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    columns = {name: [] for name in ("record_id", *KINDS)}
    with open(args.input, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for name, values in columns.items():
                values.append(row[name] or None)
    n = len(columns["record_id"])

    times = []
    for _ in range(args.rounds):
        with idr.Engine() as engine:
            t0 = time.perf_counter()
            engine.add_many(columns["record_id"], **{k: columns[k] for k in KINDS})
            times.append(time.perf_counter() - t0)
    python_rate = n / min(times)
    print(f"python add_many: {n:,} records, min {min(times):.3f} s over {args.rounds} rounds, {python_rate:,.0f} records/s")

    import os
    library = args.library or os.path.join(os.path.dirname(idr.__file__), "libidr.so")
    out = subprocess.run([args.idr_bench, "abi", args.input, "--library", library, "--rounds", str(args.rounds),
                          "--lookups", "1000"], check=True, capture_output=True, text=True).stdout
    print(out.strip())
    rates = {m.group(1).strip(): float(m.group(2).replace(",", ""))
             for m in re.finditer(r"^add\s+(.*?)\s*: .*?, ([\d,]+) records/s", out, re.M)}
    # The bulk resolver (a different algorithm: no online state), on the same file.
    bulk = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        subprocess.run([args.idr_bench, "resolve", args.input, "--out", "/dev/null", "--quiet"], check=True)
        bulk.append(time.perf_counter() - t0)
    rates["bulk idr-bench resolve (whole command)"] = n / min(bulk)
    print(f"bulk idr-bench resolve: min {min(bulk):.3f} s, {n / min(bulk):,.0f} records/s")
    for name, rate in rates.items():
        print(f"python add_many / native {name}: {python_rate / rate:.3f}")


if __name__ == "__main__":
    main()
