// Goal: the simulator mode keeps its promises (sim_run.h, simulation.h on_quiescent): the
// suite runs only at a quiescent point, its requests reach the world's real nodes, a node it
// stops stays stopped, and a seed's trace hash is the same whether the suite ran or not.
// Method: seeded simulations with a hook that drives the SimulatedCluster directly, and one
// RunOnSimulation with the smoke profile.
#include "conformance/sim_run.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "conformance/api_spec.h"
#include "simulator/simulation.h"

namespace tidb_binlog::conformance {
namespace {

// The nodes log injected faults as errors; not what these tests check.
const bool kQuietLogs = [] {
  spdlog::set_level(spdlog::level::off);
  return true;
}();

// Virtual time after which a world operator would long have restarted a stopped node.
constexpr int64_t kLongAfterRestartMs = 120'000;

sim::SimConfig Config(uint64_t seed) {
  sim::SimConfig config;
  config.seed = seed;
  config.duration_ms = kSimConformanceDurationMsDefault;
  return config;
}

HttpRequest Request(std::string_view method, std::string_view target) {
  return MakeRequest(method, target, "pump-0.sim:8250");
}

TEST(SimRunTest, SuiteDoesNotChangeTheTraceHash) {
  for (uint64_t seed : {1, 7}) {
    const sim::SimResult alone = sim::RunSimulation(Config(seed)).value();
    sim::RunOptions options;
    int calls = 0;
    options.on_quiescent = [&](sim::SimulatedCluster& cluster) {
      ++calls;
      for (int i = 0; i < cluster.pump_count(); ++i) {
        if (cluster.PumpRunning(i)) cluster.HandlePump(i, Request("GET", "/status"));
      }
      cluster.AdvanceBy(kLongAfterRestartMs);
    };
    const sim::SimResult driven = sim::RunSimulation(Config(seed), options).value();
    ASSERT_EQ(alone.outcome, sim::Outcome::kPass) << "seed " << seed;
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(driven.handed_off);
    EXPECT_TRUE(driven.handoff_failures.empty());
    EXPECT_EQ(driven.trace_hash, alone.trace_hash) << "seed " << seed;
    EXPECT_EQ(driven.events, alone.events);
  }
}

TEST(SimRunTest, AStoppedNodeStaysStoppedAndTimeAdvancesOnlyWhenAsked) {
  sim::RunOptions options;
  bool checked = false;
  options.on_quiescent = [&](sim::SimulatedCluster& cluster) {
    int pump = 0;
    while (pump < cluster.pump_count() && !cluster.PumpRunning(pump)) ++pump;
    ASSERT_LT(pump, cluster.pump_count()) << "a quiescent world runs at least one pump";
    const int64_t before = cluster.now_ms();
    std::optional<HttpResponse> status = cluster.HandlePump(pump, Request("GET", "/status"));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->result_int(), 200);
    EXPECT_EQ(cluster.now_ms(), before) << "a request does not advance virtual time";
    const std::string id = "pump-" + std::to_string(pump) + ":8250";
    std::optional<HttpResponse> paused =
        cluster.HandlePump(pump, Request("PUT", "/state/" + id + "/pause"));
    ASSERT_TRUE(paused.has_value());
    EXPECT_EQ(paused->result_int(), 200) << paused->body();
    cluster.AdvanceBy(kLongAfterRestartMs);
    EXPECT_EQ(cluster.now_ms(), before + kLongAfterRestartMs);
    EXPECT_FALSE(cluster.PumpRunning(pump)) << "nobody restarts a node the caller stopped";
    EXPECT_FALSE(cluster.HandlePump(pump, Request("GET", "/status")).has_value());
    checked = true;
  };
  const sim::SimResult r = sim::RunSimulation(Config(3), options).value();
  EXPECT_TRUE(checked);
  EXPECT_TRUE(r.handoff_failures.empty()) << r.handoff_failures.front().detail;
}

TEST(SimRunTest, TheSuiteRunsAgainstTheQuiescentWorld) {
  Result<ApiSpec> spec = LoadApiSpec(DefaultSpecDir(), DefaultFixturesDir());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  SuiteOptions options;
  options.profile = Profile::kSmoke;
  std::vector<CheckResult> suite;
  size_t pumps = 0;
  Result<std::vector<CheckResult>> own = RunOnSimulation(
      Config(2), options, [&](const SuiteTargets& targets, const SuiteOptions& o) {
        pumps = targets.pumps.size();
        ASSERT_NE(targets.drainer, nullptr);
        EXPECT_EQ(targets.pumps.front()->base_url().rfind("http://pump-", 0), 0u);
        suite = RunSuite(*spec, targets, o);
      });
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  ASSERT_EQ(own->size(), 2u);
  EXPECT_EQ((*own)[0].id, "simulation.run");
  EXPECT_EQ((*own)[0].outcome, Outcome::kPass) << (*own)[0].actual;
  EXPECT_EQ((*own)[1].id, "simulation.handoff");
  EXPECT_EQ((*own)[1].outcome, Outcome::kPass) << (*own)[1].actual;
  EXPECT_GE(pumps, 1u);
  ASSERT_FALSE(suite.empty());
  for (const CheckResult& r : suite) {
    if (r.id.rfind("doc.", 0) == 0) continue;  // the doc's own deviations, judged by the ledger
    EXPECT_NE(r.outcome, Outcome::kFail) << r.id << " " << r.target << ": " << r.actual;
  }
}

TEST(SimRunTest, ABadConfigIsRefused) {
  sim::SimConfig config = Config(1);
  config.pumps = 0;
  Result<std::vector<CheckResult>> r =
      RunOnSimulation(config, SuiteOptions{}, [](const SuiteTargets&, const SuiteOptions&) {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tidb_binlog::conformance
