// Goal: a simulated run is a function of its seed and options, and the reference nodes pass
// every checker under the fault profiles. Method: run a fixed set of seeds twice each and
// compare trace hashes (reporting the first differing event when they differ), then a short
// swarm that must pass.
#include "simulator/simulation.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "simulator/swarm.h"

#include <sstream>

namespace tidb_binlog::sim {
namespace {

// The nodes' logs are not what these tests check, and would flood the output.
const bool kQuietLogs = [] {
  spdlog::set_level(spdlog::level::off);
  return true;
}();

SimConfig SmallConfig(uint64_t seed, const std::string& faults) {
  SimConfig config;
  config.seed = seed;
  config.pumps = 3;
  config.drainers = 1;
  config.writers = 3;
  config.write_rate_per_second = 50;
  config.duration_ms = 20'000;
  config.faults = faults;
  return config;
}

std::string Failures(const SimResult& r) {
  std::string text;
  for (const CheckFailure& f : r.failures) text += f.checker + ": " + f.detail + "\n";
  return text;
}

class DeterminismTest : public ::testing::TestWithParam<std::pair<uint64_t, const char*>> {};

TEST_P(DeterminismTest, SameSeedSameTrace) {
  SimConfig config = SmallConfig(GetParam().first, GetParam().second);
  RunOptions options;
  options.keep_events = true;
  SimResult first = RunSimulation(config, options).value();
  SimResult second = RunSimulation(config, options).value();
  auto split = FirstDivergence(first.kept_events, second.kept_events);
  ASSERT_FALSE(split.has_value())
      << "runs diverge at event " << *split << ": "
      << (*split < first.kept_events.size() ? first.kept_events[*split].ToString() : "end")
      << " vs "
      << (*split < second.kept_events.size() ? second.kept_events[*split].ToString() : "end");
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.outcome, Outcome::kPass) << Failures(first) << ReplayCommand(config);
  EXPECT_GT(first.committed, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, DeterminismTest,
    ::testing::Values(std::make_pair(1, "none"), std::make_pair(2, "network"),
                      std::make_pair(3, "crash"), std::make_pair(4, "storage"),
                      std::make_pair(5, "nodes"), std::make_pair(6, "all"),
                      std::make_pair(7, "swarm"), std::make_pair(8, "swarm")));

TEST(SimulationTest, DifferentSeedsDiffer) {
  SimResult a = RunSimulation(SmallConfig(11, "network")).value();
  SimResult b = RunSimulation(SmallConfig(12, "network")).value();
  EXPECT_NE(a.trace_hash, b.trace_hash);
}

TEST(SimulationTest, FaultFreeRunDeliversEveryCommitToEveryDrainer) {
  SimConfig config = SmallConfig(21, "none");
  config.drainers = 2;
  SimResult r = RunSimulation(config).value();
  ASSERT_EQ(r.outcome, Outcome::kPass) << Failures(r);
  ASSERT_EQ(r.emitted.size(), 2u);
  EXPECT_EQ(r.emitted[0], r.committed);
  EXPECT_EQ(r.emitted[1], r.committed);
}

TEST(SwarmTest, ShortSwarmPassesEveryChecker) {
  SwarmOptions options;
  options.first_seed = 100;
  options.last_seed = 111;
  options.base = SmallConfig(0, "swarm");
  SwarmReport report = RunSwarm(options);
  std::ostringstream summary;
  PrintSwarmSummary(report, summary);
  EXPECT_EQ(report.failed, 0) << summary.str();
  EXPECT_EQ(report.passed, 12);
}

TEST(SwarmTest, ShardsPartitionTheSeedRange) {
  SwarmOptions options;
  options.first_seed = 1;
  options.last_seed = 5;
  options.shard_index = 1;
  options.shard_count = 2;
  options.base = SmallConfig(0, "swarm");
  options.base.duration_ms = 2'000;
  SwarmReport report = RunSwarm(options);
  ASSERT_EQ(report.runs.size(), 2u);
  EXPECT_EQ(report.runs[0].seed, 2u);
  EXPECT_EQ(report.runs[1].seed, 4u);
}

}  // namespace
}  // namespace tidb_binlog::sim
