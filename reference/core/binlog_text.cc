#include "reference/core/binlog_text.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
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
struct ByteEscape {
  char text[4];
  uint8_t size;
};

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

// Row values reach tens of KiB and this is the hot path of GET /debug/binlog/{ts}: escape
// through a table into a stack buffer and append whole chunks, instead of one push_back per
// output byte (which dominated the handler's CPU profile).
constexpr size_t kEscapeChunkBytes = 1024;

void AppendOctalQuoted(std::string_view bytes, std::string* out) {
  out->reserve(out->size() + bytes.size() + 2);
  out->push_back('"');
  char buffer[kEscapeChunkBytes * 4];
  while (!bytes.empty()) {
    const std::string_view chunk = bytes.substr(0, kEscapeChunkBytes);
    bytes.remove_prefix(chunk.size());
    char* end = buffer;
    for (unsigned char c : chunk) {
      const ByteEscape& e = kByteEscapes[c];
      std::memcpy(end, e.text, sizeof(e.text));  // always 4 bytes; only e.size count
      end += e.size;
    }
    out->append(buffer, static_cast<size_t>(end - buffer));
  }
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
    out->append(std::to_string(field.number()));
    switch (field.type()) {
      case UnknownField::TYPE_VARINT:
        out->push_back(':');
        out->append(std::to_string(field.varint()));
        break;
      case UnknownField::TYPE_FIXED32:
        out->push_back(':');
        out->append(std::to_string(field.fixed32()));
        break;
      case UnknownField::TYPE_FIXED64:
        out->push_back(':');
        out->append(std::to_string(field.fixed64()));
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

void AppendMessage(const Message& message, std::string* out);

// One value of `field` (element `index` if repeated, else -1) in Go's text form.
void AppendValue(const Message& message, const FieldDescriptor* field, int index,
                 std::string* out) {
  const Reflection* r = message.GetReflection();
  const bool repeated = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      out->append(std::to_string(repeated ? r->GetRepeatedInt32(message, field, index)
                                          : r->GetInt32(message, field)));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      out->append(std::to_string(repeated ? r->GetRepeatedInt64(message, field, index)
                                          : r->GetInt64(message, field)));
      return;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated ? r->GetRepeatedEnumValue(message, field, index)
                                  : r->GetEnumValue(message, field);
      const auto* value = field->enum_type()->FindValueByNumber(number);
      out->append(value != nullptr ? value->name() : std::to_string(number));
      return;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& bytes =
          repeated ? r->GetRepeatedStringReference(message, field, index, &scratch)
                   : r->GetStringReference(message, field, &scratch);
      AppendOctalQuoted(bytes, out);
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      out->push_back('<');
      AppendMessage(repeated ? r->GetRepeatedMessage(message, field, index)
                             : r->GetMessage(message, field),
                    out);
      out->push_back('>');
      return;
    default:
      // The binlog messages have no other field types; see the header.
      BINLOG_ASSERT(false && "field type not used by binlog messages");
  }
}

// Upstream's non-nullable scalars are printed only when non-zero; other singular fields
// (bytes, messages) when present.
bool SingularPrinted(const Message& message, const FieldDescriptor* field) {
  const Reflection* r = message.GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return r->GetInt32(message, field) != 0;
    case FieldDescriptor::CPPTYPE_INT64: return r->GetInt64(message, field) != 0;
    case FieldDescriptor::CPPTYPE_ENUM: return r->GetEnumValue(message, field) != 0;
    default: return r->HasField(message, field);
  }
}

void AppendField(const Message& message, const FieldDescriptor* field, std::string* out) {
  if (field->is_repeated()) {
    const int size = message.GetReflection()->FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      out->append(field->name());
      out->push_back(':');
      AppendValue(message, field, i, out);
      out->push_back(' ');
    }
  } else if (SingularPrinted(message, field)) {
    out->append(field->name());
      out->push_back(':');
    AppendValue(message, field, -1, out);
    out->push_back(' ');
  }
}

void AppendMessage(const Message& message, std::string* out) {
  const Descriptor* descriptor = message.GetDescriptor();
  std::vector<const FieldDescriptor*> fields;
  for (int i = 0; i < descriptor->field_count(); ++i) fields.push_back(descriptor->field(i));
  std::sort(fields.begin(), fields.end(),
            [](const FieldDescriptor* a, const FieldDescriptor* b) {
              return a->number() < b->number();
            });
  for (const FieldDescriptor* field : fields) AppendField(message, field, out);
  AppendUnknownFields(message.GetReflection()->GetUnknownFields(message), out);
}

std::string MessageText(const Message& message) {
  std::string out;
  AppendMessage(message, &out);
  return out;
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
  std::string out = BinlogText(binlog);
  if (!binlog.prewrite_value().empty()) {
    Result<binlog::PrewriteValue> value = DecodePrewriteValue(binlog.prewrite_value());
    if (value.ok()) {
      out += "\n\n PrewriteValue: \n";
      out += PrewriteValueText(*value);
    } else {
      out += "\n\n PrewriteValue: <Unmarshallable>\n";
    }
  }
  if (!binlog.prewrite_key().empty()) {
    // Upstream appends the text of TiKV's MvccGetByKeyResponse; we have no TiKV, and the
    // empty response's text is "".
    out += "\n\n GetMvccByEncodedKey: \n";
  }
  return out;
}

}  // namespace tidb_binlog
