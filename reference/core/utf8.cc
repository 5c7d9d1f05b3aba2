#include "reference/core/utf8.h"

#include "reference/core/assert.h"

namespace tidb_binlog {

int32_t DecodeUtf8Rune(std::string_view s, size_t* width) {
  BINLOG_ASSERT(!s.empty());
  const auto byte_at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte_at(0);
  *width = 1;
  if (b0 < 0x80) return b0;
  // The accepted range of the second byte depends on the first (Go's acceptRanges): it
  // excludes overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  size_t size = 0;
  unsigned char lo = 0x80, hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    size = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    size = 3;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    size = 4;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;
  } else {
    return kInvalidRune;
  }
  if (s.size() < size || byte_at(1) < lo || byte_at(1) > hi) return kInvalidRune;
  int32_t rune = b0 & (0x7f >> size);
  for (size_t i = 1; i < size; ++i) {
    if (i > 1 && (byte_at(i) < 0x80 || byte_at(i) > 0xbf)) return kInvalidRune;
    rune = (rune << 6) | (byte_at(i) & 0x3f);
  }
  *width = size;
  return rune;
}

}  // namespace tidb_binlog
