// PumpOptions: what one reference Pump node is configured with, and the two pure decisions
// upstream makes while loading that configuration (UPSTREAM.md §5.3, §7.6, §9.1):
//  - ParseGcRetention: the `gc` setting (days, or a Go duration such as `12h`);
//  - DecidePumpNodeId: the node id from `<data-dir>/.node`, `node-id` and the host name.
//
// Not for: reading flags, TOML or files. The runtime parses its command line into these
// values and does the file I/O that DecidePumpNodeId asks for, so this code stays pure
// (DESIGN.md §3). Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/core/status.h"

namespace tidb_binlog {

// Upstream pump defaults (pump/config.go, §9.1).
inline constexpr int64_t kDefaultHeartbeatIntervalMilliseconds = 2'000;
inline constexpr int64_t kDefaultFakeBinlogIntervalMilliseconds = 3'000;
inline constexpr int64_t kMillisecondsPerDay = 24 * 3'600'000;
inline constexpr int64_t kDefaultGcRetentionMilliseconds = 7 * kMillisecondsPerDay;
inline constexpr char kDefaultGcSetting[] = "7";

struct PumpOptions {
  std::string node_id;           // decided by DecidePumpNodeId
  std::string advertise_addr;    // host:port written as `host` in the status record
  uint64_t cluster_id = 0;       // WriteBinlog/PullBinlogs requests must carry this id
  int64_t heartbeat_interval_ms = kDefaultHeartbeatIntervalMilliseconds;
  int64_t fake_binlog_interval_ms = kDefaultFakeBinlogIntervalMilliseconds;
  int64_t gc_retention_ms = kDefaultGcRetentionMilliseconds;  // ParseGcRetention
};

// kInvalidArgument naming the first option that makes no sense (empty node id or address,
// non-positive interval or retention). The runtime reports it before building a node.
Status ValidatePumpOptions(const PumpOptions& options);

// Upstream's `gc` setting (util.Duration.ParseDuration + config validation, §7.6): a string
// of decimal digits is a number of days; anything else is parsed like Go's
// time.ParseDuration (`12h`, `90m`, `1h30m`, `1.5h`, `-1h`). The result must be > 0.
// Errors, with upstream's texts:
//  - not a duration: `unsupported gc time <gc>, etc: use 7 for 7 day, 7h for 7 hour: time:
//    invalid duration "<gc>"` (or Go's `missing unit` / `unknown unit` variants);
//  - zero or negative: `GC is <gc>, must bigger than 0`.
// Sub-millisecond parts are truncated (the pump works in milliseconds).
Result<int64_t> ParseGcRetention(std::string_view gc);

// Go's time.ParseDuration, in nanoseconds, with Go's error texts. Exposed for the drainer's
// and the runtime's duration flags.
Result<int64_t> ParseGoDuration(std::string_view text);

struct NodeIdDecision {
  std::string node_id;
  // The runtime must write node_id to `<data-dir>/.node` (mode 0600), as upstream does for a
  // generated id so that it survives restarts.
  bool write_node_file = false;
  // A configured node-id was ignored because `.node` exists (upstream logs a warning:
  // delete `<data-dir>/.node` to change the id).
  bool configured_id_ignored = false;
};

// Upstream's pump node id (§5.3): the whitespace-trimmed contents of `.node` when the file
// exists and is not blank (a configured id is then ignored); else the configured id (not
// persisted); else `<hostname>:<listen port>`, to be persisted. `node_file` is the file's
// contents, or nullopt when it does not exist.
NodeIdDecision DecidePumpNodeId(const std::optional<std::string>& node_file,
                                std::string_view configured_id, std::string_view hostname,
                                uint16_t listen_port);

}  // namespace tidb_binlog
