// Ingest goals I1 and I3 (PERFORMANCE.md §6), on 1 KiB binlogs (Prewrites with 1 KiB of
// row bytes, and their small Commits), counting the encoded payload bytes on both sides:
//  - I1, no sync: store WriteBatch(128) from one thread vs raw RocksDB WriteBatch(128) of the
//    same encoded binlogs under their index keys (WAL on, no sync).
//  - I3, sync: 32 concurrent writers, each sending WriteBatch(4) so that about 128 records
//    are in flight (and, reported too, 32 single-record writers), vs a raw loop doing one
//    writev of 128 records + fdatasync on one file; and single-writer p50 latency of a small
//    durable Write vs a raw 128 B append + fdatasync.
// Each iteration measures the baseline first, then the store (A/B), in fresh directories;
// repetitions give A/B/A/B and median aggregates.
#include <benchmark/benchmark.h>

#include <atomic>
#include <latch>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "benchmarks/bench_support.h"
#include "benchmarks/raw_baselines.h"
#include "benchmarks/workload/prng.h"
#include "reference/core/binlog_codec.h"
#include "reference/core/tso.h"

namespace tidb_binlog::bench {
namespace {

// The raw baselines' batch: RocksDB WriteBatch(128), and 128 records per fdatasync
// (upstream's index batch size, PERFORMANCE.md §6 I1/I3).
constexpr size_t kBatchRecords = 128;
// I3: concurrent durable writers, and the records each sends per call so that about
// kBatchRecords are in flight in total.
constexpr int kSyncWriters = 32;
constexpr size_t kSyncWriterBatch = kBatchRecords / kSyncWriters;
// I3 latency: durable single writes timed, and the raw record size they are compared with.
constexpr size_t kLatencySamples = 500;
constexpr size_t kSmokeLatencySamples = 20;
constexpr size_t kRawLatencyRecordBytes = 128;

constexpr double kBytesPerMegabyte = 1e6;

// The 1 KiB data set, and the sync prefix split by transaction among the writers.
struct IngestData {
  Dataset data;
  size_t sync_count = 0;
  int64_t sync_payload_bytes = 0;
  std::vector<std::vector<binlog::Binlog>> per_writer;  // of the sync prefix
};

// Each transaction's binlogs go to one writer, in stream order, so a Commit is never sent
// before its Prewrite (TiDB waits for the Prewrite's ack).
std::vector<std::vector<binlog::Binlog>> SplitByTransaction(const Dataset& data, size_t count,
                                                            int writers) {
  std::vector<std::vector<binlog::Binlog>> out(writers);
  for (size_t i = 0; i < count; ++i) {
    uint64_t key = static_cast<uint64_t>(data.binlogs[i].start_ts());
    out[workload::SplitMix64(&key) % writers].push_back(data.binlogs[i]);
  }
  return out;
}

const IngestData& Data() {
  static std::unique_ptr<IngestData> ingest;
  if (!ingest) {
    ingest = std::make_unique<IngestData>();
    const int64_t count = Config().binlogs;
    ingest->data = MakeDataset(
        GeneratorOptions(workload::RowBytesDistribution::Fixed(kIngestRowBytes), count), count);
    ingest->sync_count =
        std::min(ingest->data.binlogs.size(), static_cast<size_t>(Config().sync_binlogs));
    for (size_t i = 0; i < ingest->sync_count; ++i) {
      ingest->sync_payload_bytes += static_cast<int64_t>(ingest->data.encoded[i].size());
    }
    ingest->per_writer = SplitByTransaction(ingest->data, ingest->sync_count, kSyncWriters);
    RegisterCleanup([] { ingest.reset(); });
  }
  return *ingest;
}

double RawRocksDbSeconds(const Dataset& data) {
  ScratchDir dir("ingest-raw");
  auto raw = RawKv::Open(dir.path());
  const std::span<const int64_t> ts(data.index_ts);
  const std::span<const std::string> values(data.encoded);
  const double start = NowSeconds();
  for (size_t i = 0; i < ts.size(); i += kBatchRecords) {
    const size_t n = std::min(kBatchRecords, ts.size() - i);
    raw->Write(ts.subspan(i, n), values.subspan(i, n), false);
  }
  return NowSeconds() - start;
}

double StoreNoSyncSeconds(const Dataset& data) {
  ScratchDir dir("ingest-store");
  auto store = OpenStore(dir.path(), /*sync=*/false);
  const double seconds = WriteInBatches(store.get(), data, 0, data.binlogs.size(), kBatchRecords);
  CheckOk(store->Close(), "close store");
  return seconds;
}

void BM_IngestNoSync(benchmark::State& state) {
  const IngestData& ingest = Data();
  const double megabytes = ingest.data.payload_bytes / kBytesPerMegabyte;
  for (auto _ : state) {
    const double raw_seconds = RawRocksDbSeconds(ingest.data);
    const double store_seconds = StoreNoSyncSeconds(ingest.data);
    state.SetIterationTime(store_seconds);
    state.counters["store_MBps"] = megabytes / store_seconds;
    state.counters["raw_rocksdb_MBps"] = megabytes / raw_seconds;
    state.counters["ratio_vs_raw_rocksdb"] = raw_seconds / store_seconds;  // I1 goal >= 1.0
    state.counters["binlogs"] = static_cast<double>(ingest.data.binlogs.size());
  }
}
BENCHMARK(BM_IngestNoSync)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

double RawFileSyncSeconds(const IngestData& ingest) {
  ScratchDir dir("sync-raw");
  RawFile file(dir.Sub("raw_file"));
  const std::span<const std::string> records(ingest.data.encoded);
  const double start = NowSeconds();
  for (size_t i = 0; i < ingest.sync_count; i += kBatchRecords) {
    file.Append(records.subspan(i, std::min(kBatchRecords, ingest.sync_count - i)), true);
  }
  return NowSeconds() - start;
}

// All writers start together; returns the wall time until the last one is done.
double StoreConcurrentSyncSeconds(const IngestData& ingest, size_t per_call) {
  ScratchDir dir("sync-store");
  auto store = OpenStore(dir.path(), /*sync=*/true);
  std::atomic<int64_t> errors{0};
  std::latch start(kSyncWriters + 1);
  std::vector<std::thread> writers;
  for (const auto& mine : ingest.per_writer) {
    writers.emplace_back([&store, &errors, &start, &mine, per_call] {
      const std::span<const binlog::Binlog> all(mine);
      start.arrive_and_wait();
      for (size_t i = 0; i < all.size(); i += per_call) {
        const auto part = all.subspan(i, std::min(per_call, all.size() - i));
        const Status status = part.size() == 1 ? store->Write(part[0]) : store->WriteBatch(part);
        errors += !status.ok();
      }
    });
  }
  start.arrive_and_wait();
  const double begin = NowSeconds();
  for (std::thread& writer : writers) writer.join();
  const double seconds = NowSeconds() - begin;
  CheckOk(errors == 0 ? Status::Ok() : Status::IoError("durable writes failed"), "sync ingest");
  CheckOk(store->Close(), "close store");
  return seconds;
}

size_t LatencySamples() { return Config().smoke ? kSmokeLatencySamples : kLatencySamples; }

double RawSyncLatencyP50() {
  ScratchDir dir("latency-raw");
  RawFile file(dir.Sub("raw_file"));
  const std::vector<std::string> record(1, std::string(kRawLatencyRecordBytes, 'x'));
  std::vector<double> micros =
      TimeEachMicros(LatencySamples(), [&](size_t) { file.Append(record, true); });
  return Median(&micros);
}

// Fake binlogs: the smallest durable write a pump receives.
double StoreSyncLatencyP50() {
  ScratchDir dir("latency-store");
  auto store = OpenStore(dir.path(), /*sync=*/true);
  const int64_t first_ts = EncodeTso(workload::BinlogGeneratorOptions{}.start_physical_ms);
  std::vector<double> micros = TimeEachMicros(LatencySamples(), [&](size_t i) {
    CheckOk(store->Write(MakeFakeBinlog(first_ts + static_cast<int64_t>(i) + 1)), "store Write");
  });
  CheckOk(store->Close(), "close store");
  return Median(&micros);
}

void BM_IngestSync(benchmark::State& state) {
  const IngestData& ingest = Data();
  const double megabytes = ingest.sync_payload_bytes / kBytesPerMegabyte;
  for (auto _ : state) {
    const double raw_seconds = RawFileSyncSeconds(ingest);
    const double batch_seconds = StoreConcurrentSyncSeconds(ingest, kSyncWriterBatch);
    const double single_seconds = StoreConcurrentSyncSeconds(ingest, 1);
    const double raw_p50 = RawSyncLatencyP50();
    const double store_p50 = StoreSyncLatencyP50();
    state.SetIterationTime(batch_seconds);
    state.counters["raw_fdatasync128_MBps"] = megabytes / raw_seconds;
    state.counters["store_32x4_MBps"] = megabytes / batch_seconds;
    state.counters["store_32x1_MBps"] = megabytes / single_seconds;
    state.counters["ratio_32x4_vs_raw"] = raw_seconds / batch_seconds;  // I3 goal >= 0.8
    state.counters["ratio_32x1_vs_raw"] = raw_seconds / single_seconds;
    state.counters["raw_sync_p50_us"] = raw_p50;
    state.counters["store_sync_p50_us"] = store_p50;
    state.counters["ratio_latency_p50"] = store_p50 / raw_p50;  // I3 goal <= 1.3
    state.counters["binlogs"] = static_cast<double>(ingest.sync_count);
  }
}
BENCHMARK(BM_IngestSync)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tidb_binlog::bench
