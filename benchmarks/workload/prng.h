// Prng: a small seeded 64-bit pseudo-random generator with our own integer sampling, for
// workloads that must replay bit-for-bit (the deterministic simulator, benchmark datasets).
//
// Why hand-written: std::*_distribution algorithms differ between standard libraries (and
// versions), so the same seed would give different streams on different machines. The engine
// is xoshiro256** (Blackman & Vigna) seeded through splitmix64; integer sampling is Lemire's
// multiply-shift with rejection, which is exact (unbiased). No floating point anywhere.
//
// Not for: cryptography, or anything that needs unpredictability.
// Thread safety: a Prng is a plain value; one owner at a time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidb_binlog::workload {

// One step of splitmix64: advances *state and returns a well-mixed 64-bit value.
uint64_t SplitMix64(uint64_t* state);

class Prng {
 public:
  explicit Prng(uint64_t seed);

  // The next 64 uniformly distributed bits.
  uint64_t NextU64();

  // Uniform in [0, bound). Requires bound > 0.
  uint64_t Below(uint64_t bound);

  // Uniform in [lo, hi], both inclusive. Requires lo <= hi.
  int64_t Between(int64_t lo, int64_t hi);

  // True with probability per_million / 1'000'000 (per_million is clamped to 1'000'000).
  bool ChancePerMillion(uint32_t per_million);

  // Fills data[0, size) with pseudo-random bytes.
  void Fill(char* data, size_t size);

 private:
  uint64_t state_[4];
};

}  // namespace tidb_binlog::workload
