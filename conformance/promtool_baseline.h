// promtool's verdict on a /metrics body, and the recorded baseline it is compared with.
//
// `promtool check metrics` lints an exposition: one line per finding, `<family> <message>`
// (`binlog_pump_loss_binlog_count counter metrics should have "_total" suffix`). Upstream's
// own metric names produce some findings; a faithful target keeps those names (dashboards
// and alert rules use them), so the suite compares each scrape with a recorded baseline
// (conformance/spec/promtool-baseline.json) instead of asking for no findings:
//   * a finding not in the baseline is new: it fails;
//   * a baseline finding on a family the scrape exposes that promtool no longer reports has
//     vanished: it is reported (the baseline is stale), not failed;
//   * a baseline finding on a family the scrape does not expose says nothing (most of
//     upstream's vectors appear only once a label is used).
// promtool exits 0 (clean), 3 (lint findings) or 1 (the text does not parse: always a
// failure). Without promtool on PATH the checks are skipped, never failed.
//
// Recording (`binlog-conformance --record-promtool-baseline`) replaces the findings of the
// families a run exposed and keeps the others, so a recording from a run where a lazy family
// stayed absent does not lose its findings.
//
// Thread safety: pure functions, except RunPromtool and PromtoolVersion, which start a
// process and use a temporary directory named after the calling process (one call at a
// time per process).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/core/status.h"

namespace tidb_binlog::conformance {

inline constexpr char kPromtoolBaselineFile[] = "promtool-baseline.json";
inline constexpr int kPromtoolExitClean = 0;
inline constexpr int kPromtoolExitParseError = 1;
inline constexpr int kPromtoolExitLintFindings = 3;

struct PromtoolBaseline {
  std::string promtool_version;  // the first line of `promtool --version` when recorded
  std::string recorded_with;     // the command that recorded it
  // Catalogue ("pump", "drainer") -> its lint lines, sorted, unique.
  std::map<std::string, std::vector<std::string>> findings;
};

// kNotFound when the file is missing, kInvalidArgument naming it when it is malformed.
Result<PromtoolBaseline> LoadPromtoolBaseline(const std::filesystem::path& path);
// Writes `baseline` as JSON with an `about` text saying where it came from.
Status WritePromtoolBaseline(const PromtoolBaseline& baseline, const std::filesystem::path& path);

struct PromtoolRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// `promtool check metrics` on `exposition`; nullopt when promtool is not on PATH.
std::optional<PromtoolRun> RunPromtool(std::string_view exposition);
// The first line of `promtool --version`; nullopt when promtool is not on PATH.
std::optional<std::string> PromtoolVersion();

// The lint lines of a run that parsed (exit 0 or 3), without blank lines.
std::vector<std::string> LintFindings(const PromtoolRun& run);
// The family a lint line names (its first word).
std::string FindingFamily(std::string_view line);

struct BaselineComparison {
  std::vector<std::string> added;    // reported now, not in the baseline: a failure
  std::vector<std::string> vanished; // in the baseline, on an exposed family, not reported
};

BaselineComparison CompareWithBaseline(const std::vector<std::string>& baseline,
                                       const std::vector<std::string>& findings,
                                       const std::set<std::string>& exposed_families);

// The baseline after a recording: `old` without the lines on `exposed_families`, plus
// `findings`, sorted and unique.
std::vector<std::string> MergeRecording(const std::vector<std::string>& old,
                                        const std::set<std::string>& findings,
                                        const std::set<std::string>& exposed_families);

}  // namespace tidb_binlog::conformance
