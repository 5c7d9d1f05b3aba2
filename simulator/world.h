// World: the internals of one Simulation (simulation.h) — node instances, writers, message
// tables, clocks and the event handlers. Split from simulation.h so that the public API
// stays small; only simulation*.cc include this.
//
// Thread safety: none; one simulation thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/proto/pump.pb.h"
#include "reference/core/tso.h"
#include "reference/core/tso_source.h"
#include "reference/drainer/checkpoint.h"
#include "reference/drainer/drainer_node.h"
#include "reference/drainer/memory_destination.h"
#include "reference/http/router.h"
#include "reference/metrics/drainer_metrics.h"
#include "reference/metrics/pump_metrics.h"
#include "reference/pump/pump_node.h"
#include "reference/registry/memory_registry.h"
#include "reference/storage/memory_binlog_store.h"
#include "simulator/checker.h"
#include "simulator/event_queue.h"
#include "simulator/network.h"
#include "simulator/sim_random.h"
#include "simulator/simulation.h"

namespace tidb_binlog::sim {

// A writer waits this long for a pump's answer before it counts the request as failed.
inline constexpr int64_t kWriteTimeoutMs = 1'000;
// A writer retries a Commit/Rollback (or a clean-up Rollback) to its pump after this.
inline constexpr int64_t kWriteRetryDelayMs = 200;
// A drainer's pull that got no answer (lost message, cut link) is answered as failed.
inline constexpr int64_t kPullTimeoutMs = 2'000;
// A crashed or paused node comes back after a downtime in this range.
inline constexpr int64_t kDowntimeMinMs = 1'000;
inline constexpr int64_t kDowntimeMaxMs = 20'000;
// Storage faults (full disk) last this long at most.
inline constexpr int64_t kDiskFullMaxMs = 10'000;
// A clock jump moves a node's clock by at most this much.
inline constexpr int64_t kClockJumpMaxMs = 10'000;
// Transaction mix and row sizes of the writers.
inline constexpr uint32_t kDdlPerMillion = 5'000;
inline constexpr uint32_t kRollbackPerMillion = 30'000;
inline constexpr int64_t kRowBytesMax = 512;
inline constexpr uint64_t kTablesCount = 8;
// Endpoint consistency is sampled on every this-many fault ticks.
inline constexpr int kEndpointCheckEveryTicks = 5;
// Simulated start: 2023-11-14T22:13:20Z, so TSOs look like upstream's.
inline constexpr int64_t kSimStartMs = 1'700'000'000'000;
inline constexpr uint64_t kSimClusterId = 6'879'000'000'000'000'001ULL;

enum EventKind : uint32_t {
  kEvNodeTimer,    // target endpoint, arg generation
  kEvDeliver,      // arg message id
  kEvWriterWake,   // target writer, arg generation
  kEvFaultTick,
  kEvRestart,      // target endpoint
  kEvDiskRestore,  // target pump
  kEvPullTimeout,  // target drainer, arg message id of the request
  kEvPhaseEnd,
};

// A node's clock: local = global + skew, never decreasing.
struct NodeClock {
  int64_t skew_ms = 0;
  int64_t last_ms = 0;
  int64_t Now(int64_t global_ms) {
    last_ms = std::max(last_ms, global_ms + skew_ms);
    return last_ms;
  }
};

// The global PD TSO: one oracle fed by global virtual time.
class SimTso final : public TsoSource {
 public:
  explicit SimTso(const int64_t* global_now_ms) : now_ms_(global_now_ms) {}
  Result<int64_t> GetTs() override { return oracle_.Next(*now_ms_); }
  int64_t Next() { return oracle_.Next(*now_ms_); }

 private:
  const int64_t* now_ms_;
  TsoOracle oracle_;
};

struct SimPump {
  std::string id;
  std::string host;
  std::shared_ptr<MemoryDisk> disk;
  std::unique_ptr<MemoryBinlogStore> store;
  std::unique_ptr<PumpMetrics> metrics;
  std::unique_ptr<PumpNode> node;
  std::unique_ptr<Router> router;
  NodeClock clock;
  bool up = false;
  bool decommissioned = false;  // closed: offline for good
  uint64_t timer_generation = 0;
  int64_t timer_due_ms = kNoTimerMs;
};

struct SimDrainer {
  std::string id;
  std::shared_ptr<MemoryCheckpointFile> checkpoint_file;
  std::unique_ptr<MemoryCheckpoint> checkpoint;
  std::unique_ptr<MemoryDestination> destination;
  std::unique_ptr<DrainerMetrics> metrics;
  std::unique_ptr<DrainerNode> node;
  std::unique_ptr<Router> router;
  NodeClock clock;
  bool up = false;
  uint64_t incarnation = 0;
  uint64_t timer_generation = 0;
  int64_t timer_due_ms = kNoTimerMs;
};

enum class TxnPhase { kIdle, kPrewrite, kFinish, kCleanup };

struct SimWriter {
  explicit SimWriter(Prng r) : rng(r) {}
  Prng rng;
  TxnPhase phase = TxnPhase::kIdle;
  binlog::Binlog prewrite;
  int64_t start_ts = 0;
  int64_t commit_ts = 0;  // 0 for a rollback
  uint32_t pump = 0;
  uint64_t outstanding = 0;  // message id of the request awaiting its answer
  uint64_t wake_generation = 0;
  std::vector<uint32_t> tried;            // pumps this prewrite failed on
  std::vector<uint32_t> cleanup_pumps;    // may hold our prewrite: roll it back there
  int64_t next_start_ms = 0;
};

enum class MessageKind { kWriteRequest, kWriteResponse, kPullRequest, kPullResponse };

struct Message {
  MessageKind kind = MessageKind::kWriteRequest;
  uint32_t from = 0;
  uint32_t to = 0;
  int copies_pending = 0;
  uint64_t request_id = 0;   // a response names its request
  uint64_t incarnation = 0;  // of the drainer that sent a pull
  binlog::WriteBinlogReq write;
  Status status;
  PullRequest pull;
  std::optional<Result<PullResult>> pull_result;
};

}  // namespace tidb_binlog::sim
