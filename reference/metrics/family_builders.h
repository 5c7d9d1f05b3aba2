// Shorthands to declare upstream-style metrics in a prometheus-cpp registry, one per
// client_golang constructor the catalogues use:
//   NewCounter / NewGauge / NewHistogram  -> PlainCounter / PlainGauge / PlainHistogram:
//       the family plus its single unlabelled child, so it is exposed at 0 from the start;
//   NewCounterVec / NewGaugeVec / NewHistogramVec -> CounterVec / GaugeVec / HistogramVec:
//       the family only; children appear on first WithLabelValues() (metric_vec.h).
// Names are full names (namespace_subsystem_name) as they appear on /metrics.
// Registering one name twice is a programmer error: ComponentRegistry's registries are built
// with InsertBehavior::Throw, and the exception can only come from a catalogue's constructor.
// Same thread-safety as the registry.
#pragma once

#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "reference/metrics/metric_vec.h"

namespace tidb_binlog {

prometheus::Counter& PlainCounter(prometheus::Registry& registry, const std::string& name,
                                  const std::string& help);
prometheus::Gauge& PlainGauge(prometheus::Registry& registry, const std::string& name,
                              const std::string& help);
prometheus::Histogram& PlainHistogram(prometheus::Registry& registry, const std::string& name,
                                      const std::string& help,
                                      const std::vector<double>& buckets);

MetricVec<prometheus::Counter> CounterVec(prometheus::Registry& registry, const std::string& name,
                                          const std::string& help,
                                          std::vector<std::string> label_names);
MetricVec<prometheus::Gauge> GaugeVec(prometheus::Registry& registry, const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> label_names);
MetricVec<prometheus::Histogram> HistogramVec(prometheus::Registry& registry,
                                              const std::string& name, const std::string& help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> buckets);

}  // namespace tidb_binlog
