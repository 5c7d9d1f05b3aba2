// golang/protobuf's writeQuotedString escaping of bytes fields (UPSTREAM.md §6.3), the inner
// loop of pump's GET /debug/binlog/{ts} body: every byte 0x20-0x7E except '"' and '\\'
// prints as itself, \n \r \t " \\ as a two-character escape, any other byte as a three-digit
// octal escape `\ooo`. No quotes are added.
//
// Row values are mostly binary, so most bytes take the octal escape: a table gives each byte's
// escape, four bytes are escaped with independent stores, and a 16-byte block that needs no
// escape is copied at once. (SIMD shuffle versions were measured: SSSE3 8% and AVX-512 25%
// faster on the escape alone, about 1% of a /debug/binlog request's server CPU; not worth
// two more paths to keep byte-exact.)
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tidb_binlog {

// The longest escape of one byte (`\ooo`).
inline constexpr size_t kOctalEscapedBytesPerByteMax = 4;
// The room EscapeOctalTo needs for `size` input bytes. It stores whole 4- and 16-byte words,
// which may reach past the end it returns, but never past this.
constexpr size_t OctalEscapeBufferBytes(size_t size) {
  return kOctalEscapedBytesPerByteMax * size;
}

// Escapes bytes[0, size) to `out`, which has room for OctalEscapeBufferBytes(size); returns
// the end of the escaped text (bytes past it, within that room, are unspecified).
char* EscapeOctalTo(const char* bytes, size_t size, char* out);

// Appends the escapes of `bytes` to *out.
void AppendOctalEscaped(std::string_view bytes, std::string* out);

}  // namespace tidb_binlog
