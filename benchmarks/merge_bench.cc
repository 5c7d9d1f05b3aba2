// merge_bench: the drainer merge goals of PERFORMANCE.md §6, M1 and M2.
//
//  M1  k = 5 per-pump sorted streams, interleaved (every item from a random pump): merged
//      items/s of Merger (reference/drainer/merger.h) >= 0.5x a hand-written replace-top
//      binary heap on identical in-memory data.
//  M2  the same with clustered streams (runs of 64 consecutive commit ts from one pump):
//      >= 2x the same heap (Merger emits runs while they sort before the runner-up).
//
// Both sides merge the same 16-byte items (commit ts + a value) into a reused batch of 4096
// that a sink checks and clears, as the drainer consumes merged batches. The Merger side
// also pays for what the drainer needs and the heap does not: copying every item into a
// bounded per-source buffer (Push) and out of it, stall checks, duplicate/disorder checks.
// Each benchmark runs baseline and candidate alternately (A/B/A/B...), checks that both
// delivered commit ts 1..n in order, and reports the medians (of thread CPU time) and their ratio as user
// counters:
//   heap_items_per_s, merger_items_per_s, ratio (= merger / heap; the gate).
//
// Flags (removed before Google Benchmark sees argv): --smoke (tiny sizes, one round: checks
// the harness, not speed; also BINLOG_BENCH_SMOKE=1), --items=<n> items per run (default
// 2,000,000), --rounds=<n> A/B rounds (default 5).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "reference/drainer/merger.h"

namespace tidb_binlog::bench {
namespace {

constexpr int kSources = 5;              // k of M1/M2
constexpr int64_t kClusterRunItems = 64;  // M2's run length
constexpr int64_t kItemsDefault = 2'000'000;
constexpr int64_t kItemsSmoke = 20'000;
constexpr int kRoundsDefault = 5;
constexpr uint64_t kSeed = 20240601;

struct Config {
  bool smoke = false;
  int64_t items = kItemsDefault;
  int rounds = kRoundsDefault;
};
Config& MutableConfig() {
  static Config config;
  return config;
}

// Benchmarks that found a wrong merge; main() exits non-zero so the smoke test catches it.
int failures = 0;

}  // namespace

// The benchmark item: 16 bytes, as in PERFORMANCE.md §5b.
struct BenchItem {
  int64_t commit_ts = 0;
  uint64_t value = 0;
};
inline size_t MergeItemBytes(const BenchItem&) { return sizeof(BenchItem); }

namespace {

// splitmix64: a fixed, library-independent stream (determinism across standard libraries).
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Per-source sorted streams over commit ts 1..items; each run of `run` consecutive ts goes
// to one random source. Every stream ends with a sentinel (INT64_MAX) so that the merger,
// which stalls on an empty source, drains every real item.
std::vector<std::vector<BenchItem>> MakeStreams(int64_t items, int64_t run) {
  std::vector<std::vector<BenchItem>> streams(kSources);
  uint64_t rng = kSeed;
  int source = 0;
  for (int64_t ts = 1; ts <= items; ++ts) {
    if ((ts - 1) % run == 0) source = static_cast<int>(NextRandom(rng) % kSources);
    streams[source].push_back(BenchItem{ts, static_cast<uint64_t>(ts) * 31});
  }
  for (auto& stream : streams) {
    stream.push_back(BenchItem{std::numeric_limits<int64_t>::max(), 0});
  }
  return streams;
}

// Where merged items go, for both sides: batches of kOutputBatchItems handed to a sink that
// checks them, as the drainer hands merged batches to its syncer. A reused batch keeps the
// comparison about merging, not about writing a 32 MB output array.
constexpr size_t kOutputBatchItems = 4096;

// Checks that the real items arrive as commit ts 1..items with their values, in order
// (the sentinels that follow are ignored).
class Sink {
 public:
  explicit Sink(int64_t items) : items_(items) {}

  void Consume(std::vector<BenchItem>& batch) {
    for (const BenchItem& item : batch) {
      if (next_ts_ > items_) break;  // sentinels
      if (item.commit_ts != next_ts_ || item.value != static_cast<uint64_t>(next_ts_) * 31) {
        ok_ = false;
      }
      ++next_ts_;
    }
    batch.clear();
  }
  bool Complete() const { return ok_ && next_ts_ == items_ + 1; }

 private:
  int64_t items_;
  int64_t next_ts_ = 1;
  bool ok_ = true;
};

// Baseline: replace-top binary min-heap over per-source cursors, no batching, no checks.
// Both sides are kept out of line so that neither is specialised into the timing loop.
[[gnu::noinline]] void HeapMerge(const std::vector<std::vector<BenchItem>>& streams,
                                 std::vector<BenchItem>& batch, Sink& sink) {
  struct Entry {
    int64_t ts;
    uint32_t source;
  };
  auto before = [](const Entry& a, const Entry& b) {
    return a.ts < b.ts || (a.ts == b.ts && a.source < b.source);
  };
  std::vector<size_t> cursor(streams.size(), 0);
  std::vector<Entry> heap;
  for (uint32_t s = 0; s < streams.size(); ++s) {
    if (!streams[s].empty()) heap.push_back(Entry{streams[s][0].commit_ts, s});
  }
  std::make_heap(heap.begin(), heap.end(), [&](const Entry& a, const Entry& b) {
    return before(b, a);
  });
  while (!heap.empty()) {
    const uint32_t s = heap[0].source;
    batch.push_back(streams[s][cursor[s]++]);
    if (batch.size() == kOutputBatchItems) sink.Consume(batch);
    if (cursor[s] < streams[s].size()) {
      heap[0].ts = streams[s][cursor[s]].commit_ts;
    } else {
      heap[0] = heap.back();
      heap.pop_back();
      if (heap.empty()) break;
    }
    // Sift the (replaced) top down.
    const Entry moving = heap[0];
    size_t hole = 0;
    for (;;) {
      size_t child = 2 * hole + 1;
      if (child >= heap.size()) break;
      if (child + 1 < heap.size() && before(heap[child + 1], heap[child])) ++child;
      if (!before(heap[child], moving)) break;
      heap[hole] = heap[child];
      hole = child;
    }
    heap[hole] = moving;
  }
  sink.Consume(batch);
}

// Candidate: the drainer's Merger fed the way a driver feeds it: each source's puller
// pushes what fits, then the merge pops batches while it can, until every stream is
// consumed.
[[gnu::noinline]] void MergerMerge(std::vector<std::vector<BenchItem>>& streams,
                                   const std::vector<std::string>& ids,
                                   std::vector<BenchItem>& batch, Sink& sink) {
  Merger<BenchItem> merger(0);
  for (const std::string& id : ids) {
    if (!merger.AddSource(id).ok()) std::abort();
  }
  std::vector<size_t> cursor(streams.size(), 0);
  for (;;) {
    bool pushed = false;
    for (size_t s = 0; s < streams.size(); ++s) {
      std::span<BenchItem> rest(streams[s].data() + cursor[s], streams[s].size() - cursor[s]);
      if (rest.empty()) continue;
      Result<size_t> taken = merger.PushSome(ids[s], rest);
      if (!taken.ok()) std::abort();
      cursor[s] += *taken;
      pushed = pushed || *taken > 0;
    }
    size_t popped = 0;
    while (size_t n = merger.Pop(batch, kOutputBatchItems)) {
      popped += n;
      sink.Consume(batch);
    }
    if (!pushed && popped == 0) break;
  }
}

// CPU time of this thread: the merge is CPU-bound and in memory, and on a shared 2-core
// machine wall time would mostly measure who else was scheduled.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void RunMergeGoal(benchmark::State& state, int64_t run) {
  const Config& config = MutableConfig();
  const int64_t items = config.items;
  std::vector<std::vector<BenchItem>> streams = MakeStreams(items, run);
  std::vector<std::string> ids;
  for (int s = 0; s < kSources; ++s) ids.push_back("pump-" + std::to_string(s) + ":8250");
  std::vector<BenchItem> batch;
  batch.reserve(kOutputBatchItems);

  for (auto _ : state) {
    std::vector<double> heap_rate, merger_rate;
    double merger_seconds = 0;
    for (int round = 0; round < config.rounds; ++round) {
      Sink heap_sink(items);
      double start = ThreadCpuSeconds();
      HeapMerge(streams, batch, heap_sink);
      const double heap_s = ThreadCpuSeconds() - start;
      if (!heap_sink.Complete()) {
        ++failures;
        state.SkipWithError("heap baseline merged wrongly");
      }
      heap_rate.push_back(static_cast<double>(items) / heap_s);

      Sink merger_sink(items);
      start = ThreadCpuSeconds();
      MergerMerge(streams, ids, batch, merger_sink);
      const double merger_s = ThreadCpuSeconds() - start;
      if (!merger_sink.Complete()) {
        ++failures;
        state.SkipWithError("Merger merged wrongly");
      }
      merger_rate.push_back(static_cast<double>(items) / merger_s);
      merger_seconds += merger_s;
    }
    state.SetIterationTime(merger_seconds / config.rounds);
    const double heap = Median(heap_rate);
    const double merger = Median(merger_rate);
    state.counters["heap_items_per_s"] = heap;
    state.counters["merger_items_per_s"] = merger;
    state.counters["ratio"] = merger / heap;
  }
  state.SetItemsProcessed(state.iterations() * items);
}

// M1: goal ratio >= 0.5 (stretch 0.8).
void BM_MergeInterleaved(benchmark::State& state) { RunMergeGoal(state, 1); }
// M2: goal ratio >= 2 (stretch 4).
void BM_MergeClustered(benchmark::State& state) { RunMergeGoal(state, kClusterRunItems); }

BENCHMARK(BM_MergeInterleaved)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MergeClustered)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

bool ParsePositive(const char* text, int64_t& value) {
  char* end = nullptr;
  long long parsed = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || parsed <= 0) return false;
  value = parsed;
  return true;
}

// Applies and removes our flags from argv; aborts on a malformed value.
void ParseFlags(int* argc, char** argv) {
  Config& config = MutableConfig();
  const char* env = std::getenv("BINLOG_BENCH_SMOKE");
  if (env != nullptr && std::strcmp(env, "1") == 0) config.smoke = true;
  int kept = 1;
  int64_t items = 0, rounds = 0;
  for (int i = 1; i < *argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--smoke") == 0) {
      config.smoke = true;
    } else if (std::strncmp(arg, "--items=", 8) == 0) {
      if (!ParsePositive(arg + 8, items)) {
        std::fprintf(stderr, "merge_bench: bad %s\n", arg);
        std::exit(2);
      }
    } else if (std::strncmp(arg, "--rounds=", 9) == 0) {
      if (!ParsePositive(arg + 9, rounds)) {
        std::fprintf(stderr, "merge_bench: bad %s\n", arg);
        std::exit(2);
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  if (config.smoke) {
    config.items = kItemsSmoke;
    config.rounds = 1;
  }
  if (items > 0) config.items = items;
  if (rounds > 0) config.rounds = static_cast<int>(rounds);
}

}  // namespace
}  // namespace tidb_binlog::bench

int main(int argc, char** argv) {
  tidb_binlog::bench::ParseFlags(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return tidb_binlog::bench::failures == 0 ? 0 : 1;
}
