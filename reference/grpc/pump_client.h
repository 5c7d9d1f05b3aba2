// PumpClient: a small blocking client of a pump's gRPC service (binlog.Pump, UPSTREAM.md §6.2),
// the way TiDB (WriteBinlog) and a drainer (PullBinlogs) talk to a pump. It works against any
// pump: upstream's or the reference's (which serves gRPC on its HTTP port, pump_grpc_server.h).
// Used by the runtime's end-to-end tests and the conformance suite; not a production client
// (no retries, no load balancing over pumps, no TLS).
//
// Outcomes are reported as the wire shows them (gRPC status code and message), because that is
// what upstream's contract is about: every WriteBinlog failure is code Unknown with upstream's
// text (§2.6), and success is an empty WriteBinlogResp.
//
// This header does not include gRPC's headers (they are heavy): the channel and stub live in
// pump_client.cc.
//
// Thread safety: a PumpClient may be used by several threads at once (gRPC stubs are
// thread-safe). A PumpPullStream is read by one thread; Cancel() may come from any thread.
#pragma once

#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/proto/pump.pb.h"

namespace tidb_binlog {

// gRPC status codes this code names (grpc::StatusCode values, which are stable wire numbers).
inline constexpr int kGrpcCodeOk = 0;
inline constexpr int kGrpcCodeUnknown = 2;
inline constexpr int kGrpcCodeDeadlineExceeded = 4;
inline constexpr int kGrpcCodeUnimplemented = 12;
inline constexpr int kGrpcCodeUnavailable = 14;

// Largest gRPC message a pump receives and a puller accepts. Upstream's default (pump
// `-max-message-size`, drainer's receive limit) is math.MaxInt - 4 MiB, i.e. unbounded in
// practice; gRPC C++ takes an int, so this is the closest bound it can express.
inline constexpr int kGrpcMessageBytesMax = INT_MAX;
// How long one WriteBinlog may take, connection included, before the client gives up.
inline constexpr std::chrono::milliseconds kDefaultPumpRpcTimeout = std::chrono::seconds(10);

// One RPC's outcome: gRPC status code and message.
struct RpcStatus {
  int code = kGrpcCodeOk;
  std::string message;

  bool ok() const { return code == kGrpcCodeOk; }
  // "OK", or "code <n>: <message>".
  std::string ToString() const;
  // The text of the error a Go gRPC client gets (status.Error's Error()):
  // "rpc error: code = <Name> desc = <message>". Only meaningful when !ok().
  std::string GoErrorText() const;
};

// A PullBinlogs server stream. Destroying it cancels the call.
class PumpPullStream {
 public:
  class Impl;
  explicit PumpPullStream(std::unique_ptr<Impl> impl);
  ~PumpPullStream();
  PumpPullStream(const PumpPullStream&) = delete;
  PumpPullStream& operator=(const PumpPullStream&) = delete;

  // Blocks for the next response. False once the stream ended (the pump closed it, the call
  // failed, was cancelled or passed its deadline); Finish() then says how.
  bool Next(binlog::PullBinlogResp* response);
  // The final status, once Next() returned false (or after Cancel()); repeatable.
  RpcStatus Finish();
  // Asks the pump to end the call (Next() then returns false). Thread-safe.
  void Cancel();

 private:
  std::unique_ptr<Impl> impl_;
};

class PumpClient {
 public:
  // `address` is "host:port" (plaintext HTTP/2, as a pump without [security] serves).
  explicit PumpClient(const std::string& address,
                      std::chrono::milliseconds timeout = kDefaultPumpRpcTimeout);
  ~PumpClient();
  PumpClient(const PumpClient&) = delete;
  PumpClient& operator=(const PumpClient&) = delete;

  // WriteBinlogReq{clusterID, payload}. OK when the pump answered an empty WriteBinlogResp;
  // an answer carrying a non-empty errmsg with status OK (upstream never sends one) is
  // reported as code Unknown with that errmsg.
  RpcStatus WriteBinlog(uint64_t cluster_id, const std::string& payload);
  // The same with `binlog` encoded as upstream's gogo marshaller does (binlog_codec.h).
  RpcStatus WriteBinlog(uint64_t cluster_id, const binlog::Binlog& binlog);

  // Opens PullBinlogs for binlogs committed after `after_ts` (startFrom.offset), ending at the
  // latest after `deadline` from now.
  std::unique_ptr<PumpPullStream> PullBinlogs(uint64_t cluster_id, int64_t after_ts,
                                              std::chrono::milliseconds deadline);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidb_binlog
