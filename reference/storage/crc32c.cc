#include "reference/storage/crc32c.h"

#include <cstring>

#include <boost/crc.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tidb_binlog::crc32c {
namespace {

// Reflected Castagnoli polynomial parameters, as Go's crc32.Castagnoli table.
using BoostCrc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

#if defined(__x86_64__)
// Works on the raw (pre-/post-inverted) register value.
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const void* data,
                                                        size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t state = ~crc;
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    state = _mm_crc32_u64(state, word);
    p += 8;
    size -= 8;
  }
  auto state32 = static_cast<uint32_t>(state);
  while (size > 0) {
    state32 = _mm_crc32_u8(state32, *p);
    ++p;
    --size;
  }
  return ~state32;
}

bool DetectSse42() { return __builtin_cpu_supports("sse4.2"); }
#else
bool DetectSse42() { return false; }
#endif

const bool kHaveSse42 = DetectSse42();

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const void* data, size_t size) {
  // A finished CRC is the register xor 0xFFFFFFFF; undoing that continues it. Boost takes
  // the initial register unreflected, so it is bit-reversed too.
  uint32_t reg = crc ^ 0xFFFFFFFF;
  uint32_t unreflected = 0;
  for (int bit = 0; bit < 32; ++bit) unreflected |= ((reg >> bit) & 1u) << (31 - bit);
  BoostCrc32c engine(unreflected);
  engine.process_bytes(data, size);
  return engine.checksum();
}

uint32_t Extend(uint32_t crc, const void* data, size_t size) {
#if defined(__x86_64__)
  if (kHaveSse42) return ExtendSse42(crc, data, size);
#endif
  return ExtendPortable(crc, data, size);
}

bool IsHardwareAccelerated() { return kHaveSse42; }

}  // namespace tidb_binlog::crc32c
