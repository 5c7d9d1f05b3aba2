// The binlog-conformance command as a function: loads the spec, the doc ledger and the
// target's ledger, builds the targets (TCP URLs, an InProcessCluster, or the nodes of a
// simulated world at its quiescent point, sim_run.h), runs the suite, applies the ledger,
// writes the text report to `out` (last line `N passed, N failed, N skipped`) and the
// JUnit/JSON files, and returns the exit code: 0 when nothing failed unexpectedly, 1 when
// something did, 2 for configuration errors.
//
// With record_promtool_baseline the suite does not run: every target's /metrics goes
// through promtool and <spec dir>/promtool-baseline.json is rewritten (promtool_baseline.h);
// exit 0 when it was written, 1 when a body did not parse, 2 without promtool.
//
// Thread safety: one call at a time per set of targets.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "conformance/sim_run.h"
#include "conformance/suite.h"

namespace tidb_binlog::conformance {

// Virtual time the in-process cluster runs before the checks (drainer's first refresh and
// checkpoint, a few heartbeats).
inline constexpr int64_t kInProcessWarmUpMilliseconds = 12'000;

struct RunnerOptions {
  std::vector<std::string> pump_urls;
  std::string drainer_url;
  bool in_process = false;
  int in_process_pumps = 3;
  // --cluster-id: the id the disruptive profile's binlogs carry over gRPC.
  uint64_t cluster_id = kDefaultClusterId;
  // Set: the targets are a simulated world's nodes (sim_run.h), run with this seed, this
  // many pumps (one drainer), a safety phase this long and this fault profile.
  std::optional<uint64_t> sim_seed;
  int sim_pumps = 3;
  int64_t sim_duration_ms = kSimConformanceDurationMsDefault;
  std::string sim_faults = "swarm";
  bool record_promtool_baseline = false;
  std::string command_line;  // as invoked, for the recorded baseline's `recorded_with`
  Profile profile = Profile::kPortable;
  std::vector<std::filesystem::path> ledgers;  // besides ledger/doc.json, always loaded
  std::filesystem::path junit_path;
  std::filesystem::path json_path;
  std::filesystem::path spec_dir;      // default: DefaultSpecDir()
  std::filesystem::path fixtures_dir;  // default: DefaultFixturesDir()
  std::filesystem::path ledger_dir;    // default: DefaultLedgerDir()
  int64_t settle_timeout_ms = 30'000;
};

int RunConformance(const RunnerOptions& options, std::ostream& out);

}  // namespace tidb_binlog::conformance
