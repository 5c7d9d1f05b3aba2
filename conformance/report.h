// Reports of a conformance run: the readable table (with, for each failure, a reproducer
// and expected vs actual), JUnit XML, JSON, and the closing line `N passed, N failed, N
// skipped` that this project's CI reads.
//
// Counting: kPass and kXFail are passed (an expected failure is what the ledger says the
// target does), kFail and kXPass are failed, kSkip is skipped. JUnit follows pytest: xfail is
// <skipped message="xfail DEV-...">, xpass a <failure type="xpass">.
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "conformance/result.h"
#include "reference/core/status.h"

namespace tidb_binlog::conformance {

struct RunSummary {
  int passed = 0;  // including expected failures
  int expected_failures = 0;
  int failed = 0;  // including unexpected passes
  int skipped = 0;
};

RunSummary Summarize(const std::vector<CheckResult>& results);

// "N passed, N failed, N skipped".
std::string SummaryLine(const RunSummary& summary);

// The table, then details of every failure, xpass and xfail, then the summary line last.
void WriteTextReport(const std::vector<CheckResult>& results, std::ostream& out);

// `properties` go into <properties> (target URLs, profile, spec version).
Status WriteJunitReport(const std::vector<CheckResult>& results,
                        const std::map<std::string, std::string>& properties,
                        const std::filesystem::path& path);
Status WriteJsonReport(const std::vector<CheckResult>& results,
                       const std::map<std::string, std::string>& properties,
                       const std::filesystem::path& path);

}  // namespace tidb_binlog::conformance
