// Goal: proof that the suite can fail (issue 5 §4). The unchanged reference nodes pass every
// non-disruptive profile in process; each mutant (mutants.h: one deliberate fault each)
// makes the suite fail, with the check the mutant is meant to trip among the failures.
// Method: an InProcessCluster per run, one node's handler wrapped by the mutant, profile
// upstream-exact (which includes portable), short virtual settle time.
#include <gtest/gtest.h>

#include <set>

#include "conformance/in_process_cluster.h"
#include "conformance/mutants.h"
#include "conformance/runner.h"
#include "conformance/suite.h"

#include <spdlog/spdlog.h>

namespace tidb_binlog::conformance {
namespace {

// Virtual time: close waits for the drainer to save a checkpoint past the pump's fake binlog.
constexpr int64_t kSettleMilliseconds = 30'000;

struct SuiteRun {
  std::set<std::string> failed;
  int results = 0;
};

SuiteRun RunInProcess(const Mutant* mutant, bool with_drainer, Profile profile) {
  spdlog::set_level(spdlog::level::err);  // the nodes' logs are not the subject here
  static const ApiSpec spec = LoadApiSpec(DefaultSpecDir(), DefaultFixturesDir()).value();
  InProcessCluster cluster(kInProcessPumpsDefault, with_drainer);
  EXPECT_TRUE(cluster.Start(kInProcessWarmUpMilliseconds).ok());
  std::vector<std::unique_ptr<Target>> owned;
  for (int i = 0; i < cluster.pump_count(); ++i) {
    InProcessHandler handler = [&cluster, i](const HttpRequest& r) { return cluster.HandlePump(i, r); };
    if (mutant != nullptr && i == 0 && std::string(mutant->service) == "pump") {
      handler = MakeMutantHandler(*mutant, handler);
    }
    owned.push_back(MakeInProcessTarget("http://127.0.0.1:" + std::to_string(kInProcessFirstPumpPort + i), handler));
  }
  SuiteTargets targets;
  for (auto& t : owned) targets.pumps.push_back(t.get());
  if (with_drainer) {
    InProcessHandler handler = [&cluster](const HttpRequest& r) { return cluster.HandleDrainer(r); };
    if (mutant != nullptr && std::string(mutant->service) == "drainer") {
      handler = MakeMutantHandler(*mutant, handler);
    }
    owned.push_back(MakeInProcessTarget("http://127.0.0.1:" + std::to_string(kInProcessDrainerPort), handler));
    targets.drainer = owned.back().get();
  }
  SuiteOptions options;
  options.profile = profile;
  options.settle_timeout = std::chrono::milliseconds(kSettleMilliseconds);
  options.now_ms = [&cluster] { return cluster.now_ms(); };
  options.sleep = [&cluster](std::chrono::milliseconds d) { cluster.AdvanceBy(d.count()); };
  std::vector<CheckResult> results = RunSuite(spec, targets, options);
  ApplyLedger(LoadLedger(DefaultLedgerDir() / "doc.json").value(), &results);
  SuiteRun run;
  run.results = static_cast<int>(results.size());
  for (const CheckResult& r : results) {
    if (IsUnexpected(r.outcome)) run.failed.insert(r.id);
  }
  return run;
}

std::string Join(const std::set<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += id + " ";
  return out;
}

TEST(MutantsTest, ReferencePassesEveryNonDisruptiveProfile) {
  for (Profile profile : {Profile::kSmoke, Profile::kPortable, Profile::kUpstreamExact}) {
    for (bool with_drainer : {true, false}) {
      SuiteRun run = RunInProcess(nullptr, with_drainer, profile);
      EXPECT_TRUE(run.failed.empty()) << ProfileName(profile) << ": " << Join(run.failed);
      EXPECT_GT(run.results, 50);
    }
  }
}

TEST(MutantsTest, ReferencePassesTheDisruptiveScenarios) {
  SuiteRun run = RunInProcess(nullptr, true, Profile::kDisruptive);
  EXPECT_TRUE(run.failed.empty()) << Join(run.failed);
}

class EveryMutantTest : public ::testing::TestWithParam<Mutant> {};

TEST_P(EveryMutantTest, SuiteFailsWithTheRightCheckNamed) {
  const Mutant& mutant = GetParam();
  SuiteRun run = RunInProcess(&mutant, mutant.needs_drainer, Profile::kUpstreamExact);
  EXPECT_TRUE(run.failed.count(mutant.expected_check))
      << mutant.name << " should fail " << mutant.expected_check << "; failed: " << Join(run.failed);
}

INSTANTIATE_TEST_SUITE_P(AllMutants, EveryMutantTest, ::testing::ValuesIn(AllMutants().begin(), AllMutants().end()),
                         [](const ::testing::TestParamInfo<Mutant>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace tidb_binlog::conformance
