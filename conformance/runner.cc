#include "conformance/runner.h"

#include <map>
#include <memory>
#include <set>

#include "conformance/exposition_parser.h"
#include "conformance/in_process_cluster.h"
#include "conformance/promtool_baseline.h"
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

std::filesystem::path SpecDir(const RunnerOptions& o) {
  return o.spec_dir.empty() ? DefaultSpecDir() : o.spec_dir;
}

std::map<std::string, std::string> Properties(const RunnerOptions& o) {
  std::map<std::string, std::string> p;
  p["profile"] = ProfileName(o.profile);
  p["mode"] = o.sim_seed ? "simulator" : o.in_process ? "in-process" : "tcp";
  if (o.sim_seed) {
    p["sim"] = "seed " + std::to_string(*o.sim_seed) + ", " + std::to_string(o.sim_pumps) +
               " pumps, " + std::to_string(o.sim_duration_ms) + " ms, faults " + o.sim_faults;
  }
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

// The targets of the TCP and in-process modes, alive for the run.
struct OwnedTargets {
  std::unique_ptr<InProcessCluster> cluster;
  std::vector<std::unique_ptr<Target>> owned;
  SuiteTargets targets;
};

Result<OwnedTargets> MakeTcpTargets(const RunnerOptions& o) {
  OwnedTargets t;
  for (const std::string& url : o.pump_urls) {
    Result<std::unique_ptr<Target>> target = MakeTcpTarget(url);
    if (!target.ok()) return target.status();
    t.owned.push_back(std::move(target).value());
    t.targets.pumps.push_back(t.owned.back().get());
  }
  if (!o.drainer_url.empty()) {
    Result<std::unique_ptr<Target>> target = MakeTcpTarget(o.drainer_url);
    if (!target.ok()) return target.status();
    t.owned.push_back(std::move(target).value());
    t.targets.drainer = t.owned.back().get();
  }
  if (t.targets.pumps.empty()) {
    return Status::InvalidArgument("at least one --pump URL is required (or --in-process, --sim-seed)");
  }
  return t;
}

// Starts the in-process cluster and points `options` at its virtual clock.
Result<OwnedTargets> StartInProcess(const RunnerOptions& o, SuiteOptions* options) {
  OwnedTargets t;
  t.cluster = std::make_unique<InProcessCluster>(o.in_process_pumps);
  Status started = t.cluster->Start(kInProcessWarmUpMilliseconds);
  if (!started.ok()) return started.Annotate("in-process cluster");
  for (int i = 0; i < t.cluster->pump_count(); ++i) {
    t.owned.push_back(t.cluster->PumpTarget(i));
    t.targets.pumps.push_back(t.owned.back().get());
  }
  t.owned.push_back(t.cluster->DrainerTarget());
  t.targets.drainer = t.owned.back().get();
  options->now_ms = [c = t.cluster.get()] { return c->now_ms(); };
  options->sleep = [c = t.cluster.get()](std::chrono::milliseconds d) { c->AdvanceBy(d.count()); };
  options->tso = [c = t.cluster.get()] { return c->NextTso(); };
  options->binlog_writer = [c = t.cluster.get()](size_t index, Target& pump) {
    return MakeFunctionBinlogWriter(
        pump.base_url() + " (in process: the node's write path)",
        [c, index](const binlog::Binlog& b) { return c->WritePumpBinlog(static_cast<int>(index), b); });
  };
  return t;
}

sim::SimConfig SimConfigOf(const RunnerOptions& o) {
  sim::SimConfig config;
  config.seed = *o.sim_seed;
  config.pumps = o.sim_pumps;
  config.drainers = 1;
  config.duration_ms = o.sim_duration_ms;
  config.faults = o.sim_faults;
  return config;
}

// Runs `action` against the targets the options name. In simulator mode the results of the
// simulation itself (sim_run.h) come back; the other modes return none.
Result<std::vector<CheckResult>> RunWithTargets(const RunnerOptions& o, SuiteOptions options,
                                                const TargetsAction& action) {
  if (o.sim_seed) return RunOnSimulation(SimConfigOf(o), options, action);
  Result<OwnedTargets> t = o.in_process ? StartInProcess(o, &options) : MakeTcpTargets(o);
  if (!t.ok()) return t.status();
  action(t->targets, options);
  return std::vector<CheckResult>{};
}

// promtool's findings and the families exposed, per catalogue, over every target.
struct PromtoolRecording {
  std::map<std::string, std::set<std::string>> findings;
  std::map<std::string, std::set<std::string>> exposed;
  std::vector<std::string> errors;  // bodies promtool could not parse, targets that failed
};

void RecordTarget(Target& target, const EndpointSpec& e, PromtoolRecording* recording) {
  Exchange x = target.Send(MakeRequest("GET", "/metrics", target.Authority()));
  if (!x.response || x.response->result_int() != 200) {
    recording->errors.push_back(target.base_url() + "/metrics: no HTTP 200 " + x.error);
    return;
  }
  std::optional<PromtoolRun> run = RunPromtool(x.response->body());
  if (!run) return;
  if (run->exit_code != kPromtoolExitClean && run->exit_code != kPromtoolExitLintFindings) {
    recording->errors.push_back(target.base_url() + "/metrics: promtool exit " +
                                std::to_string(run->exit_code) + ": " + run->output);
    return;
  }
  for (std::string& f : LintFindings(*run)) recording->findings[e.metrics_catalogue].insert(f);
  for (const auto& [name, family] : ParseExposition(x.response->body()).families) {
    recording->exposed[e.metrics_catalogue].insert(name);
  }
}

PromtoolRecording RecordPromtool(const ApiSpec& spec, const SuiteTargets& targets) {
  PromtoolRecording recording;
  for (Target* pump : targets.pumps) RecordTarget(*pump, spec.Endpoint("pump.metrics"), &recording);
  if (targets.drainer != nullptr) {
    RecordTarget(*targets.drainer, spec.Endpoint("drainer.metrics"), &recording);
  }
  return recording;
}

int RecordPromtoolBaseline(const RunnerOptions& o, const ApiSpec& spec,
                           const SuiteOptions& options, std::ostream& out) {
  std::optional<std::string> version = PromtoolVersion();
  if (!version) {
    out << "error: promtool is not installed (apt-get install prometheus)\n";
    return kExitConfiguration;
  }
  PromtoolRecording recording;
  Result<std::vector<CheckResult>> ran = RunWithTargets(
      o, options, [&](const SuiteTargets& t, const SuiteOptions&) { recording = RecordPromtool(spec, t); });
  if (!ran.ok()) {
    out << "error: " << ran.status().ToString() << "\n";
    return kExitConfiguration;
  }
  for (const CheckResult& r : *ran) {
    if (IsUnexpected(r.outcome)) recording.errors.push_back(r.id + ": " + r.actual);
  }
  for (const std::string& e : recording.errors) out << "error: " << e << "\n";
  if (!recording.errors.empty()) return kExitFailures;
  PromtoolBaseline baseline = spec.promtool_baseline;
  baseline.promtool_version = *version;
  baseline.recorded_with = o.command_line;
  for (const auto& [catalogue, exposed] : recording.exposed) {
    baseline.findings[catalogue] =
        MergeRecording(baseline.findings[catalogue], recording.findings[catalogue], exposed);
    out << catalogue << ": " << baseline.findings[catalogue].size() << " findings ("
        << exposed.size() << " families exposed in this run)\n";
  }
  const std::filesystem::path path = SpecDir(o) / kPromtoolBaselineFile;
  Status written = WritePromtoolBaseline(baseline, path);
  out << (written.ok() ? "wrote " + path.string() : "error: " + written.ToString()) << "\n";
  return written.ok() ? kExitOk : kExitFailures;
}

}  // namespace

int RunConformance(const RunnerOptions& o, std::ostream& out) {
  Result<ApiSpec> spec = LoadApiSpec(SpecDir(o),
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
  // The nodes log like the real ones; in process that would bury the report. A simulated
  // world injects faults that nodes log as errors: there its checkers are the judge.
  if (o.in_process) spdlog::set_level(spdlog::level::err);
  if (o.sim_seed) spdlog::set_level(spdlog::level::off);
  if (o.record_promtool_baseline) return RecordPromtoolBaseline(o, *spec, suite_options, out);
  std::vector<CheckResult> results;
  Result<std::vector<CheckResult>> ran = RunWithTargets(
      o, suite_options, [&](const SuiteTargets& t, const SuiteOptions& so) {
        if (!t.pumps.empty()) {
          results = RunSuite(*spec, t, so);
          return;
        }
        CheckResult none;  // only a simulated world can end with no pump running
        none.id = "suite.targets";
        none.target = "cluster";
        none.outcome = Outcome::kFail;
        none.expected = "at least one running pump";
        none.actual = "none";
        results.push_back(std::move(none));
      });
  if (!ran.ok()) {
    out << "error: " << ran.status().ToString() << "\n";
    return kExitConfiguration;
  }
  results.insert(results.begin(), ran->begin(), ran->end());
  return Finish(o, std::move(results), *ledger, out);
}

}  // namespace tidb_binlog::conformance
