#include "reference/core/binlog_text.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>

#include "reference/core/assert.h"
#include "reference/core/binlog_codec.h"
#include "reference/core/octal_escape.h"
#include "reference/core/utf8.h"
#include "reference/core/wire_cursor.h"

namespace tidb_binlog {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

constexpr char kLowerHex[] = "0123456789abcdef";

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

// An enum value by name; a number without a name prints as the number.
void AppendEnumValue(const google::protobuf::EnumDescriptor* type, int number,
                     std::string* out) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByNumber(number);
  if (value != nullptr) {
    out->append(value->name());
  } else {
    AppendDecimal(number, out);
  }
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

  void AppendEnum(const FieldDescriptor* field, int number) {
    AppendEnumValue(field->enum_type(), number, out_);
  }
};

// ---- The plain path of DebugBinlogText: the PrewriteValue read off the wire. ----
//
// Decoding prewrite_value copies every row into a message only to print it, and printing
// through reflection costs a virtual call and a descriptor lookup per field. The body
// instead walks the encoded value twice: once to check that it has the plain shape TiDB's
// encoder writes and to note where its rows are, once to print it. Anything else falls back
// to decoding (AppendDecodedDebugBody), which also decides "<Unmarshallable>".
//
// The plain shape, for which printing the fields in wire order equals Go's printing in
// field-number order: only binlog.proto's known fields with their declared wire types
// (`deleted_ids` and `sequence` unpacked), field numbers non-decreasing within a message, a
// singular field at most once, varints in at most ten bytes with a tenth byte of 0 or 1
// (what the parser reads exactly), `sequence` values that fit in 0..INT32_MAX. Every plain
// value decodes (DecodePrewriteValue succeeds), to the message the walk prints.

// The next field's number and wire type, if its number is >= `min_number` (the plain
// shape's order).
bool ReadOrderedTag(WireCursor* in, uint32_t min_number, uint32_t* number,
                    uint32_t* wire_type) {
  return in->ReadTag(number, wire_type) && *number >= min_number;
}

// Walks one TableMutation, calling the visitor per printed item; false if not plain.
template <typename Visitor>
bool WalkMutation(WireCursor in, Visitor& visitor) {
  uint32_t min_number = kMutationTableIdField;
  while (!in.AtEnd()) {
    uint32_t number = 0;
    uint32_t wire_type = 0;
    if (!ReadOrderedTag(&in, min_number, &number, &wire_type)) return false;
    min_number = number;
    uint64_t varint = 0;
    WireCursor payload{};
    switch (number) {
      case kMutationTableIdField:
        if (wire_type != kWireTypeVarint || !in.ReadVarint(&varint)) return false;
        min_number = number + 1;  // singular
        visitor.TableId(static_cast<int64_t>(varint));
        break;
      case kMutationDeletedIdsField:
        if (wire_type != kWireTypeVarint || !in.ReadVarint(&varint)) return false;
        visitor.DeletedId(static_cast<int64_t>(varint));
        break;
      case kMutationSequenceField:
        if (wire_type != kWireTypeVarint || !in.ReadVarint(&varint) ||
            varint > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
          return false;
        }
        visitor.Sequence(static_cast<int>(varint));
        break;
      case kMutationInsertedRowsField:
      case kMutationUpdatedRowsField:
      case kMutationDeletedPksField:
      case kMutationDeletedRowsField:
        if (wire_type != kWireTypeLengthDelimited || !in.ReadPayload(&payload)) return false;
        visitor.Row(number, payload.at, static_cast<size_t>(payload.end - payload.at));
        break;
      default:  // tag 0, unknown fields: not plain
        return false;
    }
  }
  return true;
}

// Walks a PrewriteValue (see WalkMutation).
template <typename Visitor>
bool WalkPrewriteValue(std::string_view value, Visitor& visitor) {
  if (value.size() > kWireWalkBytesMax) return false;
  const auto* data = reinterpret_cast<const uint8_t*>(value.data());
  WireCursor in{data, data + value.size()};
  uint32_t min_number = kPrewriteSchemaVersionField;
  while (!in.AtEnd()) {
    uint32_t number = 0;
    uint32_t wire_type = 0;
    if (!ReadOrderedTag(&in, min_number, &number, &wire_type)) return false;
    if (number == kPrewriteSchemaVersionField && wire_type == kWireTypeVarint) {
      uint64_t version = 0;
      if (!in.ReadVarint(&version)) return false;
      min_number = number + 1;  // singular
      visitor.SchemaVersion(static_cast<int64_t>(version));
    } else if (number == kPrewriteMutationsField && wire_type == kWireTypeLengthDelimited) {
      min_number = number;
      WireCursor mutation{};
      if (!in.ReadPayload(&mutation)) return false;
      visitor.BeginMutation();
      if (!WalkMutation(mutation, visitor)) return false;
      visitor.EndMutation();
    } else {
      return false;
    }
  }
  return true;
}

// A row of the value: where it is in the value, and where its escaped text is in the body
// once the value's own text has been written.
struct RowText {
  size_t value_offset = 0;
  size_t size = 0;
  size_t text_offset = 0;
  size_t text_size = 0;
};

// Rows kept in place before the list moves to the heap: a value's rows are noted by push_back,
// and a heap vector would regrow (allocate and copy) log2(rows) times per body. The workload's
// values hold up to ~16 KiB of rows of 16 B-1 KiB, i.e. rarely more than this many.
constexpr size_t kRowsInline = 64;
using RowTexts = boost::container::small_vector<RowText, kRowsInline>;

// The first walk: notes the rows; prints nothing.
class RowCollector {
 public:
  RowCollector(std::string_view value, RowTexts* rows)
      : base_(reinterpret_cast<const uint8_t*>(value.data())), rows_(rows) {}

  void SchemaVersion(int64_t) {}
  void BeginMutation() {}
  void EndMutation() {}
  void TableId(int64_t) {}
  void DeletedId(int64_t) {}
  void Sequence(int) {}
  void Row(uint32_t, const uint8_t* at, size_t size) {
    rows_->push_back({static_cast<size_t>(at - base_), size});
  }

 private:
  const uint8_t* base_;
  RowTexts* rows_;
};

// Appends `name:value ` items.
void AppendName(std::string_view name, std::string* out) {
  out->append(name);
  out->push_back(':');
}

template <typename Integer>
void AppendNumberField(std::string_view name, Integer value, std::string* out) {
  AppendName(name, out);
  AppendDecimal(value, out);
  out->push_back(' ');
}

void AppendEnumField(std::string_view name, const google::protobuf::EnumDescriptor* type,
                     int number, std::string* out) {
  AppendName(name, out);
  AppendEnumValue(type, number, out);
  out->push_back(' ');
}

// The second walk: prints the PrewriteValue section's text, each row copied from the text
// the first walk's rows got in the Binlog's prewrite_value.
class PrewriteValuePrinter {
 public:
  PrewriteValuePrinter(const RowTexts& rows, std::string* out)
      : rows_(rows), out_(out) {}

  void SchemaVersion(int64_t version) {
    if (version != 0) AppendNumberField("schema_version", version, out_);
  }
  void BeginMutation() { out_->append("mutations:<"); }
  void EndMutation() { out_->append("> "); }
  void TableId(int64_t id) {
    if (id != 0) AppendNumberField("table_id", id, out_);
  }
  void DeletedId(int64_t id) { AppendNumberField("deleted_ids", id, out_); }
  void Sequence(int type) {
    AppendEnumField("sequence", binlog::MutationType_descriptor(), type, out_);
  }
  void Row(uint32_t number, const uint8_t*, size_t) {
    BINLOG_ASSERT(next_row_ < rows_.size());  // the same bytes walked the same way
    const RowText& row = rows_[next_row_++];
    AppendName(RowFieldName(number), out_);
    out_->push_back('"');
    out_->append(*out_, row.text_offset, row.text_size);
    out_->append("\" ");
  }

 private:
  static std::string_view RowFieldName(uint32_t number) {
    switch (number) {
      case kMutationInsertedRowsField: return "inserted_rows";
      case kMutationUpdatedRowsField: return "updated_rows";
      case kMutationDeletedPksField: return "deleted_pks";
      default: return "deleted_rows";
    }
  }

  const RowTexts& rows_;
  std::string* const out_;
  size_t next_row_ = 0;
};

// The prewrite_value's escaped text (without quotes), noting each row's text.
void AppendValueNotingRows(std::string_view value, RowTexts* rows,
                           std::string* out) {
  size_t done = 0;
  for (RowText& row : *rows) {
    BINLOG_ASSERT(row.value_offset >= done);  // the walk lists disjoint rows in order
    AppendOctalEscaped(value.substr(done, row.value_offset - done), out);
    row.text_offset = out->size();
    AppendOctalEscaped(value.substr(row.value_offset, row.size), out);
    row.text_size = out->size() - row.text_offset;
    done = row.value_offset + row.size;
  }
  AppendOctalEscaped(value.substr(done), out);
}

// The Binlog's text as TextPrinter prints it, its fields by accessor; the prewrite_value's
// text notes `rows` (listed by RowCollector).
void AppendBinlogFields(const binlog::Binlog& binlog, RowTexts* rows,
                        std::string* out) {
  if (binlog.tp() != 0) AppendEnumField("tp", binlog::BinlogType_descriptor(), binlog.tp(), out);
  if (binlog.start_ts() != 0) AppendNumberField("start_ts", binlog.start_ts(), out);
  if (binlog.commit_ts() != 0) AppendNumberField("commit_ts", binlog.commit_ts(), out);
  if (binlog.has_prewrite_key()) {
    AppendName("prewrite_key", out);
    AppendOctalQuoted(binlog.prewrite_key(), out);
    out->push_back(' ');
  }
  if (binlog.has_prewrite_value()) {
    AppendName("prewrite_value", out);
    out->push_back('"');
    AppendValueNotingRows(binlog.prewrite_value(), rows, out);
    out->append("\" ");
  }
  if (binlog.has_ddl_query()) {
    AppendName("ddl_query", out);
    AppendOctalQuoted(binlog.ddl_query(), out);
    out->push_back(' ');
  }
  if (binlog.ddl_job_id() != 0) AppendNumberField("ddl_job_id", binlog.ddl_job_id(), out);
  if (binlog.ddl_schema_state() != 0) {
    AppendNumberField("ddl_schema_state", binlog.ddl_schema_state(), out);
  }
  AppendUnknownFields(binlog.GetReflection()->GetUnknownFields(binlog), out);
}

// The Binlog's text and, for a non-empty prewrite_value, the PrewriteValue section, if the
// value is plain; false (and *out unchanged) if not.
bool AppendPlainBinlogAndPrewriteValue(const binlog::Binlog& binlog, std::string* out) {
  const std::string& value = binlog.prewrite_value();
  RowTexts rows;
  RowCollector collector(value, &rows);
  if (!value.empty() && !WalkPrewriteValue(value, collector)) return false;
  AppendBinlogFields(binlog, &rows, out);
  if (value.empty()) return true;
  out->append("\n\n PrewriteValue: \n");
  PrewriteValuePrinter printer(rows, out);
  const bool walked = WalkPrewriteValue(value, printer);
  BINLOG_ASSERT(walked);  // the first walk accepted the same bytes
  return true;
}

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
// byte of a bytes field prints as at most kOctalEscapedBytesPerByteMax characters, and the
// prewrite value's rows print a second time in its own section, where each byte of the
// encoded value is again allotted kOctalEscapedBytesPerByteMax. Only a hint: a value of many tiny
// rows can exceed it, and the string then grows as usual.
size_t DebugBodyCapacityHint(const binlog::Binlog& binlog) {
  const size_t bytes_fields = binlog.prewrite_key().size() + binlog.prewrite_value().size() +
                              binlog.ddl_query().size();
  return kOctalEscapedBytesPerByteMax * (bytes_fields + binlog.prewrite_value().size()) +
         kDebugBodyFixedBytesHint;
}

// The decoding path of DebugBinlogText, for values that are not plain (see above): the
// Binlog's text and, for a non-empty prewrite_value, the PrewriteValue section or
// "<Unmarshallable>".
void AppendDecodedBinlogAndPrewriteValue(const binlog::Binlog& binlog, std::string* out) {
  TextPrinter(out).AppendMessage(binlog);
  if (binlog.prewrite_value().empty()) return;
  Result<binlog::PrewriteValue> value = DecodePrewriteValue(binlog.prewrite_value());
  if (!value.ok()) {
    out->append("\n\n PrewriteValue: <Unmarshallable>\n");
    return;
  }
  out->append("\n\n PrewriteValue: \n");
  TextPrinter(out).AppendMessage(*value);
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
  if (!AppendPlainBinlogAndPrewriteValue(binlog, &out)) {
    AppendDecodedBinlogAndPrewriteValue(binlog, &out);
  }
  if (!binlog.prewrite_key().empty()) {
    // Upstream appends the text of TiKV's MvccGetByKeyResponse; we have no TiKV, and the
    // empty response's text is "".
    out.append("\n\n GetMvccByEncodedKey: \n");
  }
  return out;
}

}  // namespace tidb_binlog
