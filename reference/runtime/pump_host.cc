#include "reference/runtime/pump_host.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "reference/core/binlog_codec.h"
#include "reference/grpc/cistern_client.h"
#include "reference/pump/pump_http.h"
#include "reference/storage/posix_file.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;

// A .node file is one short line; anything bigger is not ours to read whole.
constexpr std::streamsize kNodeFileBytesMax = 4096;
// HOST_NAME_MAX is 64 on Linux; leave room for the terminating NUL.
constexpr size_t kHostnameBytesMax = 256;

using posix_file::EnsureDirectory;

Result<std::optional<std::string>> ReadNodeFile(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("open " + path);
  std::string contents(static_cast<size_t>(kNodeFileBytesMax), '\0');
  in.read(contents.data(), kNodeFileBytesMax);
  contents.resize(static_cast<size_t>(in.gcount()));
  return std::optional<std::string>(std::move(contents));
}

Status WriteNodeFile(const std::string& path, const std::string& node_id) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << node_id;
    out.flush();
    if (!out) return Status::IoError("write " + path);
  }
  std::error_code error;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, error);
  if (error) return Status::IoError("chmod " + path + ": " + error.message());
  return Status::Ok();
}

// Upstream's node id decision with its file I/O (§5.3).
Result<std::string> DecideNodeId(const PumpHostConfig& config) {
  const std::string path = (fs::path(config.data_dir) / kPumpNodeFileName).string();
  Result<std::optional<std::string>> node_file = ReadNodeFile(path);
  if (!node_file.ok()) return node_file.status();
  const NodeIdDecision decision =
      DecidePumpNodeId(*node_file, config.configured_node_id, config.hostname, config.port);
  if (decision.configured_id_ignored) {
    spdlog::warn("you had a node ID in local file.[if you want to change the node ID, you "
                 "should delete the file {} file and restart the pump] NodeID {}",
                 path, decision.node_id);
  }
  if (decision.write_node_file) BINLOG_RETURN_IF_ERROR(WriteNodeFile(path, decision.node_id));
  return decision.node_id;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string LocalHostname() {
  std::array<char, kHostnameBytesMax> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return std::string(name.data());
}

PumpHost::PumpHost(boost::asio::io_context& io, WallClock& clock, PumpHostConfig config,
                   FinishedCallback on_finished)
    : NodeHost(io, clock, config.advertise_host + ":" + std::to_string(config.port),
               config.port, std::move(on_finished)),
      config_(std::move(config)) {}

PumpHost::~PumpHost() { ReleaseResources(); }

Result<std::shared_ptr<PumpHost>> PumpHost::Open(boost::asio::io_context& io, WallClock& clock,
                                                 Registry& registry, TsoSource& tso,
                                                 const PumpHostConfig& config,
                                                 FinishedCallback on_finished) {
  BINLOG_RETURN_IF_ERROR(EnsureDirectory(config.data_dir));
  Result<std::string> node_id = DecideNodeId(config);
  if (!node_id.ok()) return node_id.status();

  std::shared_ptr<PumpHost> host(new PumpHost(io, clock, config, std::move(on_finished)));
  PumpOptions options = config.options;
  options.node_id = *node_id;
  options.advertise_addr = host->address();
  BINLOG_RETURN_IF_ERROR(ValidatePumpOptions(options));

  RocksDbBinlogStoreOptions store_options;
  store_options.data_dir = config.data_dir;
  store_options.stop_write_at_available_space_bytes =
      config.stop_write_at_available_space_bytes;
  Result<std::unique_ptr<RocksDbBinlogStore>> store = RocksDbBinlogStore::Open(store_options);
  if (!store.ok()) return store.status();
  host->store_ = std::move(store).value();
  host->metrics_ = std::make_unique<PumpMetrics>();
  host->node_ =
      std::make_unique<PumpNode>(options, *host->store_, registry, tso, *host->metrics_);
  BINLOG_RETURN_IF_ERROR(host->node_->Start(clock.NowMs()));
  Result<std::unique_ptr<PumpGrpcServer>> grpc = PumpGrpcServer::Start(*host->node_, clock);
  if (!grpc.ok()) return grpc.status();
  host->grpc_ = std::move(grpc).value();
  // The HTTP server may hand over connections until the io_context stops, after this host
  // finished; the host (and so grpc_) lives that long (node_host.h), and a shut-down gRPC
  // server closes what it is handed.
  BINLOG_RETURN_IF_ERROR(host->StartServing(
      MakePumpRouter(*host->node_), config.listen_host,
      [grpc_server = host->grpc_.get()](int fd) { grpc_server->AdoptConnection(fd); }));
  spdlog::info("pump {} serves {} (data dir {})", options.node_id, host->address(),
               config.data_dir);
  host->Drive();
  return host;
}

bool PumpHost::AcceptsPrewrites() const {
  return !finished() && node_->Started() && node_->state() == NodeState::kOnline &&
         !node_->ShuttingDown();
}

void PumpHost::AfterNodeCall() {
  for (const NotifyRequest& request : node_->TakeNotifyRequests()) CarryNotify(request);
}

// The blocking call runs on the notify thread and gives up at the node's deadline; its
// answer is posted to the io thread, never handed to the node from inside a call into it.
// The node makes one call at a time, so the previous thread has posted its answer already
// (or is past the node's deadline, and ends at its own) when the next call starts.
void PumpHost::CarryNotify(const NotifyRequest& request) {
  JoinNotifyThread();
  const auto timeout =
      std::chrono::milliseconds(std::max<int64_t>(0, request.deadline_ms - clock().NowMs()));
  std::weak_ptr<NodeHost> weak = weak_from_this();
  boost::asio::io_context& io_context = io();
  notify_thread_ = std::thread([weak, &io_context, request, timeout] {
    const RpcStatus answer = CisternClient(request.drainer_host).Notify(timeout);
    boost::asio::post(io_context, [weak, id = request.id, answer] {
      auto self = std::static_pointer_cast<PumpHost>(weak.lock());
      if (!self || self->finished()) return;
      // Go's gRPC client error text, as upstream's notifyDrainer reports it.
      const Status result =
          answer.ok() ? Status::Ok() : Status::Unavailable(answer.GoErrorText());
      self->node_->OnNotifyResult(id, result, self->clock().NowMs());
      self->Drive();
    });
  });
}

void PumpHost::JoinNotifyThread() {
  if (notify_thread_.joinable()) notify_thread_.join();
}

Status PumpHost::WriteBinlog(const binlog::Binlog& binlog) {
  binlog::WriteBinlogReq request;
  request.set_clusterid(config_.options.cluster_id);
  request.set_payload(EncodeBinlog(binlog));
  const auto start = std::chrono::steady_clock::now();
  Status written = node_->WriteBinlog(request, clock().NowMs());
  node_->ObserveRpcDuration(pump_metric_label::kMethodWriteBinlog, written.ok(),
                            SecondsSince(start));
  return written;
}

Result<PullResult> PumpHost::Pull(int64_t after_ts, size_t limit_count, size_t limit_bytes) {
  binlog::PullBinlogReq request;
  request.set_clusterid(config_.options.cluster_id);
  request.mutable_startfrom()->set_offset(after_ts);
  const auto start = std::chrono::steady_clock::now();
  Result<PullResult> pulled = node_->PullBinlogs(request, limit_count, limit_bytes);
  node_->ObserveRpcDuration(pump_metric_label::kMethodPullBinlogs, pulled.ok(),
                            SecondsSince(start));
  return pulled;
}

void PumpHost::ReleaseResources() {
  JoinNotifyThread();
  // Upstream's order: stop serving pull streams and stop gRPC, then close storage.
  if (grpc_) grpc_->Shutdown();
  if (!store_) return;
  const Status closed = store_->Close();
  if (!closed.ok()) spdlog::error("close pump storage {}: {}", config_.data_dir, closed.message());
}

}  // namespace tidb_binlog
