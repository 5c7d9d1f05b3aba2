#include "conformance/binlog_writer.h"

#include <utility>

#include "reference/grpc/pump_client.h"

namespace tidb_binlog::conformance {
namespace {

class GrpcBinlogWriter final : public BinlogWriter {
 public:
  GrpcBinlogWriter(const std::string& authority, uint64_t cluster_id)
      : description_("gRPC " + authority + " /binlog.Pump/WriteBinlog (cluster id " +
                     std::to_string(cluster_id) + ")"),
        client_(authority),
        cluster_id_(cluster_id) {}

  const std::string& description() const override { return description_; }

  Status Write(const binlog::Binlog& binlog) override {
    const RpcStatus written = client_.WriteBinlog(cluster_id_, binlog);
    if (written.ok()) return Status::Ok();
    return Status::Unavailable(written.ToString());
  }

 private:
  const std::string description_;
  PumpClient client_;
  const uint64_t cluster_id_;
};

class FunctionBinlogWriter final : public BinlogWriter {
 public:
  FunctionBinlogWriter(std::string description,
                       std::function<Status(const binlog::Binlog&)> write)
      : description_(std::move(description)), write_(std::move(write)) {}

  const std::string& description() const override { return description_; }
  Status Write(const binlog::Binlog& binlog) override { return write_(binlog); }

 private:
  const std::string description_;
  const std::function<Status(const binlog::Binlog&)> write_;
};

}  // namespace

std::unique_ptr<BinlogWriter> MakeGrpcBinlogWriter(const std::string& authority,
                                                   uint64_t cluster_id) {
  return std::make_unique<GrpcBinlogWriter>(authority, cluster_id);
}

std::unique_ptr<BinlogWriter> MakeFunctionBinlogWriter(
    std::string description, std::function<Status(const binlog::Binlog&)> write) {
  return std::make_unique<FunctionBinlogWriter>(std::move(description), std::move(write));
}

}  // namespace tidb_binlog::conformance
