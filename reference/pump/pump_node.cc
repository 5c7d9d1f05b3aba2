#include "reference/pump/pump_node.h"

#include <algorithm>
#include <limits>
#include <span>
#include <utility>

#include <spdlog/spdlog.h>

#include "reference/core/binlog_codec.h"
#include "reference/core/planted_bugs.h"
#include "reference/core/tso.h"

namespace tidb_binlog {
namespace {

// Raises a counter that mirrors a monotonic total kept elsewhere (prometheus-cpp counters
// can only be incremented).
void RaiseCounterTo(prometheus::Counter& counter, int64_t total) {
  const double delta = static_cast<double>(total) - counter.Value();
  if (delta > 0) counter.Increment(delta);
}

// Upstream's answer to a WriteBinlog or PullBinlogs request from another cluster.
Status ClusterIdMismatch(uint64_t requested, uint64_t own) {
  return Status::InvalidArgument("cluster ID are mismatch, " + std::to_string(requested) +
                                 " vs " + std::to_string(own));
}

// Upstream serves no RPC before the start-up Notify round succeeded (its listener does not
// exist yet): a call then is a refused connection, not a counted loss.
Status NotServingYet() {
  return Status::Unavailable("pump is not serving yet: notifying the online drainers");
}

}  // namespace

PumpNode::PumpNode(PumpOptions options, BinlogStore& store, Registry& registry, TsoSource& tso,
                   PumpMetrics& metrics)
    : options_(std::move(options)),
      store_(store),
      registry_(registry),
      tso_(tso),
      metrics_(metrics) {
  BINLOG_ASSERT(ValidatePumpOptions(options_).ok());
}

// ---- lifecycle ----

Status PumpNode::Start(int64_t now_ms) {
  std::lock_guard lock(mu_);
  BINLOG_ASSERT(!started_ && !notify_ && phase_ == ShutdownPhase::kNone);
  last_now_ms_ = std::max(last_now_ms_, now_ms);

  // Upstream notifies the online drainers when the previous record is offline or absent;
  // any other read error leaves that undecided, so the start fails.
  Result<NodeStatus> previous = registry_.GetNode(NodeKind::kPump, options_.node_id);
  if (!previous.ok() && previous.status().code() != StatusCode::kNotFound) {
    return previous.status().Annotate("fail to register node to etcd");
  }
  const bool newly_registered = !previous.ok() || previous->state == NodeState::kOffline;
  if (previous.ok()) {
    BINLOG_ASSERT(IsLegalTransition(NodeKind::kPump, previous->state, NodeState::kOnline));
  }

  Result<int64_t> ts = tso_.GetTs();
  if (!ts.ok()) return ts.status().Annotate("fail to get tso from pd");
  Status registered = registry_.UpdateNode(NodeKind::kPump, RecordLocked(*ts));
  if (!registered.ok()) return registered.Annotate("fail to register node to etcd");
  spdlog::info("register success, NodeID {}", options_.node_id);
  anchor_ts_ = *ts;
  anchor_ms_ = now_ms;

  if (newly_registered) {
    BINLOG_RETURN_IF_ERROR(BeginNotifyLocked(now_ms));
    if (notify_) {
      CheckInvariantsLocked();
      return Status::Ok();
    }
  }
  CompleteStartLocked(now_ms);
  return Status::Ok();
}

// The rest of upstream's Start once registered (and notified): the background loops.
void PumpNode::CompleteStartLocked(int64_t now_ms) {
  started_ = true;
  writes_seen_at_tick_ = writes_started_;
  heartbeat_due_ms_ = now_ms + options_.heartbeat_interval_ms;
  fake_binlog_due_ms_ = now_ms + options_.fake_binlog_interval_ms;
  gc_due_ms_ = now_ms + kGcIntervalMilliseconds;
  detect_due_ms_ = now_ms + kDetectDrainerCheckpointIntervalMilliseconds;
  CheckInvariantsLocked();
}

// ---- the start-up Notify round ----

// Lists the drainers; none online: nothing to notify (notify_ stays empty).
Status PumpNode::BeginNotifyLocked(int64_t now_ms) {
  Result<std::vector<NodeStatus>> drainers = registry_.ListNodes(NodeKind::kDrainer);
  if (!drainers.ok()) {
    FailNotifyLocked(drainers.status().message());
    return fatal_error_;
  }
  NotifyRound round;
  for (NodeStatus& drainer : *drainers) {
    if (drainer.state == NodeState::kOnline) round.drainers.push_back(std::move(drainer));
  }
  if (round.drainers.empty()) return Status::Ok();
  round.deadline_ms = now_ms + kNotifyTimeoutMilliseconds;
  notify_ = std::move(round);
  NotifyNextLocked();
  return Status::Ok();
}

// Queues the next call to the current drainer.
void PumpNode::NotifyNextLocked() {
  NotifyRound& round = *notify_;
  const NodeStatus& drainer = round.drainers[round.current];
  if (round.attempts == 0) {
    spdlog::info("Start trying to notify drainer, addr {}", drainer.host);
  }
  ++round.attempts;
  NotifyRequest request;
  request.id = next_notify_id_++;
  request.drainer_node_id = drainer.node_id;
  request.drainer_host = drainer.host;
  request.deadline_ms = round.deadline_ms;
  round.in_flight = request.id;
  round.next_attempt_ms = kNoTimerMs;
  round.outbox.push_back(std::move(request));
}

std::vector<NotifyRequest> PumpNode::TakeNotifyRequests() {
  std::lock_guard lock(mu_);
  if (!notify_) return {};
  return std::exchange(notify_->outbox, {});
}

void PumpNode::OnNotifyResult(uint64_t request_id, const Status& result, int64_t now_ms) {
  std::lock_guard lock(mu_);
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  if (!notify_ || notify_->in_flight != request_id) return;
  NotifyRound& round = *notify_;
  round.in_flight.reset();
  const NodeStatus& drainer = round.drainers[round.current];
  if (result.ok()) {
    spdlog::info("notify drainer success, addr {}", drainer.host);
    ++round.current;
    round.attempts = 0;
    if (round.current == round.drainers.size()) {
      notify_.reset();
      CompleteStartLocked(now_ms);
      return;
    }
    NotifyNextLocked();
  } else if (round.attempts >= kNotifyAttemptsMax) {
    FailNotifyLocked("notify drainer(" + drainer.host + "): " + result.message());
  } else {
    spdlog::warn("notify drainer {} failed ({}); retrying", drainer.host, result.message());
    int64_t backoff_ms = kNotifyFirstBackoffMilliseconds;
    for (int i = 1; i < round.attempts; ++i) backoff_ms *= kNotifyBackoffFactor;
    round.next_attempt_ms = now_ms + backoff_ms;
  }
  CheckInvariantsLocked();
}

// A backoff that ended, or the round's deadline.
void PumpNode::NotifyStepLocked(int64_t now_ms) {
  NotifyRound& round = *notify_;
  if (now_ms >= round.deadline_ms) {
    FailNotifyLocked("notify drainer(" + round.drainers[round.current].host +
                     "): context deadline exceeded");
  } else if (now_ms >= round.next_attempt_ms) {
    NotifyNextLocked();
  }
}

int64_t PumpNode::NotifyTimerLocked() const {
  if (!notify_) return kNoTimerMs;
  return std::min(notify_->next_attempt_ms, notify_->deadline_ms);
}

// Upstream: re-register `offline` (updateTS 0), then Start returns the annotated error.
void PumpNode::FailNotifyLocked(const std::string& error) {
  notify_.reset();
  fatal_error_ = Status::Unavailable("fail to notify all living drainer: " + error);
  spdlog::error("{}", fatal_error_.message());
  SetStateLocked(NodeState::kOffline);
  Status updated = registry_.UpdateNode(NodeKind::kPump, RecordLocked(0));
  if (!updated.ok()) {
    spdlog::error("unregister pump while pump fails to notify drainer: {}", updated.message());
  }
  phase_ = ShutdownPhase::kStopped;
}

Status PumpNode::FatalError() const {
  std::lock_guard lock(mu_);
  return fatal_error_;
}

bool PumpNode::Notifying() const {
  std::lock_guard lock(mu_);
  return notify_.has_value();
}

bool PumpNode::Started() const {
  std::lock_guard lock(mu_);
  return started_;
}

bool PumpNode::ShuttingDown() const {
  std::lock_guard lock(mu_);
  return phase_ != ShutdownPhase::kNone;
}

bool PumpNode::Stopped() const {
  std::lock_guard lock(mu_);
  return phase_ == ShutdownPhase::kStopped;
}

NodeState PumpNode::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

// ---- RPCs ----

// Upstream's checks in its order: the cluster id, then the payload's decoding (`decoded`,
// OK for a binlog handed in decoded), then the online state for a Prewrite.
Status PumpNode::CheckWriteLocked(uint64_t cluster_id, const Status& decoded,
                                  const binlog::Binlog* binlog) const {
  if (cluster_id != options_.cluster_id) return ClusterIdMismatch(cluster_id, options_.cluster_id);
  if (!decoded.ok()) return decoded;
  if (binlog->tp() == binlog::Prewrite && state_ != NodeState::kOnline) {
    return Status::Unavailable(std::string("no online: ") + NodeStateName(state_));
  }
  return Status::Ok();
}

// The payload is decoded before the node's lock is taken (it needs none); its error is
// reported where upstream's decoding would fail, after the cluster id check.
Status PumpNode::WriteBinlog(const binlog::WriteBinlogReq& request, int64_t now_ms) {
  Result<binlog::Binlog> decoded = DecodeBinlog(request.payload());
  std::shared_ptr<const binlog::Binlog> binlog;
  if (decoded.ok()) binlog = std::make_shared<const binlog::Binlog>(std::move(decoded).value());
  return WriteAdmitted(request.clusterid(), decoded.status(), std::move(binlog),
                       request.payload().size(), now_ms);
}

Status PumpNode::WriteDecodedBinlog(uint64_t cluster_id,
                                    std::shared_ptr<const binlog::Binlog> binlog,
                                    size_t payload_bytes, int64_t now_ms) {
  BINLOG_ASSERT(binlog != nullptr);
  return WriteAdmitted(cluster_id, Status::Ok(), std::move(binlog), payload_bytes, now_ms);
}

void PumpNode::WriteBinlogAsync(const binlog::WriteBinlogReq& request, int64_t now_ms,
                                BinlogStore::WriteDone done) {
  Result<binlog::Binlog> decoded = DecodeBinlog(request.payload());
  const binlog::Binlog* binlog = decoded.ok() ? &decoded.value() : nullptr;
  Status admitted = AdmitWrite(request.clusterid(), decoded.status(), binlog, now_ms);
  if (!admitted.ok()) {
    done(std::move(admitted));
    return;
  }
  ObserveWriteSize(request.payload().size());
  // The store encodes the binlog before it returns: `decoded` may go.
  store_.WriteBatchAsync(std::span<const binlog::Binlog>(binlog, 1),
                         [this, done = std::move(done)](Status written) {
                           done(CountStoreResult(std::move(written)));
                         });
}

// Both synchronous write entry points: the node's checks, then the store.
Status PumpNode::WriteAdmitted(uint64_t cluster_id, const Status& decoded,
                               std::shared_ptr<const binlog::Binlog> binlog,
                               size_t payload_bytes, int64_t now_ms) {
  BINLOG_RETURN_IF_ERROR(AdmitWrite(cluster_id, decoded, binlog.get(), now_ms));
  return WriteToStore(std::move(binlog), payload_bytes);
}

// The node's checks of a write, under mu_; each refusal is counted as a loss (except once
// the node is stopped) and logged as upstream does.
Status PumpNode::AdmitWrite(uint64_t cluster_id, const Status& decoded,
                            const binlog::Binlog* binlog, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (phase_ == ShutdownPhase::kStopped) return Status::Unavailable("pump server is stopped");
  if (notify_) return NotServingYet();
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  ++writes_started_;
  Status checked = CheckWriteLocked(cluster_id, decoded, binlog);
  if (!checked.ok()) {
    metrics_.loss_binlog_count().Increment();
    if (checked.code() == StatusCode::kUnavailable) {
      spdlog::warn("reject write binlog for not online state {}", NodeStateName(state_));
    } else {
      spdlog::error("write binlog failed: {}", checked.message());
    }
  }
  return checked;
}

// The store part of upstream's writeBinlog, shared by RPC writes and fake binlogs. Touches
// only the store and the metrics, both thread-safe, so it runs without mu_.
Status PumpNode::WriteToStore(std::shared_ptr<const binlog::Binlog> binlog,
                              size_t payload_bytes) {
  ObserveWriteSize(payload_bytes);
  return CountStoreResult(store_.WriteShared(std::move(binlog)));
}

void PumpNode::ObserveWriteSize(size_t payload_bytes) {
  prometheus::Histogram* size = write_single_size_.load(std::memory_order_acquire);
  if (size == nullptr) {
    size = &metrics_.storage_write_binlog_size(pump_metric_label::kWriteSingle);
    write_single_size_.store(size, std::memory_order_release);
  }
  size->Observe(static_cast<double>(payload_bytes));
}

// A store write's result, a failure counted as a loss and logged (upstream's writeBinlog).
Status PumpNode::CountStoreResult(Status written) {
  if (!written.ok()) {
    metrics_.loss_binlog_count().Increment();
    spdlog::error("write binlog failed: {}", written.message());
  }
  return written;
}

Result<PullResult> PumpNode::PullBinlogs(const binlog::PullBinlogReq& request,
                                         size_t limit_count, size_t limit_bytes) {
  BINLOG_RETURN_IF_ERROR(CheckPull(request));
  Result<PullResult> pulled = store_.Pull(request.startfrom().offset(), limit_count, limit_bytes);
  if (pulled.ok() && pulled->requested_purged) LogPurgedPull(request);
  return pulled;
}

Result<SharedPullResult> PumpNode::PullSharedBinlogs(const binlog::PullBinlogReq& request,
                                                     size_t limit_count, size_t limit_bytes) {
  BINLOG_RETURN_IF_ERROR(CheckPull(request));
  Result<SharedPullResult> pulled =
      store_.PullShared(request.startfrom().offset(), limit_count, limit_bytes);
  if (pulled.ok() && pulled->requested_purged) LogPurgedPull(request);
  return pulled;
}

Status PumpNode::CheckPull(const binlog::PullBinlogReq& request) const {
  {
    std::lock_guard lock(mu_);
    if (phase_ == ShutdownPhase::kStopped) return Status::Unavailable("pump server is stopped");
    if (notify_) return NotServingYet();
  }
  if (request.clusterid() != options_.cluster_id) {
    return ClusterIdMismatch(request.clusterid(), options_.cluster_id);
  }
  return Status::Ok();
}

void PumpNode::LogPurgedPull(const binlog::PullBinlogReq& request) {
  spdlog::error("drainer request a purged binlog TS, some binlog events may be loss "
                "(gc TS {}, request offset {})",
                store_.GcTS(), request.startfrom().offset());
}

void PumpNode::ObserveRpcDuration(std::string_view method, bool succeeded, double seconds) {
  metrics_
      .rpc_duration_seconds(std::string(method), succeeded ? pump_metric_label::kSucceeded
                                                           : pump_metric_label::kFailed)
      .Observe(seconds);
}

// ---- timers ----

int64_t PumpNode::NextTimerMs() const {
  std::lock_guard lock(mu_);
  return std::min({heartbeat_due_ms_, fake_binlog_due_ms_, gc_due_ms_, detect_due_ms_,
                   shutdown_due_ms_, NotifyTimerLocked()});
}

void PumpNode::OnTimer(int64_t now_ms) {
  std::lock_guard lock(mu_);
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  if (phase_ == ShutdownPhase::kStopped) return;
  if (phase_ != ShutdownPhase::kNone) {
    if (now_ms >= shutdown_due_ms_) ShutdownStepLocked(now_ms);
    CheckInvariantsLocked();
    return;
  }
  if (notify_) {
    NotifyStepLocked(now_ms);
    CheckInvariantsLocked();
    return;
  }
  if (!started_) return;
  if (now_ms >= heartbeat_due_ms_) {
    HeartbeatLocked(now_ms);
    heartbeat_due_ms_ = now_ms + options_.heartbeat_interval_ms;
  }
  if (now_ms >= fake_binlog_due_ms_) {
    FakeBinlogTickLocked();
    fake_binlog_due_ms_ = now_ms + options_.fake_binlog_interval_ms;
  }
  if (now_ms >= gc_due_ms_) GcLocked(now_ms);
  if (now_ms >= detect_due_ms_) DetectDrainerCheckpointsLocked(now_ms);
  CheckInvariantsLocked();
}

NodeStatus PumpNode::RecordLocked(int64_t update_ts) const {
  NodeStatus record;
  record.node_id = options_.node_id;
  record.host = options_.advertise_addr;
  record.state = state_;
  record.max_commit_ts = store_.MaxCommitTS();
  record.update_ts = update_ts;
  return record;
}

void PumpNode::HeartbeatLocked(int64_t now_ms) {
  const int64_t update_ts = GetApproachTs(anchor_ts_, now_ms - anchor_ms_);
  Status updated = registry_.UpdateNode(NodeKind::kPump, RecordLocked(update_ts));
  if (!updated.ok()) spdlog::error("send heartbeat failed: {}", updated.message());
}

Result<int64_t> PumpNode::WriteFakeBinlogLocked() {
  Result<int64_t> ts = tso_.GetTs();
  if (!ts.ok()) return ts.status().Annotate("gennerate fake binlog err");
  // Upstream's writeBinlog marks every write it starts, fake ones included.
  ++writes_started_;
  auto fake = std::make_shared<const binlog::Binlog>(MakeFakeBinlog(*ts));
  const size_t payload_bytes = EncodeBinlog(*fake).size();
  Status written = WriteToStore(std::move(fake), payload_bytes);
  // A write the node makes itself has no driver to time it (see the header comment).
  ObserveRpcDuration(pump_metric_label::kMethodWriteBinlog, written.ok(), 0.0);
  if (!written.ok()) return written.Annotate("write fake binlog err");
  return *ts;
}

void PumpNode::FakeBinlogTickLocked() {
  if (writes_started_ == writes_seen_at_tick_) {
    Result<int64_t> written = WriteFakeBinlogLocked();
    if (!written.ok()) spdlog::error("write fake binlog failed: {}", written.status().message());
  }
  writes_seen_at_tick_ = writes_started_;
}

void PumpNode::GcLocked(int64_t now_ms) {
  gc_triggered_ = false;
  gc_due_ms_ = now_ms + kGcIntervalMilliseconds;
  const int64_t gc_ms = now_ms - options_.gc_retention_ms;
  // Nothing is older than the retention yet (a clock near the epoch, as in tests).
  if (gc_ms < 0) return;
  const int64_t gc_ts = EncodeTso(gc_ms);
  spdlog::info("send gc request to storage, request gc ts {}", gc_ts);
  switch (store_.Gc(gc_ts)) {
    case GcOutcome::kAccepted:
      break;
    case GcOutcome::kIgnoredNotNewer:
      spdlog::info("ignore gc request {}", gc_ts);
      break;
    case GcOutcome::kIgnoredUnsafe:
      spdlog::info("Ignore unsafe gc request {}, max commit ts {}", gc_ts, store_.MaxCommitTS());
      break;
  }
}

void PumpNode::DetectDrainerCheckpointsLocked(int64_t now_ms) {
  // A ticker: keep the phase, drop the ticks that were missed.
  const int64_t periods = (now_ms - detect_due_ms_) / kDetectDrainerCheckpointIntervalMilliseconds;
  detect_due_ms_ += (periods + 1) * kDetectDrainerCheckpointIntervalMilliseconds;

  const int64_t alert_ts = store_.GcTS() + EncodeTso(kEarlyAlertGcMilliseconds);
  Result<std::vector<NodeStatus>> drainers = registry_.ListNodes(NodeKind::kDrainer);
  if (!drainers.ok()) {
    spdlog::error("fail to query status of drainers: {}", drainers.status().message());
    return;
  }
  for (const NodeStatus& drainer : *drainers) {
    if (drainer.state == NodeState::kOffline || drainer.max_commit_ts >= alert_ts) continue;
    spdlog::error("drainer's checkpoint is older than pump gc ts, some binlogs are purged "
                  "(drainer {}, gc ts {}, drainer checkpoint {})",
                  drainer.node_id, alert_ts, drainer.max_commit_ts);
    metrics_.detected_drainer_binlog_purge_count(drainer.node_id).Increment();
  }
}

bool PumpNode::TriggerGc() {
  std::lock_guard lock(mu_);
  if (!started_ || phase_ != ShutdownPhase::kNone || gc_triggered_) return false;
  gc_triggered_ = true;
  gc_due_ms_ = last_now_ms_;
  return true;
}

// ---- state changes and shutdown ----

void PumpNode::SetStateLocked(NodeState next) {
  BINLOG_ASSERT(IsLegalTransition(NodeKind::kPump, state_, next));
  spdlog::info("pump's state change from {} to {}", NodeStateName(state_), NodeStateName(next));
  state_ = next;
}

ApplyActionResult PumpNode::ApplyAction(std::string_view node_id, std::string_view action) {
  std::lock_guard lock(mu_);
  // Upstream's HTTP server does not exist before the Notify round succeeded.
  if (notify_) return {false, NotServingYet().message()};
  NodeActionDecision decision =
      DecideNodeAction(NodeKind::kPump, options_.node_id, state_, node_id, action);
  if (!decision.next.has_value()) return {false, std::move(decision.message)};
  SetStateLocked(*decision.next);
  // A signal may have begun the sequence already; its commit step reads the state then.
  if (phase_ == ShutdownPhase::kNone) BeginShutdownLocked();
  CheckInvariantsLocked();
  return {true, std::move(decision.message)};
}

void PumpNode::Shutdown(int64_t now_ms) {
  std::lock_guard lock(mu_);
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  if (phase_ != ShutdownPhase::kNone) return;
  if (notify_) {
    // Upstream's start context is cancelled: the Notify round fails with it.
    FailNotifyLocked("notify drainer(" + notify_->drainers[notify_->current].host +
                     "): context canceled");
    CheckInvariantsLocked();
    return;
  }
  BeginShutdownLocked();
  CheckInvariantsLocked();
}

// Upstream Close(): cancel the background loops (heartbeat, fake binlogs, GC, checkpoint
// warning) at once, then commit the final status as the next step.
void PumpNode::BeginShutdownLocked() {
  phase_ = ShutdownPhase::kCommitStatus;
  heartbeat_due_ms_ = kNoTimerMs;
  fake_binlog_due_ms_ = kNoTimerMs;
  gc_due_ms_ = kNoTimerMs;
  detect_due_ms_ = kNoTimerMs;
  gc_triggered_ = false;
  shutdown_due_ms_ = last_now_ms_;
}

void PumpNode::ShutdownStepLocked(int64_t now_ms) {
  switch (phase_) {
    case ShutdownPhase::kCommitStatus:
      // upstream commitStatus: online/pausing -> paused; closing -> waitSafeToOffline.
      if (state_ != NodeState::kClosing) {
        FinishLocked(NodeState::kPaused);
      } else if (!started_) {
        FinishLocked(NodeState::kOffline);  // nothing was served, nothing to wait for
      } else {
        phase_ = ShutdownPhase::kWriteFake;
        ShutdownStepLocked(now_ms);
      }
      return;
    case ShutdownPhase::kWriteFake: {
      Result<int64_t> fake_ts = WriteFakeBinlogLocked();
      if (!fake_ts.ok()) {
        spdlog::warn("Failed to write fake binlog: {}", fake_ts.status().message());
        shutdown_due_ms_ = now_ms + kOfflineCheckIntervalMilliseconds;
        return;
      }
      offline_fake_ts_ = *fake_ts;
      phase_ = ShutdownPhase::kWaitSaved;
      WaitSavedStepLocked(now_ms);  // upstream checks once before its first sleep
      return;
    }
    case ShutdownPhase::kWaitSaved:
      WaitSavedStepLocked(now_ms);
      return;
    case ShutdownPhase::kWaitDrainers:
      WaitDrainersStepLocked(now_ms);
      return;
    case ShutdownPhase::kNone:
    case ShutdownPhase::kStopped:
      BINLOG_ASSERT(false);
  }
}

void PumpNode::WaitSavedStepLocked(int64_t now_ms) {
  shutdown_due_ms_ = now_ms + kOfflineCheckIntervalMilliseconds;
  if (store_.MaxCommitTS() < offline_fake_ts_) {
    spdlog::info("The max commit ts saved is less than expected commit ts ({} < {})",
                 store_.MaxCommitTS(), offline_fake_ts_);
    return;
  }
  if (!store_.AllMatched()) {
    spdlog::info("wait all P-binlog to be matched");
    return;
  }
  offline_target_ts_ = store_.MaxCommitTS();
  phase_ = ShutdownPhase::kWaitDrainers;
}

void PumpNode::WaitDrainersStepLocked(int64_t now_ms) {
  shutdown_due_ms_ = now_ms + kOfflineCheckIntervalMilliseconds;
  Result<std::vector<NodeStatus>> drainers = registry_.ListNodes(NodeKind::kDrainer);
  if (!drainers.ok()) {
    spdlog::error("Failed to get safe GCTS: fail to query status of drainers: {}",
                  drainers.status().message());
    return;
  }
  int64_t min_drainer_ts = std::numeric_limits<int64_t>::max();
  for (const NodeStatus& drainer : *drainers) {
    if (drainer.state != NodeState::kOffline) {
      min_drainer_ts = std::min(min_drainer_ts, drainer.max_commit_ts);
    }
  }
  if (min_drainer_ts >= offline_target_ts_ || BINLOG_PLANTED_BUG(kCloseSkipsDrainerWait)) {
    spdlog::info("safe to offline now");
    FinishLocked(NodeState::kOffline);
    return;
  }
  spdlog::warn("Waiting for drainer to consume binlog (Minimum Drainer MaxCommitTS {}, Need "
               "to reach maxCommitTS {})",
               min_drainer_ts, offline_target_ts_);
  Result<int64_t> written = WriteFakeBinlogLocked();
  if (!written.ok()) spdlog::error("write fake binlog failed: {}", written.status().message());
}

// Upstream registerNode(state, 0): the final record, with updateTS 0. A failed write is
// only logged; the node stops either way.
void PumpNode::FinishLocked(NodeState final_state) {
  SetStateLocked(final_state);
  if (started_) {
    NodeStatus record = RecordLocked(0);
    if (BINLOG_PLANTED_BUG(kPausedPublishedOnline) && final_state == NodeState::kPaused) {
      record.state = NodeState::kOnline;
    }
    Status updated = registry_.UpdateNode(NodeKind::kPump, record);
    if (!updated.ok()) spdlog::error("unregister pump failed: {}", updated.message());
  }
  phase_ = ShutdownPhase::kStopped;
  shutdown_due_ms_ = kNoTimerMs;
  spdlog::info("update state success, NodeID {}, state {}", options_.node_id,
               NodeStateName(final_state));
}

// ---- metrics ----

std::string PumpNode::ExposeMetrics() {
  const BinlogStoreStats stats = store_.Stats();
  metrics_.storage_gc_ts().Set(static_cast<double>(ExtractPhysical(stats.gc_ts)));
  metrics_.storage_done_gc_ts().Set(static_cast<double>(ExtractPhysical(stats.done_gc_ts)));
  metrics_.storage_max_commit_ts().Set(static_cast<double>(ExtractPhysical(stats.max_commit_ts)));
  metrics_.storage_size_bytes(pump_metric_label::kSizeCapacity)
      .Set(static_cast<double>(stats.capacity_bytes));
  metrics_.storage_size_bytes(pump_metric_label::kSizeAvailable)
      .Set(static_cast<double>(stats.available_bytes));
  RaiseCounterTo(metrics_.storage_deleted_kv_total(), stats.deleted_index_keys);
  // Labelled error counters appear once an error happened, as upstream's vector children.
  if (stats.write_errors > 0) {
    RaiseCounterTo(metrics_.storage_error_count(pump_metric_label::kErrorWriteBinlog),
                   stats.write_errors);
  }
  if (stats.read_errors > 0) {
    RaiseCounterTo(metrics_.storage_error_count(pump_metric_label::kErrorReadValue),
                   stats.read_errors);
  }
  return metrics_.Expose();
}

// ---- invariants ----

void PumpNode::CheckInvariants() const {
  std::lock_guard lock(mu_);
  CheckInvariantsLocked();
}

void PumpNode::CheckInvariantsLocked() const {
  const bool background_idle = heartbeat_due_ms_ == kNoTimerMs &&
                               fake_binlog_due_ms_ == kNoTimerMs && gc_due_ms_ == kNoTimerMs &&
                               detect_due_ms_ == kNoTimerMs;
  switch (phase_) {
    case ShutdownPhase::kNone:
      BINLOG_ASSERT(state_ == NodeState::kOnline);
      BINLOG_ASSERT(fatal_error_.ok());
      BINLOG_ASSERT(!notify_ || (!started_ && notify_->current < notify_->drainers.size() &&
                                 notify_->in_flight.has_value() !=
                                     (notify_->next_attempt_ms != kNoTimerMs) &&
                                 notify_->attempts <= kNotifyAttemptsMax));
      BINLOG_ASSERT(shutdown_due_ms_ == kNoTimerMs);
      BINLOG_ASSERT(started_ != background_idle);
      BINLOG_ASSERT(started_ || !gc_triggered_);
      BINLOG_ASSERT(!started_ || anchor_ts_ > 0);
      BINLOG_ASSERT(!started_ ||
                    heartbeat_due_ms_ <= last_now_ms_ + options_.heartbeat_interval_ms);
      BINLOG_ASSERT(!started_ ||
                    fake_binlog_due_ms_ <= last_now_ms_ + options_.fake_binlog_interval_ms);
      BINLOG_ASSERT(!started_ || gc_due_ms_ <= last_now_ms_ + kGcIntervalMilliseconds);
      return;
    case ShutdownPhase::kCommitStatus:
      BINLOG_ASSERT(state_ == NodeState::kOnline || state_ == NodeState::kPausing ||
                    state_ == NodeState::kClosing);
      break;
    case ShutdownPhase::kWriteFake:
    case ShutdownPhase::kWaitSaved:
    case ShutdownPhase::kWaitDrainers:
      BINLOG_ASSERT(started_ && state_ == NodeState::kClosing);
      BINLOG_ASSERT(phase_ == ShutdownPhase::kWriteFake || offline_fake_ts_ > 0);
      BINLOG_ASSERT(phase_ != ShutdownPhase::kWaitDrainers ||
                    offline_target_ts_ >= offline_fake_ts_);
      break;
    case ShutdownPhase::kStopped:
      BINLOG_ASSERT(state_ == NodeState::kPaused || state_ == NodeState::kOffline);
      BINLOG_ASSERT(fatal_error_.ok() || (state_ == NodeState::kOffline && !started_));
      BINLOG_ASSERT(shutdown_due_ms_ == kNoTimerMs);
      break;
  }
  BINLOG_ASSERT(background_idle && !gc_triggered_ && !notify_);
  BINLOG_ASSERT(phase_ == ShutdownPhase::kStopped || shutdown_due_ms_ != kNoTimerMs);
}

}  // namespace tidb_binlog
