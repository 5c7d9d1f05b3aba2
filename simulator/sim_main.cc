// binlog-sim: runs the deterministic cluster simulator (simulation.h).
//
//   binlog-sim run --seed S [--pumps N --drainers M --writers W --write-rate R
//                  --duration 10m --faults PROFILE] [--trace FILE] [--history FILE]
//   binlog-sim swarm --seeds A..B [--shard i/N] [--jobs K] [--junit FILE] [--json FILE]
//   binlog-sim minimize --seed S [run's cluster and fault options] [--max-runs N]
//
// Every subcommand also takes --faults-off BITS, --gc-retention DURATION and (in the
// binlog-sim-planted build only) --planted-bug NAME.
//
// Exit codes: 0 pass; 1 safety failure; 2 liveness failure; 3 a crash (a node or the
// simulator raised an exception); 64 bad usage. A failure prints the seed, the profile and
// the exact command that replays it. A failed BINLOG_ASSERT aborts the process (SIGABRT),
// which a caller sees as a crash too.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "reference/core/planted_bugs.h"
#include "simulator/minimize.h"
#include "simulator/process_stats.h"
#include "simulator/simulation.h"
#include "simulator/swarm.h"

namespace {

using namespace tidb_binlog;
using namespace tidb_binlog::sim;

constexpr int kExitPass = 0;
constexpr int kExitSafety = 1;
constexpr int kExitLiveness = 2;
constexpr int kExitCrash = 3;
constexpr int kExitUsage = 64;

int ExitCode(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return kExitPass;
    case Outcome::kSafetyFailure: return kExitSafety;
    case Outcome::kLivenessFailure: return kExitLiveness;
    case Outcome::kCrash: return kExitCrash;
  }
  return kExitCrash;
}

void AddClusterOptions(CLI::App* app, SimConfig* config, std::string* duration,
                       std::string* gc_retention) {
  app->add_option("--faults-off", config->faults_off,
                  "fault classes switched off (bits: 1 network, 2 crash, 4 node actions, "
                  "8 clock, 16 storage, 32 registry, 64 gc)");
  app->add_option("--gc-retention", *gc_retention, "pump GC retention, e.g. 30m, 10s");
#if defined(BINLOG_PLANTED_BUGS)
  std::string names;
  for (std::string_view name : planted::kBugNames) names += std::string(name) + " ";
  app->add_option("--planted-bug", config->planted_bug, "switch on one planted bug: " + names);
#endif
  app->add_option("--pumps", config->pumps, "pumps")->capture_default_str();
  app->add_option("--drainers", config->drainers, "drainers")->capture_default_str();
  app->add_option("--writers", config->writers, "TiDB-like writers")->capture_default_str();
  app->add_option("--write-rate", config->write_rate_per_second,
                  "transactions per simulated second")->capture_default_str();
  app->add_option("--duration", *duration, "safety phase, e.g. 10m, 90s")
      ->capture_default_str();
  app->add_option("--row-bytes", config->row_bytes_max, "largest row a writer inserts, bytes")
      ->capture_default_str();
  app->add_option("--pull-interval-ms", config->pull_poll_delay_ms,
                  "drainer's re-poll delay after an empty pull (0: the drainer default)")
      ->capture_default_str();
}

// `wall_s`: the run's wall time (the CLI's own measurement; nothing inside the run reads it).
void PrintResult(const SimConfig& config, const SimResult& r, double wall_s) {
  std::cout << "seed: " << config.seed << "\nprofile: " << r.profile
            << "\noutcome: " << OutcomeName(r.outcome) << "\nsimulated: " << r.simulated_ms
            << " ms\nevents: " << r.events << "\ncommitted: " << r.committed
            << "\nrolled-back: " << r.rolled_back << "\nwrites-failed: " << r.writes_failed
            << "\ncrashes: " << r.crashes << " restarts: " << r.restarts
            << " partitions: " << r.partitions << "\ngc-checked: " << r.gc_runs_checked
            << " purge-warning-checks: " << r.purge_warning_checks << "\n";
  for (size_t d = 0; d < r.emitted.size(); ++d) {
    std::cout << "drainer-" << d << " emitted: " << r.emitted[d] << "\n";
  }
  for (const CheckFailure& failure : r.failures) {
    std::cout << "FAILURE [" << failure.checker << "] at +"
              << failure.time_ms - 1'700'000'000'000 << " ms: " << failure.detail << "\n";
  }
  if (r.outcome != Outcome::kPass) {
    std::cout << "replay: " << ReplayCommand(config) << "\n";
  }
  std::cout << "wall: " << wall_s << " s  simulated/wall: "
            << static_cast<double>(r.simulated_ms) / 1'000.0 / wall_s << "x\n";
  std::cout << "peak-rss: " << PeakRssKib() / 1024 << " MiB\n";
  std::cout << "trace-hash: " << r.trace_hash << "\n";
}

int RunMinimize(const SimConfig& config, int max_runs) {
  auto minimized = tidb_binlog::sim::Minimize(config, max_runs, &std::cout);
  if (!minimized.ok()) {
    std::cerr << minimized.status().ToString() << "\n";
    return kExitUsage;
  }
  const MinimizeResult& m = minimized.value();
  std::cout << "checker: " << m.checker << "\nruns: " << m.runs << "\nevents: "
            << m.result.events << "\nsmallest: " << ReplayCommand(m.smallest) << "\n";
  return ExitCode(m.result.outcome);
}

int Run(SimConfig config, const std::string& trace_file, const std::string& history_file) {
  std::ofstream trace_out, history_out;
  RunOptions options;
  if (!trace_file.empty()) {
    trace_out.open(trace_file);
    options.trace_out = &trace_out;
  }
  if (!history_file.empty()) {
    history_out.open(history_file);
    options.history_out = &history_out;
  }
  try {
    const auto start = std::chrono::steady_clock::now();
    auto result = RunSimulation(config, options);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!result.ok()) {
      std::cerr << result.status().ToString() << "\n";
      return kExitUsage;
    }
    PrintResult(config, result.value(), wall_s);
    return ExitCode(result.value().outcome);
  } catch (const std::exception& e) {
    std::cout << "CRASH: " << e.what() << "\nseed: " << config.seed
              << "\nreplay: " << ReplayCommand(config) << "\n";
    return kExitCrash;
  }
}

// Parses --duration and --gc-retention (when given) into `config`; false after printing why.
bool ApplyDurations(const std::string& duration, const std::string& retention,
                    SimConfig* config) {
  auto parsed = ParseDurationMs(duration);
  if (!parsed.ok()) {
    std::cerr << parsed.status().ToString() << "\n";
    return false;
  }
  config->duration_ms = parsed.value();
  if (retention.empty()) return true;
  auto kept = ParseDurationMs(retention);
  if (!kept.ok()) {
    std::cerr << kept.status().ToString() << "\n";
    return false;
  }
  config->gc_retention_ms = kept.value();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"binlog-sim: deterministic TiDB-Binlog cluster simulator"};
  app.require_subcommand(1);

  SimConfig run_config;
  std::string run_duration = "60s", run_retention, trace_file, history_file;
  CLI::App* run = app.add_subcommand("run", "run one seed");
  run->add_option("--seed", run_config.seed, "root seed")->required();
  AddClusterOptions(run, &run_config, &run_duration, &run_retention);
  run->add_option("--faults", run_config.faults,
                  "none, network, crash, storage, nodes, all, swarm")->capture_default_str();
  run->add_option("--trace", trace_file, "write the event trace as JSON lines");
  run->add_option("--history", history_file, "write the writer/drainer history");

  SimConfig min_config;
  std::string min_duration = "60s", min_retention;
  int max_runs = kMinimizeRunsDefault;
  CLI::App* minimize = app.add_subcommand("minimize", "shrink a failing seed's run");
  minimize->add_option("--seed", min_config.seed, "root seed")->required();
  AddClusterOptions(minimize, &min_config, &min_duration, &min_retention);
  minimize->add_option("--faults", min_config.faults, "fault profile")->capture_default_str();
  minimize->add_option("--max-runs", max_runs, "simulations at most")->capture_default_str();

  SwarmOptions swarm_options;
  std::string seeds = "1..100", shard = "0/1", swarm_duration = "60s", swarm_retention, junit,
              json;
  CLI::App* swarm = app.add_subcommand("swarm", "run many seeds with random fault profiles");
  swarm->add_option("--seeds", seeds, "A..B")->capture_default_str();
  swarm->add_option("--shard", shard, "i/N: this machine's share")->capture_default_str();
  swarm->add_option("--jobs", swarm_options.jobs, "parallel simulations")
      ->capture_default_str();
  AddClusterOptions(swarm, &swarm_options.base, &swarm_duration, &swarm_retention);
  swarm->add_option("--junit", junit, "JUnit XML report");
  swarm->add_option("--json", json, "JSON report");

  bool verbose = false;
  app.add_flag("--verbose", verbose, "show the nodes' own logs (off: they would drown the summary)");
  CLI11_PARSE(app, argc, argv);
  if (!verbose) spdlog::set_level(spdlog::level::off);

  if (run->parsed() || minimize->parsed()) {
    SimConfig& config = run->parsed() ? run_config : min_config;
    if (!ApplyDurations(run->parsed() ? run_duration : min_duration,
                        run->parsed() ? run_retention : min_retention, &config)) {
      return kExitUsage;
    }
    return run->parsed() ? Run(config, trace_file, history_file) : RunMinimize(config, max_runs);
  }
  if (!ApplyDurations(swarm_duration, swarm_retention, &swarm_options.base)) return kExitUsage;

  auto range = ParseSeedRange(seeds);
  auto shard_value = ParseShard(shard);
  for (const Status& s : {range.status(), shard_value.status()}) {
    if (!s.ok()) {
      std::cerr << s.ToString() << "\n";
      return kExitUsage;
    }
  }
  swarm_options.first_seed = range.value().first;
  swarm_options.last_seed = range.value().second;
  swarm_options.shard_index = shard_value.value().first;
  swarm_options.shard_count = shard_value.value().second;
  swarm_options.base.faults = "swarm";
  swarm_options.progress = isatty(STDERR_FILENO) != 0;
  SwarmReport report = RunSwarm(swarm_options);
  PrintSwarmSummary(report, std::cout);
  if (!junit.empty()) {
    std::ofstream out(junit);
    WriteJunit(report, out);
  }
  if (!json.empty()) {
    std::ofstream out(json);
    WriteJson(report, out);
  }
  return report.failed == 0 ? kExitPass : kExitSafety;
}
