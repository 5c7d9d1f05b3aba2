// Ingest goals I1 and I3 (PERFORMANCE.md §6), on 1 KiB binlogs (Prewrites with 1 KiB of
// row bytes, and their small Commits), counting the encoded payload bytes on both sides:
//  - I1, no sync: store WriteBatch(128) from one thread vs raw RocksDB WriteBatch(128) of the
//    same encoded binlogs under their index keys (WAL on, no sync).
//  - I3, sync: 32 concurrent writers, each sending WriteBatch(4) so that about 128 records
//    are in flight, vs a raw loop doing one writev of 128 records + fdatasync on one file;
//    and single-writer p50 latency of a small durable Write vs a raw 128 B append +
//    fdatasync. The gated writers are the pump's: each has one write in flight and issues
//    the next from the last one's callback (WriteBatchAsync, what the gRPC service calls
//    through PumpNode::WriteBinlogAsync), as upstream's goroutines do. Reported too: 32
//    writer threads blocking in WriteBatch(4) (the synchronous API), and 32 async
//    single-record writers.
//  - Info: I3's 32 x WriteBatch(4) async path with sync off (BM_IngestConcurrentNoSync),
//    i.e. its CPU cost alone (MB/s and process CPU us per binlog), I3's ceiling on a fast
//    disk.
//  - Info: where a durable round of I3's 32 x WriteBatch(4) store goes (wp_* counters, per
//    fdatasync: the store's WritePathReport, the mean round's wall time and process CPU).
// I1: each iteration measures the baseline first, then the store (A/B), in fresh
// directories. I3: each iteration alternates the sides in short slices (SyncSlices) and
// reports the median of the per-slice ratios. Repetitions give A/B/A/B and median aggregates.
#include <time.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <latch>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "benchmarks/bench_support.h"
#include "benchmarks/raw_baselines.h"
#include "reference/core/binlog_codec.h"
#include "reference/core/cpu_time.h"
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
// I3 latency: samples per side before switching sides.
constexpr size_t kLatencyBlockSamples = 50;
// I3 throughput: records per side before switching sides. 4096 records (~4.4 MB, 32 raw
// fdatasyncs) take tens of ms: short enough that both sides of a slice see the same disk,
// long enough that thread start and the store's first group are small against it.
constexpr size_t kSyncSliceRecords = 4096;
constexpr size_t kSmokeSyncSliceRecords = 256;

constexpr double kBytesPerMegabyte = 1e6;
constexpr double kMicrosPerSecond = 1e6;

// The 1 KiB data set, and how much of it the durable-ingest goal writes.
struct IngestData {
  Dataset data;
  size_t sync_count = 0;
  int64_t sync_payload_bytes = 0;
};

// Each transaction's binlogs go to one writer, in stream order, so a Commit is never sent
// before its Prewrite (TiDB waits for the Prewrite's ack). A new transaction goes to the
// writer with the fewest binlogs so far, so all writers carry the same load and stay busy
// until the end of the slice: with a hash of the start ts instead, the busiest of the 32
// writers had ~25% more binlogs than the mean, and the slice's last fifth ran with fewer
// and fewer writers, which is not the "32 concurrent writers" the goal measures.
std::vector<std::vector<binlog::Binlog>> SplitByTransaction(const Dataset& data, size_t begin,
                                                            size_t end, int writers) {
  std::vector<std::vector<binlog::Binlog>> out(writers);
  std::unordered_map<int64_t, size_t> writer_of;  // start ts -> writer
  for (size_t i = begin; i < end; ++i) {
    const binlog::Binlog& b = data.binlogs[i];
    auto [it, is_new] = writer_of.try_emplace(b.start_ts(), 0);
    if (is_new) {
      it->second = static_cast<size_t>(
          std::min_element(out.begin(), out.end(),
                           [](const auto& x, const auto& y) { return x.size() < y.size(); }) -
          out.begin());
    }
    out[it->second].push_back(b);
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
    RegisterCleanup([] { ingest.reset(); });
  }
  return *ingest;
}

// Writers as the pump's gRPC service has them (PumpNode::WriteBinlogAsync): each writer
// has one write in flight and issues its next from the callback of the last
// (BinlogStore::WriteBatchAsync), so no thread waits per write. Returns the wall time until
// the last writer is done.
double AsyncWritersSeconds(BinlogStore* store,
                           const std::vector<std::vector<binlog::Binlog>>& per_writer,
                           size_t per_call) {
  struct Writer {
    std::span<const binlog::Binlog> all;
    size_t next = 0;
  };
  std::vector<Writer> writers;
  for (const auto& mine : per_writer) writers.push_back({std::span<const binlog::Binlog>(mine)});
  std::atomic<int64_t> errors{0};
  std::latch done(static_cast<std::ptrdiff_t>(writers.size()));
  std::function<void(Writer&)> write_next = [&](Writer& w) {
    if (w.next == w.all.size()) {
      done.count_down();
      return;
    }
    const auto part = w.all.subspan(w.next, std::min(per_call, w.all.size() - w.next));
    w.next += part.size();
    store->WriteBatchAsync(part, [&, &w = w](Status status) {
      errors += !status.ok();
      write_next(w);
    });
  };
  const double begin = NowSeconds();
  for (Writer& w : writers) write_next(w);
  done.wait();
  const double seconds = NowSeconds() - begin;
  CheckOk(errors == 0 ? Status::Ok() : Status::IoError("async writes failed"), "async ingest");
  return seconds;
}

// Writers as threads that each block in Write/WriteBatch until acknowledged. All writers
// start together; returns the wall time until the last one is done.
double ThreadWritersSeconds(BinlogStore* store,
                         const std::vector<std::vector<binlog::Binlog>>& per_writer,
                         size_t per_call) {
  std::atomic<int64_t> errors{0};
  std::latch start(static_cast<std::ptrdiff_t>(per_writer.size()) + 1);
  std::vector<std::thread> writers;
  for (const auto& mine : per_writer) {
    writers.emplace_back([store, &errors, &start, &mine, per_call] {
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
  CheckOk(errors == 0 ? Status::Ok() : Status::IoError("concurrent writes failed"),
          "concurrent ingest");
  return seconds;
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

// Info, no goal: the I3 writers' path (32 async writers x WriteBatch(4)) with sync off,
// i.e. its CPU cost alone: the ceiling of ratio_32x4_vs_raw when fdatasync is fast. Same
// records as I3 (the sync prefix), compared with I1's raw RocksDB WriteBatch(128) of them.
void BM_IngestConcurrentNoSync(benchmark::State& state) {
  const IngestData& ingest = Data();
  const double megabytes = ingest.sync_payload_bytes / kBytesPerMegabyte;
  Dataset prefix;
  prefix.index_ts.assign(ingest.data.index_ts.begin(),
                         ingest.data.index_ts.begin() + static_cast<ptrdiff_t>(ingest.sync_count));
  prefix.encoded.assign(ingest.data.encoded.begin(),
                        ingest.data.encoded.begin() + static_cast<ptrdiff_t>(ingest.sync_count));
  const auto per_writer = SplitByTransaction(ingest.data, 0, ingest.sync_count, kSyncWriters);
  for (auto _ : state) {
    const double raw_seconds = RawRocksDbSeconds(prefix);
    ScratchDir dir("ingest-concurrent");
    auto store = OpenStore(dir.path(), /*sync=*/false);
    const double cpu_start = ProcessCpuSeconds();
    const double store_seconds = AsyncWritersSeconds(store.get(), per_writer, kSyncWriterBatch);
    const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
    CheckOk(store->Close(), "close store");
    // CPU of every thread (callers, the store's, RocksDB's) per record: what caps the
    // durable path on a small box.
    state.counters["store_cpu_us_per_binlog"] =
        cpu_seconds * kMicrosPerSecond / static_cast<double>(ingest.sync_count);
    state.SetIterationTime(store_seconds);
    state.counters["store_32x4_nosync_MBps"] = megabytes / store_seconds;
    state.counters["raw_rocksdb_MBps"] = megabytes / raw_seconds;
    state.counters["ratio_vs_raw_rocksdb"] = raw_seconds / store_seconds;
    state.counters["binlogs"] = static_cast<double>(ingest.sync_count);
  }
}
BENCHMARK(BM_IngestConcurrentNoSync)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// I3 runs its sides in alternating slices of the sync prefix (raw, store 32x4, store 32x4
// threads, store 32x1, raw, ...) on sinks kept open for the whole iteration, and gates on the
// median of the per-slice ratios: this VM's fdatasync throughput swings 10-300 MB/s from one
// second to the next, so sides measured a few seconds apart compare different disks.
class SyncSlices {
 public:
  // Seconds of each side of one slice.
  struct Seconds {
    double raw = 0;
    double batch = 0;          // 32 async writers x WriteBatch(4): the gate
    double batch_threads = 0;  // 32 writer threads x WriteBatch(4)
    double single = 0;         // 32 async writers x Write(1)
  };

  explicit SyncSlices(const IngestData& ingest)
      : ingest_(ingest),
        raw_file_(dir_.Sub("raw_file")),
        store_batch_(OpenStore(dir_.Sub("store_32x4"), /*sync=*/true)),
        store_batch_threads_(OpenStore(dir_.Sub("store_32x4_threads"), /*sync=*/true)),
        store_single_(OpenStore(dir_.Sub("store_32x1"), /*sync=*/true)) {}

  ~SyncSlices() {
    for (auto* store : {&store_batch_, &store_batch_threads_, &store_single_}) {
      CheckOk((*store)->Close(), "close store");
    }
  }

  // Records [begin, end) on each side.
  Seconds Run(size_t begin, size_t end) {
    const std::span<const std::string> records(ingest_.data.encoded);
    Seconds seconds;
    const double start = NowSeconds();
    for (size_t i = begin; i < end; i += kBatchRecords) {
      raw_file_.Append(records.subspan(i, std::min(kBatchRecords, end - i)), true);
    }
    seconds.raw = NowSeconds() - start;
    const auto per_writer = SplitByTransaction(ingest_.data, begin, end, kSyncWriters);
    const double cpu_start = ProcessCpuSeconds();
    seconds.batch = AsyncWritersSeconds(store_batch_.get(), per_writer, kSyncWriterBatch);
    batch_cpu_seconds_ += ProcessCpuSeconds() - cpu_start;
    seconds.batch_threads =
        ThreadWritersSeconds(store_batch_threads_.get(), per_writer, kSyncWriterBatch);
    seconds.single = AsyncWritersSeconds(store_single_.get(), per_writer, 1);
    return seconds;
  }

  WritePathReport BatchWritePath() { return store_batch_->write_path_report(); }
  // Process CPU (every thread) while the 32x4 side ran.
  double BatchCpuSeconds() const { return batch_cpu_seconds_; }

 private:
  const IngestData& ingest_;
  ScratchDir dir_{"sync"};
  RawFile raw_file_;
  std::unique_ptr<RocksDbBinlogStore> store_batch_;
  std::unique_ptr<RocksDbBinlogStore> store_batch_threads_;
  std::unique_ptr<RocksDbBinlogStore> store_single_;
  double batch_cpu_seconds_ = 0;
};

// The 32x4 store's write path per fdatasync round (WritePathReport), microseconds: where a
// durable round's time goes (info, no goal).
void ReportWritePath(const WritePathReport& r, double store_seconds, double cpu_seconds,
                     benchmark::State* state) {
  if (r.syncs == 0) return;
  const double per_sync = kMicrosPerSecond / static_cast<double>(r.syncs);
  state->counters["wp_round_us"] = store_seconds * per_sync;  // the mean round, wall time
  state->counters["wp_cpu_us"] = cpu_seconds * per_sync;  // process CPU per round
  state->counters["wp_write_us"] = r.write_seconds * per_sync;
  state->counters["wp_sync_us"] = r.sync_seconds * per_sync;
  state->counters["wp_handoff_us"] = r.handoff_seconds * per_sync;
  state->counters["wp_index_us"] = r.index_seconds * per_sync;
  state->counters["wp_ack_us"] = r.ack_seconds * per_sync;
  state->counters["wp_groups_per_sync"] = static_cast<double>(r.groups) / r.syncs;
  state->counters["wp_requests_per_sync"] = static_cast<double>(r.requests) / r.syncs;
}

size_t LatencySamples() { return Config().smoke ? kSmokeLatencySamples : kLatencySamples; }

// Single-writer durable latency, alternating blocks of raw 128 B append + fdatasync and
// store Writes of fake binlogs (the smallest durable write a pump receives). Returns the
// medians {raw, store} in microseconds.
std::array<double, 2> SyncLatencyP50() {
  ScratchDir dir("latency");
  RawFile file(dir.Sub("raw_file"));
  auto store = OpenStore(dir.Sub("store"), /*sync=*/true);
  const std::vector<std::string> record(1, std::string(kRawLatencyRecordBytes, 'x'));
  const int64_t first_ts = EncodeTso(workload::BinlogGeneratorOptions{}.start_physical_ms);
  std::vector<double> raw, stored;
  auto append = [](std::vector<double>* to, const std::vector<double>& from) {
    to->insert(to->end(), from.begin(), from.end());
  };
  for (size_t done = 0; done < LatencySamples(); done += kLatencyBlockSamples) {
    const size_t n = std::min(kLatencyBlockSamples, LatencySamples() - done);
    append(&raw, TimeEachMicros(n, [&](size_t) { file.Append(record, true); }));
    append(&stored, TimeEachMicros(n, [&](size_t i) {
             const int64_t ts = first_ts + static_cast<int64_t>(done + i) + 1;
             CheckOk(store->Write(MakeFakeBinlog(ts)), "store Write");
           }));
  }
  CheckOk(store->Close(), "close store");
  return {Median(&raw), Median(&stored)};
}

void BM_IngestSync(benchmark::State& state) {
  const IngestData& ingest = Data();
  const size_t slice = Config().smoke ? kSmokeSyncSliceRecords : kSyncSliceRecords;
  for (auto _ : state) {
    SyncSlices sides(ingest);
    SyncSlices::Seconds total;
    std::vector<double> ratio_batch, ratio_batch_threads, ratio_single;
    for (size_t begin = 0; begin < ingest.sync_count; begin += slice) {
      const size_t end = std::min(begin + slice, ingest.sync_count);
      const SyncSlices::Seconds seconds = sides.Run(begin, end);
      total.raw += seconds.raw;
      total.batch += seconds.batch;
      total.batch_threads += seconds.batch_threads;
      total.single += seconds.single;
      ratio_batch.push_back(seconds.raw / seconds.batch);
      ratio_batch_threads.push_back(seconds.raw / seconds.batch_threads);
      ratio_single.push_back(seconds.raw / seconds.single);
    }
    ReportWritePath(sides.BatchWritePath(), total.batch, sides.BatchCpuSeconds(), &state);
    const double megabytes = ingest.sync_payload_bytes / kBytesPerMegabyte;
    const auto [raw_p50, store_p50] = SyncLatencyP50();
    state.SetIterationTime(total.batch);
    state.counters["raw_fdatasync128_MBps"] = megabytes / total.raw;
    state.counters["store_32x4_MBps"] = megabytes / total.batch;
    state.counters["store_32x4_threads_MBps"] = megabytes / total.batch_threads;
    state.counters["store_32x1_MBps"] = megabytes / total.single;
    state.counters["ratio_32x4_vs_raw"] = Median(&ratio_batch);  // I3 goal >= 0.8
    state.counters["ratio_32x4_threads_vs_raw"] = Median(&ratio_batch_threads);
    state.counters["ratio_32x1_vs_raw"] = Median(&ratio_single);
    state.counters["slices"] = static_cast<double>(ratio_batch.size());
    state.counters["raw_sync_p50_us"] = raw_p50;
    state.counters["store_sync_p50_us"] = store_p50;
    state.counters["ratio_latency_p50"] = store_p50 / raw_p50;  // I3 goal <= 1.3
    state.counters["binlogs"] = static_cast<double>(ingest.sync_count);
  }
}
BENCHMARK(BM_IngestSync)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tidb_binlog::bench
