#include "reference/core/tso.h"

#include <algorithm>

#include "reference/core/assert.h"

namespace tidb_binlog {

int64_t ComposeTs(int64_t physical_ms, int64_t logical) {
  BINLOG_ASSERT(logical >= 0 && logical < kTsoLogicalCount);
  return EncodeTso(physical_ms) + logical;
}

int64_t ExtractPhysical(int64_t ts) { return ts >> kTsoLogicalBits; }

int64_t ExtractLogical(int64_t ts) { return ts & kTsoLogicalMask; }

int64_t EncodeTso(int64_t ms) {
  BINLOG_ASSERT(ms >= 0 && ms <= kTsoPhysicalMillisecondsMax);
  return ms << kTsoLogicalBits;
}

int64_t TsoToRoughTimeSeconds(int64_t ts) {
  constexpr int64_t kMillisecondsPerSecond = 1000;
  return ExtractPhysical(ts) / kMillisecondsPerSecond;
}

int64_t GetApproachTs(int64_t ts, int64_t elapsed_ms) {
  constexpr int64_t kMillisecondsPerSecond = 1000;
  if (ts == 0) return 0;
  // Upstream converts the elapsed duration to whole seconds first, so sub-second progress
  // never shows in updateTS. Shift as unsigned: elapsed time may be negative (clock step).
  const int64_t whole_ms = (elapsed_ms / kMillisecondsPerSecond) * kMillisecondsPerSecond;
  return ts + static_cast<int64_t>(static_cast<uint64_t>(whole_ms) << kTsoLogicalBits);
}

TsoOracle::TsoOracle(int64_t floor_ts) : last_ts_(floor_ts) { BINLOG_ASSERT(floor_ts >= 0); }

int64_t TsoOracle::Next(int64_t now_ms) {
  BINLOG_ASSERT(now_ms >= 0 && now_ms <= kTsoPhysicalMillisecondsMax);
  const int64_t last_physical = ExtractPhysical(last_ts_);
  if (now_ms > last_physical) {
    last_ts_ = ComposeTs(now_ms, 0);
  } else {
    // Same (or an earlier) millisecond: the next logical value. A carry out of the 18
    // logical bits moves the physical part one millisecond ahead, which is what we want.
    BINLOG_ASSERT(last_ts_ < INT64_MAX);
    ++last_ts_;
  }
  return last_ts_;
}

}  // namespace tidb_binlog
