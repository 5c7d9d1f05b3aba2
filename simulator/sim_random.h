// Seed streams for the simulator: one root seed split into named, independent streams, one
// per subsystem and per node ("network", "faults", "writer/3", "pump/1/disk", ...).
//
// Why named streams: adding a draw in one subsystem must not shift the draws of every other
// (SIMULATION.md §5 lesson 2). A stream's seed is a function of (root seed, name) only.
// The generator and its integer-only sampling are the workload library's Prng (prng.h);
// this file adds no second PRNG.
//
// Thread safety: pure functions; a Prng has one owner.
#pragma once

#include <cstdint>
#include <string_view>

#include "benchmarks/workload/prng.h"

namespace tidb_binlog::sim {

using Prng = workload::Prng;

// FNV-1a 64 over `bytes`, continuing from `hash` (the FNV offset basis by default). Stable
// across platforms and runs, unlike std::hash.
inline constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ULL;
inline constexpr uint64_t kFnvPrime = 1099511628211ULL;
uint64_t Fnv1a64(std::string_view bytes, uint64_t hash = kFnvOffsetBasis);

// The seed of stream `name` under `root_seed`.
uint64_t StreamSeed(uint64_t root_seed, std::string_view name);

// A generator for stream `name` under `root_seed`.
Prng MakeStream(uint64_t root_seed, std::string_view name);

}  // namespace tidb_binlog::sim
