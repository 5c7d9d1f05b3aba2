// TsoSource: where a node gets timestamps from — PD's TSO in upstream.
//
// Nodes never read a clock; a driver hands them a TsoSource. The wall-clock runtime backs it
// with a TsoOracle (tso.h) fed by the system clock; the simulator backs it with one global
// oracle in virtual time, so TSOs stay globally ordered even when node clocks are skewed.
// GetTs can fail (PD unreachable); callers treat that like upstream treats a PD error.
// Not thread-safe unless an implementation says so.
#pragma once

#include <cstdint>

#include "reference/core/status.h"

namespace tidb_binlog {

class TsoSource {
 public:
  virtual ~TsoSource() = default;
  // A TSO (physical_ms << 18 | logical) greater than every TSO returned before.
  virtual Result<int64_t> GetTs() = 0;
};

}  // namespace tidb_binlog
