// LocalClusterOptions for the runtime's end-to-end tests: ephemeral ports, no built-in
// workload (the tests play TiDB themselves), short intervals, no free-space guard. Test
// support only.
#pragma once

#include <string>

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

}  // namespace tidb_binlog::e2e
