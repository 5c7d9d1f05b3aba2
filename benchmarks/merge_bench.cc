// merge_bench: the drainer merge goals of PERFORMANCE.md §6, M1 and M2.
//
//  M1  k = 5 per-pump sorted streams, interleaved (every item from a random pump): merged
//      items/s of Merger (reference/drainer/merger.h) >= 0.5x a hand-written replace-top
//      binary heap on identical in-memory data.
//  M2  the same with clustered streams (runs of 64 consecutive commit ts from one pump):
//      >= 2x the same heap (Merger emits runs while they sort before the runner-up).
//
// Both sides merge the same 16-byte items (commit ts + a value) and hand them to a sink that
// checks them. The heap reads per-source arrays in place and copies into a reused batch of
// 4096 that the sink consumes, as the drainer consumes merged batches. The Merger side is fed
// as the drainer should feed it: each source's stream arrives as pull batches (vectors of
// kDefaultPullBatchCount items, built before the clock starts, as a pull response is built
// by decoding, which is M3's cost) moved in whole with PushBatch while the per-source bounds
// allow, and the merge is consumed with Drain, whose runs are spans the sink reads in place.
// Spent vectors are taken back with TakeSpareBatch (a drainer decodes its next pulls into
// them) and released after the clock stops; freeing them on the clock instead cost ~25%
// of the clustered rate here.
// It pays for what the drainer needs and the heap does not: bounded per-source buffers,
// stall checks, duplicate/disorder checks.
// Each benchmark runs baseline and candidates alternately (A/B/C, A/B/C, ...), checks that
// each delivered commit ts 1..n in order, and reports the medians (of thread CPU time) and
// their ratios as user counters:
//   heap_items_per_s, merger_items_per_s, ratio (= merger / heap with Drain; the gate),
//   pop_items_per_s, pop_ratio (the same with Pop moving items into the output batch, for
//   callers that want ownership; informational).
//
// Flags (removed before Google Benchmark sees argv): --smoke (tiny sizes, one round: checks
// the harness, not speed; also BINLOG_BENCH_SMOKE=1), --items=<n> items per run (default
// 2,000,000), --rounds=<n> A/B/C rounds (default 5).
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

#include "reference/core/cpu_time.h"
#include "reference/drainer/drainer_options.h"
#include "reference/drainer/merger.h"

namespace tidb_binlog::bench {
namespace {

constexpr int kSources = 5;              // k of M1/M2
// A pull response's size: the drainer's default pull batch count.
constexpr size_t kPullBatchItems = kDefaultPullBatchCount;
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

  void Consume(std::span<const BenchItem> run) {
    // Locals, not members, in the loop: the items' int64 fields could alias the members,
    // which would force a load and store of next_ts_ per item on both sides.
    int64_t next_ts = next_ts_;
    bool ok = true;
    for (const BenchItem& item : run) {
      if (next_ts > items_) break;  // sentinels
      ok &= item.commit_ts == next_ts && item.value == static_cast<uint64_t>(next_ts) * 31;
      ++next_ts;
    }
    next_ts_ = next_ts;
    ok_ = ok_ && ok;
  }
  void Consume(std::vector<BenchItem>& batch) {
    Consume(std::span<const BenchItem>(batch));
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

// Each source's stream cut into pull batches, in order.
using PullBatches = std::vector<std::vector<std::vector<BenchItem>>>;

PullBatches MakePullBatches(const std::vector<std::vector<BenchItem>>& streams) {
  PullBatches batches(streams.size());
  for (size_t s = 0; s < streams.size(); ++s) {
    for (size_t i = 0; i < streams[s].size(); i += kPullBatchItems) {
      const size_t end = std::min(streams[s].size(), i + kPullBatchItems);
      batches[s].emplace_back(streams[s].begin() + static_cast<std::ptrdiff_t>(i),
                              streams[s].begin() + static_cast<std::ptrdiff_t>(end));
    }
  }
  return batches;
}

// Moves each source's next pull batches into the merger while its bounds take them, as
// the drainer hands over each pull response; returns whether any batch went in. Takes back
// the merger's spent vectors into `spent`, as a puller that decodes its next pulls into them
// would (the decoding is M3's cost); they are released after the clock stops.
bool FeedBatches(Merger<BenchItem>& merger, const std::vector<std::string>& ids,
                 PullBatches& batches, std::vector<size_t>& next,
                 std::vector<std::vector<BenchItem>>& spent) {
  for (;;) {
    std::vector<BenchItem> spare = merger.TakeSpareBatch();
    if (spare.capacity() == 0) break;
    spent.push_back(std::move(spare));
  }
  bool pushed = false;
  for (size_t s = 0; s < batches.size(); ++s) {
    while (next[s] < batches[s].size()) {
      Status status = merger.PushBatch(ids[s], std::move(batches[s][next[s]]));
      if (status.code() == StatusCode::kResourceExhausted) break;
      if (!status.ok()) std::abort();
      ++next[s];
      pushed = true;
    }
  }
  return pushed;
}

// Candidate (the gate): batches pushed whole, the merge consumed as runs read in place.
// `batches` is consumed (moved into the merger).
[[gnu::noinline]] void MergerDrain(PullBatches& batches, const std::vector<std::string>& ids,
                                   std::vector<std::vector<BenchItem>>& spent, Sink& sink) {
  Merger<BenchItem> merger(0);
  for (const std::string& id : ids) {
    if (!merger.AddSource(id).ok()) std::abort();
  }
  std::vector<size_t> next(batches.size(), 0);
  for (;;) {
    const bool pushed = FeedBatches(merger, ids, batches, next, spent);
    size_t popped = 0;
    while (size_t n = merger.Drain(kOutputBatchItems, [&sink](std::span<BenchItem> run) {
             sink.Consume(run);
           })) {
      popped += n;
    }
    if (!pushed && popped == 0) break;
  }
}

// Informational: the same feeding, the merge moved into an owned output batch with Pop.
[[gnu::noinline]] void MergerPop(PullBatches& batches, const std::vector<std::string>& ids,
                                 std::vector<std::vector<BenchItem>>& spent,
                                 std::vector<BenchItem>& batch, Sink& sink) {
  Merger<BenchItem> merger(0);
  for (const std::string& id : ids) {
    if (!merger.AddSource(id).ok()) std::abort();
  }
  std::vector<size_t> next(batches.size(), 0);
  for (;;) {
    const bool pushed = FeedBatches(merger, ids, batches, next, spent);
    size_t popped = 0;
    while (size_t n = merger.Pop(batch, kOutputBatchItems)) {
      popped += n;
      sink.Consume(batch);
    }
    if (!pushed && popped == 0) break;
  }
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Runs `merge(sink)` once on this thread's CPU clock; returns items/s, or flags a failure
// if the sink did not see commit ts 1..items in order.
template <typename MergeFn>
double TimedRate(benchmark::State& state, int64_t items, const char* what, MergeFn&& merge) {
  Sink sink(items);
  const double start = ThreadCpuSeconds();
  merge(sink);
  const double seconds = ThreadCpuSeconds() - start;
  if (!sink.Complete()) {
    ++failures;
    state.SkipWithError((std::string(what) + " merged wrongly").c_str());
  }
  return static_cast<double>(items) / seconds;
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
    std::vector<double> heap_rate, merger_rate, pop_rate;
    for (int round = 0; round < config.rounds; ++round) {
      heap_rate.push_back(TimedRate(state, items, "heap baseline", [&](Sink& sink) {
        HeapMerge(streams, batch, sink);
      }));
      // Pull batches are built off the clock, as the heap's arrays are: each run moves them
      // into its merger.
      PullBatches batches = MakePullBatches(streams);
      std::vector<std::vector<BenchItem>> spent;
      merger_rate.push_back(TimedRate(state, items, "Merger (Drain)", [&](Sink& sink) {
        MergerDrain(batches, ids, spent, sink);
      }));
      batches = MakePullBatches(streams);
      spent.clear();
      pop_rate.push_back(TimedRate(state, items, "Merger (Pop)", [&](Sink& sink) {
        MergerPop(batches, ids, spent, batch, sink);
      }));
    }
    const double heap = Median(heap_rate);
    const double merger = Median(merger_rate);
    const double pop = Median(pop_rate);
    state.SetIterationTime(static_cast<double>(items) / merger);
    state.counters["heap_items_per_s"] = heap;
    state.counters["merger_items_per_s"] = merger;
    state.counters["ratio"] = merger / heap;
    state.counters["pop_items_per_s"] = pop;
    state.counters["pop_ratio"] = pop / heap;
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
