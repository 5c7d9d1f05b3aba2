// DrainerOptions: what one reference Drainer node is configured with (UPSTREAM.md §5.3,
// §5.4, §8, §9.2), the intervals upstream hard-codes, and the node id decision.
//
// Not for: reading flags, TOML or the environment. The runtime parses its command line into
// these values (upstream's second- and minute-valued settings converted to milliseconds), so
// this code stays pure (DESIGN.md §3). Thread safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "reference/core/status.h"
#include "reference/drainer/merger.h"

namespace tidb_binlog {

// Upstream drainer defaults (drainer/config.go, §9.2).
inline constexpr int64_t kDefaultDetectIntervalMilliseconds = 5'000;          // detect-interval 5 s
inline constexpr int64_t kDefaultSyncedCheckTimeMilliseconds = 5 * 60'000;   // synced-check-time 5 min
// initial-commit-ts -1: start from a fresh PD TSO taken at start (a first run starts "now").
inline constexpr int64_t kInitialCommitTsFromTso = -1;

// Hard-coded upstream (drainer/server.go heartbeatInterval, heartbeatMaxErrors): not options.
inline constexpr int64_t kDrainerHeartbeatIntervalMilliseconds = 1'000;
inline constexpr int kDrainerHeartbeatFailuresMax = 20;

// Upstream's syncer saves the checkpoint when the synced ts grew and this long has passed
// since the previous save (immediately for DDL).
inline constexpr int64_t kDefaultCheckpointSaveIntervalMilliseconds = 3'000;
// Upstream's puller sleeps 1 s after a failed receive or connect, then resumes from `last`.
inline constexpr int64_t kDefaultPullRetryDelayMilliseconds = 1'000;
// Upstream streams binlogs as the pump stores them; a sans-I/O pull that found nothing new is
// repeated after this delay, about the latency of upstream's pump-side polling.
inline constexpr int64_t kDefaultPullPollDelayMilliseconds = 100;
// One pull answers at most this many binlogs / bytes, so one response is bounded work and
// memory; the merge buffer bounds (MergerLimits) cap it further.
inline constexpr size_t kDefaultPullBatchCount = 1'024;
inline constexpr size_t kDefaultPullBatchBytes = size_t{8} << 20;

struct DrainerOptions {
  std::string node_id;         // DecideDrainerNodeId
  std::string advertise_addr;  // host:port written as `host` in the status record
  int64_t detect_interval_ms = kDefaultDetectIntervalMilliseconds;
  int64_t synced_check_time_ms = kDefaultSyncedCheckTimeMilliseconds;
  // The checkpoint ts used when nothing is saved (or a saved 0); kInitialCommitTsFromTso
  // means a fresh TSO at start. The injected Checkpoint must be built with this same value.
  int64_t initial_commit_ts = kInitialCommitTsFromTso;
  int64_t checkpoint_save_interval_ms = kDefaultCheckpointSaveIntervalMilliseconds;
  size_t pull_batch_count = kDefaultPullBatchCount;
  size_t pull_batch_bytes = kDefaultPullBatchBytes;
  int64_t pull_retry_delay_ms = kDefaultPullRetryDelayMilliseconds;
  int64_t pull_poll_delay_ms = kDefaultPullPollDelayMilliseconds;
  MergerLimits merge_limits;  // per-pump buffering between pulls and the merge
};

// kInvalidArgument naming the first option that makes no sense (empty node id or address,
// a non-positive interval, delay or batch limit, an initial commit ts below -1). The runtime
// reports it before building a node.
Status ValidateDrainerOptions(const DrainerOptions& options);

// Upstream's drainer node id (§5.3): the configured `node-id` if set, else
// `<hostname>:<listen port>`. Never persisted.
std::string DecideDrainerNodeId(std::string_view configured_id, std::string_view hostname,
                                uint16_t listen_port);

}  // namespace tidb_binlog
