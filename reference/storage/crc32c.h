// CRC-32C (Castagnoli), the checksum of every value-log record (UPSTREAM.md §7.1; Go's
// crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli)): reflected, init and final xor
// 0xFFFFFFFF, no masking).
//
// Hand-written because Debian packages no CRC-32C library and RocksDB's implementation
// (util/crc32c.h) is not a public header. Uses the SSE4.2 crc32 instruction when the CPU has
// it (checked once at startup) and Boost.CRC otherwise.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidb_binlog::crc32c {

// The CRC-32C of data[0, size) continuing from `crc` (the CRC of the preceding bytes; 0 for
// none), so Extend(Value(a), b) == Value(a + b).
uint32_t Extend(uint32_t crc, const void* data, size_t size);

inline uint32_t Value(const void* data, size_t size) { return Extend(0, data, size); }

// Same results as Extend, always through the portable (Boost.CRC) path; for tests.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t size);

// True when Extend uses the SSE4.2 instruction.
bool IsHardwareAccelerated();

}  // namespace tidb_binlog::crc32c
