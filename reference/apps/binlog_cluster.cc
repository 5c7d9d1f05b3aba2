// binlog-cluster: the reference TiDB-Binlog cluster on one machine (DESIGN.md §8). Starts
// N pumps, M drainers, a TiDB-like workload and an admin endpoint on loopback, prints every
// endpoint, and runs until SIGINT/SIGTERM, when every node is brought down to `paused` with
// its data kept. Started again on the same --data-dir it resumes. See README.md here.
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "reference/pump/pump_options.h"
#include "reference/runtime/go_flags.h"
#include "reference/runtime/local_cluster.h"
#include "reference/runtime/logging.h"

namespace tidb_binlog {
namespace {

constexpr int64_t kMillisecondsPerSecond = 1'000;
constexpr int64_t kMillisecondsPerMinute = 60'000;

struct Flags {
  LocalClusterOptions cluster;
  std::string gc = kDefaultGcSetting;
  int64_t heartbeat_interval_s = kDefaultHeartbeatIntervalMilliseconds / kMillisecondsPerSecond;
  int64_t fake_binlog_interval_s =
      kDefaultFakeBinlogIntervalMilliseconds / kMillisecondsPerSecond;
  int64_t detect_interval_s = kDefaultDetectIntervalMilliseconds / kMillisecondsPerSecond;
  int64_t synced_check_time_min = kDefaultSyncedCheckTimeMilliseconds / kMillisecondsPerMinute;
  std::string log_level = "info";
};

void AddFlags(CLI::App& app, Flags& flags) {
  LocalClusterOptions& cluster = flags.cluster;
  cluster.data_dir = "data.cluster";
  app.add_option("--data-dir", cluster.data_dir,
                 "directory of every node's data: pump-<i>/, drainer-<i>/")
      ->capture_default_str();
  app.add_option("--pumps", cluster.pumps, "number of pumps")->capture_default_str();
  app.add_option("--drainers", cluster.drainers, "number of drainers")->capture_default_str();
  app.add_option("--host", cluster.host, "listen and advertise host of every node")
      ->capture_default_str();
  app.add_option("--pump-port", cluster.pump_port,
                 "port of the first pump; pump i uses it + i (0: ephemeral ports)")
      ->capture_default_str();
  app.add_option("--drainer-port", cluster.drainer_port,
                 "port of the first drainer; drainer i uses it - i (0: ephemeral ports)")
      ->capture_default_str();
  app.add_option("--admin-port", cluster.admin_port, "admin endpoint port (0: ephemeral)")
      ->capture_default_str();
  app.add_option("--write-rate", cluster.write_rate,
                 "binlogs per second the built-in TiDB workload writes (0: none)")
      ->capture_default_str();
  app.add_option("--seed", cluster.workload_seed, "seed of the workload's binlog stream")
      ->capture_default_str();
  app.add_option("--gc", flags.gc, "pump: days (or a Go duration such as 12h) binlogs are kept")
      ->capture_default_str();
  app.add_option("--heartbeat-interval", flags.heartbeat_interval_s,
                 "pump: seconds between registry heartbeats (0: 2)")
      ->capture_default_str();
  app.add_option("--fake-binlog-interval", flags.fake_binlog_interval_s,
                 "pump: seconds between fake binlogs when idle")
      ->capture_default_str();
  app.add_option("--stop-write-at-available-space", cluster.stop_write_at_available_space_bytes,
                 "pump: refuse writes when the disk has at most this many bytes free")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--detect-interval", flags.detect_interval_s,
                 "drainer: seconds between pump list refreshes")
      ->capture_default_str();
  app.add_option("--synced-check-time", flags.synced_check_time_min,
                 "drainer: minutes without writes after which /status says Synced")
      ->capture_default_str();
  app.add_option("--initial-commit-ts", cluster.drainer.initial_commit_ts,
                 "drainer: commit ts to start after when no checkpoint is saved (-1: now)")
      ->capture_default_str();
  app.add_option("-L,--log-level", flags.log_level, "log level: debug, info, warn, error, fatal")
      ->capture_default_str();
}

// Upstream's second/minute-valued settings into the nodes' millisecond options.
Status ApplyFlags(Flags& flags) {
  Result<int64_t> gc = ParseGcRetention(flags.gc);
  if (!gc.ok()) return gc.status();
  PumpOptions& pump = flags.cluster.pump;
  pump.gc_retention_ms = *gc;
  // Upstream: a heartbeat interval of 0 means the default.
  pump.heartbeat_interval_ms = flags.heartbeat_interval_s == 0
                                   ? kDefaultHeartbeatIntervalMilliseconds
                                   : flags.heartbeat_interval_s * kMillisecondsPerSecond;
  pump.fake_binlog_interval_ms = flags.fake_binlog_interval_s * kMillisecondsPerSecond;
  DrainerOptions& drainer = flags.cluster.drainer;
  drainer.detect_interval_ms = flags.detect_interval_s * kMillisecondsPerSecond;
  drainer.synced_check_time_ms = flags.synced_check_time_min * kMillisecondsPerMinute;
  flags.cluster.handle_signals = true;
  return Status::Ok();
}

int Main(int argc, char** argv) {
  CLI::App app{"binlog-cluster: reference TiDB-Binlog pumps and drainers on one machine"};
  Flags flags;
  AddFlags(app, flags);
  // Upstream's flags are Go-style (`-gc 7`); CLI11 needs `--gc`, so rewrite before parsing.
  const std::vector<std::string> args =
      RewriteGoStyleFlags(std::vector<std::string>(argv, argv + argc));
  std::vector<char*> rewritten_argv;
  for (const std::string& arg : args) rewritten_argv.push_back(const_cast<char*>(arg.c_str()));
  try {
    app.parse(static_cast<int>(rewritten_argv.size()), rewritten_argv.data());
  } catch (const CLI::ParseError& error) {
    // Go's flag package exits 2 on a bad flag and 0 for -h.
    return app.exit(error) == 0 ? 0 : 2;
  }
  if (Status logging = ConfigureLogging(flags.log_level); !logging.ok()) {
    std::cerr << logging.message() << "\n";
    return 2;
  }
  if (Status applied = ApplyFlags(flags); !applied.ok()) {
    spdlog::error("{}", applied.message());
    return 2;
  }
  Result<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(flags.cluster);
  if (!cluster.ok()) {
    spdlog::error("start cluster: {}", cluster.status().message());
    return 1;
  }
  std::cout << (*cluster)->Endpoints() << std::flush;
  (*cluster)->Run();
  return 0;
}

}  // namespace
}  // namespace tidb_binlog

int main(int argc, char** argv) { return tidb_binlog::Main(argc, argv); }
