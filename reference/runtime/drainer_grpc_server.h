// DrainerGrpcServer: the gRPC service of one reference drainer (binlog.Cistern, UPSTREAM.md
// §3.4, §6.2), served on the drainer's HTTP port as upstream's cmux does (the HTTP server
// hands over the HTTP/2 connections; adopted_grpc_server.h). Transport only:
//
//  - Notify -> DrainerNode::Notify: the pump list is refreshed before the answer; its error,
//    if any, is a gRPC error with status code Unknown and the node's text (Go's gRPC turns a
//    handler's plain error into Unknown). Then `after_notify` runs, so the driver can send
//    the pulls the refresh asked for.
//  - DumpBinlog: ends at once with OK and no message; DumpDDLJobs: an empty
//    DumpDDLJobsResp. Both are vestigial upstream.
//
// Calls run on gRPC's threads, concurrently with the drainer's io thread: DrainerNode is
// thread-safe (drainer_node.h); `after_notify` must be too (the runtime posts to its io
// thread).
//
// Thread safety: every method may be called from any thread. The node and the clock must
// outlive the server; Shutdown() (or the destructor) must run before the node goes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "reference/core/status.h"
#include "reference/drainer/drainer_node.h"
#include "reference/runtime/adopted_grpc_server.h"
#include "reference/runtime/wall_clock.h"

namespace tidb_binlog {

// How long a stopping drainer lets Notify calls finish (each is one registry read).
inline constexpr std::chrono::milliseconds kDrainerGrpcGracefulStopTimeout =
    std::chrono::seconds(1);

class DrainerGrpcServer {
 public:
  static Result<std::unique_ptr<DrainerGrpcServer>> Start(DrainerNode& node, WallClock& clock,
                                                          std::function<void()> after_notify);
  ~DrainerGrpcServer();  // Shutdown()
  DrainerGrpcServer(const DrainerGrpcServer&) = delete;
  DrainerGrpcServer& operator=(const DrainerGrpcServer&) = delete;

  // The HttpServer's on_http2_connection hook (AdoptedGrpcServer::ConnectionHook).
  std::function<void(int fd)> ConnectionHook() { return transport_->ConnectionHook(); }
  // Stops gRPC (at most kDrainerGrpcGracefulStopTimeout); later calls return at once.
  void Shutdown();

  class Service;

 private:
  DrainerGrpcServer() = default;

  std::unique_ptr<Service> service_;
  std::unique_ptr<AdoptedGrpcServer> transport_;  // declared after service_: stops first
};

}  // namespace tidb_binlog
