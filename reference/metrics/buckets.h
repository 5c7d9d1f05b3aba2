// Histogram bucket boundaries as client_golang computes them.
//
// Exp(start, factor, count) in UPSTREAM.md §4 is prometheus.ExponentialBuckets: count upper
// bounds start·factor^i, i = 0..count-1, computed by repeated multiplication so that the
// doubles (and hence the printed `le` values) are bit-identical to Go's. The +Inf bucket is
// implicit, as in both libraries. Arguments outside client_golang's accepted range (which
// panics there) are a programmer error here. Pure function; thread-safe.
#pragma once

#include <vector>

#include "reference/core/assert.h"

namespace tidb_binlog {

inline std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  BINLOG_ASSERT(count >= 1);
  BINLOG_ASSERT(start > 0);
  BINLOG_ASSERT(factor > 1);
  std::vector<double> buckets;
  buckets.reserve(count);
  for (int i = 0; i < count; ++i) {
    buckets.push_back(start);
    start *= factor;
  }
  return buckets;
}

}  // namespace tidb_binlog
