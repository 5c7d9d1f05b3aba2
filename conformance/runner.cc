#include "conformance/runner.h"

#include <map>
#include <memory>

#include "conformance/in_process_cluster.h"
#include "conformance/report.h"

#include <spdlog/spdlog.h>

namespace tidb_binlog::conformance {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailures = 1;
constexpr int kExitConfiguration = 2;

Result<Ledger> LoadLedgers(const RunnerOptions& o) {
  const std::filesystem::path dir = o.ledger_dir.empty() ? DefaultLedgerDir() : o.ledger_dir;
  Result<Ledger> ledger = LoadLedger(dir / "doc.json");
  if (!ledger.ok()) return ledger.status();
  for (const std::filesystem::path& path : o.ledgers) {
    Result<Ledger> more = LoadLedger(path);
    if (!more.ok()) return more.status();
    MergeLedger(*std::move(more), &*ledger);
  }
  return ledger;
}

std::map<std::string, std::string> Properties(const RunnerOptions& o) {
  std::map<std::string, std::string> p;
  p["profile"] = ProfileName(o.profile);
  p["mode"] = o.in_process ? "in-process" : "tcp";
  std::string pumps;
  for (const std::string& u : o.pump_urls) pumps += (pumps.empty() ? "" : " ") + u;
  p["pumps"] = pumps;
  p["drainer"] = o.drainer_url;
  p["spec"] = "conformance/spec/api.json (upstream pingcap/tidb-binlog@ec3adceb)";
  return p;
}

int Finish(const RunnerOptions& o, std::vector<CheckResult> results, const Ledger& ledger,
           std::ostream& out) {
  ApplyLedger(ledger, &results);
  WriteTextReport(results, out);
  const auto properties = Properties(o);
  if (!o.junit_path.empty()) {
    Status s = WriteJunitReport(results, properties, o.junit_path);
    if (!s.ok()) out << "error: " << s.ToString() << "\n";
  }
  if (!o.json_path.empty()) {
    Status s = WriteJsonReport(results, properties, o.json_path);
    if (!s.ok()) out << "error: " << s.ToString() << "\n";
  }
  return Summarize(results).failed == 0 ? kExitOk : kExitFailures;
}

}  // namespace

int RunConformance(const RunnerOptions& o, std::ostream& out) {
  Result<ApiSpec> spec = LoadApiSpec(o.spec_dir.empty() ? DefaultSpecDir() : o.spec_dir,
                                     o.fixtures_dir.empty() ? DefaultFixturesDir() : o.fixtures_dir);
  Result<Ledger> ledger = LoadLedgers(o);
  if (!spec.ok() || !ledger.ok()) {
    out << "error: " << (spec.ok() ? ledger.status() : spec.status()).ToString() << "\n";
    return kExitConfiguration;
  }
  SuiteOptions suite_options;
  suite_options.profile = o.profile;
  suite_options.settle_timeout = std::chrono::milliseconds(o.settle_timeout_ms);
  suite_options.cluster_id = o.cluster_id;
  std::vector<std::unique_ptr<Target>> owned;
  SuiteTargets targets;
  std::unique_ptr<InProcessCluster> cluster;
  if (o.in_process) {
    // The nodes log like the real ones; in process that would bury the report.
    spdlog::set_level(spdlog::level::err);
    cluster = std::make_unique<InProcessCluster>(o.in_process_pumps);
    Status started = cluster->Start(kInProcessWarmUpMilliseconds);
    if (!started.ok()) {
      out << "error: in-process cluster: " << started.ToString() << "\n";
      return kExitConfiguration;
    }
    for (int i = 0; i < cluster->pump_count(); ++i) owned.push_back(cluster->PumpTarget(i));
    owned.push_back(cluster->DrainerTarget());
    suite_options.now_ms = [c = cluster.get()] { return c->now_ms(); };
    suite_options.sleep = [c = cluster.get()](std::chrono::milliseconds d) { c->AdvanceBy(d.count()); };
    suite_options.binlog_writer = [c = cluster.get()](size_t index, Target& pump) {
      return MakeFunctionBinlogWriter(
          pump.base_url() + " (in process: the node's write path)",
          [c, index](const binlog::Binlog& b) { return c->WritePumpBinlog(static_cast<int>(index), b); });
    };
  } else {
    for (const std::string& url : o.pump_urls) {
      Result<std::unique_ptr<Target>> t = MakeTcpTarget(url);
      if (!t.ok()) { out << "error: " << t.status().ToString() << "\n"; return kExitConfiguration; }
      owned.push_back(std::move(t).value());
    }
    if (!o.drainer_url.empty()) {
      Result<std::unique_ptr<Target>> t = MakeTcpTarget(o.drainer_url);
      if (!t.ok()) { out << "error: " << t.status().ToString() << "\n"; return kExitConfiguration; }
      owned.push_back(std::move(t).value());
    }
  }
  const bool has_drainer = o.in_process || !o.drainer_url.empty();
  for (size_t i = 0; i < owned.size(); ++i) {
    if (has_drainer && i + 1 == owned.size()) targets.drainer = owned[i].get();
    else targets.pumps.push_back(owned[i].get());
  }
  if (targets.pumps.empty()) {
    out << "error: at least one --pump URL is required (or --in-process)\n";
    return kExitConfiguration;
  }
  return Finish(o, RunSuite(*spec, targets, suite_options), *ledger, out);
}

}  // namespace tidb_binlog::conformance
