// /metrics on every node: the generic endpoint checks, then the exposition read by the
// suite's own parser (exposition_parser.h): parse errors, histogram rules, the upstream
// catalogue (families present from the start, types and label names of every family seen,
// never-registered families absent, no unknown binlog_* family), counters not decreasing
// across two scrapes, any method accepted, and promtool when it is installed (parse errors
// fail; lint findings only on families where upstream has them too).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/exposition_parser.h"
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

struct PromtoolRun {
  int exit_code = -1;
  std::string output;
};

// `promtool check metrics` on `body`; nullopt when promtool is not installed.
std::optional<PromtoolRun> RunPromtool(const std::string& body) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return std::nullopt;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("binlog-conformance-promtool-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "metrics.txt") << body;
  const std::string command = "promtool check metrics < " + (dir / "metrics.txt").string() +
                              " > " + (dir / "out.txt").string() + " 2>&1";
  const int status = std::system(command.c_str());
  PromtoolRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = ReadTextFile(dir / "out.txt").value();
  std::filesystem::remove_all(dir);
  return run;
}

void CheckPromtool(SuiteContext& ctx, const std::string& prefix, const std::string& label,
                   const MetricsCatalogue& catalogue, const std::string& body) {
  if (!ctx.Enabled(Level::kPortable)) return;
  std::optional<PromtoolRun> run = RunPromtool(body);
  if (!run) {
    ctx.Skip(Level::kPortable, prefix + ".promtool", label, "promtool is not installed");
    return;
  }
  // promtool exits 0 (clean), 3 (lint findings) or 1 (the text does not parse).
  ctx.Record(Level::kPortable, prefix + ".promtool", label, run->exit_code == 0 || run->exit_code == 3,
             "promtool check metrics exits 0 or 3 (parses)",
             "exit " + std::to_string(run->exit_code) + ": " + run->output, "UPSTREAM.md §4");
  std::vector<std::string> foreign;
  std::istringstream lines(run->output);
  for (std::string line; std::getline(lines, line);) {
    const std::string name = line.substr(0, line.find(' '));
    if (!line.empty() && !catalogue.promtool_lint_allowed.count(name)) foreign.push_back(line);
  }
  ctx.Record(Level::kExact, prefix + ".promtool-lint", label, foreign.empty(),
             "lint findings only where upstream's own names have them (metrics.json)",
             foreign.empty() ? "none beyond upstream's" : Join(foreign), "CONFORMANCE.md §3.2 DEV-009");
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
  CheckPromtool(ctx, prefix, label, catalogue, first.response->body());
}

}  // namespace

void RunMetricsChecks(SuiteContext& ctx) {
  for (Target* pump : ctx.targets.pumps) CheckMetrics(ctx, *pump, ctx.spec.Endpoint("pump.metrics"));
  if (ctx.targets.drainer != nullptr) {
    CheckMetrics(ctx, *ctx.targets.drainer, ctx.spec.Endpoint("drainer.metrics"));
  }
}

}  // namespace tidb_binlog::conformance
