#include "reference/runtime/node_host.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "reference/core/assert.h"
#include "reference/core/node_timer.h"

namespace tidb_binlog {

NodeHost::NodeHost(boost::asio::io_context& io, WallClock& clock, std::string address,
                   uint16_t port, FinishedCallback on_finished)
    : io_(io),
      clock_(clock),
      address_(std::move(address)),
      port_(port),
      on_finished_(std::move(on_finished)),
      timer_(io) {}

NodeHost::~NodeHost() = default;

Status NodeHost::StartServing(Router router, const std::string& listen_host,
                              std::function<void(int fd)> on_http2_connection) {
  HttpServerOptions options;
  options.host = listen_host;
  options.port = port_;
  options.on_http2_connection = std::move(on_http2_connection);
  // The handlers already ran on the io thread; driving afterwards (posted, so never inside
  // the server's own call stack) arms whatever the request changed (a pause, a GC trigger).
  std::weak_ptr<NodeHost> weak = weak_from_this();
  options.on_request = [this, weak](const HttpRequest&, const HttpResponse&) {
    boost::asio::post(io_, [weak] {
      if (auto self = weak.lock()) self->Drive();
    });
  };
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(io_, std::move(router), std::move(options));
  if (!server.ok()) return server.status();
  server_ = std::move(server).value();
  serving_ = true;
  return Status::Ok();
}

void NodeHost::Shutdown() {
  if (finished_) return;
  NodeShutdown(clock_.NowMs());
  Drive();
}

void NodeHost::Drive() {
  if (finished_) return;
  AfterNodeCall();
  if (NodeStopped()) {
    Finish();
  } else {
    Rearm();
  }
}

void NodeHost::Rearm() {
  const int64_t due_ms = NodeNextTimerMs();
  if (due_ms == armed_ms_) return;  // already armed for it
  if (due_ms == kNoTimerMs) {
    timer_.cancel();
    armed_ms_ = -1;
    return;
  }
  armed_ms_ = due_ms;
  const int64_t delay_ms = std::max<int64_t>(0, due_ms - clock_.NowMs());
  timer_.expires_after(std::chrono::milliseconds(delay_ms));
  std::weak_ptr<NodeHost> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& error) {
    if (error) return;  // cancelled or re-armed
    auto self = weak.lock();
    if (!self || self->finished_) return;
    self->armed_ms_ = -1;
    const int64_t now_ms = self->clock_.NowMs();
    // A re-arm can race a timer that already fired; never call the node before its time.
    if (now_ms >= self->NodeNextTimerMs()) self->NodeOnTimer(now_ms);
    self->Drive();
  });
}

void NodeHost::Finish() {
  BINLOG_ASSERT(!finished_);
  finished_ = true;
  timer_.cancel();
  if (server_) server_->Stop();
  serving_ = false;
  ReleaseResources();
  spdlog::info("{} {} stopped in state {}; it no longer serves {}", NodeKindName(kind()),
               node_id(), NodeStateName(state()), address_);
  if (on_finished_) on_finished_(*this);
}

}  // namespace tidb_binlog
