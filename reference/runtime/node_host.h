// NodeHost: runs one sans-I/O node (a PumpNode or a DrainerNode) under the wall-clock driver
// (DESIGN.md §3): its HTTP server, its timer and its end.
//
// Contract with the node: every call into it happens on the io_context's one thread; after
// each call (a timer expiry, an HTTP request, a pull answer, a signal) Drive() runs, which
// lets the subclass dispatch what the node asked for (the drainer's pulls), then either
// finishes the node once it is Stopped() or re-arms one steady_timer at NextTimerMs().
// Finishing stops the HTTP server (a paused or closed node stops serving, as upstream's
// process exits) and releases the node's durable resources (store, checkpoint,
// destination: closed, data kept); then the `on_finished` callback runs.
//
// Lifetime: hosts are owned by shared_ptr; pending timer handlers hold weak references. A
// finished host must still be kept alive until the io_context stops running, because the
// HTTP server's connections may still reference its node (server.h's contract).
// Thread safety: Drive(), Shutdown() and the subclass hooks run on the io thread only; the
// accessors marked thread-safe may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "reference/core/node_status.h"
#include "reference/core/status.h"
#include "reference/http/router.h"
#include "reference/http/server.h"
#include "reference/runtime/wall_clock.h"

namespace tidb_binlog {

class NodeHost : public std::enable_shared_from_this<NodeHost> {
 public:
  using FinishedCallback = std::function<void(NodeHost&)>;

  virtual ~NodeHost();
  NodeHost(const NodeHost&) = delete;
  NodeHost& operator=(const NodeHost&) = delete;

  // Thread-safe accessors.
  virtual NodeKind kind() const = 0;
  virtual const std::string& node_id() const = 0;
  virtual NodeState state() const = 0;
  const std::string& address() const { return address_; }  // advertised host:port
  uint16_t port() const { return port_; }
  // The HTTP server is up (false once the node finished).
  bool serving() const { return serving_.load(); }
  bool finished() const { return finished_.load(); }

  // A termination signal: the node's pause sequence; Drive() follows.
  void Shutdown();
  // See the header comment.
  void Drive();

 protected:
  NodeHost(boost::asio::io_context& io, WallClock& clock, std::string address, uint16_t port,
           FinishedCallback on_finished);

  // Starts the HTTP server on `listen_host`:port(); after each routed request the node is
  // driven (on the io thread). `on_http2_connection`, when set, receives the connections that
  // open with the HTTP/2 preface (HttpServerOptions; the pump's gRPC).
  Status StartServing(Router router, const std::string& listen_host,
                      std::function<void(int fd)> on_http2_connection = {});

  WallClock& clock() { return clock_; }
  boost::asio::io_context& io() { return io_; }

  // The node's own calls.
  virtual void NodeOnTimer(int64_t now_ms) = 0;
  // kNoTimerMs (reference/core/node_timer.h) when the node wants no call.
  virtual int64_t NodeNextTimerMs() const = 0;
  virtual bool NodeStopped() const = 0;
  virtual void NodeShutdown(int64_t now_ms) = 0;
  // Runs first in every Drive() (the drainer sends its pulls here).
  virtual void AfterNodeCall() {}
  // Closes what the node used (store, checkpoint, destination) once it stopped.
  virtual void ReleaseResources() = 0;

 private:
  void Rearm();
  void Finish();

  boost::asio::io_context& io_;
  WallClock& clock_;
  const std::string address_;
  const uint16_t port_;
  FinishedCallback on_finished_;
  boost::asio::steady_timer timer_;
  int64_t armed_ms_ = -1;  // the deadline the timer is armed for; -1: none
  std::unique_ptr<HttpServer> server_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace tidb_binlog
