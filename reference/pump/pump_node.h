// PumpNode: the reference Pump's logic (upstream pump/server.go, pump/node.go) as a sans-I/O
// state machine (DESIGN.md §3). It owns no thread, reads no clock, opens no socket and draws
// no random number: a driver (reference/runtime's Asio loop, or the simulator's virtual-time
// queue) hands it the current time, the requests and the timer expiries, and asks it when it
// wants to be called next.
//
// What it does, as upstream (UPSTREAM.md §5, §7):
//  - Start: registers `online` (updateTS = a fresh TSO, maxCommitTS from storage). When the
//    previous record is `offline` or absent, the start then Notify()s every drainer whose
//    record says `online`, one after the other (upstream notifyDrainer: 3 tries each, 1 s
//    then 2 s apart, all within kNotifyTimeoutMilliseconds). The node only decides: it hands
//    the driver NotifyRequests (TakeNotifyRequests) and takes their answers (OnNotifyResult),
//    as a drainer hands out its pulls. Until the round succeeded the start is not complete:
//    Started() is false, no background timer runs, and writes and pulls are refused with
//    kUnavailable (upstream's pump is not listening yet). If the round fails the node writes
//    `offline` (updateTS 0), stops, and FatalError() says `fail to notify all living
//    drainer: notify drainer(<addr>): <err>`: upstream's start fails and the process exits.
//  - WriteBinlog / PullBinlogs: the two gRPC calls, minus the transport (§2.6, §7.2, §7.5).
//  - Timers (OnTimer / NextTimerMs): heartbeat, fake binlogs when idle, hourly GC (or when
//    triggered), the 10-minute drainer checkpoint warning, and the shutdown sequence.
//  - ApplyAction (`PUT /state/{id}/{action}`), Shutdown (a signal), TriggerGc.
//
// Shutdown, exactly as upstream's Close/commitStatus/waitSafeToOffline (§5.5):
//  pause (or a signal) -> in-memory `pausing` (a signal leaves `online`); background timers
//  stop at once (so `pausing`/`closing` never reach the registry); the next OnTimer writes
//  `paused` and the node is Stopped().
//  close -> in-memory `closing`; the next OnTimer starts waitSafeToOffline: write a fake
//  binlog (retry every 1 s); wait (checking now, then every 1 s) until MaxCommitTS >= its ts
//  and every Prewrite is matched; M = MaxCommitTS; every 1 s: if the smallest maxCommitTS of
//  the non-offline drainers (none: +inf) is >= M, write `offline` and stop, else write another
//  fake binlog. The final record carries updateTS 0, as upstream's registerNode(state, 0).
//  Commit/Rollback writes and pulls keep working until Stopped(); Prewrites are refused with
//  `no online: <state>` as soon as the state is not online.
//
// Differences that come from having no gRPC here:
//  - RPC durations are measured by the driver and reported with ObserveRpcDuration(); the
//    node cannot time a call without a clock. Fake binlogs, which the node writes itself, are
//    observed with 0 s.
//  - The node does not close the store: its owner does that once Stopped() (upstream closes
//    storage right after the final registry write).
//
// Driver contract: call Start() once; then after every call into the node (requests, HTTP
// handlers, OnTimer, OnNotifyResult) send what TakeNotifyRequests() hands out, re-read
// NextTimerMs() and call OnTimer(now) no earlier than it. `now_ms`
// never decreases across calls. NextTimerMs() is kNoTimerMs before Start() and once Stopped().
//
// Thread safety: every public method may be called from any thread; a mutex serialises the
// node's own state. WriteBinlog and PullBinlogs release it while the store works, so
// concurrent writers share the store's group commit as upstream's do. The store, registry,
// TSO source and metrics must outlive the node and be thread-safe (their contracts say so).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/core/node_status.h"
#include "reference/core/node_timer.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/proto/pump.pb.h"
#include "reference/core/status.h"
#include "reference/core/tso_source.h"
#include "reference/metrics/pump_metrics.h"
#include "reference/pump/pump_options.h"
#include "reference/registry/registry.h"
#include "reference/storage/binlog_store.h"

namespace tidb_binlog {

// Upstream gcInterval: the GC loop wakes this long after its previous run.
inline constexpr int64_t kGcIntervalMilliseconds = 3'600'000;
// Upstream detectDrainerCheckpointInterval (a ticker).
inline constexpr int64_t kDetectDrainerCheckpointIntervalMilliseconds = 600'000;
// Upstream earlyAlertGC: warn about drainers whose checkpoint is within this of gcTS.
inline constexpr int64_t kEarlyAlertGcMilliseconds = 20 * 3'600'000;
// waitSafeToOffline's retry and polling period.
inline constexpr int64_t kOfflineCheckIntervalMilliseconds = 1'000;

// Upstream notifyDrainerTimeout: the whole start-up Notify round ends within this.
inline constexpr int64_t kNotifyTimeoutMilliseconds = 10'000;
// Upstream notifyDrainer: util.RetryContext(ctx, 3, time.Second, 2, ...) per drainer.
inline constexpr int kNotifyAttemptsMax = 3;
inline constexpr int64_t kNotifyFirstBackoffMilliseconds = 1'000;
inline constexpr int64_t kNotifyBackoffFactor = 2;

// One Notify call the driver carries to a drainer's Cistern service (binlog.Cistern/Notify)
// and answers with OnNotifyResult(id, ...). `deadline_ms` (node time) is when the round's
// overall timeout ends: the call should give up by then.
struct NotifyRequest {
  uint64_t id = 0;
  std::string drainer_node_id;
  std::string drainer_host;  // the drainer record's advertised "host:port"
  int64_t deadline_ms = 0;
};

// What `PUT /state/{nodeID}/{action}` decided: `accepted` true means the shutdown sequence
// started; `message` is upstream's response message either way.
struct ApplyActionResult {
  bool accepted = false;
  std::string message;
};

class PumpNode {
 public:
  PumpNode(PumpOptions options, BinlogStore& store, Registry& registry, TsoSource& tso,
           PumpMetrics& metrics);
  PumpNode(const PumpNode&) = delete;
  PumpNode& operator=(const PumpNode&) = delete;

  // Registers `online`. Errors (the node stays unstarted; the runtime exits):
  // `fail to get tso from pd: <err>`, `fail to register node to etcd: <err>` (also when the
  // previous record cannot be read: whether to notify depends on it), `fail to notify all
  // living drainer: <err>` when the drainer records cannot be listed (the node then wrote
  // `offline` and is Stopped()). OK otherwise, with the start complete (Started()) or, when
  // drainers must be notified, in progress (see the header comment).
  Status Start(int64_t now_ms);

  // The Notify calls to send now (at most one in flight). Empty outside the start-up round.
  std::vector<NotifyRequest> TakeNotifyRequests();
  // The answer to Notify call `request_id` (OK: the drainer refreshed its pump list). A
  // stale or unknown id is ignored.
  void OnNotifyResult(uint64_t request_id, const Status& result, int64_t now_ms);
  // Why the node stopped on its own (the start-up Notify round failed; upstream's start
  // returns the error and the process exits), or OK.
  Status FatalError() const;

  // The WriteBinlog RPC. Errors carry upstream's texts (`cluster ID are mismatch, <req> vs
  // <pump>`, `no online: <state>`, the store's, the decoder's); each one counts in
  // binlog_pump_loss_binlog_count. kUnavailable (not counted: the RPC server is gone
  // upstream) once Stopped().
  Status WriteBinlog(const binlog::WriteBinlogReq& request, int64_t now_ms);
  // WriteBinlog without holding the calling thread until the binlog is durable: `done` gets
  // what WriteBinlog would return, from the store's thread, or before this returns when the
  // node or the store refuses the write (BinlogStore::WriteBatchAsync). The gRPC service's
  // path: no thread waits per write in flight, as upstream's goroutines do not. The node must
  // outlive the write (its store's Close waits for it).
  void WriteBinlogAsync(const binlog::WriteBinlogReq& request, int64_t now_ms,
                        BinlogStore::WriteDone done);
  // WriteBinlog of a request whose payload the driver has already decoded (the simulator's
  // writers hand over the binlog they built, shared, never null): the same checks, texts,
  // loss counts and store write; `payload_bytes` is the encoded size the size histogram
  // observes. Decoding is the transport's job (DESIGN.md §3), so both paths share the node.
  Status WriteDecodedBinlog(uint64_t cluster_id, std::shared_ptr<const binlog::Binlog> binlog,
                            size_t payload_bytes, int64_t now_ms);

  // One batch of the PullBinlogs stream: binlogs after request.startFrom.offset (§7.5).
  // `cluster ID are mismatch, ...` on a foreign cluster id; kUnavailable once Stopped().
  Result<PullResult> PullBinlogs(const binlog::PullBinlogReq& request, size_t limit_count,
                                 size_t limit_bytes);
  // PullBinlogs with the store's binlogs shared, not copied (BinlogStore::PullShared): for
  // an in-process driver (the simulator). Same checks and results.
  Result<SharedPullResult> PullSharedBinlogs(const binlog::PullBinlogReq& request,
                                             size_t limit_count, size_t limit_bytes);

  // binlog_pump_rpc_duration_seconds{method,label}: the driver times each RPC it served.
  // `method` is pump_metric_label::kMethodWriteBinlog or kMethodPullBinlogs.
  void ObserveRpcDuration(std::string_view method, bool succeeded, double seconds);

  // Runs whatever is due at `now_ms` (see the header comment).
  void OnTimer(int64_t now_ms);
  int64_t NextTimerMs() const;

  // `PUT /state/{nodeID}/{action}` (§2.2): the checks in upstream's order and texts. Refused
  // while the start-up Notify round runs (upstream serves no HTTP yet).
  ApplyActionResult ApplyAction(std::string_view node_id, std::string_view action);
  // A termination signal: the pause sequence (online -> paused). Idempotent. Before a
  // successful Start() (nothing registered) the node just stops, writing nothing. During the
  // start-up Notify round it cancels the round as upstream's context does: `offline`, and
  // FatalError() `... context canceled`.
  void Shutdown(int64_t now_ms);
  // `POST /debug/gc/trigger`: true ("trigger gc success") when the GC step is idle and the
  // node is running, so a GC runs at the next OnTimer; false ("gc is working") otherwise.
  bool TriggerGc();

  // Registered and serving: the start-up Notify round (if any) succeeded.
  bool Started() const;
  // The start-up Notify round is under way.
  bool Notifying() const;
  // The shutdown sequence began (pause, close or signal): /status answers "context canceled".
  bool ShuttingDown() const;
  // The final record is written; the node serves nothing more.
  bool Stopped() const;
  NodeState state() const;
  const std::string& node_id() const { return options_.node_id; }
  const PumpOptions& options() const { return options_; }

  // The dependencies, for the HTTP handlers (pump_http.h).
  BinlogStore& store() { return store_; }
  Registry& registry() { return registry_; }
  TsoSource& tso() { return tso_; }
  PumpMetrics& metrics() { return metrics_; }

  // The /metrics body: the storage gauges and counters are refreshed from store.Stats()
  // first (upstream refreshes them in the background; we do it at scrape).
  std::string ExposeMetrics();

  // Asserts the node's invariants (tests and the simulator call it after every step).
  void CheckInvariants() const;

 private:
  enum class ShutdownPhase {
    kNone,            // running (or not started)
    kCommitStatus,    // next tick: upstream commitStatus decides by the in-memory state
    kWriteFake,       // close: writing the first fake binlog (retried every 1 s)
    kWaitSaved,       // close: waiting for MaxCommitTS >= fake ts and AllMatched
    kWaitDrainers,    // close: waiting for every non-offline drainer to reach M
    kStopped,
  };

  // All *Locked functions require mu_ held.
  // The start-up Notify round (upstream pumpNode.Notify): the online drainers in registry
  // order, the one being notified and its attempts.
  struct NotifyRound {
    std::vector<NodeStatus> drainers;
    size_t current = 0;
    int attempts = 0;                   // calls made to drainers[current]
    std::optional<uint64_t> in_flight;  // the call awaiting its answer
    int64_t next_attempt_ms = kNoTimerMs;  // the next call's time, while backing off
    int64_t deadline_ms = 0;
    std::vector<NotifyRequest> outbox;
  };

  void SetStateLocked(NodeState next);
  Status BeginNotifyLocked(int64_t now_ms);
  void NotifyNextLocked();
  void NotifyStepLocked(int64_t now_ms);
  void FailNotifyLocked(const std::string& error);
  void CompleteStartLocked(int64_t now_ms);
  int64_t NotifyTimerLocked() const;
  void BeginShutdownLocked();
  NodeStatus RecordLocked(int64_t update_ts) const;
  Status CheckWriteLocked(uint64_t cluster_id, const Status& decoded,
                          const binlog::Binlog* binlog) const;
  Status WriteAdmitted(uint64_t cluster_id, const Status& decoded,
                       std::shared_ptr<const binlog::Binlog> binlog, size_t payload_bytes,
                       int64_t now_ms);
  Status AdmitWrite(uint64_t cluster_id, const Status& decoded, const binlog::Binlog* binlog,
                    int64_t now_ms);
  Status WriteToStore(std::shared_ptr<const binlog::Binlog> binlog, size_t payload_bytes);
  void ObserveWriteSize(size_t payload_bytes);
  Status CountStoreResult(Status written);
  Status CheckPull(const binlog::PullBinlogReq& request) const;
  void LogPurgedPull(const binlog::PullBinlogReq& request);
  Result<int64_t> WriteFakeBinlogLocked();
  void HeartbeatLocked(int64_t now_ms);
  void FakeBinlogTickLocked();
  void GcLocked(int64_t now_ms);
  void DetectDrainerCheckpointsLocked(int64_t now_ms);
  void ShutdownStepLocked(int64_t now_ms);
  void WaitSavedStepLocked(int64_t now_ms);
  void WaitDrainersStepLocked(int64_t now_ms);
  void FinishLocked(NodeState final_state);
  void CheckInvariantsLocked() const;

  const PumpOptions options_;
  BinlogStore& store_;
  Registry& registry_;
  TsoSource& tso_;
  PumpMetrics& metrics_;

  mutable std::mutex mu_;
  NodeState state_ = NodeState::kOnline;  // upstream's in-memory status starts online
  bool started_ = false;
  std::optional<NotifyRound> notify_;  // set while the start-up Notify round runs
  uint64_t next_notify_id_ = 1;
  Status fatal_error_;
  ShutdownPhase phase_ = ShutdownPhase::kNone;
  int64_t last_now_ms_ = 0;
  // updateTS = GetApproachTs(anchor_ts_, now - anchor_ms_), anchored at registration.
  int64_t anchor_ts_ = 0;
  int64_t anchor_ms_ = 0;
  // Counts WriteBinlog calls (real and fake) that started; the fake-binlog tick compares it
  // with its value at the previous tick, as upstream compares lastWriteBinlogUnixNano.
  uint64_t writes_started_ = 0;
  uint64_t writes_seen_at_tick_ = 0;
  bool gc_triggered_ = false;
  int64_t heartbeat_due_ms_ = kNoTimerMs;
  int64_t fake_binlog_due_ms_ = kNoTimerMs;
  int64_t gc_due_ms_ = kNoTimerMs;
  int64_t detect_due_ms_ = kNoTimerMs;
  int64_t shutdown_due_ms_ = kNoTimerMs;
  // waitSafeToOffline: the first fake binlog's ts, then M.
  int64_t offline_fake_ts_ = 0;
  int64_t offline_target_ts_ = 0;
  // binlog_pump_storage_write_binlog_size{type="single"}, looked up at the first write (the
  // family is lazy: the child appears in /metrics only once observed) and kept, so that a
  // write does not build a label vector and search the family. Written without mu_ (see
  // WriteToStore); every writer stores the same pointer.
  std::atomic<prometheus::Histogram*> write_single_size_{nullptr};
};

}  // namespace tidb_binlog
