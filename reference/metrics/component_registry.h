// ComponentRegistry: the private metric registry one Pump or Drainer node owns, as upstream's
// per-component `prometheus.NewRegistry()` plus its process collector, and the text
// exposition of it (exposition.h).
//
// Upstream quirk it models: some families are defined and updated in upstream's code but
// never registered, so they never appear on /metrics (UPSTREAM.md §4.1/§4.2). Such families
// are built in unregistered(), a second registry that Expose() ignores, unless
// MetricsOptions::expose_unregistered asks for them to be exposed too.
//
// No global state: several nodes in one process each own one ComponentRegistry.
// Thread-safety: building families happens during the owner's construction; Expose() and
// metric updates are safe to run concurrently.
#pragma once

#include <optional>
#include <string>

#include "prometheus/registry.h"
#include "reference/metrics/process_collector.h"

namespace tidb_binlog {

struct MetricsOptions {
  // Expose the families upstream defines but never registers (off: as upstream).
  bool expose_unregistered = false;
  // Include client_golang's process_* families (on: as upstream).
  bool process_metrics = true;
  // procfs mount point the process collector reads.
  std::string proc_root = "/proc";
};

class ComponentRegistry {
 public:
  explicit ComponentRegistry(const MetricsOptions& options);
  ComponentRegistry(const ComponentRegistry&) = delete;
  ComponentRegistry& operator=(const ComponentRegistry&) = delete;

  // Families that upstream registers.
  prometheus::Registry& exposed() { return exposed_; }
  // Families that upstream defines but does not register (see above).
  prometheus::Registry& unregistered() {
    return expose_unregistered_ ? exposed_ : unregistered_;
  }

  // The /metrics body (Content-Type kMetricsContentType).
  std::string Expose() const;

 private:
  const bool expose_unregistered_;
  // Throw: a name declared twice is a catalogue bug, not something to merge silently.
  prometheus::Registry exposed_{prometheus::Registry::InsertBehavior::Throw};
  prometheus::Registry unregistered_{prometheus::Registry::InsertBehavior::Throw};
  std::optional<ProcessCollector> process_;
};

}  // namespace tidb_binlog
