#include "simulator/simulation.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "reference/core/binlog_codec.h"
#include "reference/drainer/drainer_http.h"
#include "reference/pump/pump_http.h"
#include "simulator/world.h"

namespace tidb_binlog::sim {
namespace {

using Kind = TraceKind;

HttpRequest MakeRequest(boost::beast::http::verb verb, std::string target) {
  HttpRequest request{verb, target, 11};
  request.set(boost::beast::http::field::host, "sim");  // HTTP/1.1 requires one, as Go does
  return request;
}

// The body as JSON, or nullopt when it is not JSON (the caller reports that).
std::optional<boost::json::value> ParseBody(const HttpResponse& response) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(response.body(), error);
  if (error) return std::nullopt;
  return value;
}

// Drives every node, writer and fault of one run (see simulation.h).
class World {
 public:
  World(const SimConfig& config, const FaultProfile& profile, const RunOptions& options);
  SimResult Run();

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
  void StartDrainer(int i);
  void CrashDrainer(int i);
  void AfterPumpCall(int i);
  void AfterDrainerCall(int i);
  void SchedulePumpTimer(int i);
  void ScheduleDrainerTimer(int i);
  void OnPumpTimer(int i, uint64_t generation);
  void OnDrainerTimer(int i, uint64_t generation);
  void SendPulls(int i);
  void ObserveNodeStates();
  void CheckEndpoints();
  void OnRestart(uint32_t endpoint);

  // --- network ---
  uint64_t Send(Message message);
  void OnDeliver(uint64_t message_id);
  void DeliverWriteRequest(const Message& message);
  void DeliverWriteResponse(const Message& message);
  void DeliverPullRequest(const Message& message);
  void DeliverPullResponse(const Message& message);
  void OnPullTimeout(int drainer, uint64_t request_message_id);

  // --- writers ---
  void WakeWriterAt(int w, int64_t at_ms);
  void OnWriterWake(int w, uint64_t generation);
  void WriterStep(int w);
  void BeginTransaction(int w);
  bool SendPrewrite(int w);
  void SendFinish(int w);
  void SendCleanup(int w);
  void SendWrite(int w, uint32_t pump, const binlog::Binlog& binlog);
  void OnWriteAnswer(int w, const Status& status);
  std::vector<uint32_t> OnlinePumps() const;
  binlog::Binlog MakePrewrite(int w, int64_t start_ts);

  // --- faults and phases ---
  void OnFaultTick();
  void MaybeCutLink();
  void MaybeNodeFaults();
  void MaybeStorageFaults();
  void StartLiveness();
  bool LivenessDone();
  int64_t Downtime() { return fault_rng_.Between(kDowntimeMinMs, kDowntimeMaxMs); }
  void History(const std::string& line);

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
  std::vector<SimDrainer> drainers_;
  std::vector<SimWriter> writers_;
  std::vector<std::vector<int64_t>> acked_commits_by_pump_;  // for the durability check
  std::map<uint64_t, Message> messages_;
  struct PendingPull {
    uint64_t incarnation;
    uint64_t pull_id;
  };
  std::map<uint64_t, PendingPull> pending_pulls_;  // by request message id
  uint64_t next_message_id_ = 1;
  bool liveness_ = false;
  bool stop_ = false;
  int64_t phase_end_ms_ = 0;
  int fault_ticks_ = 0;
  SimResult result_;
};

World::World(const SimConfig& config, const FaultProfile& profile, const RunOptions& options)
    : config_(config),
      profile_(profile),
      options_(options),
      trace_(options.trace_out, options.keep_events),
      checker_(config.drainers),
      tso_(&now_ms_),
      network_(MakeStream(config.seed, "network"), profile),
      fault_rng_(MakeStream(config.seed, "faults")) {
  Prng skew_rng = MakeStream(config.seed, "clock-skew");
  pumps_.resize(static_cast<size_t>(config.pumps));
  for (int i = 0; i < config.pumps; ++i) {
    SimPump& pump = pumps_[i];
    pump.id = "pump-" + std::to_string(i) + ":8250";
    pump.host = "pump-" + std::to_string(i) + ".sim:8250";
    pump.disk = std::make_shared<MemoryDisk>();
    pump.clock.skew_ms = profile.clock_skew_ms_max == 0
                             ? 0
                             : skew_rng.Between(-profile.clock_skew_ms_max,
                                                profile.clock_skew_ms_max);
  }
  drainers_.resize(static_cast<size_t>(config.drainers));
  for (int i = 0; i < config.drainers; ++i) {
    SimDrainer& drainer = drainers_[i];
    drainer.id = "drainer-" + std::to_string(i) + ":8249";
    drainer.checkpoint_file = std::make_shared<MemoryCheckpointFile>();
    drainer.destination = std::make_unique<MemoryDestination>();
    drainer.clock.skew_ms = profile.clock_skew_ms_max == 0
                                ? 0
                                : skew_rng.Between(-profile.clock_skew_ms_max,
                                                   profile.clock_skew_ms_max);
  }
  acked_commits_by_pump_.resize(static_cast<size_t>(config.pumps));
  for (int w = 0; w < config.writers; ++w) {
    writers_.emplace_back(MakeStream(config.seed, "writer/" + std::to_string(w)));
  }
}

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
  options.gc_retention_ms = config_.gc_retention_ms;
  pump.node = std::make_unique<PumpNode>(options, *pump.store, registry_, tso_, *pump.metrics);
  pump.router = std::make_unique<Router>(MakePumpRouter(*pump.node));
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
  CheckAckedDurable(i);
  AfterPumpCall(i);
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
  checker_.ObservePumpMaxCommitTs(i, pump.store->MaxCommitTS(), now_ms_);
  if (pump.node->Stopped()) {
    // The process exits after its final registry write; its owner closes the store.
    NodeState final_state = pump.node->state();
    Status closed = pump.store->Close();
    BINLOG_ASSERT(closed.ok());
    pump.router.reset();
    pump.node.reset();
    pump.store.reset();
    pump.up = false;
    ++pump.timer_generation;
    ObserveNodeStates();
    if (final_state == NodeState::kOffline) {
      pump.decommissioned = true;
    } else {
      queue_.Push(now_ms_ + Downtime(), kEvRestart, PumpEndpoint(i), 0);
    }
    return;
  }
  SchedulePumpTimer(i);
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
  pump.node->OnTimer(local);
  Record(Kind::kPumpTimer, PumpEndpoint(i), local, pump.store->MaxCommitTS());
  AfterPumpCall(i);
}

// ---------------------------------------------------------------------------- drainers

void World::StartDrainer(int i) {
  SimDrainer& drainer = drainers_[i];
  drainer.destination->Restart();
  DrainerOptions options;
  options.node_id = drainer.id;
  options.advertise_addr = "drainer-" + std::to_string(i) + ".sim:8249";
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
  if (local_due == kDrainerNoTimerMs) return;
  int64_t global_due = std::max(now_ms_, local_due - drainer.clock.skew_ms);
  queue_.Push(global_due, kEvNodeTimer, DrainerEndpoint(i), ++drainer.timer_generation);
}

void World::OnDrainerTimer(int i, uint64_t generation) {
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up || generation != drainer.timer_generation) return;
  drainer.timer_due_ms = kDrainerNoTimerMs;
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
    int pump = -1;
    for (int p = 0; p < config_.pumps; ++p) {
      if (pumps_[p].id == request.pump_node_id) pump = p;
    }
    BINLOG_ASSERT(pump >= 0);
    Message message;
    message.kind = MessageKind::kPullRequest;
    message.from = DrainerEndpoint(i);
    message.to = PumpEndpoint(pump);
    message.incarnation = drainer.incarnation;
    message.pull = std::move(request);
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
// drainer /status LastTS against /commit_ts, all called in-process through the routers.
void World::CheckEndpoints() {
  auto pump_records = registry_.ListNodes(NodeKind::kPump);
  auto drainer_records = registry_.ListNodes(NodeKind::kDrainer);
  if (!pump_records.ok() || !drainer_records.ok()) return;
  for (int i = 0; i < config_.pumps; ++i) {
    SimPump& pump = pumps_[i];
    if (!pump.up || pump.node->ShuttingDown()) continue;
    Record(Kind::kEndpointCheck, PumpEndpoint(i));
    HttpResponse status =
        pump.router->Route(MakeRequest(boost::beast::http::verb::get, "/status"));
    std::optional<boost::json::value> body = ParseBody(status);
    if (!body || !body->is_object() || !body->as_object().contains("status")) {
      checker_.Fail(now_ms_, "endpoint-consistency", pump.id + " /status: " + status.body());
      return;
    }
    const boost::json::value& map = body->as_object().at("status");
    if (map.is_null()) continue;  // the registry or TSO failed for this request
    for (const NodeStatus& record : pump_records.value()) {
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
      return;
    }
    size_t listed = list->is_array() ? list->as_array().size() : 0;
    if (listed != drainer_records.value().size() && !list->is_null()) {
      checker_.Fail(now_ms_, "endpoint-consistency",
                    pump.id + " /drainers lists " + std::to_string(listed) + " drainers, " +
                        "the registry " + std::to_string(drainer_records.value().size()));
    }
  }
  for (int i = 0; i < config_.drainers; ++i) {
    SimDrainer& drainer = drainers_[i];
    if (!drainer.up) continue;
    Record(Kind::kEndpointCheck, DrainerEndpoint(i));
    HttpResponse status =
        drainer.router->Route(MakeRequest(boost::beast::http::verb::get, "/status"));
    HttpResponse commit =
        drainer.router->Route(MakeRequest(boost::beast::http::verb::get, "/commit_ts"));
    std::optional<boost::json::value> s = ParseBody(status);
    std::optional<boost::json::value> c = ParseBody(commit);
    if (!s || !c) {
      checker_.Fail(now_ms_, "endpoint-consistency",
                    drainer.id + " /status or /commit_ts is not JSON: " + status.body() +
                        " | " + commit.body());
      return;
    }
    if (s->as_object().at("PumpPos").is_null()) continue;  // no refresh yet: LastTS is 0
    int64_t last_ts = s->as_object().at("LastTS").to_number<int64_t>();
    int64_t commit_ts = c->as_object().at("data").as_object().at("ts").to_number<int64_t>();
    if (last_ts != commit_ts) {
      checker_.Fail(now_ms_, "endpoint-consistency",
                    drainer.id + " /status LastTS " + std::to_string(last_ts) +
                        " != /commit_ts " + std::to_string(commit_ts));
    }
  }
}

// ---------------------------------------------------------------------------- network

uint64_t World::Send(Message message) {
  uint64_t id = next_message_id_++;
  // A write request is delivered at most once: a pump that got a Prewrite again after its
  // Commit would wait forever for a second Commit, which only upstream's TiKV resolver
  // (absent here) would settle. gRPC does not duplicate requests; client retries are
  // modelled by the writers themselves.
  Delivery delivery = network_.Send(message.from, message.to,
                                    message.kind != MessageKind::kWriteRequest);
  if (delivery.copies == 0) {
    Record(Kind::kMessageLost, message.from, message.to, delivery.cut ? 1 : 0);
    return id;
  }
  if (delivery.copies == 2) Record(Kind::kMessageDuplicated, message.from, message.to);
  message.copies_pending = delivery.copies;
  for (int copy = 0; copy < delivery.copies; ++copy) {
    queue_.Push(now_ms_ + delivery.delay_ms[copy], kEvDeliver, message.to, id);
  }
  messages_.emplace(id, std::move(message));
  return id;
}

void World::OnDeliver(uint64_t message_id) {
  auto it = messages_.find(message_id);
  BINLOG_ASSERT(it != messages_.end());
  const Message& message = it->second;
  switch (message.kind) {
    case MessageKind::kWriteRequest: DeliverWriteRequest(message); break;
    case MessageKind::kWriteResponse: DeliverWriteResponse(message); break;
    case MessageKind::kPullRequest: DeliverPullRequest(message); break;
    case MessageKind::kPullResponse: DeliverPullResponse(message); break;
  }
  it = messages_.find(message_id);  // handlers may have sent (and so inserted) messages
  if (--it->second.copies_pending == 0) messages_.erase(it);
}

void World::DeliverWriteRequest(const Message& message) {
  int i = static_cast<int>(message.to);
  SimPump& pump = pumps_[i];
  if (!pump.up) return;  // connection refused: the writer times out
  Status status = pump.node->WriteBinlog(message.write, pump.clock.Now(now_ms_));
  Record(Kind::kWriteDelivered, message.to, static_cast<int64_t>(message.request_id),
         static_cast<int64_t>(status.code()));
  Message answer;
  answer.kind = MessageKind::kWriteResponse;
  answer.from = message.to;
  answer.to = message.from;
  answer.request_id = message.request_id;
  answer.status = std::move(status);
  Send(std::move(answer));
  AfterPumpCall(i);
}

void World::DeliverWriteResponse(const Message& message) {
  int w = static_cast<int>(message.to) - config_.pumps - config_.drainers;
  SimWriter& writer = writers_[w];
  if (writer.outstanding != message.request_id) return;  // late or duplicate answer
  Record(Kind::kWriteAcked, message.to, writer.start_ts, static_cast<int64_t>(message.status.code()));
  OnWriteAnswer(w, message.status);
}

void World::DeliverPullRequest(const Message& message) {
  int i = static_cast<int>(message.to);
  SimPump& pump = pumps_[i];
  if (!pump.up) return;  // the drainer's pull times out
  binlog::PullBinlogReq request;
  request.set_clusterid(kSimClusterId);
  request.mutable_startfrom()->set_offset(message.pull.after_ts);
  Message answer;
  answer.kind = MessageKind::kPullResponse;
  answer.from = message.to;
  answer.to = message.from;
  answer.incarnation = message.incarnation;
  answer.pull = message.pull;
  answer.pull_result =
      pump.node->PullBinlogs(request, message.pull.limit_count, message.pull.limit_bytes);
  Record(Kind::kPullDelivered, message.to, message.pull.after_ts,
         answer.pull_result->ok() ? static_cast<int64_t>(answer.pull_result->value().binlogs.size())
                                  : -1);
  Send(std::move(answer));
}

void World::DeliverPullResponse(const Message& message) {
  int i = static_cast<int>(message.to) - config_.pumps;
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up || drainer.incarnation != message.incarnation) return;
  Record(Kind::kPullAnswered, message.to, static_cast<int64_t>(message.pull.id),
         message.pull_result->ok() ? 0 : static_cast<int64_t>(message.pull_result->status().code()));
  drainer.node->OnPullResponse(message.pull.id, *message.pull_result,
                               drainer.clock.Now(now_ms_));
  AfterDrainerCall(i);
}

// A pull that got no answer in time failed (what a gRPC deadline does). The node ignores
// an id it no longer waits for, so timing out a pull that was answered is harmless.
void World::OnPullTimeout(int i, uint64_t request_message_id) {
  auto it = pending_pulls_.find(request_message_id);
  BINLOG_ASSERT(it != pending_pulls_.end());
  PendingPull pending = it->second;
  pending_pulls_.erase(it);
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up || drainer.incarnation != pending.incarnation) return;
  drainer.node->OnPullResponse(pending.pull_id, Status::Unavailable("context deadline exceeded"),
                               drainer.clock.Now(now_ms_));
  AfterDrainerCall(i);
}

// ---------------------------------------------------------------------------- writers

std::vector<uint32_t> World::OnlinePumps() const {
  std::vector<uint32_t> online;
  auto records = const_cast<MemoryRegistry&>(registry_).ListNodes(NodeKind::kPump);
  if (!records.ok()) return online;
  for (int i = 0; i < config_.pumps; ++i) {
    for (const NodeStatus& record : records.value()) {
      if (record.node_id == pumps_[i].id && record.state == NodeState::kOnline) {
        online.push_back(PumpEndpoint(i));
      }
    }
  }
  return online;
}

binlog::Binlog World::MakePrewrite(int w, int64_t start_ts) {
  SimWriter& writer = writers_[w];
  binlog::Binlog b;
  b.set_tp(binlog::Prewrite);
  b.set_start_ts(start_ts);
  b.set_commit_ts(0);
  b.set_prewrite_key("t_" + std::to_string(w) + "_" + std::to_string(start_ts));
  if (writer.rng.ChancePerMillion(kDdlPerMillion)) {
    b.set_ddl_job_id(start_ts);
    b.set_ddl_query("create table t" + std::to_string(start_ts) + " (id int primary key)");
    b.set_ddl_schema_state(5);
  } else {
    // A PrewriteValue as TiDB marshals it: one table's inserted rows of random bytes.
    binlog::PrewriteValue value;
    value.set_schema_version(1);
    binlog::TableMutation* mutation = value.add_mutations();
    mutation->set_table_id(100 + static_cast<int64_t>(writer.rng.Below(kTablesCount)));
    std::string row(static_cast<size_t>(writer.rng.Between(1, kRowBytesMax)), '\0');
    writer.rng.Fill(row.data(), row.size());
    mutation->add_inserted_rows(std::move(row));
    mutation->add_sequence(binlog::Insert);
    b.set_prewrite_value(value.SerializeAsString());
  }
  return b;
}

void World::WakeWriterAt(int w, int64_t at_ms) {
  queue_.Push(at_ms, kEvWriterWake, static_cast<uint32_t>(w), ++writers_[w].wake_generation);
}

void World::OnWriterWake(int w, uint64_t generation) {
  if (generation != writers_[w].wake_generation) return;
  SimWriter& writer = writers_[w];
  if (writer.outstanding != 0) {  // the answer did not come in time
    Record(Kind::kWriterTimeout, WriterEndpoint(w), writer.start_ts);
    writer.outstanding = 0;
    OnWriteAnswer(w, Status::Unavailable("timeout"));
    return;
  }
  WriterStep(w);
}

void World::SendWrite(int w, uint32_t pump, const binlog::Binlog& b) {
  SimWriter& writer = writers_[w];
  if (pumps_[pump].decommissioned && writer.phase != TxnPhase::kPrewrite) {
    // The pump closed: waitSafeToOffline let it go offline only with every Prewrite matched,
    // so our Commit/Rollback is there (or our Prewrite never was). Nothing left to send.
    OnWriteAnswer(w, Status::Ok());
    return;
  }
  Message message;
  message.kind = MessageKind::kWriteRequest;
  message.from = WriterEndpoint(w);
  message.to = pump;
  message.write.set_clusterid(kSimClusterId);
  message.write.set_payload(EncodeBinlog(b));
  message.request_id = next_message_id_;  // Send assigns this id
  writer.outstanding = Send(std::move(message));
  WakeWriterAt(w, now_ms_ + kWriteTimeoutMs);
}

void World::BeginTransaction(int w) {
  SimWriter& writer = writers_[w];
  writer.start_ts = tso_.Next();
  writer.commit_ts = 0;
  writer.tried.clear();
  writer.prewrite = MakePrewrite(w, writer.start_ts);
  writer.phase = TxnPhase::kPrewrite;
  if (!SendPrewrite(w)) {  // no online pump: TiDB fails the transaction
    writer.phase = TxnPhase::kIdle;
    ++result_.writes_failed;
    WakeWriterAt(w, now_ms_ + kWriteRetryDelayMs);
  }
}

// TiDB's pump client: the first online pump not yet tried for this prewrite.
bool World::SendPrewrite(int w) {
  SimWriter& writer = writers_[w];
  std::vector<uint32_t> online = OnlinePumps();
  std::vector<uint32_t> candidates;
  for (uint32_t pump : online) {
    if (std::find(writer.tried.begin(), writer.tried.end(), pump) == writer.tried.end()) {
      candidates.push_back(pump);
    }
  }
  if (candidates.empty()) return false;
  writer.pump = candidates[writer.rng.Below(candidates.size())];
  SendWrite(w, writer.pump, writer.prewrite);
  return true;
}

void World::SendFinish(int w) {
  SimWriter& writer = writers_[w];
  binlog::Binlog b;
  b.set_start_ts(writer.start_ts);
  if (writer.commit_ts != 0) {
    b.set_tp(binlog::Commit);
    b.set_commit_ts(writer.commit_ts);
  } else {
    b.set_tp(binlog::Rollback);
    b.set_commit_ts(0);
  }
  b.set_prewrite_key(writer.prewrite.prewrite_key());
  b.set_ddl_job_id(writer.prewrite.ddl_job_id());
  SendWrite(w, writer.pump, b);
}

void World::SendCleanup(int w) {
  SimWriter& writer = writers_[w];
  binlog::Binlog b;
  b.set_tp(binlog::Rollback);
  b.set_start_ts(writer.start_ts);
  b.set_commit_ts(0);
  SendWrite(w, writer.cleanup_pumps.back(), b);
}

void World::OnWriteAnswer(int w, const Status& status) {
  SimWriter& writer = writers_[w];
  writer.outstanding = 0;
  if (!status.ok()) ++result_.writes_failed;
  switch (writer.phase) {
    case TxnPhase::kPrewrite:
      if (status.ok()) {
        if (writer.rng.ChancePerMillion(kRollbackPerMillion)) {
          writer.commit_ts = 0;
          checker_.OnRollback(writer.start_ts);
          Record(Kind::kTxnRolledBack, WriterEndpoint(w), writer.start_ts);
        } else {
          writer.commit_ts = tso_.Next();
          checker_.OnCommitDecided(writer.start_ts, writer.commit_ts);
        }
        writer.phase = TxnPhase::kFinish;
        SendFinish(w);
        return;
      }
      // The pump may hold the prewrite after all (a lost answer): settle it there later.
      writer.cleanup_pumps.push_back(writer.pump);
      writer.tried.push_back(writer.pump);
      if (!SendPrewrite(w)) {
        // Every pump failed: TiDB aborts the transaction.
        checker_.OnRollback(writer.start_ts);
        writer.phase = TxnPhase::kCleanup;
        SendCleanup(w);
      }
      return;
    case TxnPhase::kFinish:
      if (!status.ok()) {
        WakeWriterAt(w, now_ms_ + kWriteRetryDelayMs);  // same pump, until it answers
        return;
      }
      if (writer.commit_ts != 0) {
        checker_.OnCommitAcked(writer.commit_ts);
        acked_commits_by_pump_[writer.pump].push_back(writer.commit_ts);
        Record(Kind::kTxnCommitted, WriterEndpoint(w), writer.start_ts, writer.commit_ts);
        History("{:type :ok, :f :commit, :process " + std::to_string(w) + ", :time " +
                std::to_string(now_ms_ - kSimStartMs) + ", :value [" +
                std::to_string(writer.start_ts) + " " + std::to_string(writer.commit_ts) + "]}");
      }
      writer.phase = writer.cleanup_pumps.empty() ? TxnPhase::kIdle : TxnPhase::kCleanup;
      break;
    case TxnPhase::kCleanup:
      if (!status.ok()) {
        WakeWriterAt(w, now_ms_ + kWriteRetryDelayMs);
        return;
      }
      writer.cleanup_pumps.pop_back();
      if (writer.cleanup_pumps.empty()) writer.phase = TxnPhase::kIdle;
      break;
    case TxnPhase::kIdle:
      return;
  }
  WriterStep(w);
}

void World::WriterStep(int w) {
  SimWriter& writer = writers_[w];
  switch (writer.phase) {
    case TxnPhase::kFinish: SendFinish(w); return;
    case TxnPhase::kCleanup: SendCleanup(w); return;
    case TxnPhase::kPrewrite: return;
    case TxnPhase::kIdle: break;
  }
  if (liveness_) return;  // no new transactions once faults stop
  if (now_ms_ < writer.next_start_ms) {
    WakeWriterAt(w, writer.next_start_ms);
    return;
  }
  // Poisson-like arrivals: a uniform gap with the configured mean per writer.
  int64_t mean_gap_ms = std::max<int64_t>(
      1, 1'000 * config_.writers / std::max<int64_t>(1, config_.write_rate_per_second));
  writer.next_start_ms = now_ms_ + writer.rng.Between(0, 2 * mean_gap_ms);
  BeginTransaction(w);
}

// ---------------------------------------------------------------------------- faults

void World::OnFaultTick() {
  ++fault_ticks_;
  ObserveNodeStates();
  if (fault_ticks_ % kEndpointCheckEveryTicks == 0) CheckEndpoints();
  if (!liveness_) {
    MaybeCutLink();
    MaybeNodeFaults();
    MaybeStorageFaults();
  }
  queue_.Push(now_ms_ + kFaultTickMilliseconds, kEvFaultTick, 0, 0);
}

void World::MaybeCutLink() {
  if (fault_rng_.ChancePerMillion(profile_.heal_ppm) && network_.cut_count() > 0) {
    network_.HealAll();
    Record(Kind::kHeal, 0);
  }
  if (!fault_rng_.ChancePerMillion(profile_.partition_ppm)) return;
  const uint32_t endpoints =
      static_cast<uint32_t>(config_.pumps + config_.drainers + config_.writers);
  uint32_t a = static_cast<uint32_t>(fault_rng_.Below(endpoints));
  uint32_t b = static_cast<uint32_t>(fault_rng_.Below(endpoints));
  if (a == b) return;
  network_.Cut(a, b);
  bool both = fault_rng_.Below(2) == 0;
  if (both) network_.Cut(b, a);
  ++result_.partitions;
  Record(Kind::kPartition, a, b, both ? 2 : 1);
}

void World::MaybeNodeFaults() {
  const int pumps_online = static_cast<int>(OnlinePumps().size());
  for (int i = 0; i < config_.pumps; ++i) {
    SimPump& pump = pumps_[i];
    if (!pump.up) continue;
    if (fault_rng_.ChancePerMillion(profile_.pump_crash_ppm)) {
      CrashPump(i);
      queue_.Push(now_ms_ + Downtime(), kEvRestart, PumpEndpoint(i), 0);
      continue;
    }
    const char* action = nullptr;
    if (fault_rng_.ChancePerMillion(profile_.pump_pause_ppm)) action = "pause";
    // Keep at least one pump: a cluster whose pumps all closed can take no writes.
    if (pumps_online > 1 && fault_rng_.ChancePerMillion(profile_.pump_close_ppm)) {
      action = "close";
    }
    if (action != nullptr) {
      HttpResponse answer = pump.router->Route(MakeRequest(
          boost::beast::http::verb::put, "/state/" + pump.id + "/" + action));
      Record(Kind::kHttpAction, PumpEndpoint(i), action[0] == 'p' ? 0 : 1,
             static_cast<int64_t>(answer.result_int()));
      AfterPumpCall(i);
      continue;
    }
    if (fault_rng_.ChancePerMillion(profile_.clock_jump_ppm)) {
      int64_t jump = fault_rng_.Between(-kClockJumpMaxMs, kClockJumpMaxMs);
      pump.clock.skew_ms += jump;
      Record(Kind::kClockJump, PumpEndpoint(i), jump);
    }
  }
  for (int i = 0; i < config_.drainers; ++i) {
    SimDrainer& drainer = drainers_[i];
    if (!drainer.up) continue;
    if (fault_rng_.ChancePerMillion(profile_.drainer_crash_ppm)) {
      CrashDrainer(i);
      queue_.Push(now_ms_ + Downtime(), kEvRestart, DrainerEndpoint(i), 0);
    } else if (fault_rng_.ChancePerMillion(profile_.drainer_pause_ppm)) {
      HttpResponse answer = drainer.router->Route(MakeRequest(
          boost::beast::http::verb::put, "/state/" + drainer.id + "/pause"));
      Record(Kind::kHttpAction, DrainerEndpoint(i), 0,
             static_cast<int64_t>(answer.result_int()));
      AfterDrainerCall(i);
    }
  }
}

void World::MaybeStorageFaults() {
  for (int i = 0; i < config_.pumps; ++i) {
    SimPump& pump = pumps_[i];
    if (fault_rng_.ChancePerMillion(profile_.write_fail_ppm)) {
      pump.disk->FailNextWrites(static_cast<int>(fault_rng_.Between(1, 3)));
      Record(Kind::kStorageFault, PumpEndpoint(i), 0);
    }
    if (fault_rng_.ChancePerMillion(profile_.sync_fail_ppm)) {
      pump.disk->FailNextSyncs(static_cast<int>(fault_rng_.Between(1, 3)));
      Record(Kind::kStorageFault, PumpEndpoint(i), 1);
    }
    if (fault_rng_.ChancePerMillion(profile_.disk_full_ppm)) {
      pump.disk->SetAvailableBytes(0);
      Record(Kind::kStorageFault, PumpEndpoint(i), 2);
      queue_.Push(now_ms_ + fault_rng_.Between(1, kDiskFullMaxMs), kEvDiskRestore,
                  PumpEndpoint(i), 0);
    }
    if (pump.up && fault_rng_.ChancePerMillion(profile_.gc_trigger_ppm)) {
      HttpResponse answer = pump.router->Route(
          MakeRequest(boost::beast::http::verb::post, "/debug/gc/trigger"));
      Record(Kind::kHttpAction, PumpEndpoint(i), 2, static_cast<int64_t>(answer.result_int()));
      AfterPumpCall(i);
    }
  }
  if (fault_rng_.ChancePerMillion(profile_.registry_fail_ppm)) {
    registry_.FailNextCalls(static_cast<int>(fault_rng_.Between(1, 5)));
    Record(Kind::kStorageFault, 0, 3);
  }
}

// ---------------------------------------------------------------------------- phases

void World::StartLiveness() {
  liveness_ = true;
  Record(Kind::kPhase, 0, 1);
  network_.SetFaultsEnabled(false);
  network_.HealAll();
  for (int i = 0; i < config_.pumps; ++i) {
    pumps_[i].disk->SetAvailableBytes(kMemoryDiskDefaultCapacityBytes);
    pumps_[i].disk->FailNextWrites(0);
    pumps_[i].disk->FailNextSyncs(0);
  }
  registry_.FailNextCalls(0);
  // Crashed and paused nodes already have a restart queued; bring them back now instead.
  for (int i = 0; i < config_.pumps; ++i) OnRestart(PumpEndpoint(i));
  for (int i = 0; i < config_.drainers; ++i) OnRestart(DrainerEndpoint(i));
  phase_end_ms_ = now_ms_ + config_.liveness_ms_max;
  queue_.Push(phase_end_ms_, kEvPhaseEnd, 0, 1);
}

bool World::LivenessDone() {
  for (const SimWriter& writer : writers_) {
    if (writer.phase != TxnPhase::kIdle) return false;
  }
  for (int i = 0; i < config_.drainers; ++i) {
    if (checker_.MissingFromDrainer(i) != 0) return false;
  }
  return true;
}

void World::History(const std::string& line) {
  if (options_.history_out != nullptr) *options_.history_out << line << '\n';
}

SimResult World::Run() {
  for (int i = 0; i < config_.pumps; ++i) StartPump(i);
  for (int i = 0; i < config_.drainers; ++i) StartDrainer(i);
  for (int w = 0; w < config_.writers; ++w) WakeWriterAt(w, now_ms_ + 1);
  queue_.Push(now_ms_ + kFaultTickMilliseconds, kEvFaultTick, 0, 0);
  queue_.Push(now_ms_ + config_.duration_ms, kEvPhaseEnd, 0, 0);
  while (!queue_.empty() && !checker_.failed() && !stop_) {
    SimEvent event = queue_.Pop();
    now_ms_ = event.time_ms;
    const uint32_t target = event.target;
    switch (event.kind) {
      case kEvNodeTimer:
        if (target < static_cast<uint32_t>(config_.pumps)) {
          OnPumpTimer(static_cast<int>(target), event.arg);
        } else {
          OnDrainerTimer(static_cast<int>(target) - config_.pumps, event.arg);
        }
        break;
      case kEvDeliver: OnDeliver(event.arg); break;
      case kEvWriterWake: OnWriterWake(static_cast<int>(target), event.arg); break;
      case kEvFaultTick:
        OnFaultTick();
        if (liveness_ && LivenessDone()) stop_ = true;
        break;
      case kEvRestart: OnRestart(target); break;
      case kEvDiskRestore:
        pumps_[target].disk->SetAvailableBytes(kMemoryDiskDefaultCapacityBytes);
        break;
      case kEvPullTimeout: OnPullTimeout(static_cast<int>(target), event.arg); break;
      case kEvPhaseEnd:
        if (event.arg == 0) {
          StartLiveness();
        } else {
          for (int i = 0; i < config_.drainers; ++i) {
            size_t missing = checker_.MissingFromDrainer(i);
            if (missing != 0) {
              checker_.Fail(now_ms_, "liveness",
                            drainers_[i].id + " lacks " + std::to_string(missing) +
                                " acknowledged commits " +
                                std::to_string(config_.liveness_ms_max) +
                                " ms after faults stopped",
                            true);
            }
          }
          for (const SimWriter& writer : writers_) {
            if (writer.phase != TxnPhase::kIdle) {
              checker_.Fail(now_ms_, "liveness", "a writer's transaction never finished", true);
              break;
            }
          }
          stop_ = true;
        }
        break;
    }
  }
  result_.trace_hash = trace_.HashHex();
  result_.events = trace_.event_count();
  result_.simulated_ms = now_ms_ - kSimStartMs;
  result_.committed = checker_.acked_count();
  result_.rolled_back = checker_.rollback_count();
  for (int i = 0; i < config_.drainers; ++i) result_.emitted.push_back(checker_.emitted_count(i));
  result_.profile = profile_.Describe();
  result_.failures = checker_.failures();
  result_.outcome = Outcome::kPass;
  for (const CheckFailure& failure : result_.failures) {
    result_.outcome = failure.liveness ? Outcome::kLivenessFailure : Outcome::kSafetyFailure;
    break;
  }
  if (options_.keep_events) result_.kept_events = trace_.events();
  // The history (Jepsen EDN-style): commits as acknowledged (above), then each drainer's
  // durable output in order, for offline checkers.
  for (int i = 0; i < config_.drainers; ++i) {
    for (const binlog::Binlog& b : drainers_[i].destination->binlogs()) {
      History("{:type :ok, :f :emit, :process \"" + drainers_[i].id + "\", :value [" +
              std::to_string(b.start_ts()) + " " + std::to_string(b.commit_ts()) + "]}");
    }
  }
  return result_;
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return "pass";
    case Outcome::kSafetyFailure: return "safety-failure";
    case Outcome::kLivenessFailure: return "liveness-failure";
    case Outcome::kCrash: return "crash";
  }
  return "unknown";
}

Result<SimResult> RunSimulation(const SimConfig& config, const RunOptions& options) {
  if (config.pumps < 1 || config.drainers < 0 || config.writers < 0 ||
      config.duration_ms < 0 || config.write_rate_per_second < 0) {
    return Status::InvalidArgument("need pumps >= 1 and non-negative counts and durations");
  }
  auto profile = MakeFaultProfile(config.faults, config.seed);
  if (!profile.ok()) return profile.status();
  World world(config, profile.value(), options);
  return world.Run();
}

}  // namespace tidb_binlog::sim
