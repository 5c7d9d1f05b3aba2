#!/usr/bin/env python3
"""Prints storage_bench's figures and goal ratios (PERFORMANCE.md §6) from its JSON output.

Reads the "median" aggregate of each benchmark (the median over repetitions of each user
counter); with a single repetition it falls back to the one run. Exits 0 either way: the
table is for people, the gates are in the "verdict" column.
"""
import json
import sys

# (benchmark, counter, comparison, goal, label)
GOALS = [
    ("BM_Lookup", "ratio_hit_vs_raw_get", "<=", 1.5, "L3 lookup hit vs raw RocksDB Get"),
    ("BM_Lookup", "ratio_hit_vs_get_pread", "<=", 1.5, "L3 lookup hit vs raw index Get+pread"),
    ("BM_Lookup", "ratio_miss_vs_raw_miss", "<=", 1.0, "L4 lookup miss vs raw miss"),
    ("BM_Lookup", "ratio_purged_vs_raw_miss", "<=", 1.0, "L4 purged ts vs raw miss"),
    ("BM_Gc", "ratio_gc_vs_ingest", "<=", 0.10, "G1 GC 50% until reclaimed vs ingest"),
    ("BM_Gc", "ratio_pull_post_vs_pre", "<=", 2.0, "G2a pull from gc point, post/pre"),
    ("BM_Gc", "ratio_lookup_post_vs_pre", "<=", 1.2, "G2b live lookup, post/pre"),
    ("BM_Gc", "ratio_ingest_during_gc", ">=", 0.8, "G3 ingest during GC vs alone"),
    ("BM_IngestNoSync", "ratio_vs_raw_rocksdb", ">=", 1.0, "I1 no-sync ingest vs raw WriteBatch"),
    ("BM_IngestSync", "ratio_32x4_vs_raw", ">=", 0.8, "I3 sync 32 writers vs raw fdatasync"),
    ("BM_IngestSync", "ratio_32x1_vs_raw", None, None, "I3 sync 32 single-record writers"),
    ("BM_IngestSync", "ratio_latency_p50", "<=", 1.3, "I3 single-writer p50 vs raw"),
]

# Absolute figures worth a glance (not gates): (benchmark, counter, unit)
FIGURES = [
    ("BM_Lookup", "store_hit_us", "us"), ("BM_Lookup", "raw_get_hit_us", "us"),
    ("BM_Lookup", "raw_get_pread_us", "us"), ("BM_Lookup", "store_miss_us", "us"),
    ("BM_Lookup", "store_purged_us", "us"), ("BM_Lookup", "raw_miss_us", "us"),
    ("BM_Gc", "store_MB", "MB"), ("BM_Gc", "ingest_s", "s"), ("BM_Gc", "gc_s", "s"),
    ("BM_Gc", "reclaimed_MB", "MB"), ("BM_Gc", "pull_pre_us", "us"),
    ("BM_Gc", "pull_post_us", "us"), ("BM_Gc", "pull_post_warm_us", "us"),
    ("BM_Gc", "lookup_pre_us", "us"), ("BM_Gc", "lookup_post_us", "us"),
    ("BM_Gc", "lookup_post_warm_us", "us"), ("BM_Gc", "gc_vlog_unlink_s", "s"),
    ("BM_Gc", "gc_count_keys_s", "s"), ("BM_Gc", "gc_delete_files_s", "s"),
    ("BM_Gc", "gc_compact_s", "s"), ("BM_Gc", "ingest_alone_MBps", "MB/s"),
    ("BM_Gc", "ingest_during_gc_MBps", "MB/s"),
    ("BM_IngestNoSync", "store_MBps", "MB/s"), ("BM_IngestNoSync", "raw_rocksdb_MBps", "MB/s"),
    ("BM_IngestSync", "store_32x4_MBps", "MB/s"), ("BM_IngestSync", "store_32x1_MBps", "MB/s"),
    ("BM_IngestSync", "raw_fdatasync128_MBps", "MB/s"),
    ("BM_IngestSync", "store_sync_p50_us", "us"), ("BM_IngestSync", "raw_sync_p50_us", "us"),
    ("BM_IngestConcurrentNoSync", "store_32x4_nosync_MBps", "MB/s"),
    ("BM_IngestConcurrentNoSync", "store_cpu_us_per_binlog", "us"),
]


def medians(report):
    """benchmark name -> {counter: value}, from median aggregates (or single runs)."""
    single, median = {}, {}
    for run in report.get("benchmarks", []):
        name = run.get("run_name", run["name"]).split("/")[0]
        if run.get("error_occurred"):
            single.setdefault(name, {})["error"] = run.get("error_message", "error")
            continue
        if run.get("run_type") == "aggregate":
            if run.get("aggregate_name") == "median":
                median[name] = run
        else:
            single.setdefault(name, run)
    return {**single, **median}


def main(path):
    with open(path) as f:
        by_name = medians(json.load(f))
    print(f"{'goal':<42} {'median':>9}  {'target':>8}  verdict")
    for bench, counter, op, goal, label in GOALS:
        run = by_name.get(bench, {})
        if "error" in run:
            print(f"{label:<42} {'-':>9}  {'':>8}  ERROR: {run['error']}")
            continue
        value = run.get(counter)
        if value is None:
            print(f"{label:<42} {'-':>9}  {'':>8}  not measured")
            continue
        if op is None:
            print(f"{label:<42} {value:9.3f}  {'(info)':>8}")
            continue
        ok = value <= goal if op == "<=" else value >= goal
        print(f"{label:<42} {value:9.3f}  {op}{goal:<6}  {'meets' if ok else 'MISSES'}")
    print()
    print(f"{'figure':<42} {'median':>12}")
    for bench, counter, unit in FIGURES:
        value = by_name.get(bench, {}).get(counter)
        if value is not None:
            print(f"{bench + '.' + counter:<42} {value:12.3f} {unit}")


if __name__ == "__main__":
    main(sys.argv[1])
