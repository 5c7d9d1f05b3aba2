// PumpMetrics: upstream Pump's metric catalogue (pump/metrics.go, pump/storage/metrics.go;
// UPSTREAM.md §4.1) with exact names, types, label names and buckets, in a registry private
// to one Pump node, and its /metrics exposition.
//
// Families and how they appear on /metrics (upstream's behaviour):
//   binlog_pump_rpc_duration_seconds                 histogram {method,label}  lazy
//   binlog_pump_loss_binlog_count                    counter                   always
//   binlog_pump_detected_drainer_binlog_purge_count  counter {id}   never (not registered)
//   binlog_pump_storage_gc_ts                        gauge                     always
//   binlog_pump_storage_done_gc_ts                   gauge                     always
//   binlog_pump_storage_deleted_kv_total             counter                   always
//   binlog_pump_storage_storage_size_bytes           gauge {type}              lazy
//   binlog_pump_storage_max_commit_ts                gauge                     always
//   binlog_pump_storage_query_tikv_count             counter                   always
//   binlog_pump_storage_error_count                  counter {type}            lazy
//   binlog_pump_storage_write_binlog_size            histogram {type}          lazy
//   binlog_pump_storage_write_binlog_duration_time   histogram {type}          lazy
//   binlog_pump_storage_slow_chaser_count            counter {type}            lazy
//   binlog_drainer_slow_chaser_catchup_time_seconds  histogram                 always
// plus the process_* families (process_collector.h). "lazy" = a labelled child appears when
// its accessor is first called with those label values; "always" = printed from the start
// (at 0). The last family really is named `binlog_drainer_...`: upstream's storage package
// declares it under the `drainer` subsystem. The `*_ts` gauges hold "physical ms" (ts >> 18);
// the caller converts.
//
// Several counter names fail promtool's lint (no `_total`, `_count` suffix on a counter);
// that is upstream's naming and is kept.
//
// Ownership and thread-safety: every Pump node owns one PumpMetrics (no global state). The
// accessors and Expose() may be called concurrently; returned references live as long as
// this object, so hot paths may keep them instead of looking the child up per event.
#pragma once

#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "reference/metrics/component_registry.h"
#include "reference/metrics/metric_vec.h"

namespace tidb_binlog {

// Label values upstream uses (its code passes these literals).
namespace pump_metric_label {
inline constexpr char kMethodWriteBinlog[] = "WriteBinlog";
inline constexpr char kMethodPullBinlogs[] = "PullBinlogs";
inline constexpr char kSucceeded[] = "succ";
inline constexpr char kFailed[] = "fail";
inline constexpr char kSizeCapacity[] = "capacity";
inline constexpr char kSizeAvailable[] = "available";
inline constexpr char kErrorWriteBinlog[] = "write_binlog";
inline constexpr char kErrorWriteBinlogBatch[] = "write_binlog_batch";
inline constexpr char kErrorBatchWriteKv[] = "batch_write_kv";
inline constexpr char kErrorReadValue[] = "read_value";
inline constexpr char kErrorFeedPreWriteValue[] = "feed_pre_write_value";
inline constexpr char kWriteSingle[] = "single";
inline constexpr char kWriteBatch[] = "batch";
inline constexpr char kWriteToDisk[] = "to_disk";
inline constexpr char kWriteFsync[] = "fsync";
inline constexpr char kWriteRotate[] = "rotate";
inline constexpr char kSlowChaserTurnedOn[] = "turned_on";
inline constexpr char kSlowChaserTurnedOff[] = "turned_off";
inline constexpr char kSlowChaserRecovery[] = "recovery";
inline constexpr char kSlowChaserCatchUp[] = "catch_up";
}  // namespace pump_metric_label

class PumpMetrics {
 public:
  explicit PumpMetrics(const MetricsOptions& options = {});
  PumpMetrics(const PumpMetrics&) = delete;
  PumpMetrics& operator=(const PumpMetrics&) = delete;

  // Seconds spent serving one RPC; method WriteBinlog/PullBinlogs, label succ/fail.
  prometheus::Histogram& rpc_duration_seconds(const std::string& method,
                                              const std::string& label);
  // +1 per failed WriteBinlog, whatever the reason.
  prometheus::Counter& loss_binlog_count() { return loss_binlog_count_; }
  // +1 when GC removed binlogs drainer `id` had not read. Not exposed by default.
  prometheus::Counter& detected_drainer_binlog_purge_count(const std::string& id);

  prometheus::Gauge& storage_gc_ts() { return storage_gc_ts_; }
  prometheus::Gauge& storage_done_gc_ts() { return storage_done_gc_ts_; }
  prometheus::Counter& storage_deleted_kv_total() { return storage_deleted_kv_total_; }
  // type capacity/available: statfs of the data directory, in bytes.
  prometheus::Gauge& storage_size_bytes(const std::string& type);
  prometheus::Gauge& storage_max_commit_ts() { return storage_max_commit_ts_; }
  prometheus::Counter& storage_query_tikv_count() { return storage_query_tikv_count_; }
  prometheus::Counter& storage_error_count(const std::string& type);
  // Bytes per write; type single/batch.
  prometheus::Histogram& storage_write_binlog_size(const std::string& type);
  // Seconds per write step; type single/batch/to_disk/fsync/rotate.
  prometheus::Histogram& storage_write_binlog_duration_time(const std::string& type);
  prometheus::Counter& storage_slow_chaser_count(const std::string& type);
  // Exported as binlog_drainer_slow_chaser_catchup_time_seconds (see header comment).
  prometheus::Histogram& slow_chaser_catchup_time_seconds() {
    return slow_chaser_catchup_time_seconds_;
  }

  // The /metrics body (Content-Type kMetricsContentType).
  std::string Expose() const { return registry_.Expose(); }

 private:
  ComponentRegistry registry_;
  MetricVec<prometheus::Histogram> rpc_duration_seconds_;
  prometheus::Counter& loss_binlog_count_;
  MetricVec<prometheus::Counter> detected_drainer_binlog_purge_count_;
  prometheus::Gauge& storage_gc_ts_;
  prometheus::Gauge& storage_done_gc_ts_;
  prometheus::Counter& storage_deleted_kv_total_;
  MetricVec<prometheus::Gauge> storage_size_bytes_;
  prometheus::Gauge& storage_max_commit_ts_;
  prometheus::Counter& storage_query_tikv_count_;
  MetricVec<prometheus::Counter> storage_error_count_;
  MetricVec<prometheus::Histogram> storage_write_binlog_size_;
  MetricVec<prometheus::Histogram> storage_write_binlog_duration_time_;
  MetricVec<prometheus::Counter> storage_slow_chaser_count_;
  prometheus::Histogram& slow_chaser_catchup_time_seconds_;
};

}  // namespace tidb_binlog
