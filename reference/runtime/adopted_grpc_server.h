// AdoptedGrpcServer: a gRPC server with no listening port of its own, fed the connections a
// node's HTTP server hands over (HttpServerOptions::on_http2_connection: the connections whose
// first bytes are the HTTP/2 client preface). That is how upstream's cmux shares one port
// between gRPC and HTTP/1.x (UPSTREAM.md §1.1), for the pump (binlog.Pump,
// pump_grpc_server.h) and the drainer (binlog.Cistern, drainer_grpc_server.h) alike. It is
// transport only: the services it runs decide everything.
//
// One difference from cmux: cmux gives gRPC only HTTP/2 connections whose request says
// content-type application/grpc; here every HTTP/2 connection goes to gRPC, which answers a
// non-gRPC request with an HTTP/2 error where cmux would have closed the connection.
//
// Calls run on gRPC's own threads (at most kGrpcServerThreadsMax).
//
// Thread safety: every method may be called from any thread. The services must outlive the
// server (or its Shutdown()).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "reference/core/status.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace tidb_binlog {

// gRPC server threads: each open server stream holds one (a drainer opens one PullBinlogs
// stream per pump), each unary call one while it runs. Calls beyond this are refused with
// RESOURCE_EXHAUSTED.
inline constexpr int kGrpcServerThreadsMax = 64;

class AdoptedGrpcServer {
 public:
  // Builds and starts a server running `services` (not owned). `name` names its resource
  // quota (for gRPC's logs). IoError when gRPC cannot start it.
  static Result<std::unique_ptr<AdoptedGrpcServer>> Start(
      const std::string& name, const std::vector<grpc::Service*>& services);
  ~AdoptedGrpcServer();  // Shutdown(now)
  AdoptedGrpcServer(const AdoptedGrpcServer&) = delete;
  AdoptedGrpcServer& operator=(const AdoptedGrpcServer&) = delete;

  // Serves the connected socket `fd`, whose HTTP/2 preface is still unread, and takes
  // ownership of it. After Shutdown() the socket is closed instead.
  void AdoptConnection(int fd);
  // The on_http2_connection hook for the node's HttpServer: AdoptConnection on this server.
  // The server must outlive the HTTP server's use of the hook.
  std::function<void(int fd)> ConnectionHook();

  // Stops gRPC gracefully: calls still running after `graceful_timeout` are cancelled. The
  // first call blocks until every call has returned; later calls return at once.
  void Shutdown(std::chrono::milliseconds graceful_timeout);

 private:
  AdoptedGrpcServer() = default;

  std::mutex mu_;           // serialises AdoptConnection with Shutdown
  bool shut_down_ = false;  // guarded by mu_
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace tidb_binlog
