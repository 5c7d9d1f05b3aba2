#include "reference/metrics/drainer_metrics.h"

#include "reference/metrics/buckets.h"
#include "reference/metrics/family_builders.h"

namespace tidb_binlog {
namespace {

// HELP texts are upstream's where its source gives one; the rest describe the family.
// Buckets are upstream's ExponentialBuckets arguments (UPSTREAM.md §4.2).
constexpr double kDurationBucketStartSeconds = 0.00005;
constexpr double kDelayBucketStartSeconds = 0.001;
constexpr double kSizeBucketStartBytes = 16;
constexpr double kBucketFactor = 2;
constexpr int kDurationBucketCount = 18;
constexpr int kDelayBucketCount = 22;
constexpr int kReadSizeBucketCount = 25;
constexpr int kBinlogfileSizeBucketCount = 20;

std::vector<double> DurationBuckets() {
  return ExponentialBuckets(kDurationBucketStartSeconds, kBucketFactor, kDurationBucketCount);
}

}  // namespace

std::string WorkerQueueName(int index) { return "worker_" + std::to_string(index); }

DrainerMetrics::DrainerMetrics(const MetricsOptions& options)
    : registry_(options),
      pump_position_(GaugeVec(registry_.exposed(), "binlog_drainer_pump_position",
                              "position for each pump.", {"nodeID"})),
      ddl_jobs_total_(PlainCounter(registry_.exposed(), "binlog_drainer_ddl_jobs_total",
                                   "Total ddl jobs count been stored.")),
      error_count_(CounterVec(registry_.exposed(), "binlog_drainer_error_count",
                              "Total count of error type", {"type"})),
      disorder_binlog_count_(PlainCounter(registry_.unregistered(),
                                          "binlog_drainer_disorder_binlog_count",
                                          "Total count of binlog which is disorder.")),
      event_(CounterVec(registry_.exposed(), "binlog_drainer_event",
                        "the count of sql event(dml, ddl).", {"type"})),
      checkpoint_tso_(PlainGauge(registry_.exposed(), "binlog_drainer_checkpoint_tso",
                                 "save checkpoint tso of drainer.")),
      checkpoint_delay_seconds_(PlainHistogram(
          registry_.exposed(), "binlog_drainer_checkpoint_delay_seconds",
          "How much the downstream checkpoint lag behind",
          ExponentialBuckets(kDelayBucketStartSeconds, kBucketFactor, kDelayBucketCount))),
      execute_duration_time_(PlainHistogram(
          registry_.exposed(), "binlog_drainer_execute_duration_time",
          "Bucketed histogram of processing time (s) of a execute to sync data to downstream.",
          DurationBuckets())),
      query_duration_time_(HistogramVec(
          registry_.exposed(), "binlog_drainer_query_duration_time",
          "Bucketed histogram of processing time (s) of a query to sync data to downstream.",
          {"type"}, DurationBuckets())),
      binlog_reach_duration_time_(HistogramVec(
          registry_.exposed(), "binlog_drainer_binlog_reach_duration_time",
          "Bucketed histogram of read time (s) of a binlog.", {"nodeID"}, DurationBuckets())),
      read_binlog_size_(HistogramVec(
          registry_.exposed(), "binlog_drainer_read_binlog_size",
          "Bucketed histogram of size of a binlog.", {"nodeID"},
          ExponentialBuckets(kSizeBucketStartBytes, kBucketFactor, kReadSizeBucketCount))),
      queue_size_(GaugeVec(registry_.exposed(), "binlog_drainer_queue_size",
                           "the size of queue", {"name"})),
      binlogfile_write_binlog_size_(HistogramVec(
          registry_.exposed(), "binlog_binlogfile_write_binlog_size", "write binlog size",
          {"label"},
          ExponentialBuckets(kSizeBucketStartBytes, kBucketFactor, kBinlogfileSizeBucketCount))),
      binlogfile_write_binlog_duration_time_(HistogramVec(
          registry_.exposed(), "binlog_binlogfile_write_binlog_duration_time",
          "Bucketed histogram of write time (s) of a binlog.", {"label"}, DurationBuckets())),
      binlogfile_read_binlog_duration_time_(HistogramVec(
          registry_.exposed(), "binlog_binlogfile_read_binlog_duration_time",
          "Bucketed histogram of read time (s) of a binlog.", {"label"}, DurationBuckets())),
      binlogfile_corruption_binlog_count_(PlainCounter(registry_.exposed(),
                                                       "binlog_binlogfile_corruption_binlog_count",
                                                       "corruption binlog count")) {}

prometheus::Gauge& DrainerMetrics::pump_position(const std::string& node_id) {
  return pump_position_.WithLabelValues({node_id});
}

prometheus::Counter& DrainerMetrics::error_count(const std::string& type) {
  return error_count_.WithLabelValues({type});
}

prometheus::Counter& DrainerMetrics::event(const std::string& type) {
  return event_.WithLabelValues({type});
}

prometheus::Histogram& DrainerMetrics::query_duration_time(const std::string& type) {
  return query_duration_time_.WithLabelValues({type});
}

prometheus::Histogram& DrainerMetrics::binlog_reach_duration_time(const std::string& node_id) {
  return binlog_reach_duration_time_.WithLabelValues({node_id});
}

prometheus::Histogram& DrainerMetrics::read_binlog_size(const std::string& node_id) {
  return read_binlog_size_.WithLabelValues({node_id});
}

prometheus::Gauge& DrainerMetrics::queue_size(const std::string& name) {
  return queue_size_.WithLabelValues({name});
}

prometheus::Histogram& DrainerMetrics::binlogfile_write_binlog_size(const std::string& label) {
  return binlogfile_write_binlog_size_.WithLabelValues({label});
}

prometheus::Histogram& DrainerMetrics::binlogfile_write_binlog_duration_time(
    const std::string& label) {
  return binlogfile_write_binlog_duration_time_.WithLabelValues({label});
}

prometheus::Histogram& DrainerMetrics::binlogfile_read_binlog_duration_time(
    const std::string& label) {
  return binlogfile_read_binlog_duration_time_.WithLabelValues({label});
}

}  // namespace tidb_binlog
