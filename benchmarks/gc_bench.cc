// GC goals G1-G3 (PERFORMANCE.md §6) on a store of ~Config().gc_store_bytes of 1 KiB binlogs:
//  - G1: wall time of Gc + WaitForGc + until `du` shows the space back, for the oldest 50%
//    (by bytes), vs the time it took to ingest the whole store (no sync) in the same run.
//  - G2: after GC, a pull from the GC point (Pull(gc_ts, 128 binlogs)) and live-key lookups,
//    median latency, vs the same calls on the same store before GC; then once more (warm)
//    to tell a store effect from a cold-cache one. The store's GC step timings are info.
//  - G3: ingest MB/s while a second GC (up to the 75% point) runs, vs ingest alone just
//    before and just after (A/B/A), on pre-generated binlogs.
// Every iteration builds a fresh store; repetitions give A/B/A/B and median aggregates.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "benchmarks/bench_support.h"
#include "benchmarks/workload/prng.h"
#include "reference/core/tso.h"

namespace tidb_binlog::bench {
namespace {

// Binlogs generated per step (bounds generator memory) and per WriteBatch.
constexpr int64_t kChunkBinlogs = 8192;
constexpr size_t kBatchBinlogs = 128;
// G3 ingests pre-generated chunks of this many binlogs and checks for GC's end between
// chunks, so the overlap with GC is measured to within one chunk.
constexpr int64_t kPregeneratedChunkBinlogs = 1024;
// Encoded bytes per binlog of the 1 KiB stream (a ~1.07 KB Prewrite and a ~40 B Commit),
// used only to stretch the simulated clock over the expected number of binlogs.
constexpr int64_t kEstimatedBytesPerBinlog = 560;
// G2 samples: pulls of this size from the GC point, and live-key lookups.
constexpr int kPullSamples = 200;
constexpr int kSmokePullSamples = 10;
constexpr size_t kPullLimitCount = 128;
constexpr size_t kPullLimitBytes = size_t{1} << 20;
constexpr int64_t kLiveLookupSamples = 5000;
// Space counts as reclaimed when du dropped by this share of what whole-file GC can free
// (the deleted bytes minus the one value-log file that straddles the bound).
constexpr double kReclaimedShare = 0.8;
constexpr double kReclaimWaitSecondsMax = 120;
constexpr useconds_t kReclaimPollMicroseconds = 5'000;
// G3: each ingest phase writes this share of the store size (in percent).
constexpr int64_t kConcurrentIngestPercent = 8;
// Cut points, in percent of the store's bytes: G1's GC, then G3's.
constexpr int64_t kFirstCutPercent = 50;
constexpr int64_t kSecondCutPercent = 75;
constexpr uint64_t kSampleSeedSalt = 0x6c;
constexpr double kBytesPerMegabyte = 1e6;

struct GcStore {
  ScratchDir dir{"gc"};
  std::unique_ptr<RocksDbBinlogStore> store;
  std::unique_ptr<workload::BinlogGenerator> generator;
  std::vector<std::pair<int64_t, int64_t>> written;  // (index ts, encoded bytes), in order
  int64_t written_bytes = 0;
};

void Track(const Dataset& chunk, GcStore* s) {
  for (size_t i = 0; i < chunk.binlogs.size(); ++i) {
    const int64_t bytes = static_cast<int64_t>(chunk.encoded[i].size());
    s->written.emplace_back(chunk.index_ts[i], bytes);
    s->written_bytes += bytes;
  }
}

// Builds the store; returns the seconds spent in write calls (generation excluded).
double Build(GcStore* s) {
  const int64_t target = Config().gc_store_bytes;
  s->store = OpenStore(s->dir.path(), /*sync=*/false);
  s->generator = std::make_unique<workload::BinlogGenerator>(
      GeneratorOptions(workload::RowBytesDistribution::Fixed(kIngestRowBytes),
                       target / kEstimatedBytesPerBinlog));
  double seconds = 0;
  while (s->written_bytes < target) {
    const Dataset chunk = NextChunk(s->generator.get(), kChunkBinlogs);
    seconds += WriteInBatches(s->store.get(), chunk, 0, chunk.binlogs.size(), kBatchBinlogs);
    Track(chunk, s);
  }
  return seconds;
}

// The largest index ts among the first `percent` of written bytes.
int64_t CutAt(const GcStore& s, int64_t percent) {
  const int64_t bytes_limit = s.written_bytes * percent / 100;
  int64_t bytes = 0, cut = 0;
  for (const auto& [ts, size] : s.written) {
    if (bytes >= bytes_limit) break;
    bytes += size;
    cut = std::max(cut, ts);
  }
  return cut;
}

int64_t BytesAtOrBelow(const GcStore& s, int64_t cut) {
  int64_t bytes = 0;
  for (const auto& [ts, size] : s.written) bytes += ts <= cut ? size : 0;
  return bytes;
}

struct ReadLatencies {
  double pull_us = 0;
  double lookup_us = 0;
  int64_t pulled = 0;  // binlogs returned by the first pull (checks the pull is not empty)
};

ReadLatencies TimeReads(GcStore* s, int64_t gc_ts, const std::vector<int64_t>& live) {
  ReadLatencies out;
  const int pulls = Config().smoke ? kSmokePullSamples : kPullSamples;
  std::vector<double> pull = TimeEachMicros(pulls, [&](size_t i) {
    auto result = s->store->Pull(gc_ts, kPullLimitCount, kPullLimitBytes);
    CheckOk(result.status(), "Pull");
    if (i == 0) out.pulled = static_cast<int64_t>(result->binlogs.size());
  });
  std::vector<double> lookup = TimeEachMicros(live.size(), [&](size_t i) {
    CheckOk(s->store->Lookup(live[i]).status(), "live Lookup");
  });
  out.pull_us = Median(&pull);
  out.lookup_us = Median(&lookup);
  return out;
}

std::vector<int64_t> LiveKeys(const GcStore& s, int64_t above) {
  std::vector<int64_t> candidates;
  for (const auto& [ts, size] : s.written) {
    if (ts > above) candidates.push_back(ts);
  }
  workload::Prng prng(Config().seed ^ kSampleSeedSalt);
  std::vector<int64_t> out;
  const int64_t count = std::min<int64_t>(kLiveLookupSamples, Config().lookups);
  for (int64_t i = 0; i < count && !candidates.empty(); ++i) {
    out.push_back(candidates[prng.Below(candidates.size())]);
  }
  return out;
}

// Gc + WaitForGc + polling du; returns the seconds, or a negative value if du did not drop
// by the expected amount within kReclaimWaitSecondsMax.
double TimeGcUntilReclaimed(GcStore* s, int64_t gc_ts, int64_t reclaimable_bytes) {
  const int64_t before = DirectoryBytes(s->dir.path());
  const double start = NowSeconds();
  if (s->store->Gc(gc_ts) != GcOutcome::kAccepted) return -1;
  s->store->WaitForGc();
  while (before - DirectoryBytes(s->dir.path()) < reclaimable_bytes * kReclaimedShare) {
    if (NowSeconds() - start > kReclaimWaitSecondsMax) return -1;
    ::usleep(kReclaimPollMicroseconds);
  }
  return NowSeconds() - start;
}

std::vector<Dataset> Pregenerate(GcStore* s, int64_t bytes) {
  std::vector<Dataset> chunks;
  int64_t total = 0;
  while (total < bytes) {
    chunks.push_back(NextChunk(s->generator.get(), kPregeneratedChunkBinlogs));
    total += chunks.back().payload_bytes;
  }
  return chunks;
}

// Writes chunks until they run out or `stop` is set (after at least one chunk); returns MB/s.
double IngestRate(GcStore* s, const std::vector<Dataset>& chunks, const std::atomic<bool>* stop) {
  int64_t bytes = 0;
  const double start = NowSeconds();
  for (const Dataset& chunk : chunks) {
    if (stop != nullptr && stop->load() && bytes > 0) break;
    WriteInBatches(s->store.get(), chunk, 0, chunk.binlogs.size(), kBatchBinlogs);
    bytes += chunk.payload_bytes;
  }
  return bytes / kBytesPerMegabyte / (NowSeconds() - start);
}

// The store's own timing of each GC step, as info counters named `prefix` + step: where
// G1's (prefix "gc_") and G3's ("g3_gc_") GC time goes.
void ReportGcSteps(const GcRoundReport& round, const std::string& prefix,
                   benchmark::State& state) {
  state.counters[prefix + "vlog_unlink_s"] = round.vlog_unlink_seconds;
  state.counters[prefix + "count_keys_s"] = round.count_keys_seconds;
  state.counters[prefix + "delete_files_s"] = round.delete_files_in_range_seconds;
  state.counters[prefix + "compact_s"] = round.compact_range_seconds;
  // Index keys GC counted by a scan (the rest came from whole files' table properties).
  state.counters[prefix + "keys_scanned"] =
      static_cast<double>(round.counted_keys - round.keys_counted_from_files);
  state.counters[prefix + "keys_counted"] = static_cast<double>(round.counted_keys);
  state.counters[prefix + "index_cpu_s"] = round.index_cpu_seconds;
  state.counters[prefix + "vlog_unlink_cpu_s"] = round.vlog_unlink_cpu_seconds;
}

// G3: ingest alone, ingest while GC to the second cut runs, ingest alone.
void MeasureIngestDuringGc(GcStore* s, int64_t gc_ts, benchmark::State& state) {
  const int64_t phase_bytes = s->written_bytes * kConcurrentIngestPercent / 100;
  const std::vector<Dataset> before = Pregenerate(s, phase_bytes);
  const std::vector<Dataset> during = Pregenerate(s, phase_bytes);
  const std::vector<Dataset> after = Pregenerate(s, phase_bytes);
  const double alone_before = IngestRate(s, before, nullptr);
  std::atomic<bool> gc_done{false};
  GcOutcome outcome = GcOutcome::kIgnoredUnsafe;
  std::thread gc([&] {
    outcome = s->store->Gc(gc_ts);
    s->store->WaitForGc();
    gc_done = true;
  });
  const double with_gc = IngestRate(s, during, &gc_done);
  gc.join();
  ReportGcSteps(s->store->LastGcRound(), "g3_gc_", state);
  const double alone_after = IngestRate(s, after, nullptr);
  const double alone = (alone_before + alone_after) / 2;
  state.counters["ingest_alone_MBps"] = alone;
  state.counters["ingest_during_gc_MBps"] = with_gc;
  state.counters["ratio_ingest_during_gc"] = with_gc / alone;  // G3 goal >= 0.8
  if (outcome != GcOutcome::kAccepted) Fail(state, "second GC was refused");
}

void BM_Gc(benchmark::State& state) {
  for (auto _ : state) {
    GcStore s;
    const double ingest_seconds = Build(&s);
    const int64_t cut = CutAt(s, kFirstCutPercent);
    const int64_t gc_ts = cut + EncodeTso(kGcMarginMilliseconds);
    const std::vector<int64_t> live = LiveKeys(s, gc_ts);
    const ReadLatencies pre = TimeReads(&s, gc_ts, live);
    const int64_t deleted = BytesAtOrBelow(s, cut);
    const int64_t reclaimable =
        std::max<int64_t>(0, deleted - static_cast<int64_t>(StoreValueLogFileBytes()));
    const int64_t du_before = DirectoryBytes(s.dir.path());
    // The index's shape at GC time: L0 files cannot be dropped whole, so they (and the
    // memtable) are what GC's CompactRange has to rewrite.
    state.counters["index_l0_files_pre_gc"] =
        IndexIntProperty(s.store.get(), "rocksdb.num-files-at-level0");
    state.counters["index_memtable_keys_pre_gc"] =
        IndexIntProperty(s.store.get(), "rocksdb.num-entries-active-mem-table");
    const double gc_seconds = TimeGcUntilReclaimed(&s, gc_ts, reclaimable);
    const int64_t du_after = DirectoryBytes(s.dir.path());
    const ReadLatencies post = TimeReads(&s, gc_ts, live);
    // A second pass on the same keys: if it were much faster than the first, the post/pre
    // ratio would be measuring cold caches (a harness artefact), not the store after GC.
    const ReadLatencies post_warm = TimeReads(&s, gc_ts, live);
    state.counters["pull_post_warm_us"] = post_warm.pull_us;
    state.counters["lookup_post_warm_us"] = post_warm.lookup_us;
    ReportGcSteps(s.store->LastGcRound(), "gc_", state);
    state.SetIterationTime(std::max(gc_seconds, 0.0));
    state.counters["store_MB"] = du_before / kBytesPerMegabyte;
    state.counters["ingest_s"] = ingest_seconds;
    state.counters["gc_s"] = gc_seconds;
    state.counters["reclaimed_MB"] = (du_before - du_after) / kBytesPerMegabyte;
    state.counters["deleted_payload_MB"] = deleted / kBytesPerMegabyte;
    state.counters["ratio_gc_vs_ingest"] = gc_seconds / ingest_seconds;  // G1 goal <= 0.10
    state.counters["pull_pre_us"] = pre.pull_us;
    state.counters["pull_post_us"] = post.pull_us;
    state.counters["ratio_pull_post_vs_pre"] = post.pull_us / pre.pull_us;  // G2a <= 2
    state.counters["lookup_pre_us"] = pre.lookup_us;
    state.counters["lookup_post_us"] = post.lookup_us;
    state.counters["ratio_lookup_post_vs_pre"] = post.lookup_us / pre.lookup_us;  // G2b <= 1.2
    if (gc_seconds < 0) {
      Fail(state, "GC refused, or space not reclaimed in time");
      break;
    }
    if (pre.pulled == 0 || post.pulled == 0) {
      Fail(state, "a pull from the GC point returned nothing");
      break;
    }
    MeasureIngestDuringGc(&s, CutAt(s, kSecondCutPercent) + EncodeTso(kGcMarginMilliseconds),
                          state);
  }
}
BENCHMARK(BM_Gc)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tidb_binlog::bench
