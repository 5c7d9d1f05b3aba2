#include "conformance/sim_run.h"

#include <memory>
#include <string>

#include "conformance/binlog_writer.h"
#include "simulator/simulation.h"

namespace tidb_binlog::conformance {
namespace {

constexpr char kSimulationReference[] = "simulator/simulation.h, issue 4";

std::string SimTarget(const sim::SimConfig& config) {
  return "sim seed " + std::to_string(config.seed);
}

std::string DescribeFailures(const std::vector<sim::CheckFailure>& failures) {
  std::string text;
  for (const sim::CheckFailure& f : failures) {
    text += (text.empty() ? "" : "; ") + f.checker + " at " + std::to_string(f.time_ms) +
            " ms: " + f.detail;
  }
  return text;
}

CheckResult Judged(std::string id, const sim::SimConfig& config, bool ok, std::string expected,
                   std::string actual) {
  CheckResult r;
  r.id = std::move(id);
  r.target = SimTarget(config);
  r.outcome = ok ? Outcome::kPass : Outcome::kFail;
  r.expected = std::move(expected);
  r.actual = std::move(actual);
  r.reference = kSimulationReference;
  if (!ok) r.reproducer = Reproducer{sim::ReplayCommand(config)};
  return r;
}

// The in-process targets over the running nodes of `cluster`.
struct SimTargets {
  std::vector<std::unique_ptr<Target>> owned;
  SuiteTargets targets;
  std::vector<int> pump_index;  // the world's pump behind targets.pumps[k]
};

SimTargets MakeTargets(sim::SimulatedCluster& cluster) {
  SimTargets t;
  for (int i = 0; i < cluster.pump_count(); ++i) {
    if (!cluster.PumpRunning(i)) continue;  // closed for good: its process exited
    t.owned.push_back(MakeInProcessTarget(
        "http://" + cluster.PumpAddress(i),
        [&cluster, i](const HttpRequest& r) { return cluster.HandlePump(i, r); }));
    t.targets.pumps.push_back(t.owned.back().get());
    t.pump_index.push_back(i);
  }
  if (cluster.drainer_count() > 0 && cluster.DrainerRunning(0)) {
    t.owned.push_back(MakeInProcessTarget(
        "http://" + cluster.DrainerAddress(0),
        [&cluster](const HttpRequest& r) { return cluster.HandleDrainer(0, r); }));
    t.targets.drainer = t.owned.back().get();
  }
  return t;
}

}  // namespace

Result<std::vector<CheckResult>> RunOnSimulation(const sim::SimConfig& config,
                                                 const SuiteOptions& base_options,
                                                 const TargetsAction& action) {
  sim::RunOptions run_options;
  run_options.on_quiescent = [&](sim::SimulatedCluster& cluster) {
    SimTargets t = MakeTargets(cluster);
    SuiteOptions options = base_options;
    options.now_ms = [&cluster] { return cluster.now_ms(); };
    options.sleep = [&cluster](std::chrono::milliseconds d) { cluster.AdvanceBy(d.count()); };
    options.tso = [&cluster] { return cluster.NextTso(); };
    options.binlog_writer = [&cluster, &t](size_t k, Target& pump) {
      const int i = t.pump_index.at(k);
      return MakeFunctionBinlogWriter(
          pump.base_url() + " (simulated: the node's write path)",
          [&cluster, i](const binlog::Binlog& b) { return cluster.WritePump(i, b); });
    };
    action(t.targets, options);
  };
  Result<sim::SimResult> run = sim::RunSimulation(config, run_options);
  if (!run.ok()) return run.status();
  const sim::SimResult& r = *run;
  std::vector<CheckResult> results;
  results.push_back(Judged(
      "simulation.run", config, r.outcome == sim::Outcome::kPass,
      "the world's checkers pass the safety and liveness phases",
      std::string(sim::OutcomeName(r.outcome)) + ", trace " + r.trace_hash + ", " +
          std::to_string(r.events) + " events, " + std::to_string(r.committed) +
          " commits, " + std::to_string(r.crashes) + " crashes, profile " + r.profile +
          (r.failures.empty() ? "" : ": " + DescribeFailures(r.failures))));
  if (r.outcome != sim::Outcome::kPass) return results;  // no quiescent point, no suite
  results.push_back(Judged(
      "simulation.handoff", config, r.handed_off && r.handoff_failures.empty(),
      "the world settles after the liveness phase and its checkers pass while the suite "
      "drives it",
      r.handoff_failures.empty() ? "settled, checkers pass" : DescribeFailures(r.handoff_failures)));
  return results;
}

}  // namespace tidb_binlog::conformance
