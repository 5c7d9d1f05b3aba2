#include "reference/metrics/family_builders.h"

#include <utility>

namespace tidb_binlog {

prometheus::Counter& PlainCounter(prometheus::Registry& registry, const std::string& name,
                                  const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Gauge& PlainGauge(prometheus::Registry& registry, const std::string& name,
                              const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Histogram& PlainHistogram(prometheus::Registry& registry, const std::string& name,
                                      const std::string& help,
                                      const std::vector<double>& buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, buckets);
}

MetricVec<prometheus::Counter> CounterVec(prometheus::Registry& registry, const std::string& name,
                                          const std::string& help,
                                          std::vector<std::string> label_names) {
  return {prometheus::BuildCounter().Name(name).Help(help).Register(registry),
          std::move(label_names)};
}

MetricVec<prometheus::Gauge> GaugeVec(prometheus::Registry& registry, const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> label_names) {
  return {prometheus::BuildGauge().Name(name).Help(help).Register(registry),
          std::move(label_names)};
}

MetricVec<prometheus::Histogram> HistogramVec(prometheus::Registry& registry,
                                              const std::string& name, const std::string& help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> buckets) {
  return {prometheus::BuildHistogram().Name(name).Help(help).Register(registry),
          std::move(label_names), std::move(buckets)};
}

}  // namespace tidb_binlog
