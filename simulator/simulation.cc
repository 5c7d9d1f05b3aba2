// The driver: World construction, the event loop and phases, and the simulated network
// (see simulation.h, world.h).
#include "simulator/simulation.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "reference/core/binlog_codec.h"
#include "reference/core/planted_bugs.h"
#include "reference/drainer/drainer_http.h"
#include "reference/pump/pump_http.h"
#include "simulator/world.h"

namespace tidb_binlog::sim {

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



World::World(const SimConfig& config, const FaultProfile& profile, const RunOptions& options)
    : config_(config),
      profile_(profile),
      options_(options),
      trace_(options.trace_out, options.keep_events),
      checker_(config.drainers),
      tso_(&now_ms_),
      network_(MakeStream(config.seed, "network"), profile,
               static_cast<uint32_t>(config.pumps + config.drainers + config.writers)),
      fault_rng_(MakeStream(config.seed, "faults")) {
  Prng skew_rng = MakeStream(config.seed, "clock-skew");
  pumps_.resize(static_cast<size_t>(config.pumps));
  for (int i = 0; i < config.pumps; ++i) {
    SimPump& pump = pumps_[i];
    pump.id = "pump-" + std::to_string(i) + ":8250";
    pump.host = "pump-" + std::to_string(i) + ".sim:8250";
    pump.disk = std::make_shared<MemoryDisk>();
    pump_index_.emplace(pump.id, i);
    pump.clock.skew_ms = profile.clock_skew_ms_max == 0
                             ? 0
                             : skew_rng.Between(-profile.clock_skew_ms_max,
                                                profile.clock_skew_ms_max);
  }
  drainers_.resize(static_cast<size_t>(config.drainers));
  for (int i = 0; i < config.drainers; ++i) {
    SimDrainer& drainer = drainers_[i];
    drainer.id = "drainer-" + std::to_string(i) + ":8249";
    drainer_index_.emplace(drainer.id, i);
    drainer.checkpoint_file = std::make_shared<MemoryCheckpointFile>();
    drainer.destination = std::make_unique<MemoryDestination>();
    drainer.clock.skew_ms = profile.clock_skew_ms_max == 0
                                ? 0
                                : skew_rng.Between(-profile.clock_skew_ms_max,
                                                   profile.clock_skew_ms_max);
  }
  acked_commits_by_pump_.resize(static_cast<size_t>(config.pumps));
  Prng row_rng = MakeStream(config.seed, "rows");
  row_pool_.resize(kRowPoolBytes);
  row_rng.Fill(row_pool_.data(), row_pool_.size());
  for (int w = 0; w < config.writers; ++w) {
    writers_.emplace_back(MakeStream(config.seed, "writer/" + std::to_string(w)));
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
  ArmWriteTimeoutIfLate(message, delivery);  // before the deliveries: it wins a tie
  if (delivery.copies == 0) {
    Record(Kind::kMessageLost, message.from, message.to, delivery.cut ? 1 : 0);
    return id;
  }
  if (delivery.copies == 2) Record(Kind::kMessageDuplicated, message.from, message.to);
  message.copies_pending = delivery.copies;
  const uint32_t to = message.to;
  uint32_t slot = static_cast<uint32_t>(message_slots_.size());
  if (free_message_slots_.empty()) {
    message_slots_.push_back(std::move(message));
  } else {
    slot = free_message_slots_.back();
    free_message_slots_.pop_back();
    message_slots_[slot] = std::move(message);
  }
  for (int copy = 0; copy < delivery.copies; ++copy) {
    queue_.Push(now_ms_ + delivery.delay_ms[copy], kEvDeliver, to, slot);
  }
  return id;
}

void World::OnDeliver(uint64_t slot) {
  // A reference into the deque stays valid while handlers send (and so add slots).
  BINLOG_ASSERT(slot < message_slots_.size());
  Message& message = message_slots_[slot];
  BINLOG_ASSERT(message.copies_pending > 0);
  switch (message.kind) {
    case MessageKind::kWriteRequest: DeliverWriteRequest(message); break;
    case MessageKind::kWriteResponse: DeliverWriteResponse(message); break;
    case MessageKind::kPullRequest: DeliverPullRequest(message); break;
    case MessageKind::kPullResponse: DeliverPullResponse(message); break;
    case MessageKind::kNotifyRequest: DeliverNotifyRequest(message); break;
    case MessageKind::kNotifyResponse: DeliverNotifyResponse(message); break;
  }
  if (--message.copies_pending == 0) {
    // Lets go of its binlogs and results now; the rest is overwritten when the slot is
    // reused (Send moves a whole Message in), so it is not reset field by field here.
    message.write_binlog.reset();
    message.pull_result.reset();
    free_message_slots_.push_back(static_cast<uint32_t>(slot));
  }
}

void World::DeliverWriteRequest(const Message& message) {
  int i = static_cast<int>(message.to);
  SimPump& pump = pumps_[i];
  if (!pump.up) {  // connection refused: the writer times out
    ArmWriteTimeoutIfLate(static_cast<int>(message.from) - config_.pumps - config_.drainers,
                          message.request_id, kNoTimerMs);
    return;
  }
  Status status = pump.node->WriteDecodedBinlog(
      message.write_cluster_id, message.write_binlog, message.write_bytes,
      pump.clock.Now(now_ms_));
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
  answer.pull.id = message.pull.id;  // all the answer needs (the pump id and host are strings)
  answer.request_id = message.request_id;
  answer.pull_result =
      pump.node->PullSharedBinlogs(request, message.pull.limit_count, message.pull.limit_bytes);
  Record(Kind::kPullDelivered, message.to, message.pull.after_ts,
         answer.pull_result->ok() ? static_cast<int64_t>(answer.pull_result->value().binlogs.size())
                                  : -1);
  Send(std::move(answer));
}

void World::DeliverPullResponse(Message& message) {
  int i = static_cast<int>(message.to) - config_.pumps;
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up || drainer.incarnation != message.incarnation) return;
  pending_pulls_.erase(message.request_id);  // answered: its timeout has nothing to do
  Record(Kind::kPullAnswered, message.to, static_cast<int64_t>(message.pull.id),
         message.pull_result->ok() ? 0 : static_cast<int64_t>(message.pull_result->status().code()));
  // The last copy hands its batch over; a duplicate's first copy must leave it intact.
  Result<SharedPullResult> result = message.copies_pending == 1
                                        ? std::move(*message.pull_result)
                                        : *message.pull_result;
  drainer.node->OnSharedPullResponse(message.pull.id, std::move(result),
                                     drainer.clock.Now(now_ms_));
  AfterDrainerCall(i);
}

// A drainer's Cistern Notify: the drainer refreshes its pump list at once (and sends the pulls
// that asks for). A drainer process that is down refuses the connection. A lost request or
// answer leaves the pump waiting; its own Notify deadline ends that wait (pump_node.h).
void World::DeliverNotifyRequest(const Message& message) {
  const int d = static_cast<int>(message.to) - config_.pumps;
  SimDrainer& drainer = drainers_[d];
  Status status = Status::Unavailable("connection refused");
  if (drainer.up) status = drainer.node->Notify(drainer.clock.Now(now_ms_));
  Record(Kind::kNotify, message.to, message.from, static_cast<int64_t>(status.code()));
  Message answer;
  answer.kind = MessageKind::kNotifyResponse;
  answer.from = message.to;
  answer.to = message.from;
  answer.incarnation = message.incarnation;
  answer.notify_id = message.notify_id;
  answer.status = std::move(status);
  Send(std::move(answer));
  if (drainer.up) AfterDrainerCall(d);
}

void World::DeliverNotifyResponse(const Message& message) {
  const int i = static_cast<int>(message.to);
  SimPump& pump = pumps_[i];
  if (!pump.up || pump.incarnation != message.incarnation) return;
  const bool was_started = pump.node->Started();
  pump.node->OnNotifyResult(message.notify_id, message.status, pump.clock.Now(now_ms_));
  if (!was_started && pump.node->Started()) OnPumpStartComplete(i);
  AfterPumpCall(i);
}

// A pull that got no answer in time failed (what a gRPC deadline does). A pull whose answer
// reached the drainer left pending_pulls_ then, and its timeout does nothing (calling the
// node with an id it no longer waits for would be harmless, but not free: every pull's
// timeout fires).
void World::OnPullTimeout(int i, uint64_t request_message_id) {
  auto it = pending_pulls_.find(request_message_id);
  if (it == pending_pulls_.end()) return;
  PendingPull pending = it->second;
  pending_pulls_.erase(it);
  SimDrainer& drainer = drainers_[i];
  if (!drainer.up || drainer.incarnation != pending.incarnation) return;
  drainer.node->OnPullResponse(pending.pull_id, Status::Unavailable("context deadline exceeded"),
                               drainer.clock.Now(now_ms_));
  AfterDrainerCall(i);
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
  for (SimDrainer& drainer : drainers_) drainer.destination->FailNextAppends(0);
  // Crashed and paused nodes already have a restart queued; bring them back now instead,
  // drainers first so that a pump's start-up Notify finds them running.
  for (int i = 0; i < config_.drainers; ++i) OnRestart(DrainerEndpoint(i));
  for (int i = 0; i < config_.pumps; ++i) OnRestart(PumpEndpoint(i));
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

void World::OnCommitAcked(int64_t commit_ts, int pump) {
  checker_.OnCommitAcked(commit_ts, pump);
  acked_commits_by_pump_[static_cast<size_t>(pump)].push_back(commit_ts);
}

// The events whose handling is the same in Run() and in the hand-off (handoff.cc): node
// timers, deliveries, writer wake-ups, disk restores, pull timeouts. False for the others
// (fault ticks, restarts, phase ends), which each loop handles its own way.
bool World::DispatchCommonEvent(const SimEvent& event) {
  const uint32_t target = event.target;
  switch (event.kind) {
    case kEvNodeTimer:
      if (target < static_cast<uint32_t>(config_.pumps)) {
        OnPumpTimer(static_cast<int>(target), event.arg);
      } else {
        OnDrainerTimer(static_cast<int>(target) - config_.pumps, event.arg);
      }
      return true;
    case kEvDeliver: OnDeliver(event.arg); return true;
    case kEvWriterWake: OnWriterWake(static_cast<int>(target), event.arg); return true;
    case kEvDiskRestore:
      pumps_[target].disk->SetAvailableBytes(kMemoryDiskDefaultCapacityBytes);
      return true;
    case kEvPullTimeout: OnPullTimeout(static_cast<int>(target), event.arg); return true;
    default: return false;
  }
}

SimResult World::Run() {
  // Drainers first, so that every pump's first start notifies them (pump_node.h). Pumps after
  // the first come up over kPumpFirstStartSpreadMs, so that some meet the faults (a crashed
  // or cut-off drainer whose record says online fails their start-up Notify).
  for (int i = 0; i < config_.drainers; ++i) StartDrainer(i);
  Prng start_rng = MakeStream(config_.seed, "pump-start");
  for (int i = 0; i < config_.pumps; ++i) {
    if (i == 0) {
      StartPump(i);
    } else {
      queue_.Push(now_ms_ + start_rng.Between(0, kPumpFirstStartSpreadMs), kEvRestart,
                  PumpEndpoint(i), 0);
    }
  }
  for (int w = 0; w < config_.writers; ++w) WakeWriterAt(w, now_ms_ + 1);
  queue_.Push(now_ms_ + kFaultTickMilliseconds, kEvFaultTick, 0, 0);
  queue_.Push(now_ms_ + config_.duration_ms, kEvPhaseEnd, 0, 0);
  while (!queue_.empty() && !checker_.failed() && !stop_) {
    SimEvent event = queue_.Pop();
    now_ms_ = event.time_ms;
    if (DispatchCommonEvent(event)) continue;
    switch (event.kind) {
      case kEvFaultTick:
        OnFaultTick();
        if (liveness_ && LivenessDone()) stop_ = true;
        break;
      case kEvRestart: OnRestart(event.target); break;
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
      default: BINLOG_ASSERT(false); break;  // DispatchCommonEvent handled it
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
  for (int i = 0; options_.history_out != nullptr && i < config_.drainers; ++i) {
    for (const SharedPulledBinlog& b : drainers_[i].destination->binlogs()) {
      History("{:type :ok, :f :emit, :process \"" + drainers_[i].id + "\", :value [" +
              std::to_string(b.start_ts()) + " " + std::to_string(b.commit_ts()) + "]}");
    }
  }
  if (options_.on_quiescent && result_.outcome == Outcome::kPass) HandOff();
  return result_;
}



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
  if (config.row_bytes_max < 1 || config.row_bytes_max > kRowBytesMaxLimit ||
      config.pull_poll_delay_ms < 0) {
    return Status::InvalidArgument("need 1 <= row bytes <= " +
                                   std::to_string(kRowBytesMaxLimit) +
                                   " and a non-negative pull interval");
  }
  auto profile = MakeFaultProfile(config.faults, config.seed);
  if (!profile.ok()) return profile.status();
  std::optional<planted::Bug> bug;
  if (!config.planted_bug.empty()) {
    bug = planted::BugFromName(config.planted_bug);
    if (!bug) return Status::InvalidArgument("unknown planted bug " + config.planted_bug);
  }
#if defined(BINLOG_PLANTED_BUGS)
  planted::SetActiveBug(bug);
#else
  if (bug) return Status::InvalidArgument("planted bugs need the binlog-sim-planted build");
#endif
  World world(config, WithFaultsOff(profile.value(), config.faults_off), options);
  return world.Run();
}

}  // namespace tidb_binlog::sim
