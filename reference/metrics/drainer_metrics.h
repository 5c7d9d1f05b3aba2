// DrainerMetrics: upstream Drainer's metric catalogue (drainer/metrics.go,
// pkg/binlogfile/metrics.go; UPSTREAM.md §4.2) with exact names, types, label names and
// buckets, in a registry private to one Drainer node, and its /metrics exposition.
//
// Families and how they appear on /metrics (upstream's behaviour):
//   binlog_drainer_pump_position                  gauge {nodeID}       lazy
//   binlog_drainer_ddl_jobs_total                 counter              always
//   binlog_drainer_error_count                    counter {type}       lazy
//   binlog_drainer_disorder_binlog_count          counter              never (not registered)
//   binlog_drainer_event                          counter {type}       lazy
//   binlog_drainer_checkpoint_tso                 gauge                always
//   binlog_drainer_checkpoint_delay_seconds       histogram            always
//   binlog_drainer_execute_duration_time          histogram            always
//   binlog_drainer_query_duration_time            histogram {type}     lazy
//   binlog_drainer_binlog_reach_duration_time     histogram {nodeID}   lazy
//   binlog_drainer_read_binlog_size               histogram {nodeID}   lazy
//   binlog_drainer_queue_size                     gauge {name}         lazy
//   binlog_binlogfile_write_binlog_size           histogram {label}    lazy
//   binlog_binlogfile_write_binlog_duration_time  histogram {label}    lazy
//   binlog_binlogfile_read_binlog_duration_time   histogram {label}    lazy
//   binlog_binlogfile_corruption_binlog_count     counter              always
// plus the process_* families (process_collector.h). "lazy" = a labelled child appears when
// its accessor is first called with those label values; "always" = printed from the start.
// pump_position and checkpoint_tso hold "physical ms" (ts >> 18); the caller converts.
// Upstream's loader keeps its own event counter, disabled for drainer: not modelled.
//
// Ownership and thread-safety: every Drainer node owns one DrainerMetrics (no global state).
// The accessors and Expose() may be called concurrently; returned references live as long as
// this object.
#pragma once

#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "reference/metrics/component_registry.h"
#include "reference/metrics/metric_vec.h"

namespace tidb_binlog {

// Label values upstream uses.
namespace drainer_metric_label {
inline constexpr char kErrorUnmarshalBinlog[] = "unmarshal_binlog";
inline constexpr char kEventInsert[] = "Insert";
inline constexpr char kEventUpdate[] = "Update";
inline constexpr char kEventDelete[] = "Delete";
inline constexpr char kEventDdl[] = "DDL";
inline constexpr char kEventSavepoint[] = "savepoint";
inline constexpr char kQueryExec[] = "exec";
inline constexpr char kQueryCommit[] = "commit";
inline constexpr char kQueryUpdateMarkTable[] = "update_mark_table";
inline constexpr char kQueueSyncerInput[] = "syncer_input";
// Worker queues are named "worker_<i>"; see WorkerQueueName().
inline constexpr char kBinlogfileLocal[] = "local";
}  // namespace drainer_metric_label

// "worker_0", "worker_1", ...: the queue_size label of syncer worker `index`.
std::string WorkerQueueName(int index);

class DrainerMetrics {
 public:
  explicit DrainerMetrics(const MetricsOptions& options = {});
  DrainerMetrics(const DrainerMetrics&) = delete;
  DrainerMetrics& operator=(const DrainerMetrics&) = delete;

  prometheus::Gauge& pump_position(const std::string& node_id);
  prometheus::Counter& ddl_jobs_total() { return ddl_jobs_total_; }
  prometheus::Counter& error_count(const std::string& type);
  // Not exposed by default (upstream never registers it).
  prometheus::Counter& disorder_binlog_count() { return disorder_binlog_count_; }
  prometheus::Counter& event(const std::string& type);
  prometheus::Gauge& checkpoint_tso() { return checkpoint_tso_; }
  prometheus::Histogram& checkpoint_delay_seconds() { return checkpoint_delay_seconds_; }
  prometheus::Histogram& execute_duration_time() { return execute_duration_time_; }
  prometheus::Histogram& query_duration_time(const std::string& type);
  prometheus::Histogram& binlog_reach_duration_time(const std::string& node_id);
  prometheus::Histogram& read_binlog_size(const std::string& node_id);
  prometheus::Gauge& queue_size(const std::string& name);
  prometheus::Histogram& binlogfile_write_binlog_size(const std::string& label);
  prometheus::Histogram& binlogfile_write_binlog_duration_time(const std::string& label);
  prometheus::Histogram& binlogfile_read_binlog_duration_time(const std::string& label);
  prometheus::Counter& binlogfile_corruption_binlog_count() {
    return binlogfile_corruption_binlog_count_;
  }

  // The /metrics body (Content-Type kMetricsContentType).
  std::string Expose() const { return registry_.Expose(); }

 private:
  ComponentRegistry registry_;
  MetricVec<prometheus::Gauge> pump_position_;
  prometheus::Counter& ddl_jobs_total_;
  MetricVec<prometheus::Counter> error_count_;
  prometheus::Counter& disorder_binlog_count_;
  MetricVec<prometheus::Counter> event_;
  prometheus::Gauge& checkpoint_tso_;
  prometheus::Histogram& checkpoint_delay_seconds_;
  prometheus::Histogram& execute_duration_time_;
  MetricVec<prometheus::Histogram> query_duration_time_;
  MetricVec<prometheus::Histogram> binlog_reach_duration_time_;
  MetricVec<prometheus::Histogram> read_binlog_size_;
  MetricVec<prometheus::Gauge> queue_size_;
  MetricVec<prometheus::Histogram> binlogfile_write_binlog_size_;
  MetricVec<prometheus::Histogram> binlogfile_write_binlog_duration_time_;
  MetricVec<prometheus::Histogram> binlogfile_read_binlog_duration_time_;
  prometheus::Counter& binlogfile_corruption_binlog_count_;
};

}  // namespace tidb_binlog
