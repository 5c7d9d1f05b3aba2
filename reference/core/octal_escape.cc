#include "reference/core/octal_escape.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace tidb_binlog {
namespace {

// Every byte maps to itself (0x20-0x7E but '"' and '\\'), a two-character escape
// (\n \r \t \" \\) or a 3-digit octal escape. Padded to 8 aligned bytes: an entry is found by
// a shift and never straddles a cache line.
struct alignas(8) ByteEscape {
  char text[4];
  uint32_t size;
};

constexpr char TwoCharEscape(int c) {
  return c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '"' ? '"'
       : c == '\\' ? '\\' : 0;
}

constexpr std::array<ByteEscape, 256> MakeByteEscapes() {
  std::array<ByteEscape, 256> escapes{};
  for (int c = 0; c < 256; ++c) {
    ByteEscape& e = escapes[c];
    const char two = TwoCharEscape(c);
    if (two != 0) {
      e = {{'\\', two, 0, 0}, 2};
    } else if (c >= 0x20 && c < 0x7f) {
      e = {{static_cast<char>(c), 0, 0, 0}, 1};
    } else {
      e = {{'\\', static_cast<char>('0' + (c >> 6)), static_cast<char>('0' + ((c >> 3) & 7)),
            static_cast<char>('0' + (c & 7))},
           4};
    }
  }
  return escapes;
}

constexpr std::array<ByteEscape, 256> kByteEscapes = MakeByteEscapes();

// Bytes tested at once for "all print as themselves" (one SSE2 / NEON register).
constexpr size_t kBlockBytes = 16;

// GCC/Clang vector extension: portable lane-wise compares that compile to one register
// operation each (SSE2 on x86-64, NEON on Arm), without per-architecture intrinsics.
using ByteBlock = unsigned char __attribute__((vector_size(kBlockBytes)));

// True when all kBlockBytes bytes at `p` print as themselves. Text-like rows escape a block
// at the cost of one copy; on binary rows nearly every block fails.
inline bool IsLiteralBlock(const char* p) {
  ByteBlock v;
  std::memcpy(&v, p, sizeof(v));
  const auto escaped = (v - 0x20 > 0x5e) | (v == '"') | (v == '\\');
  uint64_t halves[2];
  static_assert(sizeof(halves) == sizeof(escaped));
  std::memcpy(halves, &escaped, sizeof(halves));
  return (halves[0] | halves[1]) == 0;
}

// Bytes escaped per EscapeGroup call.
constexpr size_t kEscapeGroupBytes = 4;

// Appends the escapes of bytes[0, kEscapeGroupBytes) at `out`; returns the new end. Each
// store's address comes from partial sums of the group's sizes rather than from the previous
// store's end, so the group's stores do not wait on one another.
inline char* EscapeGroup(const char* bytes, char* out) {
  static_assert(kEscapeGroupBytes == 4);
  const ByteEscape& e0 = kByteEscapes[static_cast<unsigned char>(bytes[0])];
  const ByteEscape& e1 = kByteEscapes[static_cast<unsigned char>(bytes[1])];
  const ByteEscape& e2 = kByteEscapes[static_cast<unsigned char>(bytes[2])];
  const ByteEscape& e3 = kByteEscapes[static_cast<unsigned char>(bytes[3])];
  const size_t first_two = e0.size + e1.size;
  // Each store writes all 4 text bytes; only e.size of them count.
  std::memcpy(out, e0.text, sizeof(e0.text));
  std::memcpy(out + e0.size, e1.text, sizeof(e1.text));
  std::memcpy(out + first_two, e2.text, sizeof(e2.text));
  std::memcpy(out + first_two + e2.size, e3.text, sizeof(e3.text));
  return out + first_two + e2.size + e3.size;
}

// The bytes after the last whole block, one at a time.
char* EscapeTail(const char* bytes, size_t size, char* out) {
  for (size_t i = 0; i < size; ++i) {
    const ByteEscape& e = kByteEscapes[static_cast<unsigned char>(bytes[i])];
    std::memcpy(out, e.text, sizeof(e.text));
    out += e.size;
  }
  return out;
}

// Row values reach tens of KiB: they are escaped into a stack buffer a chunk at a time and
// each chunk is appended at once, instead of growing the string per output byte.
constexpr size_t kEscapeChunkBytes = 1024;

}  // namespace

char* EscapeOctalTo(const char* bytes, size_t size, char* out) {
  static_assert(kBlockBytes % kEscapeGroupBytes == 0);
  size_t i = 0;
  for (; i + kBlockBytes <= size; i += kBlockBytes) {
    if (IsLiteralBlock(bytes + i)) {
      std::memcpy(out, bytes + i, kBlockBytes);
      out += kBlockBytes;
    } else {
      for (size_t j = i; j < i + kBlockBytes; j += kEscapeGroupBytes) {
        out = EscapeGroup(bytes + j, out);
      }
    }
  }
  return EscapeTail(bytes + i, size - i, out);
}

void AppendOctalEscaped(std::string_view bytes, std::string* out) {
  char buffer[OctalEscapeBufferBytes(kEscapeChunkBytes)];
  while (!bytes.empty()) {
    const size_t chunk = std::min(bytes.size(), kEscapeChunkBytes);
    const char* end = EscapeOctalTo(bytes.data(), chunk, buffer);
    out->append(buffer, static_cast<size_t>(end - buffer));
    bytes.remove_prefix(chunk);
  }
}

}  // namespace tidb_binlog
