// /metrics on every node: the generic endpoint checks, then the exposition read by the
// suite's own parser (exposition_parser.h): parse errors, histogram rules, the upstream
// catalogue (families present from the start, types and label names of every family seen,
// never-registered families absent, no unknown binlog_* family), counters not decreasing
// across two scrapes, any method accepted, and promtool when it is installed (parse errors
// fail; lint findings are compared with promtool-baseline.json, promtool_baseline.h).
#include <set>

#include "conformance/exposition_parser.h"
#include "conformance/promtool_baseline.h"
#include "conformance/suite_internal.h"

namespace tidb_binlog::conformance {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : "; ") + s;
  return out;
}

void CheckCatalogue(SuiteContext& ctx, const std::string& prefix, const std::string& label,
                    const MetricsCatalogue& catalogue, const ParsedExposition& e,
                    const std::string& reference) {
  std::vector<std::string> missing, wrong, unknown, never;
  for (const MetricFamilySpec& f : catalogue.families) {
    auto it = e.families.find(f.name);
    if (it == e.families.end()) {
      if (f.presence == MetricPresence::kAlways) missing.push_back(f.name);
      continue;
    }
    std::vector<std::string> labels = FamilyLabelNames(it->second);
    if (it->second.type != f.type || labels != f.labels) {
      wrong.push_back(f.name + " is " + it->second.type + " {" + Join(labels) + "}, want " +
                      f.type + " {" + Join(f.labels) + "}");
    }
  }
  for (const auto& [name, family] : e.families) {
    if (catalogue.never.count(name)) never.push_back(name);
    const bool ours = name.rfind("binlog_", 0) == 0;
    const bool known = std::any_of(catalogue.families.begin(), catalogue.families.end(),
                                   [&](const MetricFamilySpec& f) { return f.name == name; });
    if (ours && !known && !catalogue.never.count(name)) unknown.push_back(name);
  }
  ctx.Record(Level::kPortable, prefix + ".catalogue-present", label, missing.empty(),
             "every family upstream exposes from the start", missing.empty() ? "all present" : "missing: " + Join(missing), reference);
  ctx.Record(Level::kPortable, prefix + ".catalogue-types", label, wrong.empty(),
             "upstream's type and label names for every family present", wrong.empty() ? "as upstream" : Join(wrong), reference);
  ctx.Record(Level::kExact, prefix + ".never-exposed", label, never.empty(),
             "none of the families upstream defines but never registers", never.empty() ? "none" : Join(never), reference);
  ctx.Record(Level::kExact, prefix + ".unknown-families", label, unknown.empty(),
             "no binlog_* family outside upstream's catalogue", unknown.empty() ? "none" : Join(unknown), reference);
}

std::set<std::string> FamilyNames(const ParsedExposition& e) {
  std::set<std::string> names;
  for (const auto& [name, family] : e.families) names.insert(name);
  return names;
}

// promtool parses the body (portable), and its lint findings are the baseline's
// (upstream-exact; promtool_baseline.h).
void CheckPromtool(SuiteContext& ctx, const std::string& prefix, const std::string& label,
                   const std::string& catalogue, const ParsedExposition& parsed,
                   const std::string& body) {
  if (!ctx.Enabled(Level::kPortable)) return;
  std::optional<PromtoolRun> run = RunPromtool(body);
  if (!run) {
    ctx.Skip(Level::kPortable, prefix + ".promtool", label, "promtool is not installed");
    ctx.Skip(Level::kExact, prefix + ".promtool-lint", label, "promtool is not installed");
    return;
  }
  const bool parses =
      run->exit_code == kPromtoolExitClean || run->exit_code == kPromtoolExitLintFindings;
  ctx.Record(Level::kPortable, prefix + ".promtool", label, parses,
             "promtool check metrics exits 0 or 3 (parses)",
             "exit " + std::to_string(run->exit_code) + ": " + run->output, "UPSTREAM.md §4");
  if (!parses) return;
  const PromtoolBaseline& baseline = ctx.spec.promtool_baseline;
  auto recorded = baseline.findings.find(catalogue);
  BaselineComparison c = CompareWithBaseline(
      recorded == baseline.findings.end() ? std::vector<std::string>{} : recorded->second,
      LintFindings(*run), FamilyNames(parsed));
  ctx.Record(Level::kExact, prefix + ".promtool-lint", label, c.added.empty(),
             "only the lint findings of promtool-baseline.json (upstream's own names)",
             c.added.empty() ? "none beyond the baseline" : "new: " + Join(c.added),
             "CONFORMANCE.md §3.2 DEV-009");
  if (c.vanished.empty()) {
    ctx.Record(Level::kExact, prefix + ".promtool-baseline-current", label, true,
               "every baseline finding on an exposed family still reported", "current",
               "conformance/spec/promtool-baseline.json");
  } else {
    ctx.Skip(Level::kExact, prefix + ".promtool-baseline-current", label,
             "stale baseline, not a failure: promtool no longer reports " + Join(c.vanished) +
                 "; re-record with " + baseline.recorded_with);
  }
}

void CheckMetrics(SuiteContext& ctx, Target& target, const EndpointSpec& e) {
  const std::string prefix = e.id;
  const std::string label = ctx.Label(target);
  Exchange first = ctx.Call(target, "GET", "/metrics");
  JudgeExchange(ctx, e, prefix, target, first);
  if (!first.response) return;
  ParsedExposition parsed = ParseExposition(first.response->body());
  ctx.Record(Level::kSmoke, prefix + ".parse", label, parsed.errors.empty(),
             "a Prometheus text exposition", parsed.errors.empty() ? "parses" : Join(parsed.errors),
             e.upstream_ref, &first);
  std::vector<std::string> histogram_problems = CheckHistograms(parsed);
  ctx.Record(Level::kPortable, prefix + ".histograms", label, histogram_problems.empty(),
             "cumulative buckets ending in +Inf equal to _count, with _sum",
             histogram_problems.empty() ? "well formed" : Join(histogram_problems), e.upstream_ref, &first);
  const MetricsCatalogue& catalogue = ctx.spec.catalogues.at(e.metrics_catalogue);
  CheckCatalogue(ctx, prefix, label, catalogue, parsed, e.upstream_ref);
  Exchange second = ctx.Call(target, "POST", "/metrics");
  ctx.Record(Level::kPortable, prefix + ".any-method", label,
             second.response && second.response->result_int() == 200,
             "HTTP 200 for POST (promhttp is not behind the method filter)", DescribeResponse(second),
             "UPSTREAM.md §1.1, §10.10", &second);
  if (second.response && second.response->result_int() == 200) {
    std::vector<std::string> drops = CompareScrapes(parsed, ParseExposition(second.response->body()));
    ctx.Record(Level::kPortable, prefix + ".monotonic", label, drops.empty(),
               "no series disappears, no counter or bucket decreases between two scrapes",
               drops.empty() ? "monotonic" : Join(drops), e.upstream_ref, &second);
  }
  CheckPromtool(ctx, prefix, label, e.metrics_catalogue, parsed, first.response->body());
}

}  // namespace

void RunMetricsChecks(SuiteContext& ctx) {
  for (Target* pump : ctx.targets.pumps) CheckMetrics(ctx, *pump, ctx.spec.Endpoint("pump.metrics"));
  if (ctx.targets.drainer != nullptr) {
    CheckMetrics(ctx, *ctx.targets.drainer, ctx.spec.Endpoint("drainer.metrics"));
  }
}

}  // namespace tidb_binlog::conformance
