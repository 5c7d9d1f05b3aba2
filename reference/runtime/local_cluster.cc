#include "reference/runtime/local_cluster.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "reference/core/assert.h"
#include "reference/http/http_types.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

// Asks the kernel for a free port on `host` by binding port 0, then releases it for the
// node's server to bind (with SO_REUSEADDR). The node id and advertised address need the
// port before the node exists, and the server needs the node before it listens.
Result<uint16_t> ReserveEphemeralPort(boost::asio::io_context& io, const std::string& host) {
  try {
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host, "0");
    tcp::acceptor acceptor(io, endpoints.begin()->endpoint());
    return acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& error) {
    return Status::IoError("reserve a port on " + host + ": " + error.what());
  }
}

// Port of the index-th node of a kind: `first` stepped by `step`, or ephemeral when first
// is 0.
Result<uint16_t> NodePort(boost::asio::io_context& io, const std::string& host, uint16_t first,
                          int index, int step) {
  if (first == 0) return ReserveEphemeralPort(io, host);
  const int port = first + step * index;
  if (port <= 0 || port > 65535) {
    return Status::InvalidArgument("port " + std::to_string(port) + " out of range");
  }
  return static_cast<uint16_t>(port);
}

HttpResponse AdminJson(http::status status, const boost::json::value& body) {
  HttpResponse response = RenderJsonResponse(boost::json::serialize(body) + "\n");
  response.result(status);
  return response;
}

Status ValidateOptions(const LocalClusterOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("data dir must be given");
  if (options.pumps < 1 || options.pumps > kLocalPumpsMax) {
    return Status::InvalidArgument("pumps must be within 1.." + std::to_string(kLocalPumpsMax));
  }
  if (options.drainers < 0 || options.drainers > kLocalDrainersMax) {
    return Status::InvalidArgument("drainers must be within 0.." +
                                   std::to_string(kLocalDrainersMax));
  }
  if (options.write_rate < 0) return Status::InvalidArgument("write rate must be >= 0");
  return Status::Ok();
}

}  // namespace

LocalCluster::LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}

LocalCluster::~LocalCluster() {
  RequestShutdown();
  Wait();
  if (workload_) workload_->Stop();
}

Result<std::unique_ptr<LocalCluster>> LocalCluster::Start(LocalClusterOptions options) {
  BINLOG_RETURN_IF_ERROR(ValidateOptions(options));
  if (options.hostname.empty()) options.hostname = LocalHostname();
  std::unique_ptr<LocalCluster> cluster(new LocalCluster(std::move(options)));
  BINLOG_RETURN_IF_ERROR(cluster->Open());
  return cluster;
}

Status LocalCluster::Open() {
  const std::string& host = options_.host;
  for (int i = 0; i < options_.pumps; ++i) {
    PumpSlot slot;
    slot.config.data_dir = (fs::path(options_.data_dir) / ("pump-" + std::to_string(i))).string();
    slot.config.listen_host = host;
    slot.config.advertise_host = host;
    Result<uint16_t> port = NodePort(io_, host, options_.pump_port, i, +1);
    if (!port.ok()) return port.status();
    slot.config.port = *port;
    slot.config.hostname = options_.hostname;
    slot.config.options = options_.pump;
    slot.config.options.cluster_id = kLocalClusterId;
    slot.config.stop_write_at_available_space_bytes =
        options_.stop_write_at_available_space_bytes;
    pumps_.push_back(std::move(slot));
    BINLOG_RETURN_IF_ERROR(OpenPump(pumps_.back()));
  }
  for (int i = 0; i < options_.drainers; ++i) {
    DrainerSlot slot;
    slot.config.data_dir =
        (fs::path(options_.data_dir) / ("drainer-" + std::to_string(i))).string();
    slot.config.listen_host = host;
    slot.config.advertise_host = host;
    Result<uint16_t> port = NodePort(io_, host, options_.drainer_port, i, -1);
    if (!port.ok()) return port.status();
    slot.config.port = *port;
    slot.config.hostname = options_.hostname;
    slot.config.options = options_.drainer;
    drainers_.push_back(std::move(slot));
    BINLOG_RETURN_IF_ERROR(OpenDrainer(drainers_.back()));
  }
  BINLOG_RETURN_IF_ERROR(StartAdmin());
  if (options_.handle_signals) {
    signals_.emplace(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& error, int signal) {
      if (error) return;
      spdlog::info("got signal [{}] to exit.", signal);
      BeginShutdown();
    });
  }
  if (options_.write_rate > 0) {
    workload_ = std::make_unique<TidbWorkload>(
        TidbWorkloadOptions{options_.write_rate, options_.workload_seed}, *this, tso_);
    workload_->Start();
  }
  return Status::Ok();
}

Status LocalCluster::OpenPump(PumpSlot& slot) {
  Result<std::shared_ptr<PumpHost>> host = PumpHost::Open(
      io_, clock_, registry_, tso_, slot.config, [this](NodeHost&) { OnHostFinished(); });
  if (!host.ok()) {
    return Status(host.status().code(),
                  "start pump in " + slot.config.data_dir + ": " + host.status().message());
  }
  std::lock_guard<std::mutex> lock(slots_mu_);
  if (slot.host) retired_.push_back(slot.host);
  slot.host = std::move(host).value();
  return Status::Ok();
}

Status LocalCluster::OpenDrainer(DrainerSlot& slot) {
  Result<std::shared_ptr<DrainerHost>> host = DrainerHost::Open(
      io_, clock_, registry_, tso_, slot.config,
      [this](std::string_view address) { return FindPumpByAddress(address); },
      [this](NodeHost&) { OnHostFinished(); });
  if (!host.ok()) {
    return Status(host.status().code(),
                  "start drainer in " + slot.config.data_dir + ": " + host.status().message());
  }
  std::lock_guard<std::mutex> lock(slots_mu_);
  if (slot.host) retired_.push_back(slot.host);
  slot.host = std::move(host).value();
  return Status::Ok();
}

Status LocalCluster::StartAdmin() {
  Router router;
  router.Add(http::verb::get, "/nodes",
             [this](const HttpRequest&, const PathParams&) { return HandleNodes(); });
  router.Add(http::verb::post, "/nodes/{id}/start",
             [this](const HttpRequest&, const PathParams& params) {
               return HandleStartNode(params.Get("id"));
             });
  HttpServerOptions server_options;
  server_options.host = options_.host;
  server_options.port = options_.admin_port;
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(io_, std::move(router), std::move(server_options));
  if (!server.ok()) return Status(server.status().code(), "admin: " + server.status().message());
  admin_server_ = std::move(server).value();
  admin_port_ = admin_server_->port();
  return Status::Ok();
}

std::shared_ptr<PumpHost> LocalCluster::FindPumpByAddress(std::string_view address) const {
  std::lock_guard<std::mutex> lock(slots_mu_);
  for (const PumpSlot& slot : pumps_) {
    if (slot.host && !slot.host->finished() && slot.host->address() == address) return slot.host;
  }
  return nullptr;
}

std::vector<NodeInfo> LocalCluster::Nodes() const {
  std::vector<std::shared_ptr<NodeHost>> hosts;
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    for (const PumpSlot& slot : pumps_) hosts.push_back(slot.host);
    for (const DrainerSlot& slot : drainers_) hosts.push_back(slot.host);
  }
  std::vector<NodeInfo> nodes;
  for (const auto& host : hosts) {
    nodes.push_back({host->kind(), host->node_id(), host->address(), host->state(),
                     host->serving()});
  }
  return nodes;
}

HttpResponse LocalCluster::HandleNodes() const {
  boost::json::array rows;
  for (const NodeInfo& node : Nodes()) {
    rows.push_back(boost::json::object{{"kind", NodeKindName(node.kind)},
                                       {"id", node.id},
                                       {"address", node.address},
                                       {"state", NodeStateName(node.state)},
                                       {"serving", node.serving}});
  }
  return AdminJson(http::status::ok, rows);
}

HttpResponse LocalCluster::HandleStartNode(std::string_view id) {
  if (shutting_down_) {
    return AdminJson(http::status::service_unavailable,
                     boost::json::object{{"error", "the cluster is shutting down"}});
  }
  Status started = Status::NotFound("no node " + std::string(id));
  std::shared_ptr<NodeHost> host;
  for (PumpSlot& slot : pumps_) {
    if (slot.host->node_id() != id) continue;
    if (!slot.host->finished()) {
      return AdminJson(http::status::conflict,
                       boost::json::object{{"error", "node " + std::string(id) + " is running"}});
    }
    started = OpenPump(slot);
    host = slot.host;
  }
  for (DrainerSlot& slot : drainers_) {
    if (host || slot.host->node_id() != id) continue;
    if (!slot.host->finished()) {
      return AdminJson(http::status::conflict,
                       boost::json::object{{"error", "node " + std::string(id) + " is running"}});
    }
    started = OpenDrainer(slot);
    host = slot.host;
  }
  if (started.code() == StatusCode::kNotFound && !host) {
    return AdminJson(http::status::not_found, boost::json::object{{"error", started.message()}});
  }
  if (!started.ok()) {
    spdlog::error("admin: {}", started.message());
    return AdminJson(http::status::internal_server_error,
                     boost::json::object{{"error", started.message()}});
  }
  spdlog::info("admin: started {} {} again on {}", NodeKindName(host->kind()), host->node_id(),
               host->address());
  return AdminJson(http::status::ok, boost::json::object{{"id", host->node_id()},
                                                         {"address", host->address()},
                                                         {"state", NodeStateName(host->state())}});
}

std::vector<std::string> LocalCluster::PumpAddresses() const {
  std::lock_guard<std::mutex> lock(slots_mu_);
  std::vector<std::string> addresses;
  for (const PumpSlot& slot : pumps_) addresses.push_back(slot.host->address());
  return addresses;
}

std::vector<std::string> LocalCluster::DrainerAddresses() const {
  std::lock_guard<std::mutex> lock(slots_mu_);
  std::vector<std::string> addresses;
  for (const DrainerSlot& slot : drainers_) addresses.push_back(slot.host->address());
  return addresses;
}

std::vector<std::string> LocalCluster::DrainerBinlogDirs() const {
  std::lock_guard<std::mutex> lock(slots_mu_);
  std::vector<std::string> dirs;
  for (const DrainerSlot& slot : drainers_) dirs.push_back(slot.host->binlog_dir());
  return dirs;
}

std::string LocalCluster::Endpoints() const {
  std::ostringstream out;
  for (const NodeInfo& node : Nodes()) {
    const std::string base = "http://" + node.address;
    out << NodeKindName(node.kind) << " " << node.id << " at " << node.address << "\n";
    out << "  curl " << base << "/status\n";
    out << "  curl " << base << "/metrics\n";
    if (node.kind == NodeKind::kPump) {
      out << "  curl " << base << "/drainers\n";
      out << "  curl " << base << "/debug/binlog/{ts}\n";
      out << "  curl -X POST " << base << "/debug/gc/trigger\n";
    } else {
      out << "  curl " << base << "/commit_ts\n";
    }
    out << "  curl -X PUT " << base << "/state/" << node.id << "/pause\n";
    out << "  curl -X PUT " << base << "/state/" << node.id << "/close\n";
  }
  const std::string admin = "http://" + options_.host + ":" + std::to_string(admin_port_);
  out << "admin at " << options_.host << ":" << admin_port_ << "\n";
  out << "  curl " << admin << "/nodes\n";
  out << "  curl -X POST " << admin << "/nodes/{id}/start\n";
  return out.str();
}

TidbWorkloadCounts LocalCluster::WorkloadCounts() const {
  return workload_ ? workload_->counts() : TidbWorkloadCounts{};
}

std::vector<std::string> LocalCluster::OnlinePumpIds() {
  std::lock_guard<std::mutex> lock(slots_mu_);
  std::vector<std::string> ids;
  for (const PumpSlot& slot : pumps_) {
    if (slot.host->AcceptsPrewrites()) ids.push_back(slot.host->node_id());
  }
  return ids;
}

Status LocalCluster::WriteBinlog(const std::string& pump_id, const binlog::Binlog& binlog) {
  std::shared_ptr<PumpHost> host;
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    for (const PumpSlot& slot : pumps_) {
      if (slot.host->node_id() == pump_id) host = slot.host;
    }
  }
  if (!host || host->finished()) return Status::Unavailable("pump " + pump_id + " is not running");
  return host->WriteBinlog(binlog);
}

void LocalCluster::Run() {
  io_.run();
  spdlog::info("cluster stopped");
}

void LocalCluster::RunInBackground() {
  BINLOG_ASSERT(!loop_thread_.joinable());
  loop_thread_ = std::thread([this] { Run(); });
}

void LocalCluster::RequestShutdown() {
  if (shutdown_requested_.exchange(true)) return;
  boost::asio::post(io_, [this] { BeginShutdown(); });
}

void LocalCluster::Wait() {
  if (loop_thread_.joinable()) loop_thread_.join();
}

void LocalCluster::BeginShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_requested_ = true;
  if (workload_) workload_->Stop();
  std::vector<std::shared_ptr<NodeHost>> hosts;
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    for (const PumpSlot& slot : pumps_) hosts.push_back(slot.host);
    for (const DrainerSlot& slot : drainers_) hosts.push_back(slot.host);
  }
  // Drainers first: they stop pulling before the pumps they pull from go away.
  std::reverse(hosts.begin(), hosts.end());
  for (const auto& host : hosts) host->Shutdown();
  grace_timer_.expires_after(std::chrono::milliseconds(kShutdownGraceMilliseconds));
  grace_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || shutdown_complete_) return;
    spdlog::error("nodes did not stop within {} ms; stopping the event loop",
                  kShutdownGraceMilliseconds);
    io_.stop();
  });
  MaybeCompleteShutdown();
}

void LocalCluster::OnHostFinished() {
  // Runs inside the host's Finish; completing from a fresh handler keeps the host's call
  // stack out of the shutdown.
  boost::asio::post(io_, [this] { MaybeCompleteShutdown(); });
}

void LocalCluster::MaybeCompleteShutdown() {
  if (!shutting_down_ || shutdown_complete_) return;
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    for (const PumpSlot& slot : pumps_) {
      if (!slot.host->finished()) return;
    }
    for (const DrainerSlot& slot : drainers_) {
      if (!slot.host->finished()) return;
    }
  }
  shutdown_complete_ = true;
  grace_timer_.cancel();
  if (signals_) signals_->cancel();
  if (admin_server_) admin_server_->Stop();
  spdlog::info("every node stopped; data kept in {}", options_.data_dir);
}

}  // namespace tidb_binlog
