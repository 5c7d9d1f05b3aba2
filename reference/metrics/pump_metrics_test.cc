// Goal: a Pump's /metrics carries upstream's catalogue exactly (UPSTREAM.md §4.1): names,
// types, label names, bucket bounds, which families show up when, and the never-registered
// purge counter; and the text is valid Prometheus (promtool). Method: parse the exposition
// before and after using every accessor.
#include "reference/metrics/pump_metrics.h"

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "reference/metrics/exposition_test_util.h"

namespace tidb_binlog {
namespace {

using namespace pump_metric_label;  // NOLINT: label constants read best unqualified here
namespace tu = testing_util;

using tu::ExpectedFamily;

const std::vector<ExpectedFamily>& PumpCatalogue() {
  static const std::vector<ExpectedFamily> catalogue = {
      {"binlog_pump_rpc_duration_seconds", "histogram", {"label", "method"}, tu::kDuration18,
       false},
      {"binlog_pump_loss_binlog_count", "counter", {}, {}, true},
      {"binlog_pump_storage_gc_ts", "gauge", {}, {}, true},
      {"binlog_pump_storage_done_gc_ts", "gauge", {}, {}, true},
      {"binlog_pump_storage_deleted_kv_total", "counter", {}, {}, true},
      {"binlog_pump_storage_storage_size_bytes", "gauge", {"type"}, {}, false},
      {"binlog_pump_storage_max_commit_ts", "gauge", {}, {}, true},
      {"binlog_pump_storage_query_tikv_count", "counter", {}, {}, true},
      {"binlog_pump_storage_error_count", "counter", {"type"}, {}, false},
      {"binlog_pump_storage_write_binlog_size", "histogram", {"type"}, tu::kSize25, false},
      {"binlog_pump_storage_write_binlog_duration_time", "histogram", {"type"}, tu::kDuration20,
       false},
      {"binlog_pump_storage_slow_chaser_count", "counter", {"type"}, {}, false},
      {"binlog_drainer_slow_chaser_catchup_time_seconds", "histogram", {}, tu::kDelay22, true},
  };
  return catalogue;
}

constexpr char kPurgeCount[] = "binlog_pump_detected_drainer_binlog_purge_count";

void UseEveryMetric(PumpMetrics& m) {
  m.rpc_duration_seconds(kMethodWriteBinlog, kSucceeded).Observe(0.0003);
  m.rpc_duration_seconds(kMethodPullBinlogs, kFailed).Observe(2);
  m.loss_binlog_count().Increment();
  m.detected_drainer_binlog_purge_count("drainer-1").Increment();
  m.storage_gc_ts().Set(1700000000123.0);
  m.storage_done_gc_ts().Set(1700000000000.0);
  m.storage_deleted_kv_total().Increment(10);
  m.storage_size_bytes(kSizeCapacity).Set(1e12);
  m.storage_size_bytes(kSizeAvailable).Set(4e11);
  m.storage_max_commit_ts().Set(1700000000456.0);
  m.storage_query_tikv_count().Increment();
  m.storage_error_count(kErrorReadValue).Increment();
  m.storage_write_binlog_size(kWriteSingle).Observe(1024);
  m.storage_write_binlog_duration_time(kWriteFsync).Observe(0.002);
  m.storage_slow_chaser_count(kSlowChaserTurnedOn).Increment();
  m.slow_chaser_catchup_time_seconds().Observe(1.5);
}

TEST(PumpMetricsTest, FreshPumpExposesOnlyUnlabelledFamiliesAtZero) {
  PumpMetrics metrics;
  tu::Exposition e = tu::Parse(metrics.Expose());
  tu::ExpectFreshCatalogue(e, PumpCatalogue());
  EXPECT_FALSE(e.Has(kPurgeCount));
}

TEST(PumpMetricsTest, EveryFamilyHasUpstreamTypeLabelsAndBuckets) {
  PumpMetrics metrics;
  UseEveryMetric(metrics);
  tu::Exposition e = tu::Parse(metrics.Expose());
  tu::ExpectCatalogue(e, PumpCatalogue());  // the purge counter, used too, stays hidden
  tu::ExpectHistogramsWellFormed(e);
}

TEST(PumpMetricsTest, LabelsAreSortedWithLeLastAndValuesPrintedAsGo) {
  PumpMetrics metrics;
  UseEveryMetric(metrics);
  const std::string text = metrics.Expose();
  EXPECT_NE(text.find("binlog_pump_rpc_duration_seconds_bucket{label=\"succ\",method="
                      "\"WriteBinlog\",le=\"0.0004\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("binlog_pump_storage_gc_ts 1.700000000123e+12\n"), std::string::npos);
  EXPECT_NE(text.find("binlog_pump_storage_storage_size_bytes{type=\"available\"} 4e+11\n"
                      "binlog_pump_storage_storage_size_bytes{type=\"capacity\"} 1e+12\n"),
            std::string::npos);
  EXPECT_NE(text.find("# HELP binlog_pump_loss_binlog_count Total loss binlog count\n"
                      "# TYPE binlog_pump_loss_binlog_count counter\n"
                      "binlog_pump_loss_binlog_count 1\n"),
            std::string::npos);
}

TEST(PumpMetricsTest, PurgeCountIsCountedButExposedOnlyOnRequest) {
  PumpMetrics hidden;
  hidden.detected_drainer_binlog_purge_count("d1").Increment();
  EXPECT_EQ(hidden.detected_drainer_binlog_purge_count("d1").Value(), 1);
  EXPECT_FALSE(tu::Parse(hidden.Expose()).Has(kPurgeCount));

  MetricsOptions options;
  options.expose_unregistered = true;
  PumpMetrics shown(options);
  shown.detected_drainer_binlog_purge_count("d1").Increment();
  tu::Exposition e = tu::Parse(shown.Expose());
  ASSERT_TRUE(e.Has(kPurgeCount));
  EXPECT_EQ(e.families[kPurgeCount].type, "counter");
  ASSERT_EQ(e.families[kPurgeCount].samples.size(), 1u);
  EXPECT_EQ(e.families[kPurgeCount].samples[0].labels.at("id"), "d1");
  EXPECT_EQ(e.families[kPurgeCount].samples[0].value, 1);
}

TEST(PumpMetricsTest, CountersNeverDecreaseAcrossScrapes) {
  PumpMetrics metrics;
  UseEveryMetric(metrics);
  tu::Exposition first = tu::Parse(metrics.Expose());
  UseEveryMetric(metrics);
  metrics.loss_binlog_count().Increment(-5);  // prometheus-cpp ignores negative increments
  tu::Exposition second = tu::Parse(metrics.Expose());
  tu::ExpectMonotonic(first, second);
  EXPECT_EQ(second.families["binlog_pump_loss_binlog_count"].samples[0].value, 2);
}

TEST(PumpMetricsTest, SameLabelValuesGiveTheSameChild) {
  PumpMetrics metrics;
  prometheus::Histogram& first = metrics.rpc_duration_seconds(kMethodWriteBinlog, kSucceeded);
  first.Observe(0.001);
  EXPECT_EQ(&metrics.rpc_duration_seconds(kMethodWriteBinlog, kSucceeded), &first);
  EXPECT_NE(&metrics.rpc_duration_seconds(kMethodWriteBinlog, kFailed), &first);
  EXPECT_EQ(&metrics.storage_error_count(kErrorReadValue),
            &metrics.storage_error_count(kErrorReadValue));
}

TEST(PumpMetricsTest, EachPumpHasItsOwnRegistry) {
  PumpMetrics a, b;
  a.loss_binlog_count().Increment();
  a.storage_error_count(kErrorWriteBinlog).Increment();
  tu::Exposition eb = tu::Parse(b.Expose());
  EXPECT_EQ(eb.families["binlog_pump_loss_binlog_count"].samples[0].value, 0);
  EXPECT_FALSE(eb.Has("binlog_pump_storage_error_count"));
}

// promtool 2.42 lint findings on this exposition, all due to upstream's names (kept):
//   binlog_drainer_slow_chaser_catchup_time_seconds, binlog_pump_*: none
//   binlog_pump_loss_binlog_count counter metrics should have "_total" suffix
//   binlog_pump_loss_binlog_count non-histogram and non-summary metrics should not have
//     "_count" suffix
//   binlog_pump_storage_error_count (same two findings)
//   binlog_pump_storage_query_tikv_count (same two findings)
//   binlog_pump_storage_slow_chaser_count (same two findings)
// They are printed, not asserted on: only parse errors fail.
TEST(PumpMetricsTest, ExpositionParsesWithPromtool) {
  PumpMetrics metrics;
  UseEveryMetric(metrics);
  std::optional<std::vector<std::string>> findings = tu::PromtoolLintFindings(metrics.Expose());
  if (!findings) GTEST_SKIP() << "promtool is not installed";
  for (const std::string& finding : *findings) std::cout << "promtool lint: " << finding << "\n";
}

}  // namespace
}  // namespace tidb_binlog
