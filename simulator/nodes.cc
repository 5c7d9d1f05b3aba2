// World: pump and drainer processes (start, crash, timers, pulls) and the endpoint checks.
#include <algorithm>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "reference/core/binlog_codec.h"
#include "reference/drainer/drainer_http.h"
#include "reference/pump/pump_http.h"
#include "simulator/world.h"

namespace tidb_binlog::sim {

// ---------------------------------------------------------------------------- pumps

void World::StartPump(int i) {
  SimPump& pump = pumps_[i];
  auto store = MemoryBinlogStore::Open(pump.disk);
  BINLOG_ASSERT(store.ok());
  pump.store = std::move(store).value();
  MetricsOptions metrics_options;
  metrics_options.process_metrics = false;
  pump.metrics = std::make_unique<PumpMetrics>(metrics_options);
  PumpOptions options;
  options.node_id = pump.id;
  options.advertise_addr = pump.host;
  options.cluster_id = kSimClusterId;
  options.gc_retention_ms =
      profile_.gc_retention_ms > 0 ? profile_.gc_retention_ms : config_.gc_retention_ms;
  pump.node = std::make_unique<PumpNode>(options, *pump.store, registry_, tso_, *pump.metrics);
  pump.router = std::make_unique<Router>(MakePumpRouter(*pump.node));
  ++pump.incarnation;
  pump.detect_due_local_ms = kNoTimerMs;
  Status started = pump.node->Start(pump.clock.Now(now_ms_));
  Record(Kind::kRestart, PumpEndpoint(i), 0, static_cast<int64_t>(started.code()));
  if (!started.ok()) {  // the registry refused: the process exits; try again later
    pump.node.reset();
    pump.router.reset();
    pump.store->Crash();
    pump.store.reset();
    queue_.Push(now_ms_ + Downtime(), kEvRestart, PumpEndpoint(i), 0);
    return;
  }
  pump.up = true;
  ++result_.restarts;
  pump.gc_ts_seen = pump.store->GcTS();
  checker_.OnPumpGc(i, pump.gc_ts_seen);
  if (pump.node->Started()) OnPumpStartComplete(i);
  CheckAckedDurable(i);
  AfterPumpCall(i);
}

// The node's background loops began (at Start, or once its Notify round succeeded).
void World::OnPumpStartComplete(int i) {
  SimPump& pump = pumps_[i];
  pump.detect_due_local_ms =
      pump.clock.Now(now_ms_) + kDetectDrainerCheckpointIntervalMilliseconds;
}

// A pump never loses a write it acknowledged, even across a crash: after every (re)start,
// each acknowledged Commit above the GC deletion bound must still be there.
void World::CheckAckedDurable(int i) {
  SimPump& pump = pumps_[i];
  const int64_t gc_ts = pump.store->GcTS();
  const int64_t deleted_bound =
      gc_ts == 0 ? 0 : EncodeTso(std::max<int64_t>(0, ExtractPhysical(gc_ts) - kGcMarginMilliseconds));
  for (int64_t commit_ts : acked_commits_by_pump_[i]) {
    if (commit_ts <= deleted_bound) continue;
    if (!pump.store->Lookup(commit_ts).ok()) {
      checker_.Fail(now_ms_, "acked-durable",
                    pump.id + " lost acknowledged commit ts " + std::to_string(commit_ts));
      return;
    }
  }
}

// Upstream's GC rule (UPSTREAM.md §7.6): a GC is ignored unless gc_ts < ts < MaxCommitTS,
// and deletes only keys at or below ts - 10 min, so every acknowledged commit above that
// bound (and the Prewrite of every commit above ts) is still there.
void World::CheckGc(int i, int64_t previous_gc_ts) {
  SimPump& pump = pumps_[i];
  const int64_t gc_ts = pump.store->GcTS();
  pump.gc_ts_seen = gc_ts;
  checker_.OnPumpGc(i, gc_ts);
  ++result_.gc_runs_checked;
  const std::string where = pump.id + " gc_ts " + std::to_string(gc_ts);
  if (gc_ts <= previous_gc_ts) {
    checker_.Fail(now_ms_, "gc-rule", where + " is not above the previous " +
                                          std::to_string(previous_gc_ts));
  }
  if (gc_ts >= pump.store->MaxCommitTS()) {
    checker_.Fail(now_ms_, "gc-rule", where + " is not below MaxCommitTS " +
                                          std::to_string(pump.store->MaxCommitTS()));
  }
  const int64_t kept_above =
      EncodeTso(std::max<int64_t>(0, ExtractPhysical(gc_ts) - kGcMarginMilliseconds));
  for (int64_t commit_ts : acked_commits_by_pump_[i]) {
    if (commit_ts <= kept_above) continue;
    const int64_t start_ts = checker_.StartTsOf(commit_ts);
    const bool commit_gone = !pump.store->Lookup(commit_ts).ok();
    const bool prewrite_gone = commit_ts > gc_ts && !pump.store->Lookup(start_ts).ok();
    if (commit_gone || prewrite_gone) {
      checker_.Fail(now_ms_, "gc-rule",
                    where + " deleted the " + (commit_gone ? "commit" : "prewrite") +
                        " of commit ts " + std::to_string(commit_ts) +
                        ", above gc_ts - 10 min");
      return;
    }
  }
}

// A stopped pump's final registry record (upstream registerNode(state, 0), updateTS 0)
// carries the state it stopped in. A failed final write leaves an older record (updateTS
// != 0), which says nothing about the final state.
void World::CheckFinalRecord(int i, NodeState final_state) {
  Result<NodeStatus> record = registry_.GetNode(NodeKind::kPump, pumps_[i].id);
  if (!record.ok() || record->update_ts != 0) return;
  if (record->state != final_state) {
    checker_.Fail(now_ms_, "final-record",
                  pumps_[i].id + " stopped " + NodeStateName(final_state) +
                      " but its final registry record says " + NodeStateName(record->state));
  }
}

// binlog_pump_detected_drainer_binlog_purge_count per drainer, before a warning check.
std::vector<double> World::PurgeWarningCounts(int i) {
  std::vector<double> counts;
  for (const SimDrainer& drainer : drainers_) {
    counts.push_back(pumps_[i].metrics->detected_drainer_binlog_purge_count(drainer.id).Value());
  }
  return counts;
}

// The purge warning (UPSTREAM.md §7.6) fires for exactly the drainers that are not offline
// and whose checkpoint (registry maxCommitTS) is below gc_ts + 20 h. Registry faults may
// make the node skip a check, so with them on only "fires only when it may" is checked.
void World::CheckPurgeWarnings(int i, const std::vector<double>& counts_before) {
  SimPump& pump = pumps_[i];
  if (!pump.up) return;
  auto records = registry_.ListNodes(NodeKind::kDrainer);
  if (!records.ok()) return;
  const int64_t alert_ts = pump.store->GcTS() + EncodeTso(kEarlyAlertGcMilliseconds);
  ++result_.purge_warning_checks;
  for (size_t d = 0; d < drainers_.size(); ++d) {
    bool must_fire = false;
    for (const NodeStatus& record : records.value()) {
      if (record.node_id != drainers_[d].id) continue;
      must_fire = record.state != NodeState::kOffline && record.max_commit_ts < alert_ts;
    }
    const bool fired =
        pump.metrics->detected_drainer_binlog_purge_count(drainers_[d].id).Value() >
        counts_before[d];
    if (fired && !must_fire) {
      checker_.Fail(now_ms_, "purge-warning",
                    pump.id + " warned about " + drainers_[d].id + " without cause");
    } else if (!fired && must_fire && profile_.registry_fail_ppm == 0) {
      checker_.Fail(now_ms_, "purge-warning",
                    pump.id + " did not warn that " + drainers_[d].id +
                        "'s checkpoint is older than gc_ts + 20 h");
    }
  }
}

void World::CrashPump(int i) {
  SimPump& pump = pumps_[i];
  if (!pump.up) return;
  Record(Kind::kCrash, PumpEndpoint(i));
  pump.router.reset();
  pump.node.reset();
  pump.store->Crash();
  pump.store.reset();
  pump.up = false;
  ++pump.timer_generation;
  ++result_.crashes;
}

void World::AfterPumpCall(int i) {
  SimPump& pump = pumps_[i];
  pump.node->CheckInvariants();
  const MemoryBinlogStore::Watermarks watermarks = pump.store->ReadWatermarks();
  checker_.ObservePumpMaxCommitTs(i, watermarks.max_commit_ts, now_ms_);
  if (watermarks.gc_ts != pump.gc_ts_seen) CheckGc(i, pump.gc_ts_seen);
  if (pump.node->Stopped()) {
    // The process exits after its final registry write; its owner closes the store.
    NodeState final_state = pump.node->state();
    const bool start_failed = !pump.node->FatalError().ok();
    CheckFinalRecord(i, final_state);
    Status closed = pump.store->Close();
    BINLOG_ASSERT(closed.ok());
    pump.router.reset();
    pump.node.reset();
    pump.store.reset();
    pump.up = false;
    ++pump.timer_generation;
    ObserveNodeStates();
    // A failed start-up Notify left `offline` too, but the operator starts the pump again
    // (upstream's advice: fix the drainer records, restart the pump).
    if (final_state == NodeState::kOffline && !start_failed) {
      pump.decommissioned = true;
    } else {
      queue_.Push(now_ms_ + Downtime(), kEvRestart, PumpEndpoint(i), 0);
    }
    return;
  }
  SendNotifies(i);
  SchedulePumpTimer(i);
}

// A starting pump's Notify calls, to the drainers' endpoints (their Cistern service).
void World::SendNotifies(int i) {
  SimPump& pump = pumps_[i];
  for (const NotifyRequest& request : pump.node->TakeNotifyRequests()) {
    auto found = drainer_index_.find(request.drainer_node_id);
    BINLOG_ASSERT(found != drainer_index_.end());
    Message message;
    message.kind = MessageKind::kNotifyRequest;
    message.from = PumpEndpoint(i);
    message.to = DrainerEndpoint(found->second);
    message.incarnation = pump.incarnation;
    message.notify_id = request.id;
    Send(std::move(message));
  }
}

void World::SchedulePumpTimer(int i) {
  SimPump& pump = pumps_[i];
  int64_t local_due = pump.node->NextTimerMs();
  if (local_due == pump.timer_due_ms) return;
  pump.timer_due_ms = local_due;
  if (local_due == kNoTimerMs) return;
  // Local due time -> global: the node's clock runs skew_ms ahead of global time.
  int64_t global_due = std::max(now_ms_, local_due - pump.clock.skew_ms);
  queue_.Push(global_due, kEvNodeTimer, PumpEndpoint(i), ++pump.timer_generation);
}

void World::OnPumpTimer(int i, uint64_t generation) {
  SimPump& pump = pumps_[i];
  if (!pump.up || generation != pump.timer_generation) return;
  pump.timer_due_ms = kNoTimerMs;
  int64_t local = pump.clock.Now(now_ms_);
  if (local < pump.node->NextTimerMs()) {  // the clock stalled after a backward jump
    SchedulePumpTimer(i);
    return;
  }
  // The node's drainer-checkpoint warning runs on this call (a ticker started at Start).
  const bool detect = !pump.node->ShuttingDown() && local >= pump.detect_due_local_ms;
  std::vector<double> purge_counts;
  if (detect) purge_counts = PurgeWarningCounts(i);
  pump.node->OnTimer(local);
  Record(Kind::kPumpTimer, PumpEndpoint(i), local, pump.store->MaxCommitTS());
  if (detect) {
    CheckPurgeWarnings(i, purge_counts);
    const int64_t periods =
        (local - pump.detect_due_local_ms) / kDetectDrainerCheckpointIntervalMilliseconds;
    pump.detect_due_local_ms += (periods + 1) * kDetectDrainerCheckpointIntervalMilliseconds;
  }
  AfterPumpCall(i);
}

// ---------------------------------------------------------------------------- drainers

void World::StartDrainer(int i) {
  SimDrainer& drainer = drainers_[i];
  drainer.destination->Restart();
  DrainerOptions options;
  options.node_id = drainer.id;
  options.advertise_addr = "drainer-" + std::to_string(i) + ".sim:8249";
  if (config_.pull_poll_delay_ms > 0) options.pull_poll_delay_ms = config_.pull_poll_delay_ms;
  drainer.checkpoint =
      std::make_unique<MemoryCheckpoint>(drainer.checkpoint_file, options.initial_commit_ts);
  MetricsOptions metrics_options;
  metrics_options.process_metrics = false;
  drainer.metrics = std::make_unique<DrainerMetrics>(metrics_options);
  drainer.node = std::make_unique<DrainerNode>(options, registry_, tso_, *drainer.checkpoint,
                                               *drainer.destination, *drainer.metrics);
  SimDrainer* self = &drainer;
  World* world = this;
  drainer.router = std::make_unique<Router>(MakeDrainerRouter(
      *drainer.node, [world, self] { return self->clock.Now(world->now_ms_); }));
  ++drainer.incarnation;
  Status started = drainer.node->Start(drainer.clock.Now(now_ms_));
  Record(Kind::kRestart, DrainerEndpoint(i), 1, static_cast<int64_t>(started.code()));
  if (!started.ok()) {
    drainer.router.reset();
    drainer.node.reset();
    queue_.Push(now_ms_ + Downtime(), kEvRestart, DrainerEndpoint(i), 0);
    return;
  }
  drainer.up = true;
  ++result_.restarts;
  checker_.OnDrainerStart(i, drainer.node->CheckpointTs());
  AfterDrainerCall(i);
}

void World::CrashDrainer(int i) {
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up) return;
  Record(Kind::kCrash, DrainerEndpoint(i));
  drainer.router.reset();
  drainer.node.reset();
  drainer.up = false;
  ++drainer.timer_generation;
  ++result_.crashes;
}

void World::AfterDrainerCall(int i) {
  SimDrainer& drainer = drainers_[i];
  drainer.node->CheckInvariants();
  checker_.ObserveDestination(i, drainer.destination->binlogs(), now_ms_);
  checker_.ObserveCheckpoint(i, drainer.checkpoint->ts(), now_ms_);
  if (drainer.node->Stopped()) {
    NodeState final_state = drainer.node->state();
    drainer.router.reset();
    drainer.node.reset();
    drainer.up = false;
    ++drainer.timer_generation;
    ObserveNodeStates();
    // A drainer stopped by pause, close or a fatal error is started again by its operator.
    if (final_state != NodeState::kOffline) {
      queue_.Push(now_ms_ + Downtime(), kEvRestart, DrainerEndpoint(i), 0);
    }
    return;
  }
  SendPulls(i);
  ScheduleDrainerTimer(i);
}

void World::ScheduleDrainerTimer(int i) {
  SimDrainer& drainer = drainers_[i];
  int64_t local_due = drainer.node->NextTimerMs();
  if (local_due == drainer.timer_due_ms) return;
  drainer.timer_due_ms = local_due;
  if (local_due == kNoTimerMs) return;
  int64_t global_due = std::max(now_ms_, local_due - drainer.clock.skew_ms);
  queue_.Push(global_due, kEvNodeTimer, DrainerEndpoint(i), ++drainer.timer_generation);
}

void World::OnDrainerTimer(int i, uint64_t generation) {
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up || generation != drainer.timer_generation) return;
  drainer.timer_due_ms = kNoTimerMs;
  int64_t local = drainer.clock.Now(now_ms_);
  if (local < drainer.node->NextTimerMs()) {
    ScheduleDrainerTimer(i);
    return;
  }
  drainer.node->OnTimer(local);
  Record(Kind::kDrainerTimer, DrainerEndpoint(i), local, drainer.node->CheckpointTs());
  AfterDrainerCall(i);
}

void World::SendPulls(int i) {
  SimDrainer& drainer = drainers_[i];
  for (PullRequest& request : drainer.node->TakePullRequests()) {
    auto found = pump_index_.find(request.pump_node_id);
    BINLOG_ASSERT(found != pump_index_.end());
    const int pump = found->second;
    Message message;
    message.kind = MessageKind::kPullRequest;
    message.from = DrainerEndpoint(i);
    message.to = PumpEndpoint(pump);
    message.incarnation = drainer.incarnation;
    message.pull = SimPull{request.id, request.after_ts, request.limit_count, request.limit_bytes};
    message.request_id = next_message_id_;  // Send assigns this id; the answer names it
    uint64_t pull_id = message.pull.id;
    uint64_t id = Send(std::move(message));
    pending_pulls_[id] = PendingPull{drainer.incarnation, pull_id};
    queue_.Push(now_ms_ + kPullTimeoutMs, kEvPullTimeout, static_cast<uint32_t>(i), id);
  }
}

void World::OnRestart(uint32_t endpoint) {
  if (endpoint < static_cast<uint32_t>(config_.pumps)) {
    int i = static_cast<int>(endpoint);
    if (!pumps_[i].up && !pumps_[i].decommissioned) StartPump(i);
  } else {
    int i = static_cast<int>(endpoint) - config_.pumps;
    if (!drainers_[i].up) StartDrainer(i);
  }
}

// Legal transitions, as the registry shows them (what operators and drainers see).
void World::ObserveNodeStates() {
  for (NodeKind kind : {NodeKind::kPump, NodeKind::kDrainer}) {
    auto nodes = registry_.ListNodes(kind);
    if (!nodes.ok()) continue;  // an injected registry fault: look again next time
    for (const NodeStatus& node : nodes.value()) {
      checker_.ObserveNodeState(kind, node.node_id, node.state, now_ms_);
    }
  }
}

// Endpoint consistency (issue 4 §3): pump /status and /drainers against the registry,
// drainer /status LastTS against /commit_ts, all called in-process through the routers. Up
// to kEndpointCheckNodesMax nodes of each kind per check, in turns; the check stops at the
// first failure (Check*Endpoints return false).
void World::CheckEndpoints() {
  auto pump_records = registry_.ListNodes(NodeKind::kPump);
  auto drainer_records = registry_.ListNodes(NodeKind::kDrainer);
  if (!pump_records.ok() || !drainer_records.ok()) return;
  const int pumps = std::min(config_.pumps, kEndpointCheckNodesMax);
  for (int k = 0; k < pumps; ++k) {
    const int i = (endpoint_pump_cursor_ + k) % config_.pumps;
    if (!CheckPumpEndpoints(i, pump_records.value(), drainer_records.value().size())) return;
  }
  endpoint_pump_cursor_ = (endpoint_pump_cursor_ + pumps) % config_.pumps;
  if (config_.drainers == 0) return;
  const int drainers = std::min(config_.drainers, kEndpointCheckNodesMax);
  for (int k = 0; k < drainers; ++k) {
    if (!CheckDrainerEndpoints((endpoint_drainer_cursor_ + k) % config_.drainers)) return;
  }
  endpoint_drainer_cursor_ = (endpoint_drainer_cursor_ + drainers) % config_.drainers;
}

bool World::CheckPumpEndpoints(int i, const std::vector<NodeStatus>& pump_records,
                               size_t drainer_records) {
  SimPump& pump = pumps_[i];
  if (!pump.up || pump.node->ShuttingDown()) return true;
  Record(Kind::kEndpointCheck, PumpEndpoint(i));
  HttpResponse status = pump.router->Route(MakeRequest(boost::beast::http::verb::get, "/status"));
  std::optional<boost::json::value> body = ParseBody(status);
  if (!body || !body->is_object() || !body->as_object().contains("status")) {
    checker_.Fail(now_ms_, "endpoint-consistency", pump.id + " /status: " + status.body());
    return false;
  }
  const boost::json::value& map = body->as_object().at("status");
  if (map.is_null()) return true;  // the registry or TSO failed for this request
  for (const NodeStatus& record : pump_records) {
    const boost::json::object& by_id = map.as_object();
    auto it = by_id.find(record.node_id);
    if (it == by_id.end() ||
        it->value().as_object().at("state").as_string() != NodeStateName(record.state)) {
      checker_.Fail(now_ms_, "endpoint-consistency",
                    pump.id + " /status disagrees with the registry about " + record.node_id);
    }
  }
  HttpResponse drainers =
      pump.router->Route(MakeRequest(boost::beast::http::verb::get, "/drainers"));
  std::optional<boost::json::value> list = ParseBody(drainers);
  if (!list) {
    checker_.Fail(now_ms_, "endpoint-consistency", pump.id + " /drainers: " + drainers.body());
    return false;
  }
  size_t listed = list->is_array() ? list->as_array().size() : 0;
  if (listed != drainer_records && !list->is_null()) {
    checker_.Fail(now_ms_, "endpoint-consistency",
                  pump.id + " /drainers lists " + std::to_string(listed) + " drainers, " +
                      "the registry " + std::to_string(drainer_records));
  }
  return true;
}

bool World::CheckDrainerEndpoints(int i) {
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up) return true;
  Record(Kind::kEndpointCheck, DrainerEndpoint(i));
  HttpResponse status =
      drainer.router->Route(MakeRequest(boost::beast::http::verb::get, "/status"));
  HttpResponse commit =
      drainer.router->Route(MakeRequest(boost::beast::http::verb::get, "/commit_ts"));
  std::optional<boost::json::value> s = ParseBody(status);
  std::optional<boost::json::value> c = ParseBody(commit);
  if (!s || !c) {
    checker_.Fail(now_ms_, "endpoint-consistency",
                  drainer.id + " /status or /commit_ts is not JSON: " + status.body() + " | " +
                      commit.body());
    return false;
  }
  if (s->as_object().at("PumpPos").is_null()) return true;  // no refresh yet: LastTS is 0
  int64_t last_ts = s->as_object().at("LastTS").to_number<int64_t>();
  int64_t commit_ts = c->as_object().at("data").as_object().at("ts").to_number<int64_t>();
  if (last_ts != commit_ts) {
    checker_.Fail(now_ms_, "endpoint-consistency",
                  drainer.id + " /status LastTS " + std::to_string(last_ts) + " != /commit_ts " +
                      std::to_string(commit_ts));
  }
  return true;
}

}  // namespace tidb_binlog::sim
