#include "reference/drainer/memory_destination.h"

#include <algorithm>

namespace tidb_binlog {

Status MemoryDestination::CheckAppendable() const {
  if (crashed_) return Status::Unavailable("destination crashed; restart it");
  if (closed_) return Status::Unavailable("destination is closed");
  return Status::Ok();
}

template <typename Binlogs, typename Share>
Status MemoryDestination::Store(const Binlogs& binlogs, Share share) {
  if (fail_next_appends_ > 0) {
    --fail_next_appends_;
    return Status::IoError("injected destination write fault");
  }
  size_t keep = binlogs.size();
  if (crash_keep_.has_value()) keep = std::min(*crash_keep_, keep);
  for (size_t i = 0; i < keep; ++i) binlogs_.push_back(share(binlogs[i]));
  if (crash_keep_.has_value()) {
    crash_keep_.reset();
    crashed_ = true;
    return Status::Unavailable("destination crashed during append");
  }
  return Status::Ok();
}

Status MemoryDestination::Append(std::span<const binlog::Binlog> binlogs) {
  BINLOG_RETURN_IF_ERROR(CheckAppendable());
  return Store(binlogs, [](const binlog::Binlog& b) { return SharePulledBinlog(binlog::Binlog(b)); });
}

Status MemoryDestination::AppendShared(std::span<const SharedPulledBinlog> binlogs) {
  BINLOG_RETURN_IF_ERROR(CheckAppendable());
  return Store(binlogs, [](const SharedPulledBinlog& b) { return b; });
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
