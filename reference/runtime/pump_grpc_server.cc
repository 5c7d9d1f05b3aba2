#include "reference/runtime/pump_grpc_server.h"

#include <string>
#include <utility>

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/sync_stream.h>
#include <spdlog/spdlog.h>

#include "reference/core/binlog_codec.h"
#include "reference/grpc/proto/pump.grpc.pb.h"
#include "reference/grpc/pump_client.h"
#include "reference/metrics/pump_metrics.h"

namespace tidb_binlog {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Go's gRPC turns a handler's plain error into status Unknown with the error's text.
grpc::Status UpstreamError(const Status& status) {
  return grpc::Status(grpc::StatusCode::UNKNOWN, status.message());
}

// Upstream's gogo structs are non-nullable: entity, pos and meta are always on the wire, an
// empty pos as an empty message; checksum stays empty.
binlog::PullBinlogResp MakePullResponse(const binlog::Binlog& binlog) {
  binlog::PullBinlogResp response;
  binlog::Entity* entity = response.mutable_entity();
  entity->mutable_pos();
  entity->set_payload(EncodeBinlog(binlog));
  entity->mutable_meta()->set_startts(binlog.start_ts());
  entity->mutable_meta()->set_committs(binlog.commit_ts());
  return response;
}

}  // namespace

// WriteBinlog is a callback method: the call holds no thread while its binlog is made
// durable; the store's thread finishes it (PumpNode::WriteBinlogAsync). A blocking handler
// would hold one of gRPC's threads per write in flight, each woken once per write (measured
// in the store: ~2x the CPU per write of the callback path, benchmarks/README.md "I3").
class PumpGrpcServer::Service final
    : public binlog::Pump::WithCallbackMethod_WriteBinlog<binlog::Pump::Service> {
 public:
  Service(PumpGrpcServer& server, PumpNode& node, WallClock& clock)
      : server_(server), node_(node), clock_(clock) {}

  grpc::ServerUnaryReactor* WriteBinlog(grpc::CallbackServerContext* context,
                                        const binlog::WriteBinlogReq* request,
                                        binlog::WriteBinlogResp*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const auto start = std::chrono::steady_clock::now();
    node_.WriteBinlogAsync(*request, clock_.NowMs(), [this, reactor, start](Status written) {
      node_.ObserveRpcDuration(pump_metric_label::kMethodWriteBinlog, written.ok(),
                               SecondsSince(start));
      reactor->Finish(written.ok() ? grpc::Status::OK : UpstreamError(written));
    });
    return reactor;
  }

  grpc::Status PullBinlogs(grpc::ServerContext* context, const binlog::PullBinlogReq* request,
                           grpc::ServerWriter<binlog::PullBinlogResp>* writer) override {
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status result = StreamBinlogs(*context, *request, *writer);
    node_.ObserveRpcDuration(pump_metric_label::kMethodPullBinlogs, result.ok(),
                             SecondsSince(start));
    if (!result.ok()) spdlog::warn("PullBinlogs failed: {}", result.error_message());
    return result;
  }

 private:
  grpc::Status StreamBinlogs(grpc::ServerContext& context, binlog::PullBinlogReq request,
                             grpc::ServerWriter<binlog::PullBinlogResp>& writer) {
    while (!context.IsCancelled() && !Stopping()) {
      Result<PullResult> pulled =
          node_.PullBinlogs(request, kPullBatchBinlogsMax, kPullBatchBytesMax);
      if (!pulled.ok()) {
        // A stopped node is upstream's pump closing its pull streams: a normal end.
        return node_.Stopped() ? grpc::Status::OK : UpstreamError(pulled.status());
      }
      if (pulled->binlogs.empty()) {
        WaitIdle();
        continue;
      }
      for (const binlog::Binlog& binlog : pulled->binlogs) {
        if (!writer.Write(MakePullResponse(binlog))) {
          return grpc::Status(grpc::StatusCode::CANCELLED, "the puller went away");
        }
        request.mutable_startfrom()->set_offset(binlog.commit_ts());
      }
    }
    return grpc::Status::OK;
  }

  bool Stopping() {
    std::lock_guard lock(server_.stop_mu_);
    return server_.stopping_;
  }

  void WaitIdle() {
    std::unique_lock lock(server_.stop_mu_);
    server_.stop_cv_.wait_for(lock, kPullIdleWait, [this] { return server_.stopping_; });
  }

  PumpGrpcServer& server_;
  PumpNode& node_;
  WallClock& clock_;
};

PumpGrpcServer::PumpGrpcServer() = default;

PumpGrpcServer::~PumpGrpcServer() { Shutdown(); }

Result<std::unique_ptr<PumpGrpcServer>> PumpGrpcServer::Start(PumpNode& node, WallClock& clock) {
  std::unique_ptr<PumpGrpcServer> server(new PumpGrpcServer());
  server->service_ = std::make_unique<Service>(*server, node, clock);
  Result<std::unique_ptr<AdoptedGrpcServer>> transport =
      AdoptedGrpcServer::Start("pump-grpc", {server->service_.get()});
  if (!transport.ok()) return transport.status();
  server->transport_ = std::move(transport).value();
  return server;
}

void PumpGrpcServer::Shutdown() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (transport_) transport_->Shutdown(kGrpcGracefulStopTimeout);
}

}  // namespace tidb_binlog
