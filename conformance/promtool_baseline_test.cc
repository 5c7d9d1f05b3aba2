// Goal: the promtool baseline judges findings as promtool_baseline.h promises (new ones fail,
// vanished ones on exposed families are reported, unexposed families say nothing), a
// recording keeps what it could not see, and the file round-trips. Method: the pure
// functions on hand-made findings, a write/load round trip in a temporary directory, and,
// when promtool is installed, one real run on an exposition with a known finding.
#include "conformance/promtool_baseline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace tidb_binlog::conformance {
namespace {

const std::string kTotal = "binlog_pump_loss_binlog_count counter metrics should have \"_total\" suffix";
const std::string kDrainerEvent = "binlog_drainer_event counter metrics should have \"_total\" suffix";

TEST(PromtoolBaselineTest, NewFindingIsAddedAndVanishedOnlyWhenExposed) {
  const std::vector<std::string> baseline = {kTotal, kDrainerEvent};
  BaselineComparison c = CompareWithBaseline(
      baseline, {kTotal, "foo_seconds no help text"}, {"binlog_pump_loss_binlog_count", "foo_seconds"});
  EXPECT_EQ(c.added, std::vector<std::string>{"foo_seconds no help text"});
  EXPECT_TRUE(c.vanished.empty()) << "binlog_drainer_event is not exposed: nothing to say";

  c = CompareWithBaseline(baseline, {}, {"binlog_pump_loss_binlog_count"});
  EXPECT_TRUE(c.added.empty());
  EXPECT_EQ(c.vanished, std::vector<std::string>{kTotal});
}

TEST(PromtoolBaselineTest, RecordingReplacesExposedFamiliesOnly) {
  std::vector<std::string> merged =
      MergeRecording({kTotal, kDrainerEvent}, {}, {"binlog_pump_loss_binlog_count"});
  EXPECT_EQ(merged, std::vector<std::string>{kDrainerEvent});
  merged = MergeRecording({kDrainerEvent}, {kTotal, kTotal}, {"binlog_pump_loss_binlog_count"});
  EXPECT_EQ(merged, (std::vector<std::string>{kDrainerEvent, kTotal}));
}

TEST(PromtoolBaselineTest, FileRoundTrips) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "promtool_baseline_test";
  std::filesystem::create_directories(dir);
  PromtoolBaseline written;
  written.promtool_version = "promtool, version 2.42.0";
  written.recorded_with = "binlog-conformance --in-process --record-promtool-baseline";
  written.findings["pump"] = {kTotal};
  written.findings["drainer"] = {};
  ASSERT_TRUE(WritePromtoolBaseline(written, dir / "b.json").ok());
  Result<PromtoolBaseline> read = LoadPromtoolBaseline(dir / "b.json");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->promtool_version, written.promtool_version);
  EXPECT_EQ(read->recorded_with, written.recorded_with);
  EXPECT_EQ(read->findings, written.findings);
  EXPECT_EQ(LoadPromtoolBaseline(dir / "missing.json").status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(PromtoolBaselineTest, RealPromtoolReportsTheTotalSuffix) {
  std::optional<PromtoolRun> run = RunPromtool(
      "# HELP binlog_pump_loss_binlog_count lost binlogs\n"
      "# TYPE binlog_pump_loss_binlog_count counter\nbinlog_pump_loss_binlog_count 0\n");
  if (!run) GTEST_SKIP() << "promtool is not installed";
  EXPECT_EQ(run->exit_code, kPromtoolExitLintFindings) << run->output;
  const std::vector<std::string> findings = LintFindings(*run);
  EXPECT_NE(std::find(findings.begin(), findings.end(), kTotal), findings.end()) << run->output;
  run = RunPromtool("not an exposition {\n");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->exit_code, kPromtoolExitParseError);
  EXPECT_TRUE(LintFindings(*run).empty());
}

}  // namespace
}  // namespace tidb_binlog::conformance
