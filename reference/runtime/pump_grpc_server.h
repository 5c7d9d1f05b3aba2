// PumpGrpcServer: the gRPC service of one reference pump (binlog.Pump: /binlog.Pump/WriteBinlog
// and /binlog.Pump/PullBinlogs, UPSTREAM.md §6.2), the part of upstream's pump/server.go that
// TiDB and drainers talk to. It is transport only: every decision is the PumpNode's.
//
//  - WriteBinlog -> PumpNode::WriteBinlog (cluster-id check, decode, online check, store),
//    timed into binlog_pump_rpc_duration_seconds{method="WriteBinlog"}. Success is an empty
//    WriteBinlogResp; every failure is a gRPC error with status code Unknown and the node's
//    text, which is upstream's (§2.6: `cluster ID are mismatch, <req> vs <pump>`,
//    `no online: <state>`, the store's and the decoder's); the node counts it in
//    binlog_pump_loss_binlog_count.
//  - PullBinlogs -> PumpNode::PullBinlogs in bounded batches from startFrom.offset, each
//    binlog sent as Entity{pos: {}, payload: marshalled Binlog, meta: {startTs, commitTs}}
//    (§6.2, §7.5); when nothing is new it waits kPullIdleWait and asks again. The stream ends
//    with OK when the client cancels, the node stops or Shutdown() runs (upstream closes its
//    pull streams on shutdown); a pull error ends it with code Unknown and the node's text.
//    Its whole duration is observed once under method="PullBinlogs" when it ends.
//
// The server listens on no port of its own: the pump's HTTP server hands it the connections
// whose first bytes are the HTTP/2 client preface (AdoptConnection), as upstream's cmux
// shares the pump's one port (§1.1); adopted_grpc_server.h is that transport, shared with
// the drainer's Cistern service.
//
// Calls run on gRPC's own threads (at most kGrpcServerThreadsMax; a PullBinlogs stream holds
// one for its whole life, as a goroutine does upstream), concurrently with the pump's io
// thread: PumpNode is thread-safe for these calls (pump_node.h).
//
// Thread safety: every method may be called from any thread. The node and the clock must
// outlive the server; Shutdown() (or the destructor) must run before the node's store closes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include "reference/core/status.h"
#include "reference/pump/pump_node.h"
#include "reference/runtime/adopted_grpc_server.h"
#include "reference/runtime/wall_clock.h"

namespace tidb_binlog {

// Upstream PullCommitBinlog's pause before it looks for new binlogs again.
inline constexpr std::chrono::milliseconds kPullIdleWait(100);
// One PullBinlogs batch read from the store: bounded so a stream never holds more than this
// in memory between sends.
inline constexpr std::size_t kPullBatchBinlogsMax = 256;
inline constexpr std::size_t kPullBatchBytesMax = std::size_t{4} << 20;
// Upstream's graceful-stop bound (gRPC GracefulStop within 10 s at pump shutdown); calls still
// running after it are cancelled.
inline constexpr std::chrono::milliseconds kGrpcGracefulStopTimeout = std::chrono::seconds(10);

class PumpGrpcServer {
 public:
  // Builds and starts the service for `node`. IoError when gRPC cannot start it.
  static Result<std::unique_ptr<PumpGrpcServer>> Start(PumpNode& node, WallClock& clock);
  ~PumpGrpcServer();  // Shutdown()
  PumpGrpcServer(const PumpGrpcServer&) = delete;
  PumpGrpcServer& operator=(const PumpGrpcServer&) = delete;

  // Serves the connected socket `fd`, whose HTTP/2 preface is still unread, and takes
  // ownership of it. After Shutdown() the socket is closed instead.
  void AdoptConnection(int fd) { transport_->AdoptConnection(fd); }

  // Ends the pull streams, then stops gRPC gracefully (at most kGrpcGracefulStopTimeout).
  // The first call blocks until every call has returned; later calls return at once.
  void Shutdown();

  class Service;

 private:
  PumpGrpcServer();

  // Wakes idle pull streams when the server stops.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_

  std::unique_ptr<Service> service_;
  std::unique_ptr<AdoptedGrpcServer> transport_;  // declared after service_: stops first
};

}  // namespace tidb_binlog
