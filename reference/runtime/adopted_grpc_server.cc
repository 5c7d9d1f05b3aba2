#include "reference/runtime/adopted_grpc_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <grpcpp/resource_quota.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>
#include <spdlog/spdlog.h>

#include "reference/grpc/pump_client.h"

namespace tidb_binlog {

Result<std::unique_ptr<AdoptedGrpcServer>> AdoptedGrpcServer::Start(
    const std::string& name, const std::vector<grpc::Service*>& services) {
  std::unique_ptr<AdoptedGrpcServer> server(new AdoptedGrpcServer());
  grpc::ResourceQuota quota(name);
  quota.SetMaxThreads(kGrpcServerThreadsMax);
  grpc::ServerBuilder builder;
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(kGrpcMessageBytesMax);
  for (grpc::Service* service : services) builder.RegisterService(service);
  // No listening port: connections arrive through AdoptConnection.
  server->server_ = builder.BuildAndStart();
  if (!server->server_) return Status::IoError("start the " + name + " gRPC server");
  return server;
}

AdoptedGrpcServer::~AdoptedGrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

void AdoptedGrpcServer::AdoptConnection(int fd) {
  std::lock_guard lock(mu_);
  if (shut_down_) {
    ::close(fd);
    return;
  }
  // gRPC's fd endpoint expects a non-blocking socket.
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    spdlog::warn("gRPC: cannot make connection fd {} non-blocking; closing it", fd);
    ::close(fd);
    return;
  }
  grpc::AddInsecureChannelFromFd(server_.get(), fd);
}

std::function<void(int fd)> AdoptedGrpcServer::ConnectionHook() {
  return [this](int fd) { AdoptConnection(fd); };
}

void AdoptedGrpcServer::Shutdown(std::chrono::milliseconds graceful_timeout) {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;  // from here on AdoptConnection closes what it is given
  }
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + graceful_timeout);
}

}  // namespace tidb_binlog
