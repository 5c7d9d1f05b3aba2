// Simulation: one deterministic run of a TiDB-Binlog cluster — pumps, drainers and TiDB-like
// writers — in virtual time, driving the reference PumpNode and DrainerNode (the same code
// the wall-clock runtime runs) over MemoryBinlogStore, MemoryRegistry, MemoryDestination and
// a simulated network.
//
// The driver: one thread; an EventQueue ordered by (time, sequence); virtual time jumps to
// the next event. Each node's timer is one queued event at its NextTimerMs() (re-read after
// every call into the node), translated from the node's skewed local clock to global time.
// A node's local clock is global time plus its skew, never going backwards (a backward jump
// stalls it). The TSO oracle is global (PD), fed by global time.
//
// Phases: safety (config.duration_ms; writers write, faults fire per the FaultProfile, every
// checker runs) then liveness (faults stop, the network heals, stopped nodes restart,
// writers finish their transactions; every acknowledged commit must reach every drainer
// within config.liveness_ms_max).
//
// Writers follow TiDB's pump client: a transaction takes start_ts from the TSO, writes its
// Prewrite to a pump that the registry shows online (another pump after a failure or
// timeout), then takes commit_ts and writes the Commit (or a Rollback) to the same pump,
// retrying that pump until it answers. A Prewrite that may have reached a pump the writer
// gave up on is settled by a Rollback to that pump: this stands in for upstream's TiKV-backed
// resolver (UPSTREAM.md §7.3), which the simulation has no TiKV for.
//
// Everything random comes from named streams of config.seed (sim_random.h); the trace hash
// covers every event. Thread safety: none; a Simulation runs on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "simulator/checker.h"
#include "simulator/sim_config.h"
#include "simulator/trace.h"

namespace tidb_binlog::sim {

enum class Outcome { kPass, kSafetyFailure, kLivenessFailure, kCrash };
const char* OutcomeName(Outcome outcome);

struct SimResult {
  Outcome outcome = Outcome::kPass;
  std::string trace_hash;
  uint64_t events = 0;
  int64_t simulated_ms = 0;
  int64_t committed = 0;   // acknowledged commits
  int64_t rolled_back = 0;
  std::vector<int64_t> emitted;  // per drainer
  int64_t writes_failed = 0;     // writer requests answered with an error or timed out
  int64_t crashes = 0;
  int64_t restarts = 0;
  int64_t partitions = 0;
  int64_t purge_warning_checks = 0;  // pump drainer-checkpoint warnings checked
  int64_t gc_runs_checked = 0;       // accepted GCs checked against upstream's rule
  std::string profile;           // FaultProfile::Describe()
  std::vector<CheckFailure> failures;
  std::vector<TraceEvent> kept_events;  // when RunOptions::keep_events
};

struct RunOptions {
  std::ostream* trace_out = nullptr;    // JSON lines
  std::ostream* history_out = nullptr;  // writer/drainer history (EDN-like lines)
  bool keep_events = false;
};

// Runs `config` to completion. kInvalidArgument for a bad config or profile name.
Result<SimResult> RunSimulation(const SimConfig& config, const RunOptions& options = {});

}  // namespace tidb_binlog::sim
