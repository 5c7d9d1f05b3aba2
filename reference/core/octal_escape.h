// golang/protobuf's writeQuotedString escaping of bytes fields (UPSTREAM.md §6.3), the inner
// loop of pump's GET /debug/binlog/{ts} body: every byte 0x20-0x7E except '"' and '\\'
// prints as itself, \n \r \t " \\ as a two-character escape, any other byte as a three-digit
// octal escape `\ooo`. No quotes are added.
//
// Row values are mostly binary, so most bytes take the octal escape. On x86-64 sixteen bytes
// are escaped at a time: with AVX-512 (VBMI2's byte compress) where the CPU has it, else with
// SSSE3 byte shuffles; elsewhere a table-driven scalar loop does it. The CPU is checked once,
// at the first call. All write exactly the same bytes (octal_escape_test.cc compares each
// one the CPU supports with a byte-at-a-time reference).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tidb_binlog {

// The longest escape of one byte (`\ooo`).
inline constexpr size_t kOctalEscapedBytesPerByteMax = 4;
// EscapeOctalTo stores whole words (4 to 64 bytes), which may reach past the end it returns
// but, as each word's start is at most 4 bytes per input byte consumed, never past
// kOctalEscapedBytesPerByteMax * size; the buffer keeps this margin on top of that.
inline constexpr size_t kOctalEscapeSlackBytes = 16;

// The room EscapeOctalTo needs for `size` input bytes.
constexpr size_t OctalEscapeBufferBytes(size_t size) {
  return kOctalEscapedBytesPerByteMax * size + kOctalEscapeSlackBytes;
}

// Escapes bytes[0, size) to `out`, which has room for OctalEscapeBufferBytes(size); returns
// the end of the escaped text (bytes past it, within the slack, are unspecified).
char* EscapeOctalTo(const char* bytes, size_t size, char* out);

// The implementations, for tests and benchmarks: EscapeOctalTo uses the best supported.
enum class OctalEscapeImpl { kScalar, kSsse3, kAvx512 };
bool OctalEscapeSupported(OctalEscapeImpl impl);
// EscapeOctalTo with `impl`, which must be supported.
char* EscapeOctalWith(OctalEscapeImpl impl, const char* bytes, size_t size, char* out);

// Appends the escapes of `bytes` to *out.
void AppendOctalEscaped(std::string_view bytes, std::string* out);

}  // namespace tidb_binlog
