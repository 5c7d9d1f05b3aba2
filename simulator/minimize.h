// Minimize: shrinks a failing run (SIMULATION.md §5 lesson 9). Starting from a SimConfig whose
// run fails, it tries, in rounds, fewer pumps, drainers and writers, a lower write rate, a
// shorter safety phase, and each fault class switched off (SimConfig::faults_off), keeping
// the first change after which the run still fails *with the same checker*. It stops when a
// whole round keeps nothing or after `max_runs` simulations. The seed never changes, so
// the result replays with ReplayCommand(smallest).
//
// Cost: at most max_runs simulations, each no longer than the original.
// Thread safety: none of its own; it runs simulations one after another on the caller's
// thread.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "simulator/simulation.h"

namespace tidb_binlog::sim {

inline constexpr int kMinimizeRunsDefault = 200;

struct MinimizeResult {
  SimConfig smallest;
  SimResult result;             // of `smallest`
  std::string checker;          // the failure kept throughout
  int runs = 0;                 // simulations tried, the original included
  std::vector<std::string> steps;  // what each kept change did, in order
};

// kInvalidArgument when `failing` passes or is not a valid config. `log`, when
// given, gets one line per kept change.
Result<MinimizeResult> Minimize(const SimConfig& failing, int max_runs = kMinimizeRunsDefault,
                                std::ostream* log = nullptr);

}  // namespace tidb_binlog::sim
