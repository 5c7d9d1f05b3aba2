#!/usr/bin/env bash
# Runs the storage benchmarks as PERFORMANCE.md §6 asks and prints figures and ratios vs
# the goals.
#
#   benchmarks/run_storage_bench.sh [extra storage_bench flags...]
#
# Protocol: Release build; the process pinned with taskset to BENCH_CPUS (default "0,1" when
# the machine has two or more CPUs: the store's threads and the driver share one process, so
# they share the pinned set; on a larger machine this keeps the run comparable to the 2-core
# reference box); each benchmark iteration measures its baseline then the candidate (A/B),
# and BENCH_REPETITIONS repetitions (default 4) make it A/B/A/B/...; the gate is the median
# ratio over the repetitions. JSON goes to BENCH_RESULTS_DIR (default benchmarks/results/,
# not committed). Sizes come from storage_bench's flags/environment (benchmarks/README.md).
#
# Needs: cmake, ninja, python3 (for the summary table).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${BENCH_BUILD_DIR:-$repo/build-bench-release}"
results="${BENCH_RESULTS_DIR:-$repo/benchmarks/results}"
repetitions="${BENCH_REPETITIONS:-4}"
if [ -z "${BENCH_CPUS+x}" ] && [ "$(nproc)" -ge 2 ]; then BENCH_CPUS="0,1"; fi
cpus="${BENCH_CPUS:-}"

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBINLOG_BENCHMARKS=ON >/dev/null
ninja -C "$build" -j"${BINLOG_JOBS:-2}" storage_bench

mkdir -p "$results"
out="$results/storage-$(date -u +%Y%m%dT%H%M%SZ).json"
pin=()
if [ -n "$cpus" ]; then pin=(taskset -c "$cpus"); fi
"${pin[@]}" "$build/bin/storage_bench" \
  --benchmark_repetitions="$repetitions" \
  --benchmark_out="$out" --benchmark_out_format=json "$@"

python3 "$repo/benchmarks/summarize_storage_bench.py" "$out"
echo "JSON: $out"
