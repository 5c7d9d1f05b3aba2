// binlog-conformance: runs the conformance suite against TiDB-Binlog Pump and Drainer
// targets (any base URLs, the reference nodes in process, or a simulated world's nodes at
// its quiescent point) and reports as runner.h says.
#include <iostream>

#include <CLI/CLI.hpp>

#include "conformance/runner.h"
#include "simulator/sim_config.h"

int main(int argc, char** argv) {
  using namespace tidb_binlog::conformance;
  RunnerOptions options;
  std::string profile = "portable";
  std::vector<std::string> ledgers;
  uint64_t sim_seed = 0;
  std::string sim_duration = "20s";
  CLI::App app{"Conformance suite for the TiDB-Binlog Pump and Drainer HTTP API"};
  app.add_option("--pump", options.pump_urls, "pump base URL (repeatable), e.g. http://127.0.0.1:8250");
  app.add_option("--drainer", options.drainer_url, "drainer base URL, e.g. http://127.0.0.1:8249");
  app.add_flag("--in-process", options.in_process, "run against reference nodes inside this process");
  app.add_option("--in-process-pumps", options.in_process_pumps, "pumps in the in-process cluster")
      ->check(CLI::Range(1, 16));
  CLI::Option* seed_option = app.add_option(
      "--sim-seed", sim_seed,
      "run against a simulated world with this seed, at its quiescent point (no sockets)");
  app.add_option("--sim-pumps", options.sim_pumps, "pumps in the simulated world")
      ->check(CLI::Range(1, 16));
  app.add_option("--sim-duration", sim_duration,
                 "the simulation's safety phase, faults on (Go duration: 20s, 1m)");
  app.add_option("--sim-faults", options.sim_faults,
                 "fault profile: swarm (drawn from the seed), none, network, crash, storage, "
                 "nodes, all");
  app.add_flag("--record-promtool-baseline", options.record_promtool_baseline,
               "instead of the suite: run promtool on every target's /metrics and rewrite "
               "<spec dir>/promtool-baseline.json");
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
  for (int i = 0; i < argc; ++i) {
    options.command_line += (i == 0 ? std::string("binlog-conformance") : " " + std::string(argv[i]));
  }
  if (seed_option->count() > 0) {
    auto duration = tidb_binlog::sim::ParseDurationMs(sim_duration);
    if (!duration.ok()) {
      std::cerr << duration.status().ToString() << "\n";
      return 2;
    }
    options.sim_seed = sim_seed;
    options.sim_duration_ms = *duration;
  }
  auto parsed = ParseProfile(profile);
  if (!parsed.ok()) {
    std::cerr << parsed.status().ToString() << "\n";
    return 2;
  }
  options.profile = *parsed;
  for (const std::string& l : ledgers) options.ledgers.emplace_back(l);
  return RunConformance(options, std::cout);
}
