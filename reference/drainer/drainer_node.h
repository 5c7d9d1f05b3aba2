// DrainerNode: the reference Drainer's logic (upstream drainer/server.go, collector.go,
// pump.go, merge.go, syncer.go) as a sans-I/O state machine (DESIGN.md §3). It owns no
// thread, reads no clock, opens no socket: a driver (reference/runtime's Asio loop, or the
// simulator's virtual-time queue) hands it the time, carries its pull requests to the pumps
// and their answers back, and calls it when its timers are due.
//
// What it does, as upstream (UPSTREAM.md §3, §5.4, §5.5, §8):
//  - Start: loads the checkpoint (§8.4; initial commit ts -1 = the TSO taken at start),
//    registers `online` with maxCommitTS = checkpoint ts, refreshes the pump list.
//  - Pump refresh every detect interval and on Notify (handlePumpStatusUpdate): a pump not
//    yet tracked and not `offline` is tracked (even if `paused`), pulling after the merger's
//    latest ts; tracked `paused` -> no more pulls; `online` -> pulls resume;
//    `pausing`/`closing` -> nothing; `offline` -> its merge source is removed and the pump
//    forgotten. Each successful refresh rebuilds the /status snapshot.
//  - Pulling, as messages: TakePullRequests() hands the driver at most one PullRequest per
//    pump in flight (none for a paused pump or a full merge buffer); OnPullResponse() takes
//    the answer. A failed pull is retried after pull_retry_delay_ms from the same position;
//    an empty one after pull_poll_delay_ms.
//  - Merge (merger.h): strictly increasing commit ts; a pump with nothing buffered stalls
//    the merge (§11 #14, intended).
//  - After the merge (§8.3): real binlogs are appended to the Destination (durable) before
//    the checkpoint may pass them; fake binlogs (start == commit) and DDL whose query starts
//    with `select setval` only move the position. A failed Append is a syncer error: fatal,
//    the node stops `paused` (the next start resumes from the checkpoint).
//  - Checkpoint saves: when the durable position grew and checkpoint_save_interval_ms passed
//    since the previous save, at once after a DDL, and at shutdown (consistent = true when
//    clean).
//  - Heartbeat immediately after start and every 1 s: updateTS = GetApproachTs(start TSO,
//    elapsed), maxCommitTS = checkpoint ts. 20 consecutive failures are fatal (-> `paused`).
//  - ApplyAction (`PUT /state`), Shutdown (a signal): the next OnTimer writes the final
//    record (`paused`, or `offline` after close; no waiting of any kind), saves the
//    checkpoint, and the node is Stopped().
//
// Deliberate differences (no gRPC, TiKV or clock inside the node):
//  - DDL jobs are not fetched from TiKV; the binlog's own ddl_query is what is synced.
//  - A fake binlog moves the position like any item; upstream's extra "only every 3 s" rule
//    for fakes is subsumed by the checkpoint save interval.
//  - A position that grew but is not yet saved is saved when the save interval has passed,
//    without waiting for another item to arrive (upstream waits for the next item; pumps
//    send a fake binlog every 3 s anyway).
//  - binlog_drainer_execute_duration_time and the binlogfile_* families are observed by
//    whoever can time a write (the driver, the file destination), not here.
//
// Driver contract: Start() once; after every call into the node (OnTimer, OnPullResponse,
// HTTP handlers), take its PullRequests and re-read NextTimerMs(), calling OnTimer(now) no
// earlier than it. `now_ms` never decreases across calls.
//
// Thread safety: every public method may be called from any thread; a mutex serialises the
// node's state and its calls into the Checkpoint and the Destination (which are single-owner
// objects). The registry, TSO source, checkpoint, destination and metrics must outlive the
// node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/core/node_status.h"
#include "reference/core/node_timer.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/core/tso_source.h"
#include "reference/drainer/checkpoint.h"
#include "reference/drainer/destination.h"
#include "reference/drainer/drainer_options.h"
#include "reference/drainer/merger.h"
#include "reference/drainer/row_events.h"
#include "reference/metrics/drainer_metrics.h"
#include "reference/registry/registry.h"
#include "reference/storage/binlog_store.h"

namespace tidb_binlog {

// At most this many merged binlogs go to the destination in one Append (bounded work and
// memory per step; the checkpoint can advance between batches).
inline constexpr size_t kSyncBatchItemsMax = 1'024;

// One pull the driver must carry to pump `pump_node_id` at `pump_host`: the binlogs with
// commit ts after `after_ts`, at most `limit_count` of them and `limit_bytes` in total (the
// pump's BinlogStore::Pull contract). Answer it with OnPullResponse(id, ...).
struct PullRequest {
  uint64_t id = 0;
  std::string pump_node_id;
  std::string pump_host;
  int64_t after_ts = 0;
  size_t limit_count = 0;
  size_t limit_bytes = 0;
};

// A pulled binlog waiting in the merge (the merger's item type for the node), shared with
// the pump's store when the driver pulled it in process (OnSharedPullResponse).
struct PulledBinlog {
  int64_t commit_ts = 0;
  SharedPulledBinlog binlog;
  size_t bytes = 0;  // the (enriched) binlog's encoded size
};
inline size_t MergeItemBytes(const PulledBinlog& item) { return sizeof(item) + item.bytes; }

// What `PUT /state/{nodeID}/{action}` decided: `accepted` true means the shutdown sequence
// started; `message` is upstream's response message either way.
struct DrainerActionResult {
  bool accepted = false;
  std::string message;
};

// The /status body's values (UPSTREAM.md §3.1): pump_pos nullopt before the first
// successful pump refresh, and then synced false and last_ts 0.
struct DrainerHttpStatus {
  std::optional<std::map<std::string, int64_t>> pump_pos;
  bool synced = false;
  int64_t last_ts = 0;
};

class DrainerNode {
 public:
  // The checkpoint must have been built with options.initial_commit_ts; Start() loads it.
  DrainerNode(DrainerOptions options, Registry& registry, TsoSource& tso,
              Checkpoint& checkpoint, Destination& destination, DrainerMetrics& metrics);
  DrainerNode(const DrainerNode&) = delete;
  DrainerNode& operator=(const DrainerNode&) = delete;

  // Loads the checkpoint, registers `online`, refreshes the pump list. Errors (the node
  // stays unstarted; the runtime exits): `fail to get tso from pd: <err>`, the checkpoint's
  // load or save error, `fail to register node to etcd: <err>`. A failed first pump refresh
  // is only logged and retried at the next detect interval.
  Status Start(int64_t now_ms);

  // Runs whatever is due at `now_ms` (see the header comment).
  void OnTimer(int64_t now_ms);
  // When OnTimer is next due; kNoTimerMs (node_timer.h) before Start() and once Stopped().
  int64_t NextTimerMs() const;

  // The pulls to send now (see the header comment). Empty once shutdown began.
  std::vector<PullRequest> TakePullRequests();
  // The answer to pull `request_id`; a stale or unknown id (the pump was forgotten, or the
  // node stopped) is ignored.
  void OnPullResponse(uint64_t request_id, Result<PullResult> result, int64_t now_ms);
  // OnPullResponse with the binlogs shared (PumpNode::PullSharedBinlogs, in process): the
  // same node logic; the binlogs reach the Destination through AppendShared uncopied.
  void OnSharedPullResponse(uint64_t request_id, Result<SharedPullResult> result,
                            int64_t now_ms);

  // The Cistern service's Notify (§3.4): refreshes the pump list now (the detect-interval
  // timer keeps its phase, as upstream's ticker does) and returns the refresh's error:
  // `get pumps' status failed: <err>`; `context canceled` once shutdown began or before
  // Start.
  Status Notify(int64_t now_ms);

  // `PUT /state/{nodeID}/{action}` (§3.3): the checks in upstream's order and texts.
  DrainerActionResult ApplyAction(std::string_view node_id, std::string_view action);
  // A termination signal: online -> paused. Idempotent. Before a successful Start() the
  // node just stops, writing nothing.
  void Shutdown(int64_t now_ms);

  // GET /status at `now_ms`: the snapshot, with Synced set (sticky until the next rebuild)
  // when more than synced-check-time passed since the last real binlog was written, and
  // LastTS = checkpoint ts (§3.1).
  DrainerHttpStatus HttpStatus(int64_t now_ms);
  // GET /commit_ts: the checkpoint ts.
  int64_t CheckpointTs() const;
  // The /metrics body.
  std::string ExposeMetrics();

  bool Started() const;
  bool ShuttingDown() const;
  // The final record is written; the node does nothing more.
  bool Stopped() const;
  // Why the node stopped on its own (20 heartbeat failures, a destination or checkpoint
  // error): upstream then exits with status 2. Ok otherwise.
  Status FatalError() const;
  NodeState state() const;
  const std::string& node_id() const { return options_.node_id; }
  const DrainerOptions& options() const { return options_; }

  // Node ids of the tracked pumps with their PumpPos, live (not the /status snapshot).
  std::map<std::string, int64_t> PumpPositions() const;
  // The ts up to which everything merged is durable in the destination (or needed no write).
  int64_t SyncedTs() const;

  // Asserts the node's invariants (tests and the simulator call it after every step).
  void CheckInvariants() const;

 private:
  enum class Phase { kNone, kShuttingDown, kStopped };

  // A tracked pump (upstream's Pump puller plus its PumpPos).
  struct TrackedPump {
    std::string host;
    bool paused = false;
    int64_t last_ts = 0;                // PumpPos: highest commit ts received from the pump
    std::optional<uint64_t> in_flight;  // the pull request awaiting its response
    int64_t next_pull_ms = 0;           // earliest time of the next pull
    // A pulled batch the merge buffer refused (rare), retried whole; empty otherwise.
    std::vector<PulledBinlog> pending;
    // Its key in pull_index_ (next_pull_ms) while it is there.
    std::optional<int64_t> indexed_pull_ms;
    // Its binlog_drainer_pump_position gauge, looked up once (the family's label lookup was
    // a tenth of a 1,000-pump drainer's time, once per pump per refresh).
    prometheus::Gauge* position_gauge = nullptr;
  };
  // One round of merged binlogs on their way to the destination (SyncMergedLocked).
  struct SyncRound {
    std::vector<SharedPulledBinlog> writes;  // real binlogs not yet appended
    int64_t position = 0;                // commit ts of the last binlog seen
    Status status;                       // the first failure; the round stops there
  };

  // All *Locked functions require mu_ held.
  void SetStateLocked(NodeState next);
  Status LoadCheckpointLocked(int64_t start_ts, int64_t now_ms);
  NodeStatus RecordLocked() const;
  int64_t ApproachTsLocked() const;
  void HeartbeatLocked(int64_t now_ms);
  Status RefreshPumpsLocked();
  void ApplyPumpStatusLocked(const NodeStatus& pump);
  void RebuildSnapshotLocked();
  bool PullableLocked(const std::string& node_id, const TrackedPump& pump) const;
  void ReindexPullLocked(const std::string& node_id, TrackedPump& pump);
  void AdvancePumpPosLocked(const std::string& node_id, TrackedPump& pump,
                            const std::vector<PulledBinlog>& batch);
  void PushPulledLocked(const std::string& node_id, TrackedPump& pump,
                        std::vector<PulledBinlog>&& batch);
  void FeedMergerLocked(const std::string& node_id, TrackedPump& pump);
  void ForgetPumpLocked(std::map<std::string, TrackedPump>::iterator it);
  void CheckPumpInvariantsLocked() const;
  void SyncMergedLocked(int64_t now_ms);
  size_t DrainMergedLocked(SyncRound& round, int64_t now_ms);
  size_t DrainPlantedLocked(SyncRound& round, int64_t now_ms);
  void SyncItemLocked(SyncRound& round, PulledBinlog& item, int64_t now_ms);
  Status FlushLocked(SyncRound& round, int64_t now_ms);
  void CountEventsLocked(const SharedPulledBinlog& binlog);
  void CountDecodedEventsLocked(const SharedPulledBinlog& binlog);
  void CountRowEventsLocked(int64_t schema_version, std::span<const int32_t> row_types);
  prometheus::Counter& RowEventCounterLocked(int mutation_type);
  Status SaveCheckpointLocked(int64_t ts, bool consistent, int64_t now_ms);
  Status MaybeSaveCheckpointLocked(int64_t now_ms, bool force);
  void FailLocked(const Status& error);
  void BeginShutdownLocked();
  void FinishLocked();
  size_t MergerBufferedItemsLocked() const;
  void UpdateQueueMetricLocked();
  void CheckInvariantsLocked() const;

  const DrainerOptions options_;
  Registry& registry_;
  TsoSource& tso_;
  Checkpoint& checkpoint_;
  Destination& destination_;
  DrainerMetrics& metrics_;

  mutable std::mutex mu_;
  NodeState state_ = NodeState::kOnline;  // upstream's in-memory status starts online
  bool started_ = false;
  Phase phase_ = Phase::kNone;
  Status fatal_error_;
  int64_t last_now_ms_ = 0;
  // updateTS = GetApproachTs(anchor_ts_, now - anchor_ms_), anchored at start.
  int64_t anchor_ts_ = 0;
  int64_t anchor_ms_ = 0;
  int heartbeat_failures_ = 0;

  // Built at Start(): its latest ts starts at the loaded checkpoint.
  std::optional<Merger<PulledBinlog>> merger_;
  std::map<std::string, TrackedPump> pumps_;  // by node id
  uint64_t refreshes_ = 0;  // RefreshPumpsLocked calls, which pace the pump cross-checks
  uint64_t next_request_id_ = 1;
  // Indexes over pumps_ so that per-message work does not grow with the number of pumps
  // (a simulated cluster has up to thousands): the pump each in-flight pull went to, the
  // pumps with pulled binlogs not yet in the merge (in node-id order, the order they are fed
  // in), and the item counts behind the syncer-input queue gauge.
  std::map<uint64_t, std::string> in_flight_pumps_;  // by request id
  std::set<std::string> pumps_with_pending_;
  // The pumps waiting for their next pull (not paused, none in flight, nothing pending) by
  // (next_pull_ms, node id), so that NextTimerMs and TakePullRequests look at the due pumps
  // only, not at every tracked pump (ReindexPullLocked keeps it).
  std::set<std::pair<int64_t, std::string>> pull_index_;
  size_t pending_items_ = 0;  // sum of TrackedPump::pending sizes
  int64_t merger_pushed_items_ = 0;  // ever pushed into merger_ (its stats count the rest)

  int64_t synced_ts_ = 0;            // durable (or nothing-to-write) position of the merge
  int64_t schema_version_ = 0;       // highest seen, saved with the checkpoint
  int64_t last_save_ms_ = 0;
  int64_t last_real_write_ms_ = 0;   // the Synced rule's "last successful downstream write"

  std::optional<std::map<std::string, int64_t>> snapshot_pump_pos_;
  bool snapshot_synced_ = false;

  int64_t heartbeat_due_ms_ = kNoTimerMs;
  int64_t refresh_due_ms_ = kNoTimerMs;
  int64_t shutdown_due_ms_ = kNoTimerMs;

  // binlog_drainer_event counters of row changes by label (EventLabel's constants, compared
  // by address; at most its three labels), see RowEventCounterLocked.
  std::vector<std::pair<const char*, prometheus::Counter*>> row_event_counters_;
  // binlog_drainer_queue_size{name="syncer_input"}, see UpdateQueueMetricLocked.
  prometheus::Gauge* syncer_input_queue_ = nullptr;
  // CountEventsLocked's decode target, reused from binlog to binlog.
  binlog::PrewriteValue event_scratch_;
  // CountEventsLocked's scan of a prewrite value (and the decoded rows' types), reused.
  RowEventScan row_event_scan_;
};

}  // namespace tidb_binlog
