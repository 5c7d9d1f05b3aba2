// LocalCluster: the reference cluster on one machine under the wall-clock driver
// (DESIGN.md §3, §8): N pumps, M drainers, one in-memory registry standing in for PD's etcd,
// one SystemTsoSource standing in for PD's TSO, a TiDB-like workload, and an admin HTTP
// endpoint. `binlog-cluster` is a thin main() around it; the e2e tests start it in-process.
//
// Layout under data_dir: pump-<i>/ (pump_host.h), drainer-<i>/ (drainer_host.h). Ports: pump
// i listens on pump_port + i, drainer i on drainer_port - i, admin on admin_port; a port of 0
// gives every such node its own ephemeral port, chosen once at Start and kept when the node
// is started again through the admin endpoint (its advertised address stays valid).
//
// One io_context thread runs every node, every HTTP server, every timer and the admin
// endpoint; only the workload writes from its own thread (pump_host.h explains why).
//
// Admin HTTP (not upstream; for rehearsing pause/close, see reference/apps/README.md):
//   GET  /nodes               JSON array of {"kind","id","address","state","serving"}
//   POST /nodes/{id}/start    start a stopped node again on its directory and port:
//                             200 {"id","address","state"}; 404 unknown id; 409 running;
//                             500 with {"error"} when it cannot start
//
// Shutdown (RequestShutdown, or SIGINT/SIGTERM with handle_signals): the workload stops,
// every running node takes its pause sequence to `paused` (stores, checkpoints and
// destinations closed, data kept), the servers stop and Run() returns. A node that does not
// get there within kShutdownGraceMilliseconds (e.g. a pump still closing, waiting for a
// drainer) is left as it is and its resources are closed when the cluster is destroyed.
// Starting a cluster again on the same data_dir resumes: pump ids from `.node`, data from
// the stores, drainers from their savepoints.
//
// Thread safety: Start/Run/RunInBackground/Wait from the owner thread; RequestShutdown,
// Nodes() and the accessors from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "reference/core/node_status.h"
#include "reference/core/status.h"
#include "reference/http/server.h"
#include "reference/registry/memory_registry.h"
#include "reference/runtime/drainer_host.h"
#include "reference/runtime/pump_host.h"
#include "reference/runtime/wall_clock.h"
#include "reference/runtime/workload.h"

namespace tidb_binlog {

// The cluster id every pump checks on WriteBinlog/PullBinlogs (PD's cluster id upstream).
inline constexpr uint64_t kLocalClusterId = 6'000'000'000'000'000'001;
// How long a signalled shutdown waits for every node to reach its final state.
inline constexpr int64_t kShutdownGraceMilliseconds = 30'000;
// Upper bounds on the node counts (each pump holds a RocksDB and a writer thread).
inline constexpr int kLocalPumpsMax = 64;
inline constexpr int kLocalDrainersMax = 16;
inline constexpr uint16_t kDefaultPumpPort = 8250;
inline constexpr uint16_t kDefaultDrainerPort = 8249;
inline constexpr uint16_t kDefaultAdminPort = 8300;
inline constexpr int64_t kDefaultWriteRateBinlogsPerSecond = 100;

struct LocalClusterOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";  // listen and advertise host of every node
  int pumps = 3;
  int drainers = 1;
  uint16_t pump_port = kDefaultPumpPort;        // pump i: +i; 0: ephemeral
  uint16_t drainer_port = kDefaultDrainerPort;  // drainer i: -i; 0: ephemeral
  uint16_t admin_port = kDefaultAdminPort;      // 0: ephemeral
  int64_t write_rate = kDefaultWriteRateBinlogsPerSecond;  // binlogs/s; 0: no workload
  uint64_t workload_seed = 1;
  PumpOptions pump;        // intervals and gc; node_id/advertise_addr/cluster_id set here
  DrainerOptions drainer;  // intervals and initial commit ts; node_id/advertise_addr set here
  int64_t stop_write_at_available_space_bytes = kDefaultStopWriteAtAvailableSpaceBytes;
  std::string hostname;  // in generated node ids; "" = this machine's host name
  bool handle_signals = false;  // SIGINT/SIGTERM -> RequestShutdown
};

// One row of GET /nodes.
struct NodeInfo {
  NodeKind kind = NodeKind::kPump;
  std::string id;
  std::string address;
  NodeState state = NodeState::kOnline;
  bool serving = false;
};

class LocalCluster final : public PumpWriteTarget {
 public:
  // Opens and starts every node and the admin endpoint (nothing runs until Run or
  // RunInBackground). Fails on the first node that cannot start.
  static Result<std::unique_ptr<LocalCluster>> Start(LocalClusterOptions options);
  ~LocalCluster() override;  // RequestShutdown(), Wait()

  // Runs the event loop on this thread until the shutdown completes.
  void Run();
  void RunInBackground();
  // What SIGINT does. Idempotent.
  void RequestShutdown();
  // Joins the background loop (returns at once if there is none).
  void Wait();

  std::vector<NodeInfo> Nodes() const;
  uint16_t admin_port() const { return admin_port_; }
  std::vector<std::string> PumpAddresses() const;
  std::vector<std::string> DrainerAddresses() const;
  // The drainers' destination directories (drainer_host.h), in drainer order.
  std::vector<std::string> DrainerBinlogDirs() const;
  // curl-ready URLs for every documented route of every node, and the admin routes.
  std::string Endpoints() const;
  TidbWorkloadCounts WorkloadCounts() const;
  const LocalClusterOptions& options() const { return options_; }
  // The cluster's TSO source (PD's stand-in), for clients writing their own binlogs.
  TsoSource& tso() { return tso_; }

  // PumpWriteTarget, thread-safe: what the workload writes through, also open to other
  // in-process clients (tests, tools) that play TiDB.
  std::vector<std::string> OnlinePumpIds() override;
  Status WriteBinlog(const std::string& pump_id, const binlog::Binlog& binlog) override;

 private:
  struct PumpSlot {
    PumpHostConfig config;
    std::shared_ptr<PumpHost> host;
  };
  struct DrainerSlot {
    DrainerHostConfig config;
    std::shared_ptr<DrainerHost> host;
  };

  explicit LocalCluster(LocalClusterOptions options);
  Status Open();
  Status StartAdmin();
  Status OpenPump(PumpSlot& slot);
  Status OpenDrainer(DrainerSlot& slot);
  // The admin's POST /nodes/{id}/start; runs on the io thread.
  HttpResponse HandleStartNode(std::string_view id);
  HttpResponse HandleNodes() const;
  std::shared_ptr<PumpHost> FindPumpByAddress(std::string_view address) const;
  void BeginShutdown();
  void OnHostFinished();
  void MaybeCompleteShutdown();

  const LocalClusterOptions options_;
  // Declared first: timers, servers and hosts must be destroyed before it.
  boost::asio::io_context io_;
  WallClock clock_;
  SystemTsoSource tso_{clock_};
  MemoryRegistry registry_;

  mutable std::mutex slots_mu_;  // guards the slots' `host` pointers and retired_
  std::vector<PumpSlot> pumps_;
  std::vector<DrainerSlot> drainers_;
  // Hosts replaced by a restart: kept until the loop ends (their servers' connections may
  // still refer to their nodes, server.h).
  std::vector<std::shared_ptr<NodeHost>> retired_;

  std::unique_ptr<HttpServer> admin_server_;
  uint16_t admin_port_ = 0;
  std::optional<boost::asio::signal_set> signals_;
  boost::asio::steady_timer grace_timer_{io_};
  bool shutting_down_ = false;  // io thread
  bool shutdown_complete_ = false;  // io thread
  std::atomic<bool> shutdown_requested_{false};
  std::thread loop_thread_;
  std::unique_ptr<TidbWorkload> workload_;
};

}  // namespace tidb_binlog
