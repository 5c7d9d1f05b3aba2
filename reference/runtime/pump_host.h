// PumpHost: one reference Pump under the wall-clock driver (node_host.h): its data
// directory, RocksDB store, metrics, PumpNode, HTTP server and gRPC service. As upstream's,
// the pump serves gRPC (binlog.Pump, pump_grpc_server.h) and HTTP/1.x on one port: the HTTP
// server hands it the connections that open with the HTTP/2 preface.
//
//   <data_dir>/.node    the node id (upstream §5.3: written 0600 for a generated id, read
//                       back on every later start so the id survives restarts)
//   <data_dir>/.lock, value/, kv/   the RocksDbBinlogStore
//
// Open() decides the node id, opens the store, starts the node (it registers `online`) and
// starts serving upstream's routes (pump_http.h) on `port`. A pump whose previous record was
// `offline` (or absent) then notifies the online drainers (pump_node.h): the node's
// NotifyRequests are carried over real gRPC by a CisternClient on the host's notify thread
// (one call at a time, as the node makes them, so the io thread never waits on a drainer)
// and each answer is handed back with OnNotifyResult in a post to the io thread. If that
// fails the node writes `offline` and stops, the host finishes and FatalError() holds
// upstream's `fail to notify all living drainer: ...` (upstream's start returns it and the
// process exits). One difference: upstream listens only after notifying, while this host
// already answers HTTP meanwhile (the node refuses RPCs until it is done).
//
// When the node stops (pause, close, signal) the servers stop (HTTP, then gRPC: pull streams
// end, in-flight writes finish) and the store is closed with its data kept; opening a new
// PumpHost on the same directory brings the pump back.
//
// Thread safety: Open(), Pull() and everything NodeHost runs belong to the io thread.
// WriteBinlog() may be called from any thread: it is the WriteBinlog RPC, which upstream
// serves on gRPC goroutines concurrently with everything else, and PumpNode is thread-safe
// for it (writers then share the store's group commit instead of holding the io thread
// through an fdatasync). The gRPC service calls the node from gRPC's threads the same way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/core/tso_source.h"
#include "reference/metrics/pump_metrics.h"
#include "reference/pump/pump_node.h"
#include "reference/registry/registry.h"
#include "reference/runtime/node_host.h"
#include "reference/runtime/pump_grpc_server.h"
#include "reference/storage/rocksdb_binlog_store.h"

namespace tidb_binlog {

// Upstream's default [storage] stop-write-at-available-space (10 GiB).
inline constexpr int64_t kDefaultStopWriteAtAvailableSpaceBytes = int64_t{10} << 30;
// Upstream's node id file in the pump data directory.
inline constexpr char kPumpNodeFileName[] = ".node";

struct PumpHostConfig {
  std::string data_dir;
  std::string listen_host;     // where the server listens
  std::string advertise_host;  // host part of the advertised address
  uint16_t port = 0;           // a concrete port (the runtime resolves port 0 first)
  std::string hostname;        // for a generated node id `<hostname>:<port>`
  std::string configured_node_id;  // upstream `-node-id`; "" for none
  // Intervals, GC retention and cluster id; node_id and advertise_addr are filled by Open.
  PumpOptions options;
  int64_t stop_write_at_available_space_bytes = kDefaultStopWriteAtAvailableSpaceBytes;
};

class PumpHost final : public NodeHost {
 public:
  static Result<std::shared_ptr<PumpHost>> Open(boost::asio::io_context& io, WallClock& clock,
                                                Registry& registry, TsoSource& tso,
                                                const PumpHostConfig& config,
                                                FinishedCallback on_finished);
  ~PumpHost() override;

  NodeKind kind() const override { return NodeKind::kPump; }
  const std::string& node_id() const override { return node_->node_id(); }
  NodeState state() const override { return node_->state(); }
  const PumpHostConfig& config() const { return config_; }

  // Why the node stopped on its own (its start-up Notify failed), or OK.
  Status FatalError() const { return node_->FatalError(); }
  // True while the node takes Prewrites (started, online, not shutting down, not stopped).
  bool AcceptsPrewrites() const;
  // The WriteBinlog RPC with this pump's cluster id, timed into its rpc metrics.
  Status WriteBinlog(const binlog::Binlog& binlog);
  // One PullBinlogs batch, timed into its rpc metrics.
  Result<PullResult> Pull(int64_t after_ts, size_t limit_count, size_t limit_bytes);

 protected:
  void NodeOnTimer(int64_t now_ms) override { node_->OnTimer(now_ms); }
  int64_t NodeNextTimerMs() const override { return node_->NextTimerMs(); }
  bool NodeStopped() const override { return node_->Stopped(); }
  void NodeShutdown(int64_t now_ms) override { node_->Shutdown(now_ms); }
  void AfterNodeCall() override;
  void ReleaseResources() override;

 private:
  PumpHost(boost::asio::io_context& io, WallClock& clock, PumpHostConfig config,
           FinishedCallback on_finished);
  void CarryNotify(const NotifyRequest& request);
  void JoinNotifyThread();

  const PumpHostConfig config_;
  std::unique_ptr<RocksDbBinlogStore> store_;
  std::unique_ptr<PumpMetrics> metrics_;
  std::unique_ptr<PumpNode> node_;
  // Declared after node_: destroyed (shut down) before the node it calls.
  std::unique_ptr<PumpGrpcServer> grpc_;
  // The Notify call in flight, if any (io thread only; joined before the next one starts
  // and when the host releases its resources).
  std::thread notify_thread_;
};

// `<hostname>` of this machine (os.Hostname), or "localhost" if it cannot be read.
std::string LocalHostname();

}  // namespace tidb_binlog
