// sim_bench: the simulator's speed goals (issue 4 §5, SIMULATION.md G2/G3).
//
//  SimSpeed/<txn per s>: 3 pumps + 1 drainer, 32 writers, no faults, 120 simulated seconds.
//    Counters: sim_x_real (simulated time / wall time; goal >= 1,000 at 1,000 binlogs/s,
//    i.e. 500 transactions/s, each a Prewrite and a Commit binlog), sim_x_cpu (simulated
//    time / this process's CPU time: what sim_x_real would be on an idle core, the steadier
//    figure on the shared box), events_per_s, txn_per_sim_s.
//  EventLoop/EventQueue vs EventLoop/PriorityQueue: the bare agenda against a raw
//    std::priority_queue on the same SimEvent type, a steady-state hold model (pop the
//    earliest, push one a random delay later). Goal: EventQueue >= 0.3x the raw rate.
//
//  SimScale (only with --scale; minutes of CPU): 1,000 pumps + 100 drainers, 32 writers at
//    500 txn/s, no faults, 10 simulated seconds, drainers re-polling an idle pump every 10 s
//    (kScalePullIntervalMs). Counters: sim_x_real, sim_x_cpu, peak_rss_mib (VmHWM; goal
//    < 8 GiB).
//
// Flags (removed before Google Benchmark sees argv): --smoke (a 2-second simulation and a
// small queue, one round: checks the harness, not speed). BINLOG_BENCH_SMOKE=1 does the same.
// --scale adds SimScale.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

#include "reference/core/cpu_time.h"
#include "simulator/event_queue.h"
#include "simulator/sim_random.h"
#include "simulator/process_stats.h"
#include "simulator/simulation.h"

namespace {

using namespace tidb_binlog::sim;
using tidb_binlog::ProcessCpuSeconds;

bool g_smoke = false;
bool g_scale = false;

// The full run's simulated safety phase; the smoke run's.
constexpr int64_t kSimDurationMs = 120'000;
constexpr int64_t kSmokeSimDurationMs = 2'000;
// Events held in the agenda during the loop benchmark (a run's timers and messages).
constexpr size_t kQueueHeld = 4'096;
constexpr size_t kSmokeQueueHeld = 64;
// Largest delay of a re-scheduled event, ms.
constexpr uint64_t kEventDelayMaxMs = 1'000;
// The scale run: cluster size (issue 4 §5), simulated safety phase, and the drainers' idle
// re-poll delay (each drainer polls each pump: 100,000 pulls per interval).
constexpr int kScalePumps = 1'000;
constexpr int kScaleDrainers = 100;
constexpr int64_t kScaleSimDurationMs = 10'000;
constexpr int64_t kScalePullIntervalMs = 10'000;
constexpr double kKibPerMib = 1'024.0;

// Runs `config` once per iteration; sets sim_x_real and sim_x_cpu, and returns the summed
// result counts for the caller's own counters.
struct TimedRuns {
  int64_t simulated_ms = 0;
  int64_t events = 0;
  int64_t committed = 0;
  double wall_s = 0;
};
TimedRuns RunTimed(benchmark::State& state, const SimConfig& config) {
  TimedRuns runs;
  double cpu_s = 0;
  for (auto _ : state) {
    const double cpu_start = ProcessCpuSeconds();
    auto start = std::chrono::steady_clock::now();
    SimResult result = RunSimulation(config).value();
    runs.wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_s += ProcessCpuSeconds() - cpu_start;
    if (result.outcome != Outcome::kPass) state.SkipWithError("the simulation failed");
    runs.simulated_ms += result.simulated_ms;
    runs.events += static_cast<int64_t>(result.events);
    runs.committed += result.committed;
  }
  const double simulated_s = static_cast<double>(runs.simulated_ms) / 1'000.0;
  state.counters["sim_x_real"] = simulated_s / runs.wall_s;
  state.counters["sim_x_cpu"] = simulated_s / cpu_s;
  return runs;
}

void SimSpeed(benchmark::State& state) {
  SimConfig config;
  config.seed = 1;
  config.pumps = 3;
  config.drainers = 1;
  config.writers = 32;
  config.write_rate_per_second = state.range(0);
  config.duration_ms = g_smoke ? kSmokeSimDurationMs : kSimDurationMs;
  config.faults = "none";
  const TimedRuns runs = RunTimed(state, config);
  state.counters["events_per_s"] = static_cast<double>(runs.events) / runs.wall_s;
  state.counters["txn_per_sim_s"] =
      static_cast<double>(runs.committed) * 1'000.0 / static_cast<double>(runs.simulated_ms);
}
BENCHMARK(SimSpeed)->Arg(500)->Arg(1'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void SimScale(benchmark::State& state) {
  SimConfig config;
  config.seed = 1;
  config.pumps = kScalePumps;
  config.drainers = kScaleDrainers;
  config.writers = 32;
  config.write_rate_per_second = 500;
  config.duration_ms = kScaleSimDurationMs;
  config.pull_poll_delay_ms = kScalePullIntervalMs;
  config.faults = "none";
  RunTimed(state, config);
  state.counters["peak_rss_mib"] = static_cast<double>(PeakRssKib()) / kKibPerMib;
}

std::vector<uint64_t> Delays(size_t count) {
  Prng rng = MakeStream(1, "bench");
  std::vector<uint64_t> delays(count);
  for (uint64_t& d : delays) d = 1 + rng.Below(kEventDelayMaxMs);
  return delays;
}

void EventLoopEventQueue(benchmark::State& state) {
  const size_t held = g_smoke ? kSmokeQueueHeld : kQueueHeld;
  const std::vector<uint64_t> delays = Delays(1 << 16);
  EventQueue queue;
  for (size_t i = 0; i < held; ++i) queue.Push(static_cast<int64_t>(delays[i]), 0, 0, i);
  size_t next = 0;
  for (auto _ : state) {
    SimEvent event = queue.Pop();
    queue.Push(event.time_ms + static_cast<int64_t>(delays[next++ & 0xffff]), event.kind,
               event.target, event.arg);
  }
  benchmark::DoNotOptimize(queue.top());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(EventLoopEventQueue);

void EventLoopPriorityQueue(benchmark::State& state) {
  const size_t held = g_smoke ? kSmokeQueueHeld : kQueueHeld;
  const std::vector<uint64_t> delays = Delays(1 << 16);
  std::priority_queue<SimEvent, std::vector<SimEvent>, std::greater<SimEvent>> queue;
  uint64_t seq = 0;
  for (size_t i = 0; i < held; ++i) {
    queue.push(SimEvent{static_cast<int64_t>(delays[i]), seq++, 0, 0, i});
  }
  size_t next = 0;
  for (auto _ : state) {
    SimEvent event = queue.top();
    queue.pop();
    event.time_ms += static_cast<int64_t>(delays[next++ & 0xffff]);
    event.seq = seq++;
    queue.push(event);
  }
  benchmark::DoNotOptimize(queue.top());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(EventLoopPriorityQueue);

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);  // the nodes' logs are not what is measured
  const char* env = std::getenv("BINLOG_BENCH_SMOKE");
  if (env != nullptr && std::strcmp(env, "1") == 0) g_smoke = true;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      g_smoke = true;
    } else if (std::strcmp(argv[i], "--scale") == 0) {
      g_scale = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (g_scale) {
    benchmark::RegisterBenchmark("SimScale", SimScale)
        ->Iterations(1)
        ->Unit(benchmark::kSecond)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
