// binlog-conformance: runs the conformance suite against TiDB-Binlog Pump and Drainer
// targets (any base URLs, or the reference nodes in process) and reports as runner.h says.
#include <iostream>

#include <CLI/CLI.hpp>

#include "conformance/runner.h"

int main(int argc, char** argv) {
  using namespace tidb_binlog::conformance;
  RunnerOptions options;
  std::string profile = "portable";
  std::vector<std::string> ledgers;
  CLI::App app{"Conformance suite for the TiDB-Binlog Pump and Drainer HTTP API"};
  app.add_option("--pump", options.pump_urls, "pump base URL (repeatable), e.g. http://127.0.0.1:8250");
  app.add_option("--drainer", options.drainer_url, "drainer base URL, e.g. http://127.0.0.1:8249");
  app.add_flag("--in-process", options.in_process, "run against reference nodes inside this process");
  app.add_option("--in-process-pumps", options.in_process_pumps, "pumps in the in-process cluster")
      ->check(CLI::Range(1, 16));
  app.add_option("--profile", profile, "smoke | portable | upstream-exact | disruptive");
  app.add_option("--ledger", ledgers, "deviation ledger of the target (repeatable)");
  app.add_option("--junit", options.junit_path, "write a JUnit XML report");
  app.add_option("--json", options.json_path, "write a JSON report");
  app.add_option("--spec-dir", options.spec_dir, "directory of api.json and metrics.json");
  app.add_option("--fixtures-dir", options.fixtures_dir, "directory of the doc examples");
  app.add_option("--ledger-dir", options.ledger_dir, "directory holding doc.json");
  app.add_option("--cluster-id", options.cluster_id,
                 "cluster id of the binlogs the disruptive profile writes over gRPC "
                 "(default: binlog-cluster's)");
  app.add_option("--settle-timeout-ms", options.settle_timeout_ms,
                 "bound on every wait for the cluster to agree or change state");
  CLI11_PARSE(app, argc, argv);
  auto parsed = ParseProfile(profile);
  if (!parsed.ok()) {
    std::cerr << parsed.status().ToString() << "\n";
    return 2;
  }
  options.profile = *parsed;
  for (const std::string& l : ledgers) options.ledgers.emplace_back(l);
  return RunConformance(options, std::cout);
}
