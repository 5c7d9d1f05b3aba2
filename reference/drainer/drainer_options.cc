#include "reference/drainer/drainer_options.h"

namespace tidb_binlog {
namespace {

Status Invalid(std::string_view what) {
  return Status::InvalidArgument("invalid drainer option: " + std::string(what));
}

}  // namespace

Status ValidateDrainerOptions(const DrainerOptions& options) {
  if (options.node_id.empty()) return Invalid("node-id is empty");
  if (options.advertise_addr.empty()) return Invalid("advertise-addr is empty");
  if (options.detect_interval_ms <= 0) return Invalid("detect-interval must be positive");
  if (options.synced_check_time_ms <= 0) return Invalid("synced-check-time must be positive");
  if (options.initial_commit_ts < kInitialCommitTsFromTso) {
    return Invalid("initial-commit-ts must be -1 or a TSO");
  }
  if (options.checkpoint_save_interval_ms <= 0) {
    return Invalid("checkpoint save interval must be positive");
  }
  if (options.pull_batch_count == 0) return Invalid("pull batch count must be positive");
  if (options.pull_batch_bytes == 0) return Invalid("pull batch bytes must be positive");
  if (options.pull_retry_delay_ms <= 0) return Invalid("pull retry delay must be positive");
  if (options.pull_poll_delay_ms <= 0) return Invalid("pull poll delay must be positive");
  if (options.merge_limits.items_per_source_max == 0 ||
      options.merge_limits.bytes_per_source_max == 0) {
    return Invalid("merge buffer limits must be positive");
  }
  return Status::Ok();
}

std::string DecideDrainerNodeId(std::string_view configured_id, std::string_view hostname,
                                uint16_t listen_port) {
  if (!configured_id.empty()) return std::string(configured_id);
  return std::string(hostname) + ":" + std::to_string(listen_port);
}

}  // namespace tidb_binlog
