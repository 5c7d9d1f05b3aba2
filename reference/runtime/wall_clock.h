// WallClock and SystemTsoSource: the only place the reference runtime reads the system clock
// (DESIGN.md §3). Nodes never read a clock; the driver hands them WallClock::NowMs() on every
// call and a SystemTsoSource as their stand-in for PD.
//
// WallClock::NowMs() is the system clock in Unix milliseconds, clamped so that it never goes
// backwards across calls (the node driver contract requires a non-decreasing now_ms, and an
// NTP step must not break it). SystemTsoSource hands out TSOs from a TsoOracle fed by a
// WallClock, so TSOs carry real time like PD's and stay strictly increasing.
//
// Not for: the simulator (it drives virtual time) or timer scheduling (the driver uses
// steady timers and only converts node deadlines through NowMs()).
// Thread safety: both classes are safe to call from any thread concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "reference/core/status.h"
#include "reference/core/tso.h"
#include "reference/core/tso_source.h"

namespace tidb_binlog {

class WallClock {
 public:
  // Unix milliseconds, never smaller than a value returned before by this clock.
  int64_t NowMs();

 private:
  std::atomic<int64_t> last_ms_{0};
};

class SystemTsoSource final : public TsoSource {
 public:
  // `floor_ts`: every TSO handed out is greater than it.
  explicit SystemTsoSource(WallClock& clock, int64_t floor_ts = 0);

  // Never fails: there is no PD to be unreachable.
  Result<int64_t> GetTs() override;

 private:
  WallClock& clock_;
  std::mutex mu_;
  TsoOracle oracle_;  // guarded by mu_
};

}  // namespace tidb_binlog
