#include "reference/core/binlog_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>

#include "reference/core/assert.h"
#include "reference/core/binlog_codec.h"
#include "reference/core/utf8.h"

namespace tidb_binlog {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

constexpr char kLowerHex[] = "0123456789abcdef";

// golang/protobuf writeQuotedString: the escaping of known bytes fields. Every byte maps to
// itself (0x20-0x7E), a two-character escape (\n \r \t \" \\) or a 3-digit octal escape.
// Padded to 8 aligned bytes: an entry is found by a shift and never straddles a cache line.
struct alignas(8) ByteEscape {
  char text[4];
  uint32_t size;
};

// The longest escape of one byte (`\ooo`).
constexpr size_t kEscapedBytesPerByteMax = 4;

constexpr std::array<ByteEscape, 256> MakeByteEscapes() {
  std::array<ByteEscape, 256> escapes{};
  for (int c = 0; c < 256; ++c) {
    ByteEscape& e = escapes[c];
    const char two = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't'
                   : c == '"' ? '"' : c == '\\' ? '\\' : 0;
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

// Row values reach tens of KiB and this is the hot path of GET /debug/binlog/{ts}: bytes are
// escaped into a stack buffer a chunk at a time and each chunk is appended at once, instead
// of growing the string per output byte.
constexpr size_t kEscapeChunkBytes = 1024;
// Bytes tested at once for "all print as themselves" (one SSE2 / NEON register).
constexpr size_t kLiteralBlockBytes = 16;
// The table loop stores all 4 text bytes of an escape and advances by its size, so the
// buffer keeps this much room past the largest possible escaped chunk.
constexpr size_t kEscapeStoreSlackBytes = sizeof(ByteEscape::text);

// GCC/Clang vector extension: portable lane-wise compares that compile to one register
// operation each (SSE2 on x86-64, NEON on Arm), without per-architecture intrinsics.
using LiteralBlock = unsigned char __attribute__((vector_size(kLiteralBlockBytes)));

// True when all kLiteralBlockBytes bytes at `p` print as themselves: 0x20-0x7E except '"'
// and '\\'. Text-like rows escape a block at the cost of one copy; on binary rows nearly
// every block fails and this adds a few vector operations per 16 bytes to the table loop.
inline bool IsLiteralBlock(const char* p) {
  LiteralBlock v;
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
// store's end, so the group's stores do not wait on one another (~12% faster on binary rows
// than one byte after another).
char* EscapeGroup(const char* bytes, char* out) {
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

// Escapes bytes[0, size) to `out`, which has room for kEscapedBytesPerByteMax * size +
// kEscapeStoreSlackBytes; returns the end of what was written.
char* EscapeOctal(const char* bytes, size_t size, char* out) {
  static_assert(kLiteralBlockBytes % kEscapeGroupBytes == 0);
  size_t i = 0;
  for (; i + kLiteralBlockBytes <= size; i += kLiteralBlockBytes) {
    if (IsLiteralBlock(bytes + i)) {
      std::memcpy(out, bytes + i, kLiteralBlockBytes);
      out += kLiteralBlockBytes;
    } else {
      for (size_t j = i; j < i + kLiteralBlockBytes; j += kEscapeGroupBytes) {
        out = EscapeGroup(bytes + j, out);
      }
    }
  }
  for (; i < size; ++i) {
    const ByteEscape& e = kByteEscapes[static_cast<unsigned char>(bytes[i])];
    std::memcpy(out, e.text, sizeof(e.text));
    out += e.size;
  }
  return out;
}

// Appends the escapes of `bytes`, without quotes.
void AppendOctalEscaped(std::string_view bytes, std::string* out) {
  char buffer[kEscapeChunkBytes * kEscapedBytesPerByteMax + kEscapeStoreSlackBytes];
  while (!bytes.empty()) {
    const size_t chunk = std::min(bytes.size(), kEscapeChunkBytes);
    const char* end = EscapeOctal(bytes.data(), chunk, buffer);
    out->append(buffer, static_cast<size_t>(end - buffer));
    bytes.remove_prefix(chunk);
  }
}

void AppendOctalQuoted(std::string_view bytes, std::string* out) {
  out->push_back('"');
  AppendOctalEscaped(bytes, out);
  out->push_back('"');
}

// Go's unicode.IsPrint for runes >= 0x80, approximated (see the header's "Known limit").
bool IsPrintNonAscii(int32_t r) {
  struct Range {
    int32_t first, last;
  };
  static constexpr Range kNotPrintable[] = {
      {0x80, 0xa0},      {0xad, 0xad},        {0x600, 0x605},     {0x61c, 0x61c},
      {0x6dd, 0x6dd},    {0x70f, 0x70f},      {0x8e2, 0x8e2},     {0x1680, 0x1680},
      {0x180e, 0x180e},  {0x2000, 0x200f},    {0x2028, 0x202f},   {0x205f, 0x206f},
      {0x3000, 0x3000},  {0xe000, 0xf8ff},    {0xfeff, 0xfeff},   {0xfff9, 0xfffb},
      {0xfffe, 0xffff},  {0x110bd, 0x110bd},  {0x110cd, 0x110cd}, {0x1bca0, 0x1bca3},
      {0x1d173, 0x1d17a}, {0xe0000, 0xe007f}, {0xf0000, 0x10ffff},
  };
  return std::none_of(std::begin(kNotPrintable), std::end(kNotPrintable),
                      [r](const Range& range) { return r >= range.first && r <= range.last; });
}

// Decimal digits without std::to_string's heap allocation (TSOs need 18 digits, past the
// small-string buffer).
template <typename Integer>
void AppendDecimal(Integer value, std::string* out) {
  char digits[std::numeric_limits<Integer>::digits10 + 2];  // + the sign and the last digit
  const std::to_chars_result end = std::to_chars(std::begin(digits), std::end(digits), value);
  BINLOG_ASSERT(end.ec == std::errc());
  out->append(digits, end.ptr);
}

void AppendHexEscape(char kind, uint32_t value, int digits, std::string* out) {
  out->push_back('\\');
  out->push_back(kind);
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out->push_back(kLowerHex[(value >> shift) & 0xf]);
  }
}

void AppendGoEscapedRune(int32_t r, std::string_view encoded, std::string* out) {
  switch (r) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\a': out->append("\\a"); return;
    case '\b': out->append("\\b"); return;
    case '\f': out->append("\\f"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    case '\v': out->append("\\v"); return;
    default: break;
  }
  if (r < 0x80) {
    if (r >= 0x20 && r < 0x7f) {
      out->push_back(static_cast<char>(r));
    } else {
      AppendHexEscape('x', static_cast<uint32_t>(r), 2, out);
    }
  } else if (IsPrintNonAscii(r)) {
    out->append(encoded);
  } else if (r < 0x10000) {
    AppendHexEscape('u', static_cast<uint32_t>(r), 4, out);
  } else {
    AppendHexEscape('U', static_cast<uint32_t>(r), 8, out);
  }
}

// Go's strconv.Quote (fmt %q of a []byte): how the legacy writer prints unknown
// length-delimited fields.
void AppendGoQuoted(std::string_view bytes, std::string* out) {
  out->push_back('"');
  while (!bytes.empty()) {
    size_t width = 1;
    const int32_t r = DecodeUtf8Rune(bytes, &width);
    if (r == kInvalidRune) {
      AppendHexEscape('x', static_cast<unsigned char>(bytes[0]), 2, out);
    } else {
      AppendGoEscapedRune(r, bytes.substr(0, width), out);
    }
    bytes.remove_prefix(width);
  }
  out->push_back('"');
}

void AppendUnknownFields(const UnknownFieldSet& fields, std::string* out) {
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    AppendDecimal(field.number(), out);
    switch (field.type()) {
      case UnknownField::TYPE_VARINT:
        out->push_back(':');
        AppendDecimal(field.varint(), out);
        break;
      case UnknownField::TYPE_FIXED32:
        out->push_back(':');
        AppendDecimal(field.fixed32(), out);
        break;
      case UnknownField::TYPE_FIXED64:
        out->push_back(':');
        AppendDecimal(field.fixed64(), out);
        break;
      case UnknownField::TYPE_LENGTH_DELIMITED:
        out->push_back(':');
        AppendGoQuoted(field.length_delimited(), out);
        break;
      case UnknownField::TYPE_GROUP:
        out->append(" { ");
        AppendUnknownFields(field.group(), out);
        out->push_back('}');
        break;
    }
    out->push_back(' ');
  }
}

// A message type's fields in field-number order, the order Go's writer prints them in.
using FieldOrder = std::vector<const FieldDescriptor*>;

struct MessageFieldOrder {
  const Descriptor* descriptor;
  FieldOrder fields;
};

void AddFieldOrders(const Descriptor* descriptor, std::vector<MessageFieldOrder>* orders) {
  FieldOrder fields;
  for (int i = 0; i < descriptor->field_count(); ++i) fields.push_back(descriptor->field(i));
  std::sort(fields.begin(), fields.end(),
            [](const FieldDescriptor* a, const FieldDescriptor* b) {
              return a->number() < b->number();
            });
  orders->push_back({descriptor, std::move(fields)});
  for (int i = 0; i < descriptor->nested_type_count(); ++i) {
    AddFieldOrders(descriptor->nested_type(i), orders);
  }
}

// Every message this file prints belongs to binlog.proto (the public functions take only its
// messages, and theirs nest only its messages), so the orders of that file's few types are
// computed once (thread-safe static initialisation), not per printed message: a lookup's
// body holds one TableMutation per table touched.
const FieldOrder& FieldsByNumber(const Descriptor* descriptor) {
  static const std::vector<MessageFieldOrder> kOrders = [] {
    std::vector<MessageFieldOrder> orders;
    const google::protobuf::FileDescriptor* file = binlog::Binlog::descriptor()->file();
    for (int i = 0; i < file->message_type_count(); ++i) {
      AddFieldOrders(file->message_type(i), &orders);
    }
    return orders;
  }();
  for (const MessageFieldOrder& order : kOrders) {
    if (order.descriptor == descriptor) return order.fields;
  }
  BINLOG_ASSERT(false && "message type not declared in binlog.proto");
  return kOrders.front().fields;
}

// Prints messages in Go's compact text form at the end of *out. Bytes fields go through
// AppendBytes, which DebugBodyPrinter overrides.
class TextPrinter {
 public:
  explicit TextPrinter(std::string* out) : out_(out) {}
  virtual ~TextPrinter() = default;
  TextPrinter(const TextPrinter&) = delete;
  TextPrinter& operator=(const TextPrinter&) = delete;

  void AppendMessage(const Message& message) {
    const Reflection* r = message.GetReflection();
    for (const FieldDescriptor* field : FieldsByNumber(message.GetDescriptor())) {
      AppendField(message, r, field);
    }
    AppendUnknownFields(r->GetUnknownFields(message), out_);
  }

 protected:
  // `bytes` is the value of a bytes field (a reference into the printed message).
  virtual void AppendBytes(const std::string& bytes) { AppendOctalQuoted(bytes, out_); }

  std::string* const out_;

 private:
  void AppendField(const Message& message, const Reflection* r, const FieldDescriptor* field) {
    if (field->is_repeated()) {
      const int size = r->FieldSize(message, field);
      for (int i = 0; i < size; ++i) {
        out_->append(field->name());
        out_->push_back(':');
        AppendValue(message, r, field, i);
        out_->push_back(' ');
      }
    } else if (SingularPrinted(message, r, field)) {
      out_->append(field->name());
      out_->push_back(':');
      AppendValue(message, r, field, -1);
      out_->push_back(' ');
    }
  }

  // Upstream's non-nullable scalars are printed only when non-zero; other singular fields
  // (bytes, messages) when present.
  static bool SingularPrinted(const Message& message, const Reflection* r,
                              const FieldDescriptor* field) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: return r->GetInt32(message, field) != 0;
      case FieldDescriptor::CPPTYPE_INT64: return r->GetInt64(message, field) != 0;
      case FieldDescriptor::CPPTYPE_ENUM: return r->GetEnumValue(message, field) != 0;
      default: return r->HasField(message, field);
    }
  }

  // One value of `field` (element `index` if repeated, else -1). `r` is message's
  // reflection, looked up once per message rather than per value.
  void AppendValue(const Message& message, const Reflection* r, const FieldDescriptor* field,
                   int index) {
    const bool repeated = index >= 0;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        AppendDecimal(repeated ? r->GetRepeatedInt32(message, field, index)
                               : r->GetInt32(message, field),
                      out_);
        return;
      case FieldDescriptor::CPPTYPE_INT64:
        AppendDecimal(repeated ? r->GetRepeatedInt64(message, field, index)
                               : r->GetInt64(message, field),
                      out_);
        return;
      case FieldDescriptor::CPPTYPE_ENUM:
        AppendEnum(field, repeated ? r->GetRepeatedEnumValue(message, field, index)
                                   : r->GetEnumValue(message, field));
        return;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        AppendBytes(repeated ? r->GetRepeatedStringReference(message, field, index, &scratch)
                             : r->GetStringReference(message, field, &scratch));
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        out_->push_back('<');
        AppendMessage(repeated ? r->GetRepeatedMessage(message, field, index)
                               : r->GetMessage(message, field));
        out_->push_back('>');
        return;
      default:
        // The binlog messages have no other field types; see the header.
        BINLOG_ASSERT(false && "field type not used by binlog messages");
    }
  }

  // Enums print by name; numbers without a name print as the number.
  void AppendEnum(const FieldDescriptor* field, int number) {
    const google::protobuf::EnumValueDescriptor* value =
        field->enum_type()->FindValueByNumber(number);
    if (value != nullptr) {
      out_->append(value->name());
    } else {
      AppendDecimal(number, out_);
    }
  }
};

// Protobuf wire format: a tag is (field number << 3) | wire type.
constexpr int kTagWireTypeBits = 3;
constexpr uint32_t kWireTypeVarint = 0;
constexpr uint32_t kWireTypeFixed64 = 1;
constexpr uint32_t kWireTypeLengthDelimited = 2;
constexpr uint32_t kWireTypeFixed32 = 5;

// A bytes field's value inside an encoded message, and the text it was escaped to when the
// whole encoded message was printed as one bytes field.
struct RowSpan {
  size_t offset = 0;  // in the outermost encoded message
  size_t size = 0;
  bool printed = false;  // text_offset and text_size are set
  size_t text_offset = 0;  // in the body
  size_t text_size = 0;
};

// Appends to *spans, in wire order, every bytes field of `encoded` (a `descriptor` message)
// and of the message fields nested in it; `base` is where `encoded` starts in the outermost
// message. Returns false on wire data this walker does not follow (malformed, groups): the
// caller then escapes every row afresh. Recursion follows the schema, which binlog.proto
// keeps two levels deep (PrewriteValue > TableMutation).
bool CollectRowSpans(std::string_view encoded, size_t base, const Descriptor* descriptor,
                     std::vector<RowSpan>* spans) {
  if (encoded.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return false;
  google::protobuf::io::CodedInputStream input(
      reinterpret_cast<const uint8_t*>(encoded.data()), static_cast<int>(encoded.size()));
  while (static_cast<size_t>(input.CurrentPosition()) < encoded.size()) {
    const uint32_t tag = input.ReadTag();
    if (tag == 0) return false;  // not a valid tag, or unreadable
    switch (tag & ((1u << kTagWireTypeBits) - 1)) {
      case kWireTypeVarint: {
        uint64_t ignored = 0;
        if (!input.ReadVarint64(&ignored)) return false;
        break;
      }
      case kWireTypeFixed64:
        if (!input.Skip(sizeof(uint64_t))) return false;
        break;
      case kWireTypeFixed32:
        if (!input.Skip(sizeof(uint32_t))) return false;
        break;
      case kWireTypeLengthDelimited: {
        uint32_t length = 0;
        if (!input.ReadVarint32(&length)) return false;
        const auto at = static_cast<size_t>(input.CurrentPosition());
        if (length > encoded.size() - at) return false;
        const FieldDescriptor* field =
            descriptor->FindFieldByNumber(static_cast<int>(tag >> kTagWireTypeBits));
        if (field != nullptr && field->type() == FieldDescriptor::TYPE_MESSAGE) {
          if (!CollectRowSpans(encoded.substr(at, length), base + at, field->message_type(),
                               spans)) {
            return false;
          }
        } else if (field != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          spans->push_back({base + at, length});
        }
        if (!input.Skip(static_cast<int>(length))) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// DebugBinlogText's printer. The body prints the binlog's prewrite_value escaped, then
// decodes it and prints every row in it escaped a second time. Escaping is per byte and
// without context, so the second time copies the text of the first: while the encoded value
// is escaped, the text of each row inside it is noted, and a row printed later whose bytes
// equal the next noted row's (compared, so the output never depends on how the rows were
// found) is copied. Rows print in wire order when the value was written as Go writes it
// (fields in number order); any other row is escaped afresh.
class DebugBodyPrinter final : public TextPrinter {
 public:
  DebugBodyPrinter(std::string* out, const std::string& encoded_value)
      : TextPrinter(out), encoded_value_(encoded_value) {
    if (!CollectRowSpans(encoded_value, 0, binlog::PrewriteValue::descriptor(), &rows_)) {
      rows_.clear();
    }
  }

 protected:
  void AppendBytes(const std::string& bytes) override {
    if (&bytes == &encoded_value_) {
      AppendNotingRows();
    } else if (next_row_ < rows_.size() && IsNextRow(bytes)) {
      const RowSpan& row = rows_[next_row_++];
      out_->push_back('"');
      out_->append(*out_, row.text_offset, row.text_size);
      out_->push_back('"');
    } else {
      TextPrinter::AppendBytes(bytes);
    }
  }

 private:
  void AppendNotingRows() {
    const std::string_view value(encoded_value_);
    out_->push_back('"');
    size_t done = 0;
    for (RowSpan& row : rows_) {
      BINLOG_ASSERT(row.offset >= done);  // CollectRowSpans lists disjoint rows in order
      AppendOctalEscaped(value.substr(done, row.offset - done), out_);
      row.text_offset = out_->size();
      AppendOctalEscaped(value.substr(row.offset, row.size), out_);
      row.text_size = out_->size() - row.text_offset;
      row.printed = true;
      done = row.offset + row.size;
    }
    AppendOctalEscaped(value.substr(done), out_);
    out_->push_back('"');
  }

  bool IsNextRow(const std::string& bytes) const {
    const RowSpan& row = rows_[next_row_];
    return row.printed && row.size == bytes.size() &&
           std::memcmp(encoded_value_.data() + row.offset, bytes.data(), row.size) == 0;
  }

  const std::string& encoded_value_;
  std::vector<RowSpan> rows_;
  size_t next_row_ = 0;
};

std::string MessageText(const Message& message) {
  std::string out;
  TextPrinter(&out).AppendMessage(message);
  return out;
}

// The /debug/binlog body's fixed text: field names, numbers, enum names and the section
// headers of one binlog, generously; only a capacity hint.
constexpr size_t kDebugBodyFixedBytesHint = 512;

// A capacity for DebugBinlogText's body, so that it is allocated once instead of regrown
// (each regrowth copies all written so far) or built from separate section strings. Every
// byte of a bytes field prints as at most kEscapedBytesPerByteMax characters, and the
// prewrite value's rows print a second time in its own section, where each byte of the
// encoded value is again allotted kEscapedBytesPerByteMax. Only a hint: a value of many tiny
// rows can exceed it, and the string then grows as usual.
size_t DebugBodyCapacityHint(const binlog::Binlog& binlog) {
  const size_t bytes_fields = binlog.prewrite_key().size() + binlog.prewrite_value().size() +
                              binlog.ddl_query().size();
  return kEscapedBytesPerByteMax * (bytes_fields + binlog.prewrite_value().size()) +
         kDebugBodyFixedBytesHint;
}

// The binlog's text and, for a non-empty prewrite_value, the PrewriteValue section.
void AppendBinlogAndPrewriteValue(const binlog::Binlog& binlog, std::string* out) {
  if (binlog.prewrite_value().empty()) {
    TextPrinter(out).AppendMessage(binlog);
    return;
  }
  Result<binlog::PrewriteValue> value = DecodePrewriteValue(binlog.prewrite_value());
  if (!value.ok()) {
    TextPrinter(out).AppendMessage(binlog);
    out->append("\n\n PrewriteValue: <Unmarshallable>\n");
    return;
  }
  DebugBodyPrinter printer(out, binlog.prewrite_value());
  printer.AppendMessage(binlog);
  out->append("\n\n PrewriteValue: \n");
  printer.AppendMessage(*value);
}

}  // namespace

std::string BinlogText(const binlog::Binlog& binlog) { return MessageText(binlog); }

std::string PrewriteValueText(const binlog::PrewriteValue& value) {
  return MessageText(value);
}

std::string TableMutationText(const binlog::TableMutation& mutation) {
  return MessageText(mutation);
}

std::string DebugBinlogText(const binlog::Binlog& binlog) {
  std::string out;
  out.reserve(DebugBodyCapacityHint(binlog));
  AppendBinlogAndPrewriteValue(binlog, &out);
  if (!binlog.prewrite_key().empty()) {
    // Upstream appends the text of TiKV's MvccGetByKeyResponse; we have no TiKV, and the
    // empty response's text is "".
    out.append("\n\n GetMvccByEncodedKey: \n");
  }
  return out;
}

}  // namespace tidb_binlog
