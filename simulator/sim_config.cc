#include "simulator/sim_config.h"

#include <cstdio>
#include <sstream>

#include "simulator/sim_random.h"

namespace tidb_binlog::sim {
namespace {

FaultProfile NetworkProfile() {
  FaultProfile p;
  p.name = "network";
  p.delay_max_ms = 50;
  p.loss_ppm = 20'000;
  p.duplicate_ppm = 20'000;
  p.reorder_ppm = 50'000;
  p.partition_ppm = 50'000;
  p.heal_ppm = 200'000;
  return p;
}

FaultProfile CrashProfile() {
  FaultProfile p;
  p.name = "crash";
  p.pump_crash_ppm = 20'000;
  p.drainer_crash_ppm = 10'000;
  return p;
}

FaultProfile StorageProfile() {
  FaultProfile p;
  p.name = "storage";
  p.disk_full_ppm = 10'000;
  p.write_fail_ppm = 50'000;
  p.sync_fail_ppm = 50'000;
  p.registry_fail_ppm = 20'000;
  p.gc_trigger_ppm = 20'000;
  p.destination_fail_ppm = 10'000;
  return p;
}

FaultProfile NodesProfile() {
  FaultProfile p;
  p.name = "nodes";
  p.pump_pause_ppm = 10'000;
  p.pump_close_ppm = 3'000;
  p.drainer_pause_ppm = 5'000;
  p.clock_jump_ppm = 10'000;
  p.clock_skew_ms_max = 2'000;
  return p;
}

FaultProfile AllProfile() {
  FaultProfile p = NetworkProfile();
  FaultProfile c = CrashProfile(), s = StorageProfile(), n = NodesProfile();
  p.name = "all";
  p.pump_crash_ppm = c.pump_crash_ppm;
  p.drainer_crash_ppm = c.drainer_crash_ppm;
  p.disk_full_ppm = s.disk_full_ppm;
  p.write_fail_ppm = s.write_fail_ppm;
  p.sync_fail_ppm = s.sync_fail_ppm;
  p.registry_fail_ppm = s.registry_fail_ppm;
  p.gc_trigger_ppm = s.gc_trigger_ppm;
  p.destination_fail_ppm = s.destination_fail_ppm;
  p.pump_pause_ppm = n.pump_pause_ppm;
  p.pump_close_ppm = n.pump_close_ppm;
  p.drainer_pause_ppm = n.drainer_pause_ppm;
  p.clock_jump_ppm = n.clock_jump_ppm;
  p.clock_skew_ms_max = n.clock_skew_ms_max;
  return p;
}

// Swarm profiles with GC on keep this much (seconds, so that GC deletes inside a run).
constexpr int64_t kSwarmGcRetentionMinMs = 5'000;
constexpr int64_t kSwarmGcRetentionMaxMs = 60'000;

// A rate that is off with probability 1/2, else uniform in [0, max_ppm].
uint32_t SwarmRate(Prng& rng, uint32_t max_ppm) {
  if (rng.Below(2) == 0) return 0;
  return static_cast<uint32_t>(rng.Between(0, max_ppm));
}

FaultProfile SwarmProfile(uint64_t seed) {
  Prng rng = MakeStream(seed, "profile");
  FaultProfile p;
  p.name = "swarm";
  p.delay_min_ms = rng.Between(0, 5);
  p.delay_max_ms = p.delay_min_ms + rng.Between(0, 100);
  p.loss_ppm = SwarmRate(rng, 50'000);
  p.duplicate_ppm = SwarmRate(rng, 50'000);
  p.reorder_ppm = SwarmRate(rng, 100'000);
  p.partition_ppm = SwarmRate(rng, 100'000);
  p.heal_ppm = 100'000 + static_cast<uint32_t>(rng.Between(0, 400'000));
  p.pump_crash_ppm = SwarmRate(rng, 30'000);
  p.pump_pause_ppm = SwarmRate(rng, 20'000);
  p.pump_close_ppm = SwarmRate(rng, 5'000);
  p.drainer_crash_ppm = SwarmRate(rng, 20'000);
  p.drainer_pause_ppm = SwarmRate(rng, 10'000);
  p.clock_jump_ppm = SwarmRate(rng, 20'000);
  p.clock_skew_ms_max = rng.Below(2) == 0 ? 0 : rng.Between(0, 5'000);
  p.disk_full_ppm = SwarmRate(rng, 20'000);
  p.write_fail_ppm = SwarmRate(rng, 100'000);
  p.sync_fail_ppm = SwarmRate(rng, 100'000);
  p.registry_fail_ppm = SwarmRate(rng, 50'000);
  p.gc_trigger_ppm = SwarmRate(rng, 50'000);
  // Drawn last, so that the draws above stay what they were before these classes existed.
  p.destination_fail_ppm = SwarmRate(rng, 20'000);
  p.gc_retention_ms = rng.Below(2) == 0 ? 0 : rng.Between(kSwarmGcRetentionMinMs,
                                                           kSwarmGcRetentionMaxMs);
  return p;
}

}  // namespace

std::string FaultProfile::Describe() const {
  std::ostringstream out;
  out << name << ": delay=" << delay_min_ms << ".." << delay_max_ms << "ms loss=" << loss_ppm
      << " dup=" << duplicate_ppm << " reorder=" << reorder_ppm
      << " partition=" << partition_ppm << " heal=" << heal_ppm
      << " pump_crash=" << pump_crash_ppm << " pump_pause=" << pump_pause_ppm
      << " pump_close=" << pump_close_ppm << " drainer_crash=" << drainer_crash_ppm
      << " drainer_pause=" << drainer_pause_ppm << " clock_jump=" << clock_jump_ppm
      << " skew_max=" << clock_skew_ms_max << "ms disk_full=" << disk_full_ppm
      << " write_fail=" << write_fail_ppm << " sync_fail=" << sync_fail_ppm
      << " registry_fail=" << registry_fail_ppm << " gc_trigger=" << gc_trigger_ppm
      << " destination_fail=" << destination_fail_ppm << " (ppm) gc_retention="
      << gc_retention_ms << "ms";
  return out.str();
}

Result<FaultProfile> MakeFaultProfile(std::string_view name, uint64_t seed) {
  if (name == "none") return FaultProfile{};
  if (name == "network") return NetworkProfile();
  if (name == "crash") return CrashProfile();
  if (name == "storage") return StorageProfile();
  if (name == "nodes") return NodesProfile();
  if (name == "all") return AllProfile();
  if (name == "swarm") return SwarmProfile(seed);
  return Status::InvalidArgument("unknown fault profile " + std::string(name) +
                                 " (none, network, crash, storage, nodes, all, swarm)");
}

const char* FaultClassName(uint32_t bit) {
  switch (bit) {
    case kFaultNetwork: return "network";
    case kFaultCrash: return "crash";
    case kFaultNodeActions: return "node-actions";
    case kFaultClock: return "clock";
    case kFaultStorage: return "storage";
    case kFaultRegistry: return "registry";
    case kFaultGc: return "gc";
  }
  return "unknown";
}

FaultProfile WithFaultsOff(FaultProfile p, uint32_t off) {
  if (off & kFaultNetwork) {
    p.loss_ppm = p.duplicate_ppm = p.reorder_ppm = p.partition_ppm = 0;
  }
  if (off & kFaultCrash) p.pump_crash_ppm = p.drainer_crash_ppm = 0;
  if (off & kFaultNodeActions) p.pump_pause_ppm = p.pump_close_ppm = p.drainer_pause_ppm = 0;
  if (off & kFaultClock) {
    p.clock_jump_ppm = 0;
    p.clock_skew_ms_max = 0;
  }
  if (off & kFaultStorage) {
    p.disk_full_ppm = p.write_fail_ppm = p.sync_fail_ppm = p.destination_fail_ppm = 0;
  }
  if (off & kFaultRegistry) p.registry_fail_ppm = 0;
  if (off & kFaultGc) {
    p.gc_trigger_ppm = 0;
    p.gc_retention_ms = 0;
  }
  return p;
}

std::string ReplayCommand(const SimConfig& c) {
  std::ostringstream out;
  out << (c.planted_bug.empty() ? "binlog-sim" : "binlog-sim-planted") << " run --seed " << c.seed << " --pumps " << c.pumps << " --drainers "
      << c.drainers << " --writers " << c.writers << " --write-rate "
      << c.write_rate_per_second << " --duration " << c.duration_ms << "ms --faults "
      << c.faults;
  if (c.faults_off != 0) out << " --faults-off " << c.faults_off;
  if (c.gc_retention_ms != SimConfig{}.gc_retention_ms) {
    out << " --gc-retention " << c.gc_retention_ms << "ms";
  }
  if (c.row_bytes_max != kDefaultRowBytesMax) out << " --row-bytes " << c.row_bytes_max;
  if (c.pull_poll_delay_ms != 0) out << " --pull-interval-ms " << c.pull_poll_delay_ms;
  if (!c.planted_bug.empty()) out << " --planted-bug " << c.planted_bug;
  return out.str();
}

Result<int64_t> ParseDurationMs(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) {
    return Status::InvalidArgument("bad duration " + std::string(text));
  }
  int64_t value = std::stoll(std::string(text.substr(0, digits)));
  std::string_view unit = text.substr(digits);
  if (unit == "ms") return value;
  if (unit == "s" || unit.empty()) return value * 1'000;
  if (unit == "m") return value * 60'000;
  if (unit == "h") return value * 3'600'000;
  return Status::InvalidArgument("bad duration unit in " + std::string(text));
}

}  // namespace tidb_binlog::sim
