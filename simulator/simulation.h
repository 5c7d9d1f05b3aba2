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
// Start: drainers first, then the first pump; the other pumps come up within the first
// 10 s. A pump starting with no record (or after `offline`) notifies every online drainer
// over the simulated network (DrainerNode::Notify); a crashed or cut-off drainer whose record
// still says online makes that start fail (`offline`, FatalError), as upstream's, and the
// pump is started again after a downtime.
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
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/http/http_types.h"
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
  // RunOptions::on_quiescent: whether the hook ran, and what the world's checkers found
  // while it drove the world (the run's own outcome and failures above are final before).
  bool handed_off = false;
  std::vector<CheckFailure> handoff_failures;
};

// The simulated cluster at its quiescent point (RunOptions::on_quiescent): the nodes' real
// HTTP handlers, no sockets, and virtual time that advances only when asked. By then the
// liveness phase has passed: faults are off, the network is healed, writers are idle, and
// every pump is running or closed for good (offline), every drainer running or offline.
// From then on the world is the caller's: a node stopped by a request (pause, close) stays
// stopped, as an exited process does, and no fault fires; the nodes' timers, pulls and the
// world's checkers keep running as time advances. Valid only during the callback; one
// thread.
class SimulatedCluster {
 public:
  virtual ~SimulatedCluster() = default;
  virtual int pump_count() const = 0;
  virtual int drainer_count() const = 0;
  // host:port the node advertises in the registry ("pump-0.sim:8250").
  virtual std::string PumpAddress(int i) const = 0;
  virtual std::string DrainerAddress(int i) const = 0;
  // Whether the node's process runs (it answers requests).
  virtual bool PumpRunning(int i) const = 0;
  virtual bool DrainerRunning(int i) const = 0;
  // The node's router answers, then the world runs what the call made due now; nullopt when
  // the process does not run (a refused connection).
  virtual std::optional<HttpResponse> HandlePump(int i, const HttpRequest& request) = 0;
  virtual std::optional<HttpResponse> HandleDrainer(int i, const HttpRequest& request) = 0;
  // The pump's WriteBinlog (the world's writers' path, no network), then what the call made
  // due now. The world's checkers learn the transaction as from a writer (a Commit decided,
  // and acknowledged once accepted; a Rollback), so a Commit must reach every drainer in
  // order, like theirs. kUnavailable when the process does not run.
  virtual Status WritePump(int i, const binlog::Binlog& binlog) = 0;
  // A fresh ts from the world's PD oracle (what its writers take start and commit ts from).
  virtual int64_t NextTso() = 0;
  // Runs every event due up to now + ms, in time order.
  virtual void AdvanceBy(int64_t ms) = 0;
  // Global virtual time, Unix ms (the TSO oracle's clock).
  virtual int64_t now_ms() const = 0;
};

struct RunOptions {
  std::ostream* trace_out = nullptr;    // JSON lines
  std::ostream* history_out = nullptr;  // writer/drainer history (EDN-like lines)
  bool keep_events = false;
  // Called once, after a passing run, at its quiescent point. The trace, its hash and every
  // other SimResult field are final before the call: what the callback causes is not traced,
  // so a seed's hash does not depend on it. Not called when the run failed, or when the
  // world does not settle (SimResult::handoff_failures says why).
  std::function<void(SimulatedCluster&)> on_quiescent;
};

// Runs `config` to completion. kInvalidArgument for a bad config or profile name.
Result<SimResult> RunSimulation(const SimConfig& config, const RunOptions& options = {});

}  // namespace tidb_binlog::sim
