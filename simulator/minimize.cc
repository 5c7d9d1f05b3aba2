#include "simulator/minimize.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace tidb_binlog::sim {
namespace {

// The shortest safety phase a minimisation tries.
constexpr int64_t kMinimizeDurationMinMs = 1'000;

struct Candidate {
  std::string step;
  SimConfig config;
};

std::string FirstChecker(const SimResult& result) {
  return result.failures.empty() ? OutcomeName(result.outcome) : result.failures.front().checker;
}

// Every single change to try from `c`, most shrinking first.
std::vector<Candidate> Candidates(const SimConfig& c) {
  std::vector<Candidate> out;
  auto add_count = [&](const char* what, int SimConfig::*field, int floor) {
    for (int value : {std::max(floor, (c.*field) / 2), (c.*field) - 1}) {
      if (value < floor || value >= c.*field) continue;
      SimConfig next = c;
      next.*field = value;
      out.push_back({std::string(what) + " " + std::to_string(c.*field) + " -> " +
                         std::to_string(value),
                     next});
    }
  };
  add_count("pumps", &SimConfig::pumps, 1);
  add_count("drainers", &SimConfig::drainers, 1);
  add_count("writers", &SimConfig::writers, 1);
  if (c.duration_ms / 2 >= kMinimizeDurationMinMs) {
    SimConfig next = c;
    next.duration_ms = c.duration_ms / 2;
    out.push_back({"duration " + std::to_string(c.duration_ms) + "ms -> " +
                       std::to_string(next.duration_ms) + "ms",
                   next});
  }
  if (c.write_rate_per_second > 1) {
    SimConfig next = c;
    next.write_rate_per_second = c.write_rate_per_second / 2;
    out.push_back({"write rate " + std::to_string(c.write_rate_per_second) + " -> " +
                       std::to_string(next.write_rate_per_second),
                   next});
  }
  for (uint32_t i = 0; i < kFaultClassCount; ++i) {
    const uint32_t bit = 1u << i;
    if (c.faults_off & bit) continue;
    SimConfig next = c;
    next.faults_off |= bit;
    out.push_back({std::string("fault class ") + FaultClassName(bit) + " off", next});
  }
  return out;
}

}  // namespace

Result<MinimizeResult> Minimize(const SimConfig& failing, int max_runs, std::ostream* log) {
  MinimizeResult m;
  auto first = RunSimulation(failing);
  if (!first.ok()) return first.status();
  m.runs = 1;
  if (first->outcome == Outcome::kPass) {
    return Status::InvalidArgument("seed " + std::to_string(failing.seed) +
                                      " passes: nothing to minimise");
  }
  m.smallest = failing;
  m.result = std::move(first).value();
  m.checker = FirstChecker(m.result);
  bool shrunk = true;
  while (shrunk && m.runs < max_runs) {
    shrunk = false;
    for (Candidate& candidate : Candidates(m.smallest)) {
      if (m.runs >= max_runs) break;
      auto tried = RunSimulation(candidate.config);
      ++m.runs;
      if (!tried.ok() || tried->outcome == Outcome::kPass) continue;
      if (FirstChecker(tried.value()) != m.checker) continue;
      m.smallest = std::move(candidate.config);
      m.result = std::move(tried).value();
      m.steps.push_back(candidate.step);
      if (log != nullptr) *log << "kept: " << candidate.step << "\n";
      shrunk = true;
      break;  // a new round from the smaller config
    }
  }
  return m;
}

}  // namespace tidb_binlog::sim
