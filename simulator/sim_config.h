// SimConfig and FaultProfile: everything that determines one simulated run. A run is a
// function of (SimConfig, the binary): the same values replay the same trace.
//
// A FaultProfile says which fault classes are on and how strongly; rates are integers per
// million (ppm), drawn per fault tick (kFaultTickMilliseconds) or per message. The named
// profiles are fixed; "swarm" draws a profile from the seed (swarm testing: some classes
// off, others at random strength), so `--seed S --faults swarm` alone replays it.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reference/core/status.h"

namespace tidb_binlog::sim {

// Faults are considered once per this much virtual time.
inline constexpr int64_t kFaultTickMilliseconds = 1'000;
// Writers' row sizes are drawn from [1, row_bytes_max]; this is the default bound, and the
// largest allowed one (rows are cut from a 64 KiB random pool, world.h kRowPoolBytes).
inline constexpr int64_t kDefaultRowBytesMax = 512;
inline constexpr int64_t kRowBytesMaxLimit = 32 * 1024;

struct FaultProfile {
  std::string name = "none";
  // Network, per message.
  int64_t delay_min_ms = 1;
  int64_t delay_max_ms = 5;
  uint32_t loss_ppm = 0;
  uint32_t duplicate_ppm = 0;
  uint32_t reorder_ppm = 0;  // a message is held back by up to kReorderExtraDelayMs
  // Per fault tick.
  uint32_t partition_ppm = 0;   // cut a random link (one way or both ways)
  uint32_t heal_ppm = 0;        // heal every cut link
  uint32_t pump_crash_ppm = 0;
  uint32_t pump_pause_ppm = 0;  // PUT /state/<id>/pause, restarted later
  uint32_t pump_close_ppm = 0;  // PUT /state/<id>/close, offline for good
  uint32_t drainer_crash_ppm = 0;
  uint32_t drainer_pause_ppm = 0;
  uint32_t clock_jump_ppm = 0;
  int64_t clock_skew_ms_max = 0;  // per node, fixed at start
  uint32_t disk_full_ppm = 0;
  uint32_t write_fail_ppm = 0;
  uint32_t sync_fail_ppm = 0;
  uint32_t registry_fail_ppm = 0;
  uint32_t gc_trigger_ppm = 0;  // POST /debug/gc/trigger on a pump
  uint32_t destination_fail_ppm = 0;  // a drainer's next destination write fails
  // Pump GC retention for this run; 0 keeps SimConfig::gc_retention_ms. Short values make
  // GC delete within a run (and lagging drainers lose purged binlogs, as upstream warns).
  int64_t gc_retention_ms = 0;

  // "name: key=value ..." for the summary and failure reports.
  std::string Describe() const;
};

// Fault classes, as bits of SimConfig::faults_off: a minimisation switches them off one at a
// time (minimize.h).
enum FaultClass : uint32_t {
  kFaultNetwork = 1u << 0,     // loss, duplication, reordering, partitions
  kFaultCrash = 1u << 1,       // pump and drainer crashes
  kFaultNodeActions = 1u << 2, // pause, close
  kFaultClock = 1u << 3,       // skew and jumps
  kFaultStorage = 1u << 4,     // disk full, failed writes and syncs, destination faults
  kFaultRegistry = 1u << 5,    // registry unavailability
  kFaultGc = 1u << 6,          // triggered GC
  kFaultClassCount = 7,
};
const char* FaultClassName(uint32_t bit);
// `profile` with the classes in `off` switched off (their rates set to 0).
FaultProfile WithFaultsOff(FaultProfile profile, uint32_t off);

// "none", "network", "crash", "storage", "nodes", "all", or "swarm" (drawn from `seed`).
// kInvalidArgument for another name.
Result<FaultProfile> MakeFaultProfile(std::string_view name, uint64_t seed);

struct SimConfig {
  uint64_t seed = 1;
  int pumps = 3;
  int drainers = 1;
  int writers = 4;
  int64_t write_rate_per_second = 100;  // transactions per second, all writers together
  int64_t duration_ms = 60'000;         // the safety phase (faults on)
  int64_t liveness_ms_max = 120'000;    // bound on convergence after faults stop
  std::string faults = "swarm";
  // Pump GC retention (the profile may override it). Upstream's default is 7 days.
  int64_t gc_retention_ms = 30 * 60'000;
  // A planted bug (reference/core/planted_bugs.h) by name, "" for none. Only the
  // binlog_simulator_planted build accepts one; the normal build refuses a run that names
  // one (kInvalidArgument).
  std::string planted_bug;
  // The fault classes a minimisation switched off (FaultClass bits, sim_config.h).
  uint32_t faults_off = 0;
  // Largest row a writer inserts, bytes (issue 4 §2: configurable value sizes).
  int64_t row_bytes_max = kDefaultRowBytesMax;
  // A drainer's wait before re-polling a pump that had nothing new; 0 keeps the drainer's
  // default. Large clusters (1,000 pumps x 100 drainers) poll less often so that idle polls
  // do not dominate the run.
  int64_t pull_poll_delay_ms = 0;
};

// The exact command line that replays `config` (printed on failure).
std::string ReplayCommand(const SimConfig& config);

// Go-style duration ("10m", "90s", "1h", "500ms") in milliseconds.
Result<int64_t> ParseDurationMs(std::string_view text);

}  // namespace tidb_binlog::sim
