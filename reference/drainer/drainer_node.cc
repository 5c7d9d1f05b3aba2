#include "reference/drainer/drainer_node.h"

#include <algorithm>
#include <cctype>
#include <span>
#include <utility>

#include <spdlog/spdlog.h>

#include "reference/core/planted_bugs.h"

#include "reference/core/binlog_codec.h"
#include "reference/core/tso.h"

namespace tidb_binlog {
namespace {

constexpr double kMillisecondsPerSecond = 1'000.0;

// CountEventsLocked keeps its decode buffer for values up to this size (larger ones would
// pin their memory in an idle drainer).
constexpr size_t kEventScratchBytesMax = 1 << 20;
// Pump counts below which the pump cross-checks run on every refresh (RefreshPumpsLocked).
constexpr size_t kPumpChecksEveryRefreshPumpsMax = 64;

// Upstream's collector skips DDL binlogs whose query starts with this (case-insensitive):
// sequence DDL that TiDB logs as a query.
constexpr std::string_view kSkippedDdlPrefix = "select setval";

// What the syncer does with a merged binlog (§8.3).
enum class SyncKind {
  kPositionOnly,  // fake binlog, rollback, skipped DDL: nothing to write, the position moves
  kDml,
  kDdl,
};

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

SyncKind ClassifyForSync(const SharedPulledBinlog& binlog) {
  // The syncer's fake-binlog test is start == commit (§6.4), whatever tp says.
  if (binlog.start_ts() == binlog.commit_ts()) return SyncKind::kPositionOnly;
  if (binlog.tp() != binlog::Commit) return SyncKind::kPositionOnly;
  if (binlog.ddl_job_id() > 0) {
    return StartsWithIgnoringCase(binlog.ddl_query(), kSkippedDdlPrefix)
               ? SyncKind::kPositionOnly
               : SyncKind::kDdl;
  }
  return SyncKind::kDml;
}

// Seconds from the physical time of `ts` to `now_ms`, never negative (a TSO ahead of the
// driver's clock is a skewed clock, not a negative delay).
double SecondsSinceTs(int64_t ts, int64_t now_ms) {
  return static_cast<double>(std::max<int64_t>(0, now_ms - ExtractPhysical(ts))) /
         kMillisecondsPerSecond;
}

const char* EventLabel(binlog::MutationType type) {
  switch (type) {
    case binlog::Insert:
      return drainer_metric_label::kEventInsert;
    case binlog::Update:
      return drainer_metric_label::kEventUpdate;
    default:  // DeleteRow and the obsolete DeleteID / DeletePK
      return drainer_metric_label::kEventDelete;
  }
}

}  // namespace

DrainerNode::DrainerNode(DrainerOptions options, Registry& registry, TsoSource& tso,
                         Checkpoint& checkpoint, Destination& destination,
                         DrainerMetrics& metrics)
    : options_(std::move(options)),
      registry_(registry),
      tso_(tso),
      checkpoint_(checkpoint),
      destination_(destination),
      metrics_(metrics) {
  BINLOG_ASSERT(ValidateDrainerOptions(options_).ok());
}

// ---- lifecycle ----

Status DrainerNode::Start(int64_t now_ms) {
  std::lock_guard lock(mu_);
  BINLOG_ASSERT(!started_ && phase_ == Phase::kNone);
  last_now_ms_ = std::max(last_now_ms_, now_ms);

  Result<int64_t> ts = tso_.GetTs();
  if (!ts.ok()) return ts.status().Annotate("fail to get tso from pd");
  BINLOG_RETURN_IF_ERROR(LoadCheckpointLocked(*ts, now_ms));
  anchor_ts_ = *ts;
  anchor_ms_ = now_ms;
  merger_.emplace(checkpoint_.ts(), options_.merge_limits);
  synced_ts_ = checkpoint_.ts();
  schema_version_ = checkpoint_.schema_version();

  Result<NodeStatus> previous = registry_.GetNode(NodeKind::kDrainer, options_.node_id);
  if (previous.ok()) {
    BINLOG_ASSERT(IsLegalTransition(NodeKind::kDrainer, previous->state, NodeState::kOnline));
  }
  Status registered = registry_.UpdateNode(NodeKind::kDrainer, RecordLocked());
  if (!registered.ok()) return registered.Annotate("fail to register node to etcd");
  spdlog::info("register success, NodeID {}, checkpoint ts {}", options_.node_id,
               checkpoint_.ts());

  started_ = true;
  last_save_ms_ = now_ms;
  // Upstream's syncer starts its "last successful write" clock at creation: Synced stays
  // false for the first synced-check-time even with nothing to sync (§11 #15).
  last_real_write_ms_ = now_ms;
  heartbeat_due_ms_ = now_ms;  // the heartbeat loop updates at once, then every 1 s
  refresh_due_ms_ = now_ms + options_.detect_interval_ms;
  (void)RefreshPumpsLocked();  // logged; retried at the next detect interval
  CheckInvariantsLocked();
  return Status::Ok();
}

// §8.4: the checkpoint's own load rules give ts = initial commit ts when nothing (or 0) is
// saved; an initial commit ts of -1 then means the TSO taken at start. That position is
// saved at once, so that a restart resumes from it and heartbeats publish a real ts.
Status DrainerNode::LoadCheckpointLocked(int64_t start_ts, int64_t now_ms) {
  BINLOG_RETURN_IF_ERROR(checkpoint_.Load());
  if (checkpoint_.ts() == kInitialCommitTsFromTso) {
    return SaveCheckpointLocked(start_ts, false, now_ms);
  }
  if (checkpoint_.ts() < 0) {
    return Status::InvalidArgument("invalid checkpoint commit ts " +
                                   std::to_string(checkpoint_.ts()));
  }
  return Status::Ok();
}

bool DrainerNode::Started() const {
  std::lock_guard lock(mu_);
  return started_;
}

bool DrainerNode::ShuttingDown() const {
  std::lock_guard lock(mu_);
  return phase_ != Phase::kNone;
}

bool DrainerNode::Stopped() const {
  std::lock_guard lock(mu_);
  return phase_ == Phase::kStopped;
}

Status DrainerNode::FatalError() const {
  std::lock_guard lock(mu_);
  return fatal_error_;
}

NodeState DrainerNode::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

int64_t DrainerNode::CheckpointTs() const {
  std::lock_guard lock(mu_);
  return checkpoint_.ts();
}

int64_t DrainerNode::SyncedTs() const {
  std::lock_guard lock(mu_);
  return synced_ts_;
}

std::map<std::string, int64_t> DrainerNode::PumpPositions() const {
  std::lock_guard lock(mu_);
  std::map<std::string, int64_t> positions;
  for (const auto& [id, pump] : pumps_) positions.emplace(id, pump.last_ts);
  return positions;
}

// ---- timers ----

int64_t DrainerNode::NextTimerMs() const {
  std::lock_guard lock(mu_);
  if (phase_ != Phase::kNone) return shutdown_due_ms_;
  int64_t next = std::min(heartbeat_due_ms_, refresh_due_ms_);
  if (!started_) return next;
  if (synced_ts_ > checkpoint_.ts()) {
    next = std::min(next, last_save_ms_ + options_.checkpoint_save_interval_ms);
  }
  // The index is in due order: the first pullable entry is the earliest pull. Entries
  // skipped here are pumps whose merge buffer is full (rare: the merge is stalled).
  for (const auto& [due_ms, id] : pull_index_) {
    if (due_ms >= next) break;
    if (PullableLocked(id, pumps_.at(id))) return due_ms;
  }
  return next;
}

void DrainerNode::OnTimer(int64_t now_ms) {
  std::lock_guard lock(mu_);
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  if (phase_ == Phase::kStopped) return;
  if (phase_ == Phase::kShuttingDown) {
    if (now_ms >= shutdown_due_ms_) FinishLocked();
    CheckInvariantsLocked();
    return;
  }
  if (!started_) return;
  if (now_ms >= heartbeat_due_ms_) {
    // Re-armed first: a fatal failure inside disarms it again.
    heartbeat_due_ms_ = now_ms + kDrainerHeartbeatIntervalMilliseconds;
    HeartbeatLocked(now_ms);
  }
  if (phase_ == Phase::kNone && now_ms >= refresh_due_ms_) {
    refresh_due_ms_ = now_ms + options_.detect_interval_ms;
    (void)RefreshPumpsLocked();  // logged; retried at the next detect interval
  }
  if (phase_ == Phase::kNone) {
    Status saved = MaybeSaveCheckpointLocked(now_ms, /*force=*/false);
    if (!saved.ok()) FailLocked(saved);
  }
  CheckInvariantsLocked();
}

// ---- registry: heartbeat and pump refresh ----

int64_t DrainerNode::ApproachTsLocked() const {
  return GetApproachTs(anchor_ts_, last_now_ms_ - anchor_ms_);
}

NodeStatus DrainerNode::RecordLocked() const {
  NodeStatus record;
  record.node_id = options_.node_id;
  record.host = options_.advertise_addr;
  record.state = state_;
  record.max_commit_ts = checkpoint_.ts();
  record.update_ts = ApproachTsLocked();
  return record;
}

void DrainerNode::HeartbeatLocked(int64_t now_ms) {
  Status updated = registry_.UpdateNode(NodeKind::kDrainer, RecordLocked());
  if (updated.ok()) {
    heartbeat_failures_ = 0;
    return;
  }
  ++heartbeat_failures_;
  spdlog::error("update status failed ({} in a row): {}", heartbeat_failures_,
                updated.message());
  if (heartbeat_failures_ >= kDrainerHeartbeatFailuresMax) {
    FailLocked(updated.Annotate("heartbeat failed " +
                                std::to_string(kDrainerHeartbeatFailuresMax) + " times"));
  }
}

Status DrainerNode::Notify(int64_t now_ms) {
  std::lock_guard lock(mu_);
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  // Upstream's collector answers through its context, cancelled once the server closes.
  if (!started_ || phase_ != Phase::kNone) return Status::Unavailable("context canceled");
  Status refreshed = RefreshPumpsLocked();
  if (!refreshed.ok()) spdlog::error("notify failed: {}", refreshed.message());
  CheckInvariantsLocked();
  return refreshed;
}

Status DrainerNode::RefreshPumpsLocked() {
  Result<std::vector<NodeStatus>> pumps = registry_.ListNodes(NodeKind::kPump);
  if (!pumps.ok()) {
    Status failed = pumps.status().Annotate("get pumps' status failed");
    spdlog::error("{}", failed.message());
    return failed;
  }
  for (const NodeStatus& pump : *pumps) ApplyPumpStatusLocked(pump);
  RebuildSnapshotLocked();
  // The pump set changes only here: its cross-checks run here, not after every message.
  // They cost O(pumps log pumps); with many pumps (a Notify per starting pump refreshes
  // every drainer) they run on every (1 + pumps / kPumpChecksEveryRefreshPumpsMax)-th
  // refresh, so that their cost per refresh stays bounded; below that many pumps, on every
  // refresh.
  if (++refreshes_ % (1 + pumps_.size() / kPumpChecksEveryRefreshPumpsMax) == 0) {
    CheckPumpInvariantsLocked();
  }
  return Status::Ok();
}

// Upstream handlePumpStatusUpdate for one record (§5.5 "How drainer reacts to pump states").
void DrainerNode::ApplyPumpStatusLocked(const NodeStatus& status) {
  auto it = pumps_.find(status.node_id);
  if (it == pumps_.end()) {
    if (status.state == NodeState::kOffline) return;
    TrackedPump pump;
    pump.host = status.host;
    pump.last_ts = merger_->latest_ts();
    pump.next_pull_ms = last_now_ms_;
    pump.position_gauge = &metrics_.pump_position(status.node_id);
    BINLOG_ASSERT(merger_->AddSource(status.node_id).ok());
    auto added = pumps_.emplace(status.node_id, std::move(pump)).first;
    ReindexPullLocked(added->first, added->second);
    spdlog::info("add pump {} ({}, {}), pulling after {}", status.node_id, status.host,
                 NodeStateName(status.state), merger_->latest_ts());
    return;
  }
  TrackedPump& pump = it->second;
  pump.host = status.host;
  switch (status.state) {
    case NodeState::kPaused:
      if (!pump.paused) spdlog::info("pump {} is paused: stop pulling", status.node_id);
      pump.paused = true;
      ReindexPullLocked(status.node_id, pump);
      return;
    case NodeState::kOnline:
      if (pump.paused) spdlog::info("pump {} is online: resume pulling", status.node_id);
      pump.paused = false;
      ReindexPullLocked(status.node_id, pump);
      return;
    case NodeState::kPausing:
    case NodeState::kClosing:
      return;
    case NodeState::kOffline:
      ForgetPumpLocked(it);
      spdlog::info("pump {} is offline: removed from the merge", status.node_id);
      return;
  }
}

// Removes a pump from the merge, the tracked pumps and the indexes over them. An answer to
// its in-flight pull is then stale.
void DrainerNode::ForgetPumpLocked(std::map<std::string, TrackedPump>::iterator it) {
  BINLOG_ASSERT(merger_->RemoveSource(it->first).ok());
  if (it->second.in_flight.has_value()) in_flight_pumps_.erase(*it->second.in_flight);
  pending_items_ -= it->second.pending.size();
  pumps_with_pending_.erase(it->first);
  if (it->second.indexed_pull_ms.has_value()) {
    pull_index_.erase({*it->second.indexed_pull_ms, it->first});
  }
  pumps_.erase(it);
}

// upstream updateCollectStatus(false): PumpPos and the pump_position gauges from the
// tracked pumps, Synced false.
void DrainerNode::RebuildSnapshotLocked() {
  for (const auto& [id, pump] : pumps_) {
    pump.position_gauge->Set(static_cast<double>(ExtractPhysical(pump.last_ts)));
  }
  // Updated in place while the pump set is unchanged (most refreshes): a refresh per
  // starting pump's Notify made rebuilding a map of every pump the bulk of a 1,000-pump
  // drainer's time.
  const auto same_id = [](const auto& position, const auto& tracked) {
    return position.first == tracked.first;
  };
  if (snapshot_pump_pos_.has_value() && snapshot_pump_pos_->size() == pumps_.size() &&
      std::equal(snapshot_pump_pos_->begin(), snapshot_pump_pos_->end(), pumps_.begin(),
                 same_id)) {
    auto tracked = pumps_.begin();
    for (auto& [id, position] : *snapshot_pump_pos_) position = (tracked++)->second.last_ts;
  } else {
    std::map<std::string, int64_t> positions;
    for (const auto& [id, pump] : pumps_) positions.emplace_hint(positions.end(), id, pump.last_ts);
    snapshot_pump_pos_ = std::move(positions);
  }
  snapshot_synced_ = false;
}

DrainerHttpStatus DrainerNode::HttpStatus(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!snapshot_pump_pos_.has_value()) return DrainerHttpStatus{};
  if (now_ms - last_real_write_ms_ > options_.synced_check_time_ms) snapshot_synced_ = true;
  return DrainerHttpStatus{snapshot_pump_pos_, snapshot_synced_, checkpoint_.ts()};
}

// ---- pulling ----

bool DrainerNode::PullableLocked(const std::string& node_id, const TrackedPump& pump) const {
  return phase_ == Phase::kNone && started_ && !pump.paused && !pump.in_flight.has_value() &&
         pump.pending.empty() &&
         merger_->buffered_items(node_id) < options_.merge_limits.items_per_source_max &&
         merger_->buffered_bytes(node_id) < options_.merge_limits.bytes_per_source_max;
}

std::vector<PullRequest> DrainerNode::TakePullRequests() {
  std::lock_guard lock(mu_);
  std::vector<PullRequest> requests;
  // The due pumps from the index, then in node-id order (the order request ids are given in).
  std::vector<std::string> due;
  for (const auto& [due_ms, id] : pull_index_) {
    if (due_ms > last_now_ms_) break;
    if (PullableLocked(id, pumps_.at(id))) due.push_back(id);
  }
  std::sort(due.begin(), due.end());
  for (const std::string& id : due) {
    TrackedPump& pump = pumps_.at(id);
    PullRequest request;
    request.id = next_request_id_++;
    request.pump_node_id = id;
    request.pump_host = pump.host;
    request.after_ts = pump.last_ts;
    request.limit_count = std::min(
        options_.pull_batch_count,
        options_.merge_limits.items_per_source_max - merger_->buffered_items(id));
    request.limit_bytes = std::min(
        options_.pull_batch_bytes,
        options_.merge_limits.bytes_per_source_max - merger_->buffered_bytes(id));
    pump.in_flight = request.id;
    in_flight_pumps_.emplace(request.id, id);
    ReindexPullLocked(id, pump);
    requests.push_back(std::move(request));
  }
  return requests;
}

// Keeps `pump` in pull_index_ exactly while it waits for its next pull (not paused, no pull
// in flight, nothing pending), under its next_pull_ms. Called after each change of those.
void DrainerNode::ReindexPullLocked(const std::string& node_id, TrackedPump& pump) {
  const bool waiting = !pump.paused && !pump.in_flight.has_value() && pump.pending.empty();
  const std::optional<int64_t> wanted =
      waiting ? std::optional<int64_t>(pump.next_pull_ms) : std::nullopt;
  if (wanted == pump.indexed_pull_ms) return;
  if (pump.indexed_pull_ms.has_value()) pull_index_.erase({*pump.indexed_pull_ms, node_id});
  if (wanted.has_value()) pull_index_.emplace(*wanted, node_id);
  pump.indexed_pull_ms = wanted;
}

// The binlogs of a pull carried as bytes (gRPC, the runtimes) are shared from here on.
void DrainerNode::OnPullResponse(uint64_t request_id, Result<PullResult> result,
                                 int64_t now_ms) {
  if (!result.ok()) return OnSharedPullResponse(request_id, result.status(), now_ms);
  OnSharedPullResponse(request_id, SharePullResult(std::move(*result)), now_ms);
}

void DrainerNode::OnSharedPullResponse(uint64_t request_id, Result<SharedPullResult> result,
                                       int64_t now_ms) {
  std::lock_guard lock(mu_);
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  if (phase_ != Phase::kNone) return;
  auto flight = in_flight_pumps_.find(request_id);
  if (flight == in_flight_pumps_.end()) return;  // stale: the pump was forgotten
  auto it = pumps_.find(flight->second);
  in_flight_pumps_.erase(flight);
  BINLOG_ASSERT(it != pumps_.end() && it->second.in_flight == request_id);
  const std::string& node_id = it->first;
  TrackedPump& pump = it->second;
  pump.in_flight.reset();
  if (!result.ok()) {
    spdlog::warn("pull binlogs from pump {} failed, retry from {}: {}", node_id, pump.last_ts,
                 result.status().message());
    pump.next_pull_ms = now_ms + options_.pull_retry_delay_ms;
    ReindexPullLocked(node_id, pump);
    return;
  }
  if (result->requested_purged) {
    spdlog::error("pump {} purged binlogs after {}: some binlog events may be lost", node_id,
                  pump.last_ts);
  }
  pump.next_pull_ms =
      result->binlogs.empty() ? now_ms + options_.pull_poll_delay_ms : now_ms;
  // The merger's spare vector (capacity of an earlier batch) saves an allocation per pull.
  std::vector<PulledBinlog> batch = merger_->TakeSpareBatch();
  batch.reserve(result->binlogs.size());
  // The per-pump histograms are looked up once per batch, and only for a batch with binlogs
  // (the families are lazy: a child shows in /metrics once something was observed).
  prometheus::Histogram* read_size = nullptr;
  prometheus::Histogram* reach_duration = nullptr;
  if (!result->binlogs.empty()) {
    read_size = &metrics_.read_binlog_size(node_id);
    reach_duration = &metrics_.binlog_reach_duration_time(node_id);
  }
  for (SharedPulledBinlog& binlog : result->binlogs) {
    PulledBinlog item;
    item.commit_ts = binlog.commit_ts();
    item.bytes = binlog.bytes;
    read_size->Observe(static_cast<double>(item.bytes));
    reach_duration->Observe(SecondsSinceTs(item.commit_ts, now_ms));
    item.binlog = std::move(binlog);
    batch.push_back(std::move(item));
  }
  AdvancePumpPosLocked(node_id, pump, batch);
  PushPulledLocked(node_id, pump, std::move(batch));
  ReindexPullLocked(node_id, pump);
  SyncMergedLocked(now_ms);
  CheckInvariantsLocked();
}

// PumpPos advances with every received binlog whose ts is above it (upstream's puller,
// §8.1); a binlog at or below it is only logged (the merger drops it as disorder or
// duplicate).
void DrainerNode::AdvancePumpPosLocked(const std::string& node_id, TrackedPump& pump,
                                       const std::vector<PulledBinlog>& batch) {
  for (const PulledBinlog& item : batch) {
    if (item.commit_ts > pump.last_ts) {
      pump.last_ts = item.commit_ts;
    } else {
      spdlog::warn("pump receive unsort binlog (pump {}, ts {}, last {})", node_id,
                   item.commit_ts, pump.last_ts);
    }
  }
}

// Hands a pulled batch to the merger whole. Pulls ask for no more than the merge buffer's
// room, so a refusal is rare (the merger counts bytes with its own overhead); the batch then
// waits whole in `pending` until FeedMergerLocked finds room.
void DrainerNode::PushPulledLocked(const std::string& node_id, TrackedPump& pump,
                                   std::vector<PulledBinlog>&& batch) {
  BINLOG_ASSERT(pump.pending.empty());  // a pump with pending binlogs is not pulled
  const size_t count = batch.size();
  Status pushed = merger_->PushBatch(node_id, std::move(batch));
  if (pushed.ok()) {
    merger_pushed_items_ += static_cast<int64_t>(count);
    return;
  }
  BINLOG_ASSERT(pushed.code() == StatusCode::kResourceExhausted);
  pump.pending = std::move(batch);  // PushBatch left it untouched
  pending_items_ += count;
  pumps_with_pending_.insert(node_id);
}

// Retries a pump's pending batch (whole, as pulled) once its merge buffer has room.
void DrainerNode::FeedMergerLocked(const std::string& node_id, TrackedPump& pump) {
  const size_t count = pump.pending.size();
  Status pushed = merger_->PushBatch(node_id, std::move(pump.pending));
  if (!pushed.ok()) {
    BINLOG_ASSERT(pushed.code() == StatusCode::kResourceExhausted);
    return;
  }
  BINLOG_ASSERT(pump.pending.empty());
  pending_items_ -= count;
  merger_pushed_items_ += static_cast<int64_t>(count);
  ReindexPullLocked(node_id, pump);
}

// ---- after the merge ----

// Feeds pending batches, then moves merged binlogs to the destination, up to
// kSyncBatchItemsMax per round, until the merge stalls or the node stops. A failed write or
// checkpoint save stops the node (FailLocked) after the round's Drain has returned.
void DrainerNode::SyncMergedLocked(int64_t now_ms) {
  while (phase_ == Phase::kNone) {
    // In node-id order, as a walk over pumps_ would feed them.
    for (auto it = pumps_with_pending_.begin(); it != pumps_with_pending_.end();) {
      TrackedPump& pump = pumps_.at(*it);
      FeedMergerLocked(*it, pump);
      it = pump.pending.empty() ? pumps_with_pending_.erase(it) : std::next(it);
    }
    SyncRound round;
    round.position = synced_ts_;
    if (DrainMergedLocked(round, now_ms) == 0) break;
    if (round.status.ok()) round.status = FlushLocked(round, now_ms);
    if (round.status.ok()) round.status = MaybeSaveCheckpointLocked(now_ms, /*force=*/false);
    if (!round.status.ok()) FailLocked(round.status);
  }
  UpdateQueueMetricLocked();
}

// Hands up to kSyncBatchItemsMax merged binlogs to SyncItemLocked, in merge order, straight
// from the merger's buffers (no copy). Returns how many the merger emitted.
size_t DrainerNode::DrainMergedLocked(SyncRound& round, int64_t now_ms) {
  if (BINLOG_PLANTED_BUG(kMergeOutOfOrder) || BINLOG_PLANTED_BUG(kCheckpointBeforeWrite)) {
    return DrainPlantedLocked(round, now_ms);
  }
  // SyncItemLocked touches the destination, the checkpoint and the metrics, never merger_.
  return merger_->Drain(kSyncBatchItemsMax, [&](std::span<PulledBinlog> run) {
    for (PulledBinlog& item : run) SyncItemLocked(round, item, now_ms);
  });
}

// The planted drainer bugs need the whole round at once (its first two items, its last ts),
// so planted builds that run one take the round out of the merger first.
size_t DrainerNode::DrainPlantedLocked(SyncRound& round, int64_t now_ms) {
  std::vector<PulledBinlog> batch;
  const size_t emitted = merger_->Pop(batch, kSyncBatchItemsMax);
  if (BINLOG_PLANTED_BUG(kMergeOutOfOrder) && batch.size() >= 2) std::swap(batch[0], batch[1]);
  if (BINLOG_PLANTED_BUG(kCheckpointBeforeWrite) && !batch.empty()) {
    synced_ts_ = batch.back().commit_ts;  // the position moves before the destination has it
    round.status = MaybeSaveCheckpointLocked(now_ms, /*force=*/true);
  }
  for (PulledBinlog& item : batch) SyncItemLocked(round, item, now_ms);
  return emitted;
}

// One merged binlog (§8.3): real binlogs are queued for the destination; a DDL is flushed on
// its own boundary and the checkpoint saved right after it. After a failure the rest of the
// round is not synced (the node is stopping).
void DrainerNode::SyncItemLocked(SyncRound& round, PulledBinlog& item, int64_t now_ms) {
  if (!round.status.ok()) return;
  round.position = item.commit_ts;
  const SyncKind kind = ClassifyForSync(item.binlog);
  if (kind == SyncKind::kPositionOnly) return;
  round.writes.push_back(std::move(item.binlog));
  if (kind == SyncKind::kDdl) {
    round.status = FlushLocked(round, now_ms);
    if (round.status.ok()) round.status = MaybeSaveCheckpointLocked(now_ms, /*force=*/true);
  }
}

// Appends the queued writes to the destination (durable) and moves synced_ts_ to the
// round's position.
Status DrainerNode::FlushLocked(SyncRound& round, int64_t now_ms) {
  if (!round.writes.empty()) {
    Status appended = destination_.AppendShared(round.writes);
    if (!appended.ok()) return appended.Annotate("write binlogs to destination failed");
    last_real_write_ms_ = now_ms;
    for (const SharedPulledBinlog& written : round.writes) CountEventsLocked(written);
    round.writes.clear();
  }
  synced_ts_ = round.position;
  return Status::Ok();
}

// binlog_drainer_event by row change (Insert / Update / Delete) and DDL, and
// binlog_drainer_ddl_jobs_total. The destination stores binlogs as they are, so a
// prewrite value that does not decode only costs its event counts (and is counted as an
// unmarshal error), it does not stop the drainer.
void DrainerNode::CountEventsLocked(const SharedPulledBinlog& binlog) {
  if (binlog.ddl_job_id() > 0) {
    metrics_.ddl_jobs_total().Increment();
    metrics_.event(drainer_metric_label::kEventDdl).Increment();
    return;
  }
  // The plain values TiDB writes are scanned in place; anything else is decoded, which
  // gives the same counts or the error (row_events.h).
  if (ScanRowEvents(binlog.prewrite_value(), &row_event_scan_)) {
    CountRowEventsLocked(row_event_scan_.schema_version, row_event_scan_.row_types);
  } else {
    CountDecodedEventsLocked(binlog);
  }
  // Cleared scratch keeps its memory: after a large value, let it go.
  if (binlog.prewrite_value().size() > kEventScratchBytesMax) {
    event_scratch_ = {};
    row_event_scan_ = {};
  }
}

void DrainerNode::CountDecodedEventsLocked(const SharedPulledBinlog& binlog) {
  // Decoded into a member that is reused, so a binlog's rows cost no allocations here.
  binlog::PrewriteValue* value = &event_scratch_;
  Status decoded = DecodePrewriteValueInto(binlog.prewrite_value(), value);
  if (!decoded.ok()) {
    metrics_.error_count(drainer_metric_label::kErrorUnmarshalBinlog).Increment();
    spdlog::error("unmarshal prewrite value of binlog {} failed: {}", binlog.commit_ts(),
                  decoded.message());
    event_scratch_ = {};  // whatever was parsed before the error
    return;
  }
  std::vector<int32_t>& types = row_event_scan_.row_types;
  types.clear();
  for (const binlog::TableMutation& mutation : value->mutations()) {
    types.insert(types.end(), mutation.sequence().begin(), mutation.sequence().end());
  }
  CountRowEventsLocked(value->schema_version(), types);
}

void DrainerNode::CountRowEventsLocked(int64_t schema_version,
                                       std::span<const int32_t> row_types) {
  // The checkpoint's schema-version: the highest schema version the synced rows were
  // written under (upstream takes it from the DDL jobs it fetches from TiKV).
  schema_version_ = std::max(schema_version_, schema_version);
  for (int32_t type : row_types) RowEventCounterLocked(type).Increment();
}

// binlog_drainer_event{type} of a row change, looked up at its first use and kept (lazy as
// the family: a type shows in /metrics once counted), so counting a row does not build a
// label and search the family.
prometheus::Counter& DrainerNode::RowEventCounterLocked(int mutation_type) {
  const char* label = EventLabel(static_cast<binlog::MutationType>(mutation_type));
  for (auto& [cached_label, counter] : row_event_counters_) {
    if (cached_label == label) return *counter;
  }
  prometheus::Counter& counter = metrics_.event(label);
  row_event_counters_.emplace_back(label, &counter);
  return counter;
}

Status DrainerNode::SaveCheckpointLocked(int64_t ts, bool consistent, int64_t now_ms) {
  Status saved = checkpoint_.Save(ts, consistent, schema_version_);
  if (!saved.ok()) return saved.Annotate("save checkpoint failed");
  last_save_ms_ = now_ms;
  metrics_.checkpoint_tso().Set(static_cast<double>(ExtractPhysical(ts)));
  metrics_.checkpoint_delay_seconds().Observe(SecondsSinceTs(ts, now_ms));
  metrics_.event(drainer_metric_label::kEventSavepoint).Increment();
  return Status::Ok();
}

Status DrainerNode::MaybeSaveCheckpointLocked(int64_t now_ms, bool force) {
  if (synced_ts_ <= checkpoint_.ts()) return Status::Ok();
  if (!force && now_ms - last_save_ms_ < options_.checkpoint_save_interval_ms) {
    return Status::Ok();
  }
  return SaveCheckpointLocked(synced_ts_, false, now_ms);
}

void DrainerNode::UpdateQueueMetricLocked() {
  // The syncer's input queue here is what waits in the merge: buffered plus pending.
  const size_t waiting = MergerBufferedItemsLocked() + pending_items_;
  // Looked up once (at the first update, as the lazy family wants) and kept: this runs
  // after every pull.
  if (syncer_input_queue_ == nullptr) {
    syncer_input_queue_ = &metrics_.queue_size(drainer_metric_label::kQueueSyncerInput);
  }
  syncer_input_queue_->Set(static_cast<double>(waiting));
}

// What the merger holds: everything pushed minus what it emitted, dropped or discarded.
size_t DrainerNode::MergerBufferedItemsLocked() const {
  const MergerStats& stats = merger_->stats();
  return static_cast<size_t>(merger_pushed_items_ - stats.emitted - stats.duplicates -
                             stats.disorder - stats.discarded_on_remove);
}

std::string DrainerNode::ExposeMetrics() {
  {
    std::lock_guard lock(mu_);
    if (started_) UpdateQueueMetricLocked();
  }
  return metrics_.Expose();
}

// ---- state changes and shutdown ----

void DrainerNode::SetStateLocked(NodeState next) {
  BINLOG_ASSERT(IsLegalTransition(NodeKind::kDrainer, state_, next));
  spdlog::info("drainer's state change from {} to {}", NodeStateName(state_),
               NodeStateName(next));
  state_ = next;
}

DrainerActionResult DrainerNode::ApplyAction(std::string_view node_id, std::string_view action) {
  std::lock_guard lock(mu_);
  NodeActionDecision decision =
      DecideNodeAction(NodeKind::kDrainer, options_.node_id, state_, node_id, action);
  if (!decision.next.has_value()) return {false, std::move(decision.message)};
  SetStateLocked(*decision.next);
  // A signal or a fatal error may have begun the sequence already; its final step reads
  // the state then.
  if (phase_ == Phase::kNone) BeginShutdownLocked();
  CheckInvariantsLocked();
  return {true, std::move(decision.message)};
}

void DrainerNode::Shutdown(int64_t now_ms) {
  std::lock_guard lock(mu_);
  last_now_ms_ = std::max(last_now_ms_, now_ms);
  if (phase_ != Phase::kNone) return;
  BeginShutdownLocked();
  CheckInvariantsLocked();
}

void DrainerNode::FailLocked(const Status& error) {
  spdlog::error("drainer stops on a fatal error: {}", error.message());
  if (fatal_error_.ok()) fatal_error_ = error;
  if (phase_ == Phase::kNone) BeginShutdownLocked();
}

// Upstream Close() runs as its own step: the work stops being scheduled now, the final
// record is written at the next OnTimer.
void DrainerNode::BeginShutdownLocked() {
  phase_ = Phase::kShuttingDown;
  heartbeat_due_ms_ = kNoTimerMs;
  refresh_due_ms_ = kNoTimerMs;
  shutdown_due_ms_ = last_now_ms_;
}

// Upstream commitStatus, then the syncer's clean exit: online/pausing -> paused, closing ->
// offline, written first (so an offline drainer stops counting for pumps at once), then the
// final checkpoint, consistent unless a fatal error stopped the node. Failures are logged;
// the node stops either way.
void DrainerNode::FinishLocked() {
  SetStateLocked(state_ == NodeState::kClosing ? NodeState::kOffline : NodeState::kPaused);
  if (started_) {
    Status updated = registry_.UpdateNode(NodeKind::kDrainer, RecordLocked());
    if (!updated.ok()) spdlog::error("update drainer state failed: {}", updated.message());
    Status saved = SaveCheckpointLocked(synced_ts_, fatal_error_.ok(), last_now_ms_);
    if (!saved.ok()) spdlog::error("{}", saved.message());
  }
  phase_ = Phase::kStopped;
  shutdown_due_ms_ = kNoTimerMs;
  for (auto& [id, pump] : pumps_) {
    pump.in_flight.reset();
    ReindexPullLocked(id, pump);
  }
  in_flight_pumps_.clear();
  if (started_) CheckPumpInvariantsLocked();
  spdlog::info("drainer {} stopped, state {}", options_.node_id, NodeStateName(state_));
}

// ---- invariants ----

void DrainerNode::CheckInvariants() const {
  std::lock_guard lock(mu_);
  CheckInvariantsLocked();
}

void DrainerNode::CheckInvariantsLocked() const {
  BINLOG_ASSERT(fatal_error_.ok() || phase_ != Phase::kNone);
  if (started_) {
    BINLOG_ASSERT(merger_.has_value() && anchor_ts_ > 0);
    // The checkpoint never passes what the destination holds; the destination never holds
    // what the merge has not emitted.
    BINLOG_ASSERT(checkpoint_.ts() <= synced_ts_ && synced_ts_ <= merger_->latest_ts());
    // O(1) here; the per-pump cross-checks run where the pump set changes.
    BINLOG_ASSERT(in_flight_pumps_.size() <= pumps_.size());
    BINLOG_ASSERT(pumps_with_pending_.size() <= pumps_.size());
    BINLOG_ASSERT(in_flight_pumps_.empty() || in_flight_pumps_.rbegin()->first < next_request_id_);
  }
  switch (phase_) {
    case Phase::kNone:
      BINLOG_ASSERT(state_ == NodeState::kOnline);
      BINLOG_ASSERT(shutdown_due_ms_ == kNoTimerMs);
      BINLOG_ASSERT(started_ == (heartbeat_due_ms_ != kNoTimerMs));
      BINLOG_ASSERT(started_ == (refresh_due_ms_ != kNoTimerMs));
      BINLOG_ASSERT(heartbeat_failures_ < kDrainerHeartbeatFailuresMax);
      return;
    case Phase::kShuttingDown:
      BINLOG_ASSERT(state_ == NodeState::kOnline || state_ == NodeState::kPausing ||
                    state_ == NodeState::kClosing);
      BINLOG_ASSERT(shutdown_due_ms_ != kNoTimerMs);
      break;
    case Phase::kStopped:
      BINLOG_ASSERT(state_ == NodeState::kPaused || state_ == NodeState::kOffline);
      BINLOG_ASSERT(shutdown_due_ms_ == kNoTimerMs);
      BINLOG_ASSERT(in_flight_pumps_.empty());
      break;
  }
  BINLOG_ASSERT(heartbeat_due_ms_ == kNoTimerMs && refresh_due_ms_ == kNoTimerMs);
}

// The tracked pumps against the merger's sources and the indexes over pumps_ (O(pumps)).
void DrainerNode::CheckPumpInvariantsLocked() const {
  BINLOG_ASSERT(merger_->SourceIds().size() == pumps_.size());
  size_t in_flight = 0, with_pending = 0, pending = 0, buffered = 0, indexed = 0;
  for (const auto& [id, pump] : pumps_) {
    BINLOG_ASSERT(merger_->HasSource(id));
    buffered += merger_->buffered_items(id);
    pending += pump.pending.size();
    if (!pump.pending.empty()) {
      ++with_pending;
      BINLOG_ASSERT(pumps_with_pending_.count(id) == 1);
    }
    const bool waiting = !pump.paused && !pump.in_flight.has_value() && pump.pending.empty();
    BINLOG_ASSERT(waiting == pump.indexed_pull_ms.has_value());
    if (waiting) {
      ++indexed;
      BINLOG_ASSERT(*pump.indexed_pull_ms == pump.next_pull_ms &&
                    pull_index_.count({pump.next_pull_ms, id}) == 1);
    }
    if (pump.in_flight.has_value()) {
      ++in_flight;
      BINLOG_ASSERT(*pump.in_flight < next_request_id_);
      auto indexed = in_flight_pumps_.find(*pump.in_flight);
      BINLOG_ASSERT(indexed != in_flight_pumps_.end() && indexed->second == id);
    }
  }
  BINLOG_ASSERT(in_flight == in_flight_pumps_.size() && indexed == pull_index_.size());
  BINLOG_ASSERT(with_pending == pumps_with_pending_.size());
  BINLOG_ASSERT(pending == pending_items_ && buffered == MergerBufferedItemsLocked());
}

}  // namespace tidb_binlog
