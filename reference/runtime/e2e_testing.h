// Support for the runtime's end-to-end tests: LocalClusterOptions with ephemeral ports, no
// built-in workload (the tests play TiDB themselves), short intervals and no free-space guard;
// and a bounded poll. Test support only.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "reference/runtime/local_cluster.h"

namespace tidb_binlog::e2e {

inline LocalClusterOptions E2eClusterOptions(const std::string& data_dir, const std::string& hostname,
                                             int pumps, int drainers) {
  LocalClusterOptions options;
  options.data_dir = data_dir;
  options.pumps = pumps;
  options.drainers = drainers;
  options.pump_port = 0;
  options.drainer_port = 0;
  options.admin_port = 0;
  options.write_rate = 0;
  options.hostname = hostname;
  // Short intervals keep the tests fast; the logic is the same as with upstream's.
  options.pump.heartbeat_interval_ms = 200;
  options.pump.fake_binlog_interval_ms = 200;
  options.drainer.detect_interval_ms = 300;
  options.drainer.checkpoint_save_interval_ms = 200;
  options.drainer.pull_retry_delay_ms = 200;
  // Small disks in CI: the guard only has to let the tests' few kilobytes through.
  options.stop_write_at_available_space_bytes = 0;
  return options;
}

// Every wait in the end-to-end tests is bounded by this.
inline constexpr auto kWaitLimit = std::chrono::seconds(20);
inline constexpr auto kPollInterval = std::chrono::milliseconds(50);

// Polls `condition` until it holds or kWaitLimit passes; its last answer.
inline bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(kPollInterval);
  }
  return condition();
}

}  // namespace tidb_binlog::e2e
