// storage_bench: the storage goals of PERFORMANCE.md §6 (L3/L4 lookup, G1-G3 GC, I1/I3
// ingest) as Google Benchmark suites, each reporting its baseline measured in this binary
// and the ratio as user counters. See benchmarks/README.md for flags and how to read them.
#include <benchmark/benchmark.h>

#include "benchmarks/bench_support.h"

int main(int argc, char** argv) {
  tidb_binlog::bench::ParseBenchConfig(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  tidb_binlog::bench::RunCleanups();
  benchmark::Shutdown();
  return tidb_binlog::bench::FailureCount() == 0 ? 0 : 1;
}
