// World: the quiescent hand-off (RunOptions::on_quiescent, simulation.h). After a passing
// run the world settles (restarts still pending run), then becomes a SimulatedCluster that
// the callback drives: its requests go through the nodes' real routers, and time advances
// only when it asks. From the hand-off on, the operator's restarts and the run's phase ends
// are dropped: a node the callback stops stays stopped, as an exited process does.
#include <algorithm>
#include <optional>
#include <string>

#include "reference/core/assert.h"
#include "reference/core/binlog_codec.h"
#include "simulator/world.h"

namespace tidb_binlog::sim {
namespace {

// How long the world may take, after the liveness phase passed, until every node runs or is
// closed for good: a pause or crash just before liveness ended restarts after at most
// kDowntimeMaxMs, and a restart refused by the registry is retried once more.
constexpr int64_t kHandOffSettleMsMax = 3 * kDowntimeMaxMs;

}  // namespace

void World::HandOff() {
  // A fresh, detached trace takes every later event: the run's trace, its hash and the
  // --trace output end where the run ended.
  trace_ = Trace(nullptr, false);
  const int64_t settle_end_ms = now_ms_ + kHandOffSettleMsMax;
  while (!Settled() && now_ms_ < settle_end_ms && !checker_.failed()) {
    RunHandOffEvents(std::min(settle_end_ms, now_ms_ + kFaultTickMilliseconds), true);
  }
  if (!checker_.failed() && !Settled()) {
    result_.handoff_failures.push_back(CheckFailure{
        now_ms_, "quiescence",
        "a node neither runs nor is closed " + std::to_string(kHandOffSettleMsMax) +
            " ms after the liveness phase passed",
        true});
    return;
  }
  if (checker_.failed()) {
    result_.handoff_failures = checker_.failures();
    return;
  }
  result_.handed_off = true;
  options_.on_quiescent(*this);
  result_.handoff_failures = checker_.failures();
}

// Every pump runs (not shutting down) or was closed for good; every drainer runs or its
// registry record says offline (closed: nobody restarts it).
bool World::Settled() const {
  for (const SimPump& pump : pumps_) {
    if (!pump.decommissioned &&
        !(pump.up && pump.node->Started() && !pump.node->ShuttingDown())) {
      return false;
    }
  }
  for (const SimDrainer& drainer : drainers_) {
    if (drainer.up && !drainer.node->ShuttingDown()) continue;
    auto record = const_cast<MemoryRegistry&>(registry_).GetNode(NodeKind::kDrainer, drainer.id);
    if (drainer.up || !record.ok() || record->state != NodeState::kOffline) return false;
  }
  return true;
}

// The event loop of Run() for the hand-off: the same handlers, except that restarts run
// only while settling (`restarts`) and the phase ends are over. Fault ticks keep the
// world's state and endpoint checks going; in the liveness phase they inject nothing.
void World::RunHandOffEvents(int64_t to_ms, bool restarts) {
  while (!queue_.empty() && queue_.top().time_ms <= to_ms) {
    SimEvent event = queue_.Pop();
    now_ms_ = event.time_ms;
    if (DispatchCommonEvent(event)) continue;
    if (event.kind == kEvFaultTick) OnFaultTick();
    if (event.kind == kEvRestart && restarts) OnRestart(event.target);
    // kEvPhaseEnd: the phases are over.
  }
  now_ms_ = std::max(now_ms_, to_ms);
}

std::string World::PumpAddress(int i) const { return pumps_.at(static_cast<size_t>(i)).host; }

// As the drainer registered it (the address is chosen where the node starts, nodes.cc).
std::string World::DrainerAddress(int i) const {
  auto record = const_cast<MemoryRegistry&>(registry_).GetNode(
      NodeKind::kDrainer, drainers_.at(static_cast<size_t>(i)).id);
  return record.ok() ? record->host : std::string();
}

bool World::PumpRunning(int i) const { return pumps_.at(static_cast<size_t>(i)).up; }
bool World::DrainerRunning(int i) const { return drainers_.at(static_cast<size_t>(i)).up; }

std::optional<HttpResponse> World::HandlePump(int i, const HttpRequest& request) {
  if (!PumpRunning(i)) return std::nullopt;
  HttpResponse response = pumps_[static_cast<size_t>(i)].router->Route(request);
  AfterPumpCall(i);
  RunHandOffEvents(now_ms_, false);
  return response;
}

std::optional<HttpResponse> World::HandleDrainer(int i, const HttpRequest& request) {
  if (!DrainerRunning(i)) return std::nullopt;
  HttpResponse response = drainers_[static_cast<size_t>(i)].router->Route(request);
  AfterDrainerCall(i);
  RunHandOffEvents(now_ms_, false);
  return response;
}

Status World::WritePump(int i, const binlog::Binlog& binlog) {
  if (!PumpRunning(i)) return Status::Unavailable("connection refused");
  const bool commit = binlog.tp() == binlog::Commit;
  if (commit) checker_.OnCommitDecided(binlog.start_ts(), binlog.commit_ts());
  if (binlog.tp() == binlog::Rollback) checker_.OnRollback(binlog.start_ts());
  binlog::WriteBinlogReq request;
  request.set_clusterid(kSimClusterId);
  request.set_payload(EncodeBinlog(binlog));
  SimPump& pump = pumps_[static_cast<size_t>(i)];
  Status status = pump.node->WriteBinlog(request, pump.clock.Now(now_ms_));
  if (status.ok() && commit) {
    OnCommitAcked(binlog.commit_ts(), i);
  }
  AfterPumpCall(i);
  RunHandOffEvents(now_ms_, false);
  return status;
}

void World::AdvanceBy(int64_t ms) {
  BINLOG_ASSERT(ms >= 0);
  RunHandOffEvents(now_ms_ + ms, false);
}

}  // namespace tidb_binlog::sim
