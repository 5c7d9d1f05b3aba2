// TSO (timestamp oracle) arithmetic as upstream TiDB-Binlog does it (UPSTREAM.md §6.4), and a
// monotonic TSO source for nodes that have no PD to ask.
//
// A TSO is `physical_ms << 18 | logical`: milliseconds since the Unix epoch in the high bits,
// a counter (< 2^18) in the low 18 bits. Every function here is pure arithmetic: time is
// passed in by the caller (a driver's clock), never read here (DESIGN.md §3).
//
// Not for: talking to PD, or formatting times for humans (node_status.h does the one
// upstream text form that shows a time).
//
// Thread safety: the free functions are pure. A TsoOracle is a plain value with no internal
// locking; one owner calls Next() (or guards it).
#pragma once

#include <cstdint>

namespace tidb_binlog {

// Number of low bits of a TSO that hold the logical counter (tikv oracle physicalShiftBits).
inline constexpr int kTsoLogicalBits = 18;
// Logical counters per physical millisecond: the counter must stay below this.
inline constexpr int64_t kTsoLogicalCount = int64_t{1} << kTsoLogicalBits;
inline constexpr int64_t kTsoLogicalMask = kTsoLogicalCount - 1;
// Largest physical millisecond value whose TSO still fits a non-negative int64.
inline constexpr int64_t kTsoPhysicalMillisecondsMax = INT64_MAX >> kTsoLogicalBits;

// oracle.ComposeTS: (physical_ms << 18) + logical. Requires 0 <= logical < 2^18 and
// 0 <= physical_ms <= kTsoPhysicalMillisecondsMax.
int64_t ComposeTs(int64_t physical_ms, int64_t logical);

// oracle.ExtractPhysical: the milliseconds part, ts >> 18.
int64_t ExtractPhysical(int64_t ts);

// The logical counter, ts & (2^18 - 1).
int64_t ExtractLogical(int64_t ts);

// storage.EncodeTSO: ms << 18 (a TSO with logical 0). Requires 0 <= ms <= the maximum above.
int64_t EncodeTso(int64_t ms);

// util.TSOToRoughTime as Unix seconds: (ts >> 18) / 1000, milliseconds dropped.
int64_t TsoToRoughTimeSeconds(int64_t ts);

// util.GetApproachTS: 0 if ts == 0; otherwise ts advanced by the whole seconds (truncated
// toward zero) in elapsed_ms, i.e. ts + (((elapsed_ms / 1000) * 1000) << 18). The logical
// part of ts is kept. Used for a node's updateTS, anchored on a TSO taken at start.
int64_t GetApproachTs(int64_t ts, int64_t elapsed_ms);

// A strictly increasing TSO source driven by the caller's clock, standing in for PD.
//
// Next(now_ms) uses physical = max(now_ms, last physical): a clock that goes backwards (or
// stalls) never makes a TSO go backwards. Within one millisecond the logical counter
// increments; when it would reach 2^18 the physical part moves one millisecond ahead of the
// clock, as PD does when it runs out of logical values. A fresh millisecond starts at
// logical 0. Never returns 0 (0 means "no timestamp" throughout upstream).
class TsoOracle {
 public:
  // `floor_ts`: every TSO handed out is greater than it (e.g. the largest TSO persisted
  // before a restart). Requires floor_ts >= 0.
  explicit TsoOracle(int64_t floor_ts = 0);

  // The next TSO. Requires 0 <= now_ms <= kTsoPhysicalMillisecondsMax.
  int64_t Next(int64_t now_ms);

  // The last TSO returned by Next(), or floor_ts if Next() was never called.
  int64_t Last() const { return last_ts_; }

 private:
  int64_t last_ts_;
};

}  // namespace tidb_binlog
