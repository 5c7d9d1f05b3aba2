// Prometheus text exposition (format 0.0.4) byte-compatible with what upstream's promhttp
// handler writes (client_golang v1.14 + prometheus/common expfmt).
//
// What it is for: turning the families collected from prometheus-cpp registries and
// collectors into the body of a `/metrics` response. It is not an HTTP handler (no gzip, no
// content negotiation) and it holds no metrics itself.
//
// Why it is hand-written rather than prometheus::TextSerializer (prometheus-cpp 1.0.1):
//   * TextSerializer prints values with 16 significant digits, so some values do not parse
//     back to the same double (2^64 prints as 1.844674407370955e+19, Go prints
//     1.8446744073709552e+19; 0.1+0.2 prints as 0.3). Go prints the shortest text that
//     parses back exactly (strconv 'g', -1), which we reproduce.
//   * It writes histogram lines as _count, _sum, buckets; Go writes buckets, _sum, _count.
//   * It writes NaN as "Nan", does not escape HELP text, and escapes a newline in a label
//     value as a backslash followed by a raw newline (unparseable); Go writes "NaN", escapes
//     `\` and newline in HELP, and `\`, `"` and newline (as `\n`) in label values.
//   * It keeps families in registration order and children in hash order; client_golang's
//     Gather sorts families by name and children by label values.
// Everything else (the metric types, families, collection) is prometheus-cpp's.
//
// Output rules (client_golang's): families sorted by name; a family with no child is not
// printed (a vector family appears only once a label combination is used); children sorted
// by their label values; labels inside braces sorted by name, with `le` (histograms) and
// `quantile` (summaries) last; `# HELP` then `# TYPE` lines; histogram lines are the buckets
// (cumulative, ending with +Inf), then _sum, then _count; every number, counts and `le`
// included, is printed like Go's strconv.FormatFloat(v, 'g', -1, 64), except that
// 0 (and -0) prints as "0", NaN as "NaN" and infinities as "+Inf"/"-Inf".
// Remaining byte differences from Go: none known for the metric types used here. Families of
// the same name from different collectables are merged (as Gather does); a name used with two
// different types is a programmer error (BINLOG_ASSERT), where Gather would report an error.
//
// Thread-safety: the functions are pure apart from calling Collect() on the collectables,
// which prometheus-cpp makes safe to call concurrently with metric updates.
#pragma once

#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace tidb_binlog {

// The Content-Type upstream's promhttp handler sends with a text exposition.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Collects every collectable (null entries are a programmer error) and renders the merged
// families as described above.
std::string ExposeText(const std::vector<const prometheus::Collectable*>& collectables);

// Renders already-collected families (merged and sorted first). Exposed for tests and for
// callers that collect themselves.
std::string ExposeFamilies(std::vector<prometheus::MetricFamily> families);

// `value` as client_golang's text format prints a sample value or an `le` bound:
// "0", "1", "5e-05", "0.0001", "6.5536", "1.700000000123e+12", "NaN", "+Inf", "-Inf".
std::string FormatGoFloat(double value);

}  // namespace tidb_binlog
