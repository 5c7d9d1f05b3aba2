#include "simulator/sim_random.h"

namespace tidb_binlog::sim {

uint64_t Fnv1a64(std::string_view bytes, uint64_t hash) {
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= kFnvPrime;
  }
  return hash;
}

uint64_t StreamSeed(uint64_t root_seed, std::string_view name) {
  // splitmix64 of (root ^ name hash): nearby roots and similar names still give unrelated
  // streams.
  uint64_t state = root_seed ^ Fnv1a64(name);
  return workload::SplitMix64(&state);
}

Prng MakeStream(uint64_t root_seed, std::string_view name) {
  return Prng(StreamSeed(root_seed, name));
}

}  // namespace tidb_binlog::sim
