// CisternClient: a small client of a drainer's gRPC service (binlog.Cistern, UPSTREAM.md
// §3.4, §6.2), the way a starting pump Notify()s the online drainers (upstream
// pump/node.go notifyDrainer). It works against any drainer, upstream's or the reference's
// (which serves gRPC on its HTTP port, drainer_grpc_server.h). Used by the runtime's PumpHost
// (Notify) and by tests (all three calls). No retries (the PumpNode decides those), no TLS.
//
// Outcomes are reported as the wire shows them (RpcStatus, pump_client.h).
//
// This header does not include gRPC's headers: the channel and stub live in
// cistern_client.cc.
//
// Thread safety: a CisternClient may be used by several threads at once (gRPC stubs are
// thread-safe). Every call blocks its caller until the answer or the timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reference/core/proto/cistern.pb.h"
#include "reference/grpc/pump_client.h"

namespace tidb_binlog {

class CisternClient {
 public:
  // `address` is "host:port" (plaintext HTTP/2, as a drainer without [security] serves).
  explicit CisternClient(const std::string& address);
  ~CisternClient();
  CisternClient(const CisternClient&) = delete;
  CisternClient& operator=(const CisternClient&) = delete;

  // Notify(NotifyReq{}) within `timeout`: OK once the drainer refreshed its pump list.
  RpcStatus Notify(std::chrono::milliseconds timeout);

  // DumpDDLJobs(DumpDDLJobsReq{beginCommitTS}); the answer in `*response`.
  RpcStatus DumpDDLJobs(int64_t begin_commit_ts, std::chrono::milliseconds timeout,
                        binlog::DumpDDLJobsResp* response);
  // DumpBinlog(DumpBinlogReq{beginCommitTS}), read to its end; the answers in `*responses`.
  RpcStatus DumpBinlog(int64_t begin_commit_ts, std::chrono::milliseconds timeout,
                       std::vector<binlog::DumpBinlogResp>* responses);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidb_binlog
