// EscapeOctalTo and AppendOctalEscaped against a byte-at-a-time reference of golang/protobuf's writeQuotedString: every byte value, every
// position of an escape within a 16-byte block, every tail length, text-like and binary
// inputs.
#include "reference/core/octal_escape.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace tidb_binlog {
namespace {

std::string ReferenceEscape(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else {
          out.push_back('\\');
          out.push_back(static_cast<char>('0' + (c >> 6)));
          out.push_back(static_cast<char>('0' + ((c >> 3) & 7)));
          out.push_back(static_cast<char>('0' + (c & 7)));
        }
    }
  }
  return out;
}

// The escape written into a heap buffer of exactly OctalEscapeBufferBytes: the header promises
// no store reaches past it, and the sanitizer build (BINLOG_SANITIZE) catches one that does.
std::string Escape(const std::string& bytes) {
  std::vector<char> buffer(OctalEscapeBufferBytes(bytes.size()));
  const char* end = EscapeOctalTo(bytes.data(), bytes.size(), buffer.data());
  return std::string(static_cast<const char*>(buffer.data()), end);
}

void ExpectAllAgree(const std::string& bytes) {
  const std::string expected = ReferenceEscape(bytes);
  EXPECT_EQ(Escape(bytes), expected);
  std::string appended = "prefix";
  AppendOctalEscaped(bytes, &appended);
  EXPECT_EQ(appended, "prefix" + expected);
}

TEST(OctalEscapeTest, Examples) {
  EXPECT_EQ(Escape(std::string("a\"b\\c\n\r\t\x01\x7f\x80\xff", 12)),
            "a\\\"b\\\\c\\n\\r\\t\\001\\177\\200\\377");
  EXPECT_EQ(Escape(""), "");
}

TEST(OctalEscapeTest, EveryByteAtEveryBlockPosition) {
  for (int c = 0; c < 256; ++c) {
    for (size_t at = 0; at < 16; ++at) {
      std::string bytes(32, 'x');
      bytes[at] = static_cast<char>(c);
      bytes[at + 16] = static_cast<char>(255 - c);
      ExpectAllAgree(bytes);
    }
  }
}

TEST(OctalEscapeTest, AllByteValuesInOrder) {
  std::string bytes;
  for (int c = 0; c < 256; ++c) bytes.push_back(static_cast<char>(c));
  ExpectAllAgree(bytes);
}

TEST(OctalEscapeTest, RandomInputsOfEveryLength) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> any_byte(0, 255);
  std::uniform_int_distribution<int> text_byte(0x1e, 0x80);  // mostly literal, some escapes
  for (size_t size = 0; size <= 200; ++size) {
    std::string binary;
    std::string text;
    for (size_t i = 0; i < size; ++i) {
      binary.push_back(static_cast<char>(any_byte(rng)));
      text.push_back(static_cast<char>(text_byte(rng)));
    }
    ExpectAllAgree(binary);
    ExpectAllAgree(text);
  }
  std::string long_binary(5000, '\0');  // several of AppendOctalEscaped's chunks
  for (char& c : long_binary) c = static_cast<char>(any_byte(rng));
  ExpectAllAgree(long_binary);
}

}  // namespace
}  // namespace tidb_binlog
