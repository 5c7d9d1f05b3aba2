#include "reference/metrics/pump_metrics.h"

#include "reference/metrics/buckets.h"
#include "reference/metrics/family_builders.h"

namespace tidb_binlog {
namespace {

// HELP texts are upstream's where its source gives one; the rest describe the family.
// Buckets are upstream's ExponentialBuckets arguments (UPSTREAM.md §4.1).
constexpr double kDurationBucketStartSeconds = 0.00005;
constexpr double kSizeBucketStartBytes = 16;
constexpr double kCatchUpBucketStartSeconds = 0.001;
constexpr double kBucketFactor = 2;
constexpr int kRpcDurationBucketCount = 18;
constexpr int kWriteDurationBucketCount = 20;
constexpr int kWriteSizeBucketCount = 25;
constexpr int kCatchUpBucketCount = 22;

}  // namespace

PumpMetrics::PumpMetrics(const MetricsOptions& options)
    : registry_(options),
      rpc_duration_seconds_(HistogramVec(
          registry_.exposed(), "binlog_pump_rpc_duration_seconds",
          "Bucketed histogram of processing time (s) of rpc queries.", {"method", "label"},
          ExponentialBuckets(kDurationBucketStartSeconds, kBucketFactor,
                             kRpcDurationBucketCount))),
      loss_binlog_count_(PlainCounter(registry_.exposed(), "binlog_pump_loss_binlog_count",
                                      "Total loss binlog count")),
      detected_drainer_binlog_purge_count_(
          CounterVec(registry_.unregistered(), "binlog_pump_detected_drainer_binlog_purge_count",
                     "binlog purge count > 0 means some unread binlog was purged", {"id"})),
      storage_gc_ts_(
          PlainGauge(registry_.exposed(), "binlog_pump_storage_gc_ts", "gc ts of storage")),
      storage_done_gc_ts_(PlainGauge(registry_.exposed(), "binlog_pump_storage_done_gc_ts",
                                     "the metadata and vlog after this gc ts has been deleted")),
      storage_deleted_kv_total_(PlainCounter(registry_.exposed(),
                                             "binlog_pump_storage_deleted_kv_total",
                                             "Total number of deleted kvs by gc")),
      storage_size_bytes_(GaugeVec(registry_.exposed(), "binlog_pump_storage_storage_size_bytes",
                                   "storage size info", {"type"})),
      storage_max_commit_ts_(PlainGauge(registry_.exposed(), "binlog_pump_storage_max_commit_ts",
                                        "max commit ts of storage")),
      storage_query_tikv_count_(PlainCounter(registry_.exposed(),
                                             "binlog_pump_storage_query_tikv_count",
                                             "Total count that queried tikv.")),
      storage_error_count_(CounterVec(registry_.exposed(), "binlog_pump_storage_error_count",
                                      "Total error count in storage", {"type"})),
      storage_write_binlog_size_(HistogramVec(
          registry_.exposed(), "binlog_pump_storage_write_binlog_size", "write binlog size",
          {"type"}, ExponentialBuckets(kSizeBucketStartBytes, kBucketFactor,
                                       kWriteSizeBucketCount))),
      storage_write_binlog_duration_time_(HistogramVec(
          registry_.exposed(), "binlog_pump_storage_write_binlog_duration_time",
          "Bucketed histogram of write time (s) of  binlog.", {"type"},
          ExponentialBuckets(kDurationBucketStartSeconds, kBucketFactor,
                             kWriteDurationBucketCount))),
      storage_slow_chaser_count_(CounterVec(registry_.exposed(),
                                            "binlog_pump_storage_slow_chaser_count",
                                            "Counter of slow chaser events", {"type"})),
      slow_chaser_catchup_time_seconds_(PlainHistogram(
          registry_.exposed(), "binlog_drainer_slow_chaser_catchup_time_seconds",
          "Time (s) the slow chaser took to catch up with the storage",
          ExponentialBuckets(kCatchUpBucketStartSeconds, kBucketFactor, kCatchUpBucketCount))) {}

prometheus::Histogram& PumpMetrics::rpc_duration_seconds(const std::string& method,
                                                         const std::string& label) {
  return rpc_duration_seconds_.WithLabelValues({method, label});
}

prometheus::Counter& PumpMetrics::detected_drainer_binlog_purge_count(const std::string& id) {
  return detected_drainer_binlog_purge_count_.WithLabelValues({id});
}

prometheus::Gauge& PumpMetrics::storage_size_bytes(const std::string& type) {
  return storage_size_bytes_.WithLabelValues({type});
}

prometheus::Counter& PumpMetrics::storage_error_count(const std::string& type) {
  return storage_error_count_.WithLabelValues({type});
}

prometheus::Histogram& PumpMetrics::storage_write_binlog_size(const std::string& type) {
  return storage_write_binlog_size_.WithLabelValues({type});
}

prometheus::Histogram& PumpMetrics::storage_write_binlog_duration_time(const std::string& type) {
  return storage_write_binlog_duration_time_.WithLabelValues({type});
}

prometheus::Counter& PumpMetrics::storage_slow_chaser_count(const std::string& type) {
  return storage_slow_chaser_count_.WithLabelValues({type});
}

}  // namespace tidb_binlog
