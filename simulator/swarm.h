// Swarm runner: many seeds, each with its own fault profile drawn from the seed ("swarm"
// profile), run in parallel jobs (each simulation single-threaded), with a summary of
// failures grouped by checker, replay commands, and JUnit/JSON reports.
//
// Seeds A..B inclusive; `--shard i/N` keeps the seeds with (seed - A) % N == i, so a batch
// system (Kubernetes indexed jobs, Slurm arrays) can spread one range over machines.
//
// Thread safety: RunSwarm uses `jobs` worker threads internally; each runs whole
// simulations on its own. The function itself is called from one thread.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "simulator/simulation.h"

namespace tidb_binlog::sim {

struct SwarmOptions {
  uint64_t first_seed = 1;
  uint64_t last_seed = 100;
  int shard_index = 0;
  int shard_count = 1;
  int jobs = 1;
  SimConfig base;  // seed and faults are set per run
  bool progress = false;  // a progress bar on stderr
};

struct SwarmRun {
  uint64_t seed = 0;
  SimConfig config;
  SimResult result;
};

struct SwarmReport {
  std::vector<SwarmRun> runs;  // in seed order
  int passed = 0;
  int failed = 0;
};

SwarmReport RunSwarm(const SwarmOptions& options);

// "A..B" -> (A, B); "i/N" -> (i, N).
Result<std::pair<uint64_t, uint64_t>> ParseSeedRange(const std::string& text);
Result<std::pair<int, int>> ParseShard(const std::string& text);

void PrintSwarmSummary(const SwarmReport& report, std::ostream& out);
void WriteJunit(const SwarmReport& report, std::ostream& out);
void WriteJson(const SwarmReport& report, std::ostream& out);

}  // namespace tidb_binlog::sim
