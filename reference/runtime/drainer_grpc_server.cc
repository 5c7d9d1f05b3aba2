#include "reference/runtime/drainer_grpc_server.h"

#include <utility>

#include <grpcpp/server_context.h>
#include <grpcpp/support/sync_stream.h>

#include "reference/grpc/proto/cistern.grpc.pb.h"

namespace tidb_binlog {

class DrainerGrpcServer::Service final : public binlog::Cistern::Service {
 public:
  Service(DrainerNode& node, WallClock& clock, std::function<void()> after_notify)
      : node_(node), clock_(clock), after_notify_(std::move(after_notify)) {}

  grpc::Status Notify(grpc::ServerContext*, const binlog::NotifyReq*,
                      binlog::NotifyResp*) override {
    const Status refreshed = node_.Notify(clock_.NowMs());
    if (after_notify_) after_notify_();
    if (refreshed.ok()) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::UNKNOWN, refreshed.message());
  }

  grpc::Status DumpBinlog(grpc::ServerContext*, const binlog::DumpBinlogReq*,
                          grpc::ServerWriter<binlog::DumpBinlogResp>*) override {
    return grpc::Status::OK;
  }

  grpc::Status DumpDDLJobs(grpc::ServerContext*, const binlog::DumpDDLJobsReq*,
                           binlog::DumpDDLJobsResp*) override {
    return grpc::Status::OK;
  }

 private:
  DrainerNode& node_;
  WallClock& clock_;
  std::function<void()> after_notify_;
};

Result<std::unique_ptr<DrainerGrpcServer>> DrainerGrpcServer::Start(
    DrainerNode& node, WallClock& clock, std::function<void()> after_notify) {
  std::unique_ptr<DrainerGrpcServer> server(new DrainerGrpcServer());
  server->service_ = std::make_unique<Service>(node, clock, std::move(after_notify));
  Result<std::unique_ptr<AdoptedGrpcServer>> transport =
      AdoptedGrpcServer::Start("drainer-grpc", {server->service_.get()});
  if (!transport.ok()) return transport.status();
  server->transport_ = std::move(transport).value();
  return server;
}

DrainerGrpcServer::~DrainerGrpcServer() { Shutdown(); }

void DrainerGrpcServer::Shutdown() {
  if (transport_) transport_->Shutdown(kDrainerGrpcGracefulStopTimeout);
}

}  // namespace tidb_binlog
