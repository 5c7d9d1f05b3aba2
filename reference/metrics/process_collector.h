// client_golang's process collector (v1.14, Linux) for a C++ process: the `process_*` families
// every upstream Pump and Drainer registry contains, read from procfs on each Collect().
//
//   process_cpu_seconds_total         counter  (utime + stime) / 100 from <proc>/self/stat
//   process_max_fds                   gauge    soft "Max open files" from <proc>/self/limits
//   process_open_fds                  gauge    entries in <proc>/self/fd
//   process_resident_memory_bytes     gauge    rss pages * page size
//   process_start_time_seconds        gauge    btime (<proc>/stat) + starttime / 100
//   process_virtual_memory_bytes      gauge    vsize
//   process_virtual_memory_max_bytes  gauge    soft "Max address space"; "unlimited" is 2^64-1
// HELP texts are client_golang's. As there, a family whose source cannot be read is left out
// of that scrape (client_golang's default ReportErrors=false), never reported as an error.
//
// Not provided: client_golang's Go collector (go_gc_duration_seconds, go_goroutines, go_info,
// go_threads, go_memstats_*). Those describe the Go runtime and have no C++ meaning, so the
// reference implementation's expositions deliberately lack them (a known, documented
// difference from upstream's /metrics).
//
// What it is not for: per-thread or per-node figures. Several nodes in one process (the
// simulator) each hold their own collector, and all report the same process.
//
// Thread-safety: Collect() only reads files and may run concurrently with itself.
#pragma once

#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace tidb_binlog {

class ProcessCollector : public prometheus::Collectable {
 public:
  // `proc_root` is the procfs mount point; tests point it at a fake tree.
  explicit ProcessCollector(std::string proc_root = "/proc");

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_root_;
};

}  // namespace tidb_binlog
