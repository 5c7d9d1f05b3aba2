#include "reference/runtime/drainer_host.h"

#include <filesystem>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "reference/drainer/drainer_http.h"
#include "reference/storage/posix_file.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;

using posix_file::EnsureDirectory;

}  // namespace

DrainerHost::DrainerHost(boost::asio::io_context& io, WallClock& clock,
                         DrainerHostConfig config, PumpLocator pumps,
                         FinishedCallback on_finished)
    : NodeHost(io, clock, config.advertise_host + ":" + std::to_string(config.port),
               config.port, std::move(on_finished)),
      config_(std::move(config)),
      pumps_(std::move(pumps)) {}

DrainerHost::~DrainerHost() { ReleaseResources(); }

std::string DrainerHost::binlog_dir() const {
  return (fs::path(config_.data_dir) / kDrainerBinlogDirName).string();
}

Result<std::shared_ptr<DrainerHost>> DrainerHost::Open(
    boost::asio::io_context& io, WallClock& clock, Registry& registry, TsoSource& tso,
    const DrainerHostConfig& config, PumpLocator pumps, FinishedCallback on_finished) {
  std::shared_ptr<DrainerHost> host(
      new DrainerHost(io, clock, config, std::move(pumps), std::move(on_finished)));
  BINLOG_RETURN_IF_ERROR(EnsureDirectory(host->binlog_dir()));
  DrainerOptions options = config.options;
  options.node_id = DecideDrainerNodeId(config.configured_node_id, config.hostname, config.port);
  options.advertise_addr = host->address();
  BINLOG_RETURN_IF_ERROR(ValidateDrainerOptions(options));

  Result<std::unique_ptr<FileCheckpoint>> checkpoint =
      FileCheckpoint::Open(config.data_dir, options.initial_commit_ts);
  if (!checkpoint.ok()) return checkpoint.status();
  host->checkpoint_ = std::move(checkpoint).value();
  BinlogFileDestinationOptions destination_options;
  destination_options.dir = host->binlog_dir();
  destination_options.now_unix_seconds = [&clock] { return clock.NowMs() / 1000; };
  Result<std::unique_ptr<BinlogFileDestination>> destination =
      BinlogFileDestination::Open(std::move(destination_options));
  if (!destination.ok()) return destination.status();
  host->destination_ = std::move(destination).value();
  host->metrics_ = std::make_unique<DrainerMetrics>();
  host->node_ = std::make_unique<DrainerNode>(options, registry, tso, *host->checkpoint_,
                                              *host->destination_, *host->metrics_);
  BINLOG_RETURN_IF_ERROR(host->node_->Start(clock.NowMs()));
  // Notify runs on a gRPC thread; the pulls its refresh asks for are sent from the io thread.
  std::weak_ptr<NodeHost> weak = host;
  Result<std::unique_ptr<DrainerGrpcServer>> grpc =
      DrainerGrpcServer::Start(*host->node_, clock, [&io, weak] {
        boost::asio::post(io, [weak] {
          if (auto self = weak.lock()) self->Drive();
        });
      });
  if (!grpc.ok()) return grpc.status();
  host->grpc_ = std::move(grpc).value();
  // The HTTP server may hand over connections until the io_context stops; the host (and so
  // grpc_) lives that long (node_host.h), and a shut-down gRPC server closes what it gets.
  Router router = MakeDrainerRouter(*host->node_, [&clock] { return clock.NowMs(); });
  BINLOG_RETURN_IF_ERROR(host->StartServing(std::move(router), config.listen_host,
                                            host->grpc_->ConnectionHook()));
  spdlog::info("drainer {} serves {} (data dir {}, checkpoint ts {})", options.node_id,
               host->address(), config.data_dir, host->node_->CheckpointTs());
  host->Drive();
  return host;
}

void DrainerHost::AfterNodeCall() {
  for (const PullRequest& request : node_->TakePullRequests()) CarryPull(request);
}

void DrainerHost::CarryPull(const PullRequest& request) {
  std::weak_ptr<NodeHost> weak = weak_from_this();
  boost::asio::post(io(), [this, weak, request] {
    if (weak.expired()) return;
    std::shared_ptr<PumpHost> pump = pumps_(request.pump_host);
    Result<PullResult> result =
        pump ? pump->Pull(request.after_ts, request.limit_count, request.limit_bytes)
             : Result<PullResult>(Status::Unavailable(
                   "connection error: dial tcp " + request.pump_host + ": connect: connection refused"));
    boost::asio::post(io(), [this, weak, id = request.id, result = std::move(result)]() mutable {
      if (weak.expired() || finished()) return;
      node_->OnPullResponse(id, std::move(result), clock().NowMs());
      Drive();
    });
  });
}

void DrainerHost::ReleaseResources() {
  if (grpc_) grpc_->Shutdown();
  if (destination_) {
    const Status closed = destination_->Close();
    if (!closed.ok()) spdlog::error("close drainer destination: {}", closed.message());
  }
  if (checkpoint_) checkpoint_->Close();
}

}  // namespace tidb_binlog
