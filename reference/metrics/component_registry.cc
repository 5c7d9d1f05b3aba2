#include "reference/metrics/component_registry.h"

#include <vector>

#include "reference/metrics/exposition.h"

namespace tidb_binlog {

ComponentRegistry::ComponentRegistry(const MetricsOptions& options)
    : expose_unregistered_(options.expose_unregistered) {
  if (options.process_metrics) process_.emplace(options.proc_root);
}

std::string ComponentRegistry::Expose() const {
  std::vector<const prometheus::Collectable*> collectables = {&exposed_};
  if (process_) collectables.push_back(&*process_);
  return ExposeText(collectables);
}

}  // namespace tidb_binlog
