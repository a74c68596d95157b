"""Resolve a CSV of customer records with idr on Apache Spark and report what it cost.

    python3 spark_resolve.py RECORDS.csv OUT_DIR [--master local[2]] [--check]

RECORDS.csv has a record_id column and columns named like idr's kinds (what `idr-bench generate`
writes). Writes (record_id, entity_id) as CSV under OUT_DIR and prints records/s, the number of
connected-component rounds and the shuffle bytes per record (from Spark's event log). With
--check it also resolves the file on this machine with idr.resolve and compares exactly.

On a cluster: spark-submit --master yarn (or k8s://…) --py-files <idr wheel> spark_resolve.py …,
with libidr.so on every executor (the idr wheel ships it).
"""
import argparse
import glob
import json
import logging
import os
import tempfile
import time

import idr
import idr.spark
from pyspark.sql import SparkSession


def shuffle_bytes(event_dir: str) -> int:
    total = 0
    for path in glob.glob(os.path.join(event_dir, "**", "*"), recursive=True):
        if os.path.isdir(path):
            continue
        with open(path) as f:
            for line in f:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                metrics = json.loads(line).get("Task Metrics") or {}
                total += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("records")
    parser.add_argument("out")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)
    events = tempfile.mkdtemp(prefix="idr-spark-events-")
    spark = (SparkSession.builder.master(args.master).appName("idr-spark-resolve")
             .config("spark.driver.memory", "8g").config("spark.sql.shuffle.partitions", "8")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.eventLog.enabled", "true").config("spark.eventLog.compress", "false")
             .config("spark.eventLog.dir", "file://" + events).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.option("header", True).csv(args.records)
    kinds = [k for k in idr.BUILTIN_KINDS if k in df.columns]
    start = time.perf_counter()
    result = idr.spark.resolve(df, columns={k: k for k in kinds})
    result.write.mode("overwrite").option("header", True).csv(args.out)
    seconds = time.perf_counter() - start
    records = spark.read.option("header", True).csv(args.out).count()
    spark.stop()
    shuffled = shuffle_bytes(events)
    print(f"idr.spark ({args.master}): {records:,} records in {seconds:.1f} s, {records / seconds:,.0f} records/s; "
          f"shuffle {shuffled / max(records, 1):,.0f} bytes/record")
    if args.check:
        import csv
        with open(args.records, newline="") as f:
            rows = list(csv.DictReader(f))
        expected = idr.resolve([r["record_id"] for r in rows], **{k: [r[k] or None for r in rows] for k in kinds})
        want = {r["record_id"]: int(e) for r, e in zip(rows, expected)}
        got = {}
        for path in glob.glob(os.path.join(args.out, "*.csv")):
            with open(path, newline="") as f:
                for row in csv.DictReader(f):
                    got[row["record_id"]] = int(row["entity_id"]) & ((1 << 64) - 1)
        print("same as idr.resolve on one machine:", got == want)


if __name__ == "__main__":
    main()
