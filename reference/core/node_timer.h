// The timer contract every sans-I/O node shares with its driver (DESIGN.md §3): a node
// reports when it next wants OnTimer(now_ms) as NextTimerMs(), in the driver's milliseconds,
// and kNoTimerMs when it wants no call at all (not started yet, or stopped). Drivers (the
// wall-clock runtime, the simulator) compare against this one value.
//
// Not for: timer queues or clocks (those belong to the drivers).
// Thread safety: a constant.
#pragma once

#include <cstdint>
#include <limits>

namespace tidb_binlog {

// NextTimerMs() when the node wants no call. The largest value, so that "the earliest due
// timer" is a plain minimum and a node with none never comes first.
inline constexpr int64_t kNoTimerMs = std::numeric_limits<int64_t>::max();

}  // namespace tidb_binlog
