// Checks DecodeUtf8Rune against Go's utf8.DecodeRune on the boundary cases of each
// sequence length (values as Go documents them).
#include "reference/core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace tidb_binlog {
namespace {

struct Decoded {
  int32_t rune;
  size_t width;
};

Decoded Decode(const std::string& s) {
  size_t width = 0;
  const int32_t rune = DecodeUtf8Rune(s, &width);
  return {rune, width};
}

void ExpectRune(const std::string& s, int32_t rune, size_t width) {
  const Decoded d = Decode(s);
  EXPECT_EQ(d.rune, rune) << s;
  EXPECT_EQ(d.width, width) << s;
}

TEST(Utf8Test, ValidSequences) {
  ExpectRune("a", 'a', 1);
  ExpectRune(std::string(1, '\0'), 0, 1);
  ExpectRune("\x7f", 0x7f, 1);
  ExpectRune("\xc2\x80", 0x80, 2);
  ExpectRune("\xdf\xbf", 0x7ff, 2);
  ExpectRune("\xe0\xa0\x80", 0x800, 3);
  ExpectRune("\xed\x9f\xbf", 0xd7ff, 3);
  ExpectRune("\xef\xbf\xbd", 0xfffd, 3);
  ExpectRune("\xf0\x90\x80\x80", 0x10000, 4);
  ExpectRune("\xf4\x8f\xbf\xbf", 0x10ffff, 4);
  ExpectRune("\xc3\xa9xyz", 0xe9, 2);  // only the first rune
}

TEST(Utf8Test, InvalidSequencesAreOneByte) {
  for (const std::string s : {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf",
                              "\xed\xa0\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
                              "\xf5\x80\x80\x80", "\xff", "\xe2\x82", "\xe2\x82\x41",
                              "\xf0\x9f\x98"}) {
    ExpectRune(s, kInvalidRune, 1);
  }
}

}  // namespace
}  // namespace tidb_binlog
