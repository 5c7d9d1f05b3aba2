// Goal: the value-log checksum is exactly Go's CRC-32C (Castagnoli), on both the SSE4.2 and
// the portable path. Method: published check values and cross-checks between the paths.
#include "reference/storage/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace tidb_binlog::crc32c {
namespace {

TEST(Crc32c, StandardCheckValue) {
  const std::string data = "123456789";
  EXPECT_EQ(Value(data.data(), data.size()), 0xE3069283u);
  EXPECT_EQ(ExtendPortable(0, data.data(), data.size()), 0xE3069283u);
}

TEST(Crc32c, Rfc3720Vectors) {
  // iSCSI test vectors (RFC 3720 B.4).
  std::string zeros(32, '\0');
  std::string ones(32, '\xff');
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Value(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(Value(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(Value(ascending.data(), ascending.size()), 0x46DD794Eu);
}

TEST(Crc32c, EmptyIsZero) { EXPECT_EQ(Value("", 0), 0u); }

TEST(Crc32c, ExtendConcatenates) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{513}, data.size()}) {
    uint32_t first = Value(data.data(), split);
    EXPECT_EQ(Extend(first, data.data() + split, data.size() - split),
              Value(data.data(), data.size()));
    EXPECT_EQ(ExtendPortable(first, data.data() + split, data.size() - split),
              Value(data.data(), data.size()));
  }
}

TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 131 + 3));
  for (size_t begin = 0; begin < 9; ++begin) {
    for (size_t size = 0; begin + size <= data.size(); size += 13) {
      ASSERT_EQ(Extend(0, data.data() + begin, size),
                ExtendPortable(0, data.data() + begin, size));
    }
  }
}

}  // namespace
}  // namespace tidb_binlog::crc32c
