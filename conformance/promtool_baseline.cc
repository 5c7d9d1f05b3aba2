#include "conformance/promtool_baseline.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

constexpr char kAbout[] =
    "promtool's lint findings on the reference's pump and drainer /metrics, which come from "
    "upstream's own metric names (kept for dashboards and alert rules). The suite compares "
    "every scrape with them (profile upstream-exact): a finding not listed fails, a listed "
    "finding on an exposed family that promtool no longer reports is reported as stale. "
    "Re-record with the command in recorded_with (it replaces the findings of the families "
    "the run exposed and keeps the others); see conformance/promtool_baseline.h.";

std::string ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs `command` through the shell with its output in a file; the exit code and output.
PromtoolRun RunShell(const std::string& command) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("binlog-conformance-promtool-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string full = command + " > " + (dir / "out.txt").string() + " 2>&1";
  const int status = std::system(full.c_str());
  PromtoolRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = ReadWhole(dir / "out.txt");
  std::filesystem::remove_all(dir);
  return run;
}

bool PromtoolInstalled() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

std::vector<std::string> SortedUnique(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return lines;
}

std::string Quoted(std::string_view text) { return json::serialize(json::string(text)); }

}  // namespace

Result<PromtoolBaseline> LoadPromtoolBaseline(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return Status::NotFound("no " + path.string());
  boost::system::error_code ec;
  json::value root = json::parse(ReadWhole(path), ec);
  const json::object* o = ec ? nullptr : root.if_object();
  const json::value* catalogues = o != nullptr ? o->if_contains("catalogues") : nullptr;
  if (catalogues == nullptr || !catalogues->is_object()) {
    return Status::InvalidArgument(path.string() + ": not an object with \"catalogues\"");
  }
  PromtoolBaseline baseline;
  if (const json::value* v = o->if_contains("promtool"); v != nullptr && v->is_string()) {
    baseline.promtool_version = std::string(v->as_string());
  }
  if (const json::value* v = o->if_contains("recorded_with"); v != nullptr && v->is_string()) {
    baseline.recorded_with = std::string(v->as_string());
  }
  for (const auto& [name, lines] : catalogues->as_object()) {
    if (!lines.is_array()) return Status::InvalidArgument(path.string() + ": " + std::string(name));
    std::vector<std::string>& out = baseline.findings[std::string(name)];
    for (const json::value& line : lines.as_array()) {
      if (!line.is_string()) return Status::InvalidArgument(path.string() + ": a non-string line");
      out.emplace_back(line.as_string());
    }
    out = SortedUnique(std::move(out));
  }
  return baseline;
}

// Written by hand rather than json::serialize so that the file has one finding per line
// (reviewable diffs when it is re-recorded).
Status WritePromtoolBaseline(const PromtoolBaseline& baseline, const std::filesystem::path& path) {
  std::ostringstream out;
  out << "{\n  \"about\": " << Quoted(kAbout) << ",\n  \"promtool\": "
      << Quoted(baseline.promtool_version) << ",\n  \"recorded_with\": "
      << Quoted(baseline.recorded_with) << ",\n  \"catalogues\": {";
  bool first_catalogue = true;
  for (const auto& [name, lines] : baseline.findings) {
    out << (first_catalogue ? "\n" : ",\n") << "    " << Quoted(name) << ": [";
    for (size_t i = 0; i < lines.size(); ++i) {
      out << (i == 0 ? "\n" : ",\n") << "      " << Quoted(lines[i]);
    }
    out << (lines.empty() ? "]" : "\n    ]");
    first_catalogue = false;
  }
  out << "\n  }\n}\n";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out.str();
  file.close();
  if (!file) return Status::IoError("cannot write " + path.string());
  return Status::Ok();
}

std::optional<PromtoolRun> RunPromtool(std::string_view exposition) {
  if (!PromtoolInstalled()) return std::nullopt;
  const std::filesystem::path input =
      std::filesystem::temp_directory_path() /
      ("binlog-conformance-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(input, std::ios::binary) << exposition;
  PromtoolRun run = RunShell("promtool check metrics < " + input.string());
  std::filesystem::remove(input);
  return run;
}

std::optional<std::string> PromtoolVersion() {
  if (!PromtoolInstalled()) return std::nullopt;
  PromtoolRun run = RunShell("promtool --version");
  return run.output.substr(0, run.output.find('\n'));
}

std::vector<std::string> LintFindings(const PromtoolRun& run) {
  std::vector<std::string> findings;
  if (run.exit_code != kPromtoolExitClean && run.exit_code != kPromtoolExitLintFindings) {
    return findings;
  }
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) findings.push_back(line);
  }
  return findings;
}

std::string FindingFamily(std::string_view line) {
  return std::string(line.substr(0, line.find(' ')));
}

BaselineComparison CompareWithBaseline(const std::vector<std::string>& baseline,
                                       const std::vector<std::string>& findings,
                                       const std::set<std::string>& exposed_families) {
  BaselineComparison c;
  const std::set<std::string> known(baseline.begin(), baseline.end());
  const std::set<std::string> now(findings.begin(), findings.end());
  for (const std::string& f : now) {
    if (!known.count(f)) c.added.push_back(f);
  }
  for (const std::string& b : known) {
    if (!now.count(b) && exposed_families.count(FindingFamily(b))) c.vanished.push_back(b);
  }
  return c;
}

std::vector<std::string> MergeRecording(const std::vector<std::string>& old,
                                        const std::set<std::string>& findings,
                                        const std::set<std::string>& exposed_families) {
  std::vector<std::string> merged(findings.begin(), findings.end());
  for (const std::string& line : old) {
    if (!exposed_families.count(FindingFamily(line))) merged.push_back(line);
  }
  return SortedUnique(std::move(merged));
}

}  // namespace tidb_binlog::conformance
