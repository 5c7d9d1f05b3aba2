#include "reference/grpc/cistern_client.h"

#include <utility>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/sync_stream.h>

#include "reference/grpc/grpc_status.h"
#include "reference/grpc/proto/cistern.grpc.pb.h"

namespace tidb_binlog {

using grpc_internal::DeadlineAfter;
using grpc_internal::FromGrpc;

struct CisternClient::Impl {
  explicit Impl(const std::string& address)
      : channel(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub(binlog::Cistern::NewStub(channel)) {}

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<binlog::Cistern::Stub> stub;
};

CisternClient::CisternClient(const std::string& address)
    : impl_(std::make_unique<Impl>(address)) {}

CisternClient::~CisternClient() = default;

RpcStatus CisternClient::Notify(std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(DeadlineAfter(timeout));
  binlog::NotifyResp response;
  return FromGrpc(impl_->stub->Notify(&context, binlog::NotifyReq(), &response));
}

RpcStatus CisternClient::DumpDDLJobs(int64_t begin_commit_ts, std::chrono::milliseconds timeout,
                                     binlog::DumpDDLJobsResp* response) {
  grpc::ClientContext context;
  context.set_deadline(DeadlineAfter(timeout));
  binlog::DumpDDLJobsReq request;
  request.set_begincommitts(begin_commit_ts);
  return FromGrpc(impl_->stub->DumpDDLJobs(&context, request, response));
}

RpcStatus CisternClient::DumpBinlog(int64_t begin_commit_ts, std::chrono::milliseconds timeout,
                                    std::vector<binlog::DumpBinlogResp>* responses) {
  grpc::ClientContext context;
  context.set_deadline(DeadlineAfter(timeout));
  binlog::DumpBinlogReq request;
  request.set_begincommitts(begin_commit_ts);
  std::unique_ptr<grpc::ClientReader<binlog::DumpBinlogResp>> reader =
      impl_->stub->DumpBinlog(&context, request);
  binlog::DumpBinlogResp response;
  while (reader->Read(&response)) responses->push_back(response);
  return FromGrpc(reader->Finish());
}

}  // namespace tidb_binlog
