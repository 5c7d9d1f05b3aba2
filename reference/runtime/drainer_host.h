// DrainerHost: one reference Drainer under the wall-clock driver (node_host.h): its data
// directory, checkpoint, file destination, metrics, DrainerNode, HTTP server and gRPC service
// (binlog.Cistern, drainer_grpc_server.h; as upstream's, on the HTTP port: the HTTP server
// hands it the connections that open with the HTTP/2 preface). A pump's Notify refreshes the
// pump list at once and the pulls it asks for go out right after (Drive, on the io thread).
//
//   <data_dir>/savepoint   the FileCheckpoint (upstream's file checkpoint)
//   <data_dir>/binlog/     the BinlogFileDestination's binlog-<index>-<time> files
//
// Pulls: the node's PullRequests are carried in-process. Each one is posted to the io
// thread, answered by the pump whose advertised address is the request's pump_host (found
// through the PumpLocator), and the answer is handed back with OnPullResponse in another
// post, never from inside a call into the drainer. A pump that is not running answers
// kUnavailable, as a refused connection would; the node then retries after its delay.
//
// When the node stops (pause, close, signal, or a fatal error) the server stops and the
// checkpoint and destination are closed; a new DrainerHost on the same directory resumes
// from the savepoint.
// Thread safety: everything runs on the io thread (see node_host.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "reference/core/status.h"
#include "reference/core/tso_source.h"
#include "reference/drainer/binlog_file_destination.h"
#include "reference/drainer/checkpoint.h"
#include "reference/drainer/drainer_node.h"
#include "reference/metrics/drainer_metrics.h"
#include "reference/registry/registry.h"
#include "reference/runtime/drainer_grpc_server.h"
#include "reference/runtime/node_host.h"
#include "reference/runtime/pump_host.h"

namespace tidb_binlog {

// The destination's directory under the drainer data dir.
inline constexpr char kDrainerBinlogDirName[] = "binlog";

// The running pump advertised at `host` ("host:port"), or nullptr.
using PumpLocator = std::function<std::shared_ptr<PumpHost>(std::string_view host)>;

struct DrainerHostConfig {
  std::string data_dir;
  std::string listen_host;
  std::string advertise_host;
  uint16_t port = 0;               // concrete (the runtime resolves port 0 first)
  std::string hostname;            // for the node id `<hostname>:<port>`
  std::string configured_node_id;  // upstream `-node-id`; "" for none
  // Intervals and initial commit ts; node_id and advertise_addr are filled by Open.
  DrainerOptions options;
};

class DrainerHost final : public NodeHost {
 public:
  static Result<std::shared_ptr<DrainerHost>> Open(boost::asio::io_context& io,
                                                   WallClock& clock, Registry& registry,
                                                   TsoSource& tso,
                                                   const DrainerHostConfig& config,
                                                   PumpLocator pumps,
                                                   FinishedCallback on_finished);
  ~DrainerHost() override;

  NodeKind kind() const override { return NodeKind::kDrainer; }
  const std::string& node_id() const override { return node_->node_id(); }
  NodeState state() const override { return node_->state(); }
  const DrainerHostConfig& config() const { return config_; }
  std::string binlog_dir() const;
  // Why the node stopped on its own (upstream exits 2), or OK.
  Status FatalError() const { return node_->FatalError(); }

 protected:
  void NodeOnTimer(int64_t now_ms) override { node_->OnTimer(now_ms); }
  int64_t NodeNextTimerMs() const override { return node_->NextTimerMs(); }
  bool NodeStopped() const override { return node_->Stopped(); }
  void NodeShutdown(int64_t now_ms) override { node_->Shutdown(now_ms); }
  void AfterNodeCall() override;
  void ReleaseResources() override;

 private:
  DrainerHost(boost::asio::io_context& io, WallClock& clock, DrainerHostConfig config,
              PumpLocator pumps, FinishedCallback on_finished);
  void CarryPull(const PullRequest& request);

  const DrainerHostConfig config_;
  PumpLocator pumps_;
  std::unique_ptr<FileCheckpoint> checkpoint_;
  std::unique_ptr<BinlogFileDestination> destination_;
  std::unique_ptr<DrainerMetrics> metrics_;
  std::unique_ptr<DrainerNode> node_;
  // Declared after node_: destroyed (shut down) before the node it calls.
  std::unique_ptr<DrainerGrpcServer> grpc_;
};

}  // namespace tidb_binlog
