// InProcessCluster: the reference Pump and Drainer nodes wired together inside this process
// with no sockets and no wall clock — N PumpNodes on MemoryBinlogStores and one DrainerNode
// on a MemoryCheckpoint and MemoryDestination, sharing a MemoryRegistry and one TSO oracle
// in virtual time. It is the conformance suite's in-process target (binlog-conformance
// --in-process, and the negative-control tests), driven the way DESIGN.md §3's drivers
// drive nodes: timers in time order, pull requests answered at once.
//
// Node addresses are `127.0.0.1:<port>` (pumps 8250, 8251, ...; the drainer 8249) and are
// only names: no port is opened. A node that has stopped (after pause or close) answers no
// more requests, as upstream's process exits.
//
// Not a simulator: no network faults, no latency, no randomness (simulator/ has those).
// Thread safety: single-threaded; one caller drives it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/target.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/http/router.h"

namespace tidb_binlog::conformance {

// 2023-11-14T22:13:20Z: a realistic start time, so TSOs pass the plausibility rule.
inline constexpr int64_t kInProcessStartMs = 1'700'000'000'000;
inline constexpr int kInProcessPumpsDefault = 3;
inline constexpr uint16_t kInProcessFirstPumpPort = 8250;
inline constexpr uint16_t kInProcessDrainerPort = 8249;

class InProcessCluster {
 public:
  // `with_drainer` false: pumps only (then pump /drainers answers `null`).
  explicit InProcessCluster(int pumps = kInProcessPumpsDefault, bool with_drainer = true);
  ~InProcessCluster();
  InProcessCluster(const InProcessCluster&) = delete;
  InProcessCluster& operator=(const InProcessCluster&) = delete;

  // Starts every node, then runs the cluster for `warm_up_ms` of virtual time (heartbeats,
  // fake binlogs, the drainer's first refresh and checkpoint).
  Status Start(int64_t warm_up_ms);

  // Runs every timer and pull due up to now + `ms`, in time order.
  void AdvanceBy(int64_t ms);
  int64_t now_ms() const;

  int pump_count() const;
  // A fresh ts from the cluster's PD oracle.
  int64_t NextTso();
  // The request handlers (routing, then due timers), nullopt once the node stopped.
  std::optional<HttpResponse> HandlePump(int index, const HttpRequest& request);
  std::optional<HttpResponse> HandleDrainer(const HttpRequest& request);

  // Pump `index`'s WriteBinlog (the node's write path, as its gRPC service calls it) with the
  // cluster's id, then runs what became due. kUnavailable once the node stopped.
  Status WritePumpBinlog(int index, const binlog::Binlog& binlog);

  // Targets over the handlers above; they refer to this cluster, which must outlive them.
  std::unique_ptr<Target> PumpTarget(int index);
  // Requires a drainer.
  std::unique_ptr<Target> DrainerTarget();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidb_binlog::conformance
