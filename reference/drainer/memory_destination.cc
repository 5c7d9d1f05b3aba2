#include "reference/drainer/memory_destination.h"

#include <algorithm>

namespace tidb_binlog {

Status MemoryDestination::Append(std::span<const binlog::Binlog> binlogs) {
  if (crashed_) return Status::Unavailable("destination crashed; restart it");
  if (closed_) return Status::Unavailable("destination is closed");
  if (fail_next_appends_ > 0) {
    --fail_next_appends_;
    return Status::IoError("injected destination write fault");
  }
  if (crash_keep_.has_value()) {
    const size_t keep = std::min(*crash_keep_, binlogs.size());
    binlogs_.insert(binlogs_.end(), binlogs.begin(), binlogs.begin() + keep);
    crash_keep_.reset();
    crashed_ = true;
    return Status::Unavailable("destination crashed during append");
  }
  binlogs_.insert(binlogs_.end(), binlogs.begin(), binlogs.end());
  return Status::Ok();
}

Status MemoryDestination::Close() {
  closed_ = true;
  return Status::Ok();
}

void MemoryDestination::FailNextAppends(int appends) {
  BINLOG_ASSERT(appends >= 0);
  fail_next_appends_ = appends;
}

void MemoryDestination::CrashInNextAppend(size_t durable_prefix) {
  crash_keep_ = durable_prefix;
}

void MemoryDestination::Restart() {
  crashed_ = false;
  closed_ = false;
}

}  // namespace tidb_binlog
