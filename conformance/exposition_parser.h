// A strict reader of the Prometheus text exposition format 0.0.4, for judging a target's
// /metrics body without depending on promtool (which may be missing) and without the
// metrics library's test helper (gtest-bound).
//
// It accepts `# HELP name text`, `# TYPE name type`, other `#` comments, blank lines and
// samples `name{label="value",...} value [timestamp]` with the format's escapes, and records
// every line it cannot read as an error. Structural rules are checks of their own
// (CheckHistograms, CompareScrapes) so that each failure names its rule.
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tidb_binlog::conformance {

struct MetricSample {
  std::string name;  // with any _bucket/_sum/_count suffix
  std::map<std::string, std::string> labels;
  std::vector<std::string> label_order;
  double value = 0;
};

struct MetricFamily {
  std::string name, help, type;  // type "untyped" when no TYPE line
  std::vector<MetricSample> samples;
};

struct ParsedExposition {
  std::map<std::string, MetricFamily> families;
  std::vector<std::string> errors;  // "line N: why"
};

ParsedExposition ParseExposition(const std::string& text);

// Label names used by a family's samples, `le` and `quantile` left out, sorted, unique.
std::vector<std::string> FamilyLabelNames(const MetricFamily& family);

// Histogram rules: per child, buckets with increasing `le`, non-decreasing counts, the last
// one `+Inf` and equal to _count; _sum and _count present. One message per violation.
std::vector<std::string> CheckHistograms(const ParsedExposition& exposition);

// Across two scrapes (OpenMetrics scrapevalidator's rules): no series disappears; counters,
// histogram buckets and _count never decrease. One message per violation.
std::vector<std::string> CompareScrapes(const ParsedExposition& before,
                                        const ParsedExposition& after);

}  // namespace tidb_binlog::conformance
