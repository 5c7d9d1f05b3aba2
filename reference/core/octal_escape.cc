#include "reference/core/octal_escape.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define BINLOG_OCTAL_ESCAPE_SSSE3 1
#endif

#include "reference/core/assert.h"

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

// Bytes tested at once for "all print as themselves", and escaped at once by the SSSE3 path
// (one SSE2 / NEON register).
constexpr size_t kBlockBytes = 16;
static_assert(kOctalEscapeSlackBytes >= kBlockBytes);

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

char* EscapeOctalScalarTo(const char* bytes, size_t size, char* out) {
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

#ifdef BINLOG_OCTAL_ESCAPE_SSSE3

// The SSSE3 path writes every input byte as four candidate characters ("slots": the byte
// itself or '\\', then the escape letter or the first octal digit, then the other two
// digits), four input bytes to a 16-byte register, and keeps the slots that count with one
// byte shuffle per register. A byte's kind (literal, two-character, octal) is a code 0, 1 or
// 2; the four codes of a register, read as a base-3 number, select its shuffle and length.
constexpr int kKindsPerByte = 3;
constexpr size_t kSlotsPerByte = kOctalEscapedBytesPerByteMax;
constexpr size_t kBytesPerRegister = kBlockBytes / kSlotsPerByte;
constexpr int kRegisterCombinations = kKindsPerByte * kKindsPerByte * kKindsPerByte *
                                      kKindsPerByte;  // kKindsPerByte ^ kBytesPerRegister
constexpr uint8_t kShuffleZero = 0x80;  // pshufb: this lane becomes 0

struct RegisterShuffles {
  alignas(16) uint8_t mask[kRegisterCombinations][kBlockBytes];
  uint8_t length[kRegisterCombinations];
};

constexpr RegisterShuffles MakeRegisterShuffles() {
  constexpr size_t kKindLength[kKindsPerByte] = {1, 2, 4};
  RegisterShuffles shuffles{};
  for (int combination = 0; combination < kRegisterCombinations; ++combination) {
    size_t lane = 0;
    int kinds = combination;
    for (size_t byte = 0; byte < kBytesPerRegister; ++byte, kinds /= kKindsPerByte) {
      for (size_t slot = 0; slot < kKindLength[kinds % kKindsPerByte]; ++slot) {
        shuffles.mask[combination][lane++] = static_cast<uint8_t>(byte * kSlotsPerByte + slot);
      }
    }
    shuffles.length[combination] = static_cast<uint8_t>(lane);
    for (; lane < kBlockBytes; ++lane) shuffles.mask[combination][lane] = kShuffleZero;
  }
  return shuffles;
}

constexpr RegisterShuffles kRegisterShuffles = MakeRegisterShuffles();

// The letter of each two-character escape, by the low nibble of its byte: \t 0x09, \n 0x0A,
// \r 0x0D, '"' 0x22, '\\' 0x5C have distinct low nibbles.
constexpr std::array<uint8_t, kBlockBytes> MakeEscapeLetters() {
  std::array<uint8_t, kBlockBytes> letters{};
  for (int c : {'\t', '\n', '\r', '"', '\\'}) {
    letters[static_cast<size_t>(c & 0xf)] = static_cast<uint8_t>(TwoCharEscape(c));
  }
  return letters;
}

alignas(16) constexpr std::array<uint8_t, kBlockBytes> kEscapeLetters = MakeEscapeLetters();

__attribute__((target("ssse3"))) inline char* StoreRegister(__m128i slots, uint32_t combination,
                                                             char* out) {
  const __m128i mask = _mm_load_si128(
      reinterpret_cast<const __m128i*>(kRegisterShuffles.mask[combination]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(slots, mask));
  return out + kRegisterShuffles.length[combination];
}

// Escapes one block of kBlockBytes bytes that is not all literal.
__attribute__((target("ssse3"))) char* EscapeBlockSsse3(__m128i v, char* out) {
  const __m128i zero_digit = _mm_set1_epi8('0');
  const __m128i three = _mm_set1_epi8(3);
  const __m128i seven = _mm_set1_epi8(7);
  // Signed compares: bytes >= 0x80 are negative, hence not printable.
  const __m128i printable =
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
  const __m128i two = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
  const __m128i literal = _mm_andnot_si128(two, printable);
  const __m128i octal = _mm_andnot_si128(_mm_or_si128(two, printable), _mm_set1_epi8(-1));

  // Slot 0: the byte itself, or the backslash of an escape.
  const __m128i slot0 = _mm_or_si128(_mm_and_si128(literal, v),
                                     _mm_andnot_si128(literal, _mm_set1_epi8('\\')));
  // Slot 1: the escape letter, or the first octal digit. Byte-wise shifts done on 16-bit
  // lanes: the mask drops the bits shifted in from the neighbouring byte.
  const __m128i letter = _mm_shuffle_epi8(
      _mm_load_si128(reinterpret_cast<const __m128i*>(kEscapeLetters.data())),
      _mm_and_si128(v, _mm_set1_epi8(0x0f)));
  const __m128i digit0 = _mm_add_epi8(_mm_and_si128(_mm_srli_epi16(v, 6), three), zero_digit);
  const __m128i slot1 = _mm_or_si128(_mm_and_si128(two, letter), _mm_andnot_si128(two, digit0));
  const __m128i slot2 = _mm_add_epi8(_mm_and_si128(_mm_srli_epi16(v, 3), seven), zero_digit);
  const __m128i slot3 = _mm_add_epi8(_mm_and_si128(v, seven), zero_digit);

  // Interleave the slots: register r holds input bytes 4r..4r+3, four slots each.
  const __m128i lo01 = _mm_unpacklo_epi8(slot0, slot1);
  const __m128i hi01 = _mm_unpackhi_epi8(slot0, slot1);
  const __m128i lo23 = _mm_unpacklo_epi8(slot2, slot3);
  const __m128i hi23 = _mm_unpackhi_epi8(slot2, slot3);

  // Kind codes (literal 0, two-character 1, octal 2), then per register sum(code * 3^i).
  const __m128i kind = _mm_or_si128(_mm_and_si128(two, _mm_set1_epi8(1)),
                                    _mm_and_si128(octal, _mm_set1_epi8(2)));
  const __m128i pair_sums =
      _mm_maddubs_epi16(kind, _mm_setr_epi8(1, 3, 9, 27, 1, 3, 9, 27, 1, 3, 9, 27, 1, 3, 9, 27));
  const __m128i combinations = _mm_madd_epi16(pair_sums, _mm_set1_epi16(1));
  alignas(16) uint32_t combination[kBytesPerRegister];
  _mm_store_si128(reinterpret_cast<__m128i*>(combination), combinations);

  out = StoreRegister(_mm_unpacklo_epi16(lo01, lo23), combination[0], out);
  out = StoreRegister(_mm_unpackhi_epi16(lo01, lo23), combination[1], out);
  out = StoreRegister(_mm_unpacklo_epi16(hi01, hi23), combination[2], out);
  return StoreRegister(_mm_unpackhi_epi16(hi01, hi23), combination[3], out);
}

__attribute__((target("ssse3"))) char* EscapeOctalSsse3(const char* bytes, size_t size,
                                                         char* out) {
  size_t i = 0;
  for (; i + kBlockBytes <= size; i += kBlockBytes) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i));
    if (IsLiteralBlock(bytes + i)) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
      out += kBlockBytes;
    } else {
      out = EscapeBlockSsse3(v, out);
    }
  }
  return EscapeTail(bytes + i, size - i, out);
}

// The AVX-512 path (VBMI for the byte permutes, VBMI2 for the byte compress): one 64-byte
// register holds the four slots of 16 input bytes (each byte spread over four lanes); a
// 128-entry table gives each ASCII byte's kind and escape letter; the lanes that count are
// kept by one compress, whose mask (lane j of a byte counts when j < its escape's length)
// also gives the length. The register-to-register compress is used: the store form is slow
// on some CPUs (AMD Zen 4).
constexpr size_t kWideLanes = 64;
static_assert(kWideLanes == kBlockBytes * kSlotsPerByte);
// In the kind table: 0 literal, 1 octal, else the two-character escape's letter.
constexpr uint8_t kKindLiteral = 0;
constexpr uint8_t kKindOctal = 1;
constexpr size_t kAsciiBytes = 128;
// Lanes by slot: lane 4i + j is slot j of input byte i.
constexpr uint64_t kSlot0Lanes = 0x1111111111111111ULL;
constexpr uint64_t kSlot1Lanes = kSlot0Lanes << 1;
constexpr uint64_t kSlot2Lanes = kSlot0Lanes << 2;
constexpr uint64_t kSlot3Lanes = kSlot0Lanes << 3;

// _mm512_ternarylogic_epi32's truth table for (a & b) | c.
constexpr int kTernaryAndOr = 0xEA;
// Where a slot's octal digit starts in its input byte, and its bits (slot 0 holds no digit;
// the first digit has two bits: the 8 bits extracted at offset 6 reach into the next copy).
constexpr uint8_t kDigitShift[kSlotsPerByte] = {0, 6, 3, 0};
constexpr uint8_t kDigitMask[kSlotsPerByte] = {7, 3, 7, 7};
constexpr size_t kBitsPerByte = 8;

struct WideTables {
  alignas(64) uint8_t spread[kWideLanes];  // lane -> its input byte
  alignas(64) uint8_t kind[kAsciiBytes];
  // Per lane, the bit offset in its 64-bit lane of the lane's digit: the lane's byte copy
  // is byte `lane % 8` of the 64-bit lane.
  alignas(64) uint8_t digit_shift[kWideLanes];
  alignas(64) uint8_t digit_mask[kWideLanes];
};

constexpr WideTables MakeWideTables() {
  WideTables tables{};
  for (size_t lane = 0; lane < kWideLanes; ++lane) {
    tables.spread[lane] = static_cast<uint8_t>(lane / kSlotsPerByte);
    tables.digit_shift[lane] = static_cast<uint8_t>(
        (lane % kBitsPerByte) * kBitsPerByte + kDigitShift[lane % kSlotsPerByte]);
    tables.digit_mask[lane] = kDigitMask[lane % kSlotsPerByte];
  }
  for (size_t c = 0; c < kAsciiBytes; ++c) {
    const char two = TwoCharEscape(static_cast<int>(c));
    tables.kind[c] = two != 0 ? static_cast<uint8_t>(two)
                     : c >= 0x20 && c < 0x7f ? kKindLiteral : kKindOctal;
  }
  return tables;
}

constexpr WideTables kWideTables = MakeWideTables();

#define BINLOG_AVX512_TARGET \
  __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,popcnt")))

BINLOG_AVX512_TARGET inline char* EscapeBlockAvx512(const char* bytes, __m512i spread,
                                                    __m512i kind_low, __m512i kind_high,
                                                    __m512i digit_shift, __m512i digit_mask,
                                                    char* out) {
  // The maskz forms with every lane set, here and below: GCC 12's unmasked forms read an
  // undefined register and trip -Wmaybe-uninitialized.
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
  const __m512i x =
      _mm512_maskz_permutexvar_epi8(~__mmask64{0}, spread, _mm512_zextsi128_si512(block));
  // Kinds: bytes >= 0x80 are octal; the table (indexed by the low 7 bits) gives the rest.
  const __m512i kind = _mm512_permutex2var_epi8(kind_low, x, kind_high);
  const __mmask64 high = _mm512_movepi8_mask(x);
  const __mmask64 two =
      _mm512_mask_cmpgt_epu8_mask(~high, kind, _mm512_set1_epi8(static_cast<char>(kKindOctal)));
  const __mmask64 octal =
      high | _mm512_cmpeq_epi8_mask(kind, _mm512_set1_epi8(static_cast<char>(kKindOctal)));
  const __mmask64 literal = ~(two | octal);

  // Octal digits: each 64-bit lane of x holds two input bytes, four copies each, and
  // multishift extracts for every slot the 8 bits at its digit's offset in that lane
  // (kWideTables.digit_shift), which (t & digit_mask) | '0' turns into the digit.
  const __m512i shifted = _mm512_maskz_multishift_epi64_epi8(~__mmask64{0}, digit_shift, x);
  __m512i text =
      _mm512_ternarylogic_epi32(shifted, digit_mask, _mm512_set1_epi8('0'), kTernaryAndOr);
  text = _mm512_mask_mov_epi8(text, kSlot1Lanes & two, kind);
  text = _mm512_mask_mov_epi8(text, kSlot0Lanes & literal, x);
  text = _mm512_mask_mov_epi8(text, kSlot0Lanes & ~literal, _mm512_set1_epi8('\\'));

  const __mmask64 kept =
      kSlot0Lanes | (kSlot1Lanes & ~literal) | ((kSlot2Lanes | kSlot3Lanes) & octal);
  _mm512_storeu_si512(out, _mm512_maskz_compress_epi8(kept, text));
  return out + __builtin_popcountll(kept);
}

BINLOG_AVX512_TARGET char* EscapeOctalAvx512(const char* bytes, size_t size, char* out) {
  const __m512i spread = _mm512_load_si512(kWideTables.spread);
  const __m512i kind_low = _mm512_load_si512(kWideTables.kind);
  const __m512i kind_high = _mm512_load_si512(kWideTables.kind + kWideLanes);
  const __m512i digit_shift = _mm512_load_si512(kWideTables.digit_shift);
  const __m512i digit_mask = _mm512_load_si512(kWideTables.digit_mask);
  size_t i = 0;
  for (; i + kBlockBytes <= size; i += kBlockBytes) {
    out = EscapeBlockAvx512(bytes + i, spread, kind_low, kind_high, digit_shift, digit_mask,
                            out);
  }
  return EscapeTail(bytes + i, size - i, out);
}

#endif  // BINLOG_OCTAL_ESCAPE_SSSE3

// Row values reach tens of KiB: they are escaped into a stack buffer a chunk at a time and
// each chunk is appended at once, instead of growing the string per output byte.
constexpr size_t kEscapeChunkBytes = 1024;

}  // namespace

bool OctalEscapeSupported(OctalEscapeImpl impl) {
  switch (impl) {
    case OctalEscapeImpl::kScalar:
      return true;
#ifdef BINLOG_OCTAL_ESCAPE_SSSE3
    case OctalEscapeImpl::kSsse3:
      return __builtin_cpu_supports("ssse3");
    case OctalEscapeImpl::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
             __builtin_cpu_supports("popcnt");
#endif
    default:
      return false;
  }
}

char* EscapeOctalWith(OctalEscapeImpl impl, const char* bytes, size_t size, char* out) {
  BINLOG_ASSERT(OctalEscapeSupported(impl));
  switch (impl) {
#ifdef BINLOG_OCTAL_ESCAPE_SSSE3
    case OctalEscapeImpl::kSsse3:
      return EscapeOctalSsse3(bytes, size, out);
    case OctalEscapeImpl::kAvx512:
      return EscapeOctalAvx512(bytes, size, out);
#endif
    default:
      return EscapeOctalScalarTo(bytes, size, out);
  }
}

OctalEscapeImpl BestOctalEscape() {
  static const OctalEscapeImpl best = [] {
    for (OctalEscapeImpl impl : {OctalEscapeImpl::kAvx512, OctalEscapeImpl::kSsse3}) {
      if (OctalEscapeSupported(impl)) return impl;
    }
    return OctalEscapeImpl::kScalar;
  }();
  return best;
}

char* EscapeOctalTo(const char* bytes, size_t size, char* out) {
  return EscapeOctalWith(BestOctalEscape(), bytes, size, out);
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
