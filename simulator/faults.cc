// World: the fault tick (network cuts, node and storage faults) drawn from the profile.
#include <algorithm>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "reference/core/binlog_codec.h"
#include "reference/drainer/drainer_http.h"
#include "reference/pump/pump_http.h"
#include "simulator/world.h"

namespace tidb_binlog::sim {

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
  for (SimDrainer& drainer : drainers_) {
    if (drainer.up && fault_rng_.ChancePerMillion(profile_.destination_fail_ppm)) {
      drainer.destination->FailNextAppends(1);
      Record(Kind::kStorageFault, DrainerEndpoint(static_cast<int>(&drainer - drainers_.data())), 4);
    }
  }
  if (fault_rng_.ChancePerMillion(profile_.registry_fail_ppm)) {
    registry_.FailNextCalls(static_cast<int>(fault_rng_.Between(1, 5)));
    Record(Kind::kStorageFault, 0, 3);
  }
}


}  // namespace tidb_binlog::sim
