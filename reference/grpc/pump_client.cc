#include "reference/grpc/pump_client.h"

#include <iterator>
#include <utility>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/sync_stream.h>

#include "reference/core/binlog_codec.h"
#include "reference/grpc/grpc_status.h"
#include "reference/grpc/proto/pump.grpc.pb.h"

namespace tidb_binlog {
namespace {

using grpc_internal::DeadlineAfter;
using grpc_internal::FromGrpc;

// grpc-go's codes.Code String() names, indexed by code (google.golang.org/grpc/codes).
constexpr const char* kGoCodeNames[] = {
    "OK",           "Canceled",           "Unknown",          "InvalidArgument",
    "DeadlineExceeded", "NotFound",       "AlreadyExists",    "PermissionDenied",
    "ResourceExhausted", "FailedPrecondition", "Aborted",     "OutOfRange",
    "Unimplemented", "Internal",          "Unavailable",      "DataLoss",
    "Unauthenticated",
};

}  // namespace

std::string RpcStatus::ToString() const {
  if (ok()) return "OK";
  return "code " + std::to_string(code) + ": " + message;
}

std::string RpcStatus::GoErrorText() const {
  const bool named = code >= 0 && code < static_cast<int>(std::size(kGoCodeNames));
  const std::string name = named ? kGoCodeNames[code] : "Code(" + std::to_string(code) + ")";
  return "rpc error: code = " + name + " desc = " + message;
}

// ---- PumpPullStream ----

class PumpPullStream::Impl {
 public:
  Impl(binlog::Pump::Stub& stub, const binlog::PullBinlogReq& request,
       std::chrono::milliseconds deadline) {
    context_.set_deadline(DeadlineAfter(deadline));
    reader_ = stub.PullBinlogs(&context_, request);
  }

  bool Next(binlog::PullBinlogResp* response) { return !finished_ && reader_->Read(response); }
  // gRPC allows one Finish per call: later calls return the first answer.
  RpcStatus Finish() {
    if (!finished_) {
      finished_ = true;
      final_status_ = FromGrpc(reader_->Finish());
    }
    return final_status_;
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;  // declared first: the reader refers to it
  std::unique_ptr<grpc::ClientReader<binlog::PullBinlogResp>> reader_;
  bool finished_ = false;
  RpcStatus final_status_;
};

PumpPullStream::PumpPullStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PumpPullStream::~PumpPullStream() {
  // A ClientReader must be finished before it goes; cancel first so that does not block.
  impl_->Cancel();
  binlog::PullBinlogResp drained;
  while (impl_->Next(&drained)) {
  }
  impl_->Finish();
}

bool PumpPullStream::Next(binlog::PullBinlogResp* response) { return impl_->Next(response); }
RpcStatus PumpPullStream::Finish() { return impl_->Finish(); }
void PumpPullStream::Cancel() { impl_->Cancel(); }

// ---- PumpClient ----

struct PumpClient::Impl {
  Impl(const std::string& address, std::chrono::milliseconds rpc_timeout)
      : timeout(rpc_timeout) {
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(kGrpcMessageBytesMax);
    channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
    stub = binlog::Pump::NewStub(channel);
  }

  const std::chrono::milliseconds timeout;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<binlog::Pump::Stub> stub;
};

PumpClient::PumpClient(const std::string& address, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(address, timeout)) {}

PumpClient::~PumpClient() = default;

RpcStatus PumpClient::WriteBinlog(uint64_t cluster_id, const std::string& payload) {
  binlog::WriteBinlogReq request;
  request.set_clusterid(cluster_id);
  request.set_payload(payload);
  binlog::WriteBinlogResp response;
  grpc::ClientContext context;
  context.set_deadline(DeadlineAfter(impl_->timeout));
  RpcStatus status = FromGrpc(impl_->stub->WriteBinlog(&context, request, &response));
  if (status.ok() && !response.errmsg().empty()) {
    return RpcStatus{kGrpcCodeUnknown, response.errmsg()};
  }
  return status;
}

RpcStatus PumpClient::WriteBinlog(uint64_t cluster_id, const binlog::Binlog& binlog) {
  return WriteBinlog(cluster_id, EncodeBinlog(binlog));
}

std::unique_ptr<PumpPullStream> PumpClient::PullBinlogs(uint64_t cluster_id, int64_t after_ts,
                                                        std::chrono::milliseconds deadline) {
  binlog::PullBinlogReq request;
  request.set_clusterid(cluster_id);
  request.mutable_startfrom()->set_offset(after_ts);
  return std::make_unique<PumpPullStream>(
      std::make_unique<PumpPullStream::Impl>(*impl_->stub, request, deadline));
}

}  // namespace tidb_binlog
