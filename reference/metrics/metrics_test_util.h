// Test support (header-only, not part of binlog_metrics): the MetricsOptions a node test
// gives its private PumpMetrics or DrainerMetrics.
// Thread safety: a pure function.
#pragma once

#include "reference/metrics/component_registry.h"

namespace tidb_binlog::testing_util {

// Default options without the process_* collector: its values differ per run, and a node
// test asserts on its own families only.
inline MetricsOptions TestMetricsOptions() {
  MetricsOptions options;
  options.process_metrics = false;
  return options;
}

}  // namespace tidb_binlog::testing_util
