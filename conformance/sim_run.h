// The conformance suite against a simulated world (binlog-conformance --sim-seed): runs the
// simulator (simulator/simulation.h) with a seed and its seeded fault profile, and at the
// world's quiescent point (after a passing liveness phase: faults off, network healed,
// writers idle, every node running or closed for good) hands the running nodes to an action
// as suite targets: their real HTTP routers in process, no sockets, virtual time advancing
// for every wait. Pumps closed for good by the run are not targets (their process exited);
// the drainer target is drainer 0 when it runs.
//
// Besides what the action records, the run is judged by two results of its own:
//   simulation.run      the world's checkers passed the safety and liveness phases
//                       (detail: outcome, trace hash, fault profile, replay command);
//   simulation.handoff  the world settled and its checkers still passed while the action
//                       drove it (a node bug the suite provokes shows here too).
// The suite runs after the trace is hashed, so a seed's trace hash is the same with or
// without it (RunOptions::on_quiescent).
//
// Thread safety: one call at a time (the simulation and the suite run on the caller's thread).
#pragma once

#include <functional>
#include <vector>

#include "conformance/result.h"
#include "conformance/suite.h"
#include "simulator/sim_config.h"

namespace tidb_binlog::conformance {

// The simulated run conformance uses by default: shorter than the simulator's own default
// (60 s), enough for the seeded faults to crash, pause and partition nodes several times.
inline constexpr int64_t kSimConformanceDurationMsDefault = 20'000;

// What runs against the targets (the suite, or a promtool baseline recording). `options`
// carry the simulation's clock and sleep.
using TargetsAction = std::function<void(const SuiteTargets& targets, const SuiteOptions& options)>;

// Runs `config`, calls `action` at the quiescent point (not when the run failed), and returns
// the simulation.* results. kInvalidArgument for a bad config.
Result<std::vector<CheckResult>> RunOnSimulation(const sim::SimConfig& config,
                                                 const SuiteOptions& base_options,
                                                 const TargetsAction& action);

}  // namespace tidb_binlog::conformance
