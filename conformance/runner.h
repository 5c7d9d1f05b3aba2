// The binlog-conformance command as a function: loads the spec, the doc ledger and the
// target's ledger, builds the targets (TCP URLs, or an InProcessCluster), runs the suite,
// applies the ledger, writes the text report to `out` (last line `N passed, N failed, N
// skipped`) and the JUnit/JSON files, and returns the exit code: 0 when nothing failed
// unexpectedly, 1 when something did, 2 for configuration errors.
//
// Thread safety: one call at a time per set of targets.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

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
