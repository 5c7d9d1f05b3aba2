#include "benchmarks/workload/prng.h"

#include "reference/core/assert.h"

namespace tidb_binlog::workload {
namespace {

// Probability denominator of ChancePerMillion.
constexpr uint64_t kPerMillion = 1'000'000;

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Prng::Prng(uint64_t seed) {
  // splitmix64 never yields an all-zero xoshiro state from four consecutive outputs.
  for (uint64_t& word : state_) word = SplitMix64(&seed);
}

uint64_t Prng::NextU64() {
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint64_t Prng::Below(uint64_t bound) {
  BINLOG_ASSERT(bound > 0);
  // Lemire, "Fast Random Integer Generation in an Interval" (2019): the high word of a
  // 128-bit product, rejecting the few low words that would bias the result.
  unsigned __int128 product = static_cast<unsigned __int128>(NextU64()) * bound;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<unsigned __int128>(NextU64()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

int64_t Prng::Between(int64_t lo, int64_t hi) {
  BINLOG_ASSERT(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(NextU64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Below(span + 1));
}

bool Prng::ChancePerMillion(uint32_t per_million) {
  return Below(kPerMillion) < per_million;
}

void Prng::Fill(char* data, size_t size) {
  size_t i = 0;
  while (i < size) {
    uint64_t word = NextU64();
    // Byte by byte, low byte first, so the bytes do not depend on the host's endianness.
    for (int b = 0; b < 8 && i < size; ++b, ++i) {
      data[i] = static_cast<char>(word & 0xff);
      word >>= 8;
    }
  }
}

}  // namespace tidb_binlog::workload
