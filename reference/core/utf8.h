// UTF-8 decoding exactly as Go's unicode/utf8.DecodeRune, shared by the Go-compatible
// printers (go_json.h, binlog_text.h): both must treat invalid bytes the way Go does, one
// byte at a time.
//
// Not a general Unicode library. Thread safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tidb_binlog {

// Returned by DecodeUtf8Rune for an invalid, overlong, surrogate, out-of-range or truncated
// sequence (Go returns utf8.RuneError with width 1; we use -1 so that a real U+FFFD in the
// input stays distinguishable).
inline constexpr int32_t kInvalidRune = -1;

// Decodes the rune at the start of the non-empty `s`. Sets *width to its length in bytes
// (1 for an invalid sequence) and returns it, or kInvalidRune.
int32_t DecodeUtf8Rune(std::string_view s, size_t* width);

}  // namespace tidb_binlog
