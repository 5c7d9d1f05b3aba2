// Shared plumbing of the storage benchmarks: run configuration (sizes, data directory, smoke
// mode), scratch directories, timing, medians, on-disk sizes, and pre-generated binlog
// datasets (so that generating and encoding binlogs is never inside a timed section).
//
// Not for: anything outside benchmarks/ (it aborts on setup failures instead of returning a
// Status: a benchmark that cannot set up has nothing sensible to report).
//
// Thread safety: BenchConfig is set once in main() before any benchmark runs and read-only
// afterwards. Datasets are immutable once built. The rest are plain values.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/workload/binlog_generator.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/storage/rocksdb_binlog_store.h"

namespace tidb_binlog::bench {

// Sizes and places. Each field has an environment variable (read first) and a flag of the
// same meaning (which wins); see ParseBenchConfig and benchmarks/README.md.
struct BenchConfig {
  bool smoke = false;                      // BINLOG_BENCH_SMOKE / --smoke
  int64_t binlogs = 1'000'000;             // BINLOG_BENCH_BINLOGS / --binlogs: lookup set,
                                           // no-sync ingest set
  int64_t sync_binlogs = 200'000;          // BINLOG_BENCH_SYNC_BINLOGS / --sync-binlogs
  int64_t gc_store_bytes = int64_t{1} << 30;  // BINLOG_BENCH_GC_BYTES / --gc-bytes
  int64_t lookups = 200'000;               // BINLOG_BENCH_LOOKUPS / --lookups, per side
  std::string data_dir;                    // BINLOG_BENCH_DATA_DIR / --data-dir ($TMPDIR)
  uint64_t seed = 20240601;                // BINLOG_BENCH_SEED / --seed
};

// The configuration of this run. Set by ParseBenchConfig.
const BenchConfig& Config();

// Reads the environment, then removes the flags above from argv (leaving Google Benchmark's
// flags in place) and applies them. Smoke mode shrinks every size so that the whole suite
// runs in seconds. Aborts with a message on a malformed value.
void ParseBenchConfig(int* argc, char** argv);

// Runs `cleanup` when the benchmarks are done (RunCleanups, called by main), for state that
// lives across repetitions (a store built once); before RocksDB's own statics go away.
void RegisterCleanup(std::function<void()> cleanup);
void RunCleanups();

// Marks the benchmark failed (SkipWithError) and makes main() exit non-zero, so that the
// smoke test catches a broken harness or a store giving wrong answers.
void Fail(benchmark::State& state, const char* message);
int FailureCount();

// Prints `status` and aborts when it is not OK (setup failures).
void CheckOk(const Status& status, const char* what);

// A fresh, empty directory under Config().data_dir, removed (recursively) on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Sum of the sizes of the regular files under `dir` (what `du --apparent-size` counts; the
// store's files are not sparse, so this is what GC gives back).
int64_t DirectoryBytes(const std::string& dir);

inline double NowSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// Runs fn(i) for i in [0, count) and returns each call's duration in microseconds. The
// clock read costs tens of ns, the same for every side of a comparison.
template <typename Fn>
std::vector<double> TimeEachMicros(size_t count, Fn&& fn) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> micros;
  micros.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const auto start = Clock::now();
    fn(i);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return micros;
}

// Median of `values` (mean of the middle two for an even count); 0 for none. Reorders.
double Median(std::vector<double>* values);

// A pre-generated stream: the binlogs, their upstream encoding and their index keys.
struct Dataset {
  std::vector<binlog::Binlog> binlogs;
  std::vector<std::string> encoded;   // EncodeBinlog of each
  std::vector<int64_t> index_ts;      // BinlogIndexTs of each
  int64_t payload_bytes = 0;          // sum of encoded sizes
};

// Generator options used by every benchmark: seed from the config; row bytes as given; the
// simulated clock stretched so that `expected_binlogs` span at least kStreamSpanMinutesMin
// of TSO time (GC needs more than its 10-minute margin, also in smoke mode).
workload::BinlogGeneratorOptions GeneratorOptions(workload::RowBytesDistribution rows,
                                                  int64_t expected_binlogs);

// The 1 KiB binlogs of the ingest and GC goals: Prewrites with 1 KiB of row bytes.
inline constexpr int64_t kIngestRowBytes = 1024;
inline constexpr int64_t kStreamSpanMinutesMin = 60;

// An integer RocksDB property of the store's index (RocksDbBinlogStore::IndexProperty,
// e.g. "rocksdb.num-files-at-level0"), or -1 if the store does not report it.
double IndexIntProperty(RocksDbBinlogStore* store, const std::string& name);

// The RocksDB store as the benchmarks run it: in `dir`, with `sync` as given, the disk guard
// off (benchmarks measure speed, not the guard), value-log files of the store's default
// size (1 MiB in smoke mode, so that tiny stores still span several files for GC).
std::unique_ptr<RocksDbBinlogStore> OpenStore(const std::string& dir, bool sync);

// Value-log file size OpenStore uses (GC frees space at this granularity).
uint64_t StoreValueLogFileBytes();

// Writes binlogs [begin, end) of `data` to `store` with WriteBatch calls of `batch` binlogs;
// returns the seconds spent in the calls. Aborts on a write error.
double WriteInBatches(BinlogStore* store, const Dataset& data, size_t begin, size_t end,
                      size_t batch);

// Encodes `binlogs` into a Dataset.
Dataset EncodeAll(std::vector<binlog::Binlog> binlogs);

// The next `count` binlogs of `generator`, encoded (for streaming large stores in chunks).
Dataset NextChunk(workload::BinlogGenerator* generator, int64_t count);

// The first `count` binlogs of `options`' stream, with every open transaction finished at
// the end (so the last Commit releases MaxCommitTS), encoded.
Dataset MakeDataset(const workload::BinlogGeneratorOptions& options, int64_t count);

// The 8-byte big-endian form of ts, the order-preserving key raw baselines use.
std::string BigEndianKey(int64_t ts);

}  // namespace tidb_binlog::bench
