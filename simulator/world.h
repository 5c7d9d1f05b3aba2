// World: the internals of one Simulation (simulation.h): node instances, writers, message
// tables, clocks, and the World class whose methods are the event handlers. Split from
// simulation.h so that the public API stays small; only the simulator's own .cc files
// include it, and each owns one part of World:
//   simulation.cc  the driver: construction, the event loop (Run), phases (safety, then
//                  liveness), and the simulated network (Send, the Deliver* handlers);
//   nodes.cc       pump and drainer processes: start, crash, stop, timers, pulls, and the
//                  node-level checks (acked writes durable, upstream's GC rule, the purge
//                  warning, final registry records, endpoint consistency);
//   writers.cc     the TiDB-like writers (TiDB's pump client);
//   faults.cc      the fault tick: network cuts, node actions, storage and registry faults;
//   handoff.cc     after a passing run, the world as a SimulatedCluster (simulation.h).
//
// Endpoints: pumps are [0, P), drainers [P, P + D), writers after; an event's `target` and a
// message's from/to use these numbers. A node's timer is one queued event carrying a
// generation number; a crash, stop or reschedule bumps the generation, so stale timer events
// are ignored instead of removed from the queue. Messages live in `message_slots_` (a
// delivery event names the slot) until their last copy is delivered.
//
// Determinism: every container iterated here is ordered by index or by id; randomness comes
// from named streams (sim_random.h) drawn in event order.
//
// Thread safety: none; one simulation thread per World.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <google/protobuf/arena.h>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/proto/pump.pb.h"
#include "reference/core/tso.h"
#include "reference/core/tso_source.h"
#include "reference/drainer/checkpoint.h"
#include "reference/drainer/drainer_node.h"
#include "reference/drainer/memory_destination.h"
#include "reference/http/router.h"
#include "reference/metrics/drainer_metrics.h"
#include "reference/metrics/pump_metrics.h"
#include "reference/pump/pump_node.h"
#include "reference/registry/memory_registry.h"
#include "reference/storage/memory_binlog_store.h"
#include "simulator/checker.h"
#include "simulator/event_queue.h"
#include "simulator/network.h"
#include "simulator/sim_random.h"
#include "simulator/simulation.h"

namespace tidb_binlog::sim {

// A writer waits this long for a pump's answer before it counts the request as failed.
inline constexpr int64_t kWriteTimeoutMs = 1'000;
// A writer retries a Commit/Rollback (or a clean-up Rollback) to its pump after this.
inline constexpr int64_t kWriteRetryDelayMs = 200;
// A drainer's pull that got no answer (lost message, cut link) is answered as failed.
inline constexpr int64_t kPullTimeoutMs = 2'000;
// Pumps other than the first start at a random time within this of the run's start.
inline constexpr int64_t kPumpFirstStartSpreadMs = 10'000;
// A crashed or paused node comes back after a downtime in this range.
inline constexpr int64_t kDowntimeMinMs = 1'000;
inline constexpr int64_t kDowntimeMaxMs = 20'000;
// Storage faults (full disk) last this long at most.
inline constexpr int64_t kDiskFullMaxMs = 10'000;
// A clock jump moves a node's clock by at most this much.
inline constexpr int64_t kClockJumpMaxMs = 10'000;
// The writers' pump client re-reads the pump list from the registry at most this often (TiDB's
// pump client watches etcd; reading it per transaction would be both unrealistic and, with
// the registry's JSON values, most of a run's cost).
inline constexpr int64_t kPumpClientRefreshMs = 200;
// Transaction mix and row sizes of the writers.
inline constexpr uint32_t kDdlPerMillion = 5'000;
inline constexpr uint32_t kRollbackPerMillion = 30'000;
inline constexpr uint64_t kTablesCount = 8;
// Rows are slices of a pool this large, filled once per run from the "rows" stream.
inline constexpr size_t kRowPoolBytes = 64 * 1024;
static_assert(static_cast<size_t>(kRowBytesMaxLimit) < kRowPoolBytes);
// Endpoint consistency is sampled on every this-many fault ticks.
inline constexpr int kEndpointCheckEveryTicks = 5;
// Each endpoint check calls at most this many pumps and this many drainers, taking turns
// (a pump's /status lists every pump, so checking all of 1,000 pumps each time would cost
// a million records per check).
inline constexpr int kEndpointCheckNodesMax = 8;
// Simulated start: 2023-11-14T22:13:20Z, so TSOs look like upstream's.
inline constexpr int64_t kSimStartMs = 1'700'000'000'000;
inline constexpr uint64_t kSimClusterId = 6'879'000'000'000'000'001ULL;

enum EventKind : uint32_t {
  kEvNodeTimer,    // target endpoint, arg generation
  kEvDeliver,      // arg message slot (message_slots_)
  kEvWriterWake,   // target writer, arg generation
  kEvFaultTick,
  kEvRestart,      // target endpoint
  kEvDiskRestore,  // target pump
  kEvPullTimeout,  // target drainer, arg message id of the request
  kEvPhaseEnd,
};

// A node's clock: local = global + skew, never decreasing.
struct NodeClock {
  int64_t skew_ms = 0;
  int64_t last_ms = 0;
  int64_t Now(int64_t global_ms) {
    last_ms = std::max(last_ms, global_ms + skew_ms);
    return last_ms;
  }
};

// The global PD TSO: one oracle fed by global virtual time.
class SimTso final : public TsoSource {
 public:
  explicit SimTso(const int64_t* global_now_ms) : now_ms_(global_now_ms) {}
  Result<int64_t> GetTs() override { return oracle_.Next(*now_ms_); }
  int64_t Next() { return oracle_.Next(*now_ms_); }

 private:
  const int64_t* now_ms_;
  TsoOracle oracle_;
};

struct SimPump {
  std::string id;
  std::string host;
  std::shared_ptr<MemoryDisk> disk;
  std::unique_ptr<MemoryBinlogStore> store;
  std::unique_ptr<PumpMetrics> metrics;
  std::unique_ptr<PumpNode> node;
  std::unique_ptr<Router> router;
  NodeClock clock;
  bool up = false;
  bool decommissioned = false;  // closed: offline for good
  uint64_t incarnation = 0;     // counts starts, so a Notify answer finds its sender
  uint64_t timer_generation = 0;
  int64_t timer_due_ms = kNoTimerMs;
  int64_t gc_ts_seen = 0;                  // the store's gc_ts after the last call
  // The node's drainer-checkpoint ticker, mirrored; kNoTimerMs until the start completed.
  int64_t detect_due_local_ms = kNoTimerMs;
};

struct SimDrainer {
  std::string id;
  std::shared_ptr<MemoryCheckpointFile> checkpoint_file;
  std::unique_ptr<MemoryCheckpoint> checkpoint;
  std::unique_ptr<MemoryDestination> destination;
  std::unique_ptr<DrainerMetrics> metrics;
  std::unique_ptr<DrainerNode> node;
  std::unique_ptr<Router> router;
  NodeClock clock;
  bool up = false;
  uint64_t incarnation = 0;
  uint64_t timer_generation = 0;
  int64_t timer_due_ms = kNoTimerMs;
};

enum class TxnPhase { kIdle, kPrewrite, kFinish, kCleanup };

struct SimWriter {
  explicit SimWriter(Prng r) : rng(r) {}
  Prng rng;
  TxnPhase phase = TxnPhase::kIdle;
  // The transaction's Prewrite, built once and shared (immutable) by every hop that holds
  // it: the request in flight, the pump's store, pulls, the drainer's merge and destination.
  std::shared_ptr<const binlog::Binlog> prewrite;
  int64_t start_ts = 0;
  int64_t commit_ts = 0;  // 0 for a rollback
  uint32_t pump = 0;
  uint64_t outstanding = 0;  // message id of the request awaiting its answer
  int64_t request_sent_ms = 0;  // when `outstanding` was sent (its timeout runs from here)
  uint64_t wake_generation = 0;
  std::vector<uint32_t> tried;            // pumps this prewrite failed on
  std::vector<uint32_t> cleanup_pumps;    // may hold our prewrite: roll it back there
  int64_t next_start_ms = 0;
};

// kNotify*: a starting pump's Notify to a drainer's Cistern service (PumpNode NotifyRequest)
// and its answer.
enum class MessageKind {
  kWriteRequest,
  kWriteResponse,
  kPullRequest,
  kPullResponse,
  kNotifyRequest,
  kNotifyResponse,
};

// What a pull message carries of the drainer's PullRequest: the pump is the message's
// destination already, so its node id and host (strings a message would move twice per
// hop) stay behind.
struct SimPull {
  uint64_t id = 0;
  int64_t after_ts = 0;
  size_t limit_count = 0;
  size_t limit_bytes = 0;
};

struct Message {
  MessageKind kind = MessageKind::kWriteRequest;
  uint32_t from = 0;
  uint32_t to = 0;
  int copies_pending = 0;
  uint64_t request_id = 0;   // a response names its request
  uint64_t incarnation = 0;  // of the drainer that sent a pull, or the pump that notifies
  uint64_t notify_id = 0;    // the pump's NotifyRequest id
  // A write request as the pump's driver decoded it (PumpNode::WriteDecodedBinlog): the
  // cluster id, the writer's binlog (shared, immutable) and its encoded size. The simulated
  // network carries no bytes, so nothing here is encoded or decoded.
  uint64_t write_cluster_id = 0;
  std::shared_ptr<const binlog::Binlog> write_binlog;
  size_t write_bytes = 0;
  Status status;
  SimPull pull;
  std::optional<Result<SharedPullResult>> pull_result;
};

// An in-process HTTP request as the real handlers expect it (HTTP/1.1 with a Host).
HttpRequest MakeRequest(boost::beast::http::verb verb, std::string target);
// The body as JSON, or nullopt when it is not JSON (the caller reports that).
std::optional<boost::json::value> ParseBody(const HttpResponse& response);

// Drives every node, writer and fault of one run (see simulation.h and the file comment).
class World final : public SimulatedCluster {
 public:
  using Kind = TraceKind;

  World(const SimConfig& config, const FaultProfile& profile, const RunOptions& options);
  SimResult Run();

  // --- SimulatedCluster, for RunOptions::on_quiescent (handoff.cc) ---
  int pump_count() const override { return config_.pumps; }
  int drainer_count() const override { return config_.drainers; }
  std::string PumpAddress(int i) const override;
  std::string DrainerAddress(int i) const override;
  bool PumpRunning(int i) const override;
  bool DrainerRunning(int i) const override;
  std::optional<HttpResponse> HandlePump(int i, const HttpRequest& request) override;
  std::optional<HttpResponse> HandleDrainer(int i, const HttpRequest& request) override;
  Status WritePump(int i, const binlog::Binlog& binlog) override;
  int64_t NextTso() override { return tso_.Next(); }
  void AdvanceBy(int64_t ms) override;
  int64_t now_ms() const override { return now_ms_; }

 private:
  // --- endpoints: pumps [0, P), drainers [P, P + D), writers after ---
  uint32_t PumpEndpoint(int i) const { return static_cast<uint32_t>(i); }
  uint32_t DrainerEndpoint(int i) const { return static_cast<uint32_t>(config_.pumps + i); }
  uint32_t WriterEndpoint(int i) const {
    return static_cast<uint32_t>(config_.pumps + config_.drainers + i);
  }
  void Record(Kind kind, uint32_t subject, int64_t a = 0, int64_t b = 0) {
    trace_.Record(now_ms_, kind, subject, a, b);
  }

  // --- nodes ---
  void StartPump(int i);
  void CrashPump(int i);
  void CheckAckedDurable(int i);
  void CheckGc(int i, int64_t previous_gc_ts);
  void CheckFinalRecord(int i, NodeState final_state);
  void CheckPurgeWarnings(int i, const std::vector<double>& counts_before);
  std::vector<double> PurgeWarningCounts(int i);
  void StartDrainer(int i);
  void CrashDrainer(int i);
  void AfterPumpCall(int i);
  void AfterDrainerCall(int i);
  void SchedulePumpTimer(int i);
  void ScheduleDrainerTimer(int i);
  void OnPumpTimer(int i, uint64_t generation);
  void OnDrainerTimer(int i, uint64_t generation);
  void SendPulls(int i);
  void SendNotifies(int i);
  void OnPumpStartComplete(int i);
  void ObserveNodeStates();
  void CheckEndpoints();
  bool CheckPumpEndpoints(int i, const std::vector<NodeStatus>& pump_records,
                          size_t drainer_records);
  bool CheckDrainerEndpoints(int i);
  void OnRestart(uint32_t endpoint);

  // --- network ---
  uint64_t Send(Message message);
  void OnDeliver(uint64_t slot);
  void DeliverWriteRequest(const Message& message);
  void DeliverWriteResponse(const Message& message);
  void DeliverPullRequest(const Message& message);
  void DeliverPullResponse(Message& message);
  void DeliverNotifyRequest(const Message& message);
  void DeliverNotifyResponse(const Message& message);
  void OnPullTimeout(int drainer, uint64_t request_message_id);

  // --- writers ---
  void WakeWriterAt(int w, int64_t at_ms);
  void OnWriterWake(int w, uint64_t generation);
  void WriterStep(int w);
  void BeginTransaction(int w);
  bool SendPrewrite(int w);
  void SendFinish(int w);
  void SendCleanup(int w);
  void SendWrite(int w, uint32_t pump, std::shared_ptr<const binlog::Binlog> binlog);
  // A new binlog in binlog_arena_ to fill, and the shared pointer the hops will hold.
  std::pair<binlog::Binlog*, std::shared_ptr<const binlog::Binlog>> NewBinlog();
  void ArmWriteTimeoutIfLate(int w, uint64_t request_id, int64_t answer_ms);
  void ArmWriteTimeoutIfLate(const Message& message, const Delivery& delivery);
  void OnWriteAnswer(int w, const Status& status);
  std::vector<uint32_t> OnlinePumps() const;
  const std::vector<uint32_t>& WriterPumpView();
  void MakePrewrite(int w, int64_t start_ts);

  // --- faults and phases ---
  void OnFaultTick();
  void MaybeCutLink();
  void MaybeNodeFaults();
  void MaybeStorageFaults();
  void StartLiveness();
  bool LivenessDone();
  int64_t Downtime() { return fault_rng_.Between(kDowntimeMinMs, kDowntimeMaxMs); }
  void History(const std::string& line);
  bool DispatchCommonEvent(const SimEvent& event);
  // A pump acknowledged this commit: the checker's oracle and the pump's durability list.
  void OnCommitAcked(int64_t commit_ts, int pump);

  // --- the quiescent hand-off (handoff.cc) ---
  void HandOff();
  bool Settled() const;
  void RunHandOffEvents(int64_t to_ms, bool restarts);

  // Every binlog the writers build is allocated here, for the whole run. The pointers the
  // hops share (SimWriter::prewrite, messages, stores, pulls, destinations) co-own the arena
  // (NewBinlog), so it outlives whichever of them lives longest (a handed-off store, say),
  // and the run's binlogs are freed together instead of one by one. Memory is given back
  // only then: a run keeps each emitted binlog in its destination until the end anyway.
  std::shared_ptr<google::protobuf::Arena> binlog_arena_ =
      std::make_shared<google::protobuf::Arena>();
  SimConfig config_;
  FaultProfile profile_;
  RunOptions options_;
  int64_t now_ms_ = kSimStartMs;
  EventQueue queue_;
  Trace trace_;
  Checker checker_;
  SimTso tso_;
  MemoryRegistry registry_;
  SimNetwork network_;
  Prng fault_rng_;
  std::vector<SimPump> pumps_;
  std::map<std::string, int, std::less<>> pump_index_;  // node id -> index (pulls name it)
  std::map<std::string, int, std::less<>> drainer_index_;  // node id -> index (notifies)
  std::vector<SimDrainer> drainers_;
  std::vector<SimWriter> writers_;
  std::vector<std::vector<int64_t>> acked_commits_by_pump_;  // for the durability check
  // Messages in flight by slot (a delivery event's arg). A delivered message's slot is
  // cleared and reused, so a run allocates slots for its peak of messages in flight, not a
  // node per message. A deque: a handler holds a reference to its message while it sends
  // (and so may add slots).
  std::deque<Message> message_slots_;
  std::vector<uint32_t> free_message_slots_;
  struct PendingPull {
    uint64_t incarnation;
    uint64_t pull_id;
  };
  std::unordered_map<uint64_t, PendingPull> pending_pulls_;  // by request message id
  uint64_t next_message_id_ = 1;
  bool liveness_ = false;
  bool stop_ = false;
  int64_t phase_end_ms_ = 0;
  int fault_ticks_ = 0;
  int endpoint_pump_cursor_ = 0;     // the next pump and drainer the endpoint check calls
  int endpoint_drainer_cursor_ = 0;
  SimResult result_;
  // Random bytes that rows are cut from (filling each row afresh cost more than the rest of
  // the writer's work).
  std::string row_pool_;
  // The writers' pump client's view of the online pumps (WriterPumpView).
  std::vector<uint32_t> writer_pump_view_;
  int64_t writer_pump_view_ms_ = -kPumpClientRefreshMs;
};

}  // namespace tidb_binlog::sim
