// BinlogWriter: how the conformance suite writes binlogs to a pump, for the disruptive scenario
// `scenario.write-and-read-binlog` (write a Prewrite and a Commit, find both at
// /debug/binlog/{ts}). A pump takes binlogs only through its gRPC WriteBinlog (TiDB's path), not
// through its documented HTTP API, so a writer is a second way into a target:
//   * over gRPC for TCP targets: binlog.Pump/WriteBinlog on the target's own host:port (the
//     port upstream's cmux shares between gRPC and HTTP), with a configured cluster id;
//   * a function, for in-process targets: the node's write path called directly.
// Only MakeGrpcBinlogWriter touches gRPC, through reference/grpc's PumpClient.
//
// Thread safety: a writer is used by one thread at a time (the suite is sequential).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "conformance/target.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"

namespace tidb_binlog::conformance {

// The cluster id binlog-cluster's pumps check (reference/runtime/local_cluster.h
// kLocalClusterId); `--cluster-id` sets another for other clusters (PD's cluster id upstream).
inline constexpr uint64_t kDefaultClusterId = 6'000'000'000'000'000'001ULL;

class BinlogWriter {
 public:
  virtual ~BinlogWriter() = default;
  // Where the binlogs go, for reports: "gRPC 127.0.0.1:8250 /binlog.Pump/WriteBinlog".
  virtual const std::string& description() const = 0;
  // Ok when the pump accepted the binlog; otherwise the error as the writer saw it (over
  // gRPC: "code <n>: <message>").
  virtual Status Write(const binlog::Binlog& binlog) = 0;
};

// WriteBinlog over plaintext gRPC to `authority` (host:port) with `cluster_id`.
std::unique_ptr<BinlogWriter> MakeGrpcBinlogWriter(const std::string& authority,
                                                   uint64_t cluster_id);

// A writer that calls `write` (e.g. an in-process node's write path).
std::unique_ptr<BinlogWriter> MakeFunctionBinlogWriter(
    std::string description, std::function<Status(const binlog::Binlog&)> write);

// Makes the writer for pump `index` of the suite's targets; nullptr when there is no way to
// write to it (the scenario is then skipped for that pump).
using BinlogWriterFactory =
    std::function<std::unique_ptr<BinlogWriter>(std::size_t index, Target& pump)>;

}  // namespace tidb_binlog::conformance
