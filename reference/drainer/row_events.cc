#include "reference/drainer/row_events.h"

#include <climits>

#include <google/protobuf/wire_format_lite.h>

namespace tidb_binlog {
namespace {

using google::protobuf::internal::WireFormatLite;

// Field numbers of binlog.proto's PrewriteValue and TableMutation.
constexpr int kPrewriteSchemaVersionField = 1;
constexpr int kPrewriteMutationsField = 2;
constexpr int kMutationTableIdField = 1;
constexpr int kMutationInsertedRowsField = 2;
constexpr int kMutationUpdatedRowsField = 3;
constexpr int kMutationDeletedIdsField = 4;
constexpr int kMutationDeletedPksField = 5;
constexpr int kMutationDeletedRowsField = 6;
constexpr int kMutationSequenceField = 7;

// protobuf's parser takes the size as an int: anything larger is left to it (it refuses).
constexpr size_t kScanBytesMax = static_cast<size_t>(INT_MAX);
// A varint is at most ten bytes (64 bits, seven a byte), as protobuf's parser reads it.
constexpr int kVarintBytesMax = 10;

// A read position in the value. Hand-written rather than protobuf's CodedInputStream,
// whose set-up, limits and out-of-line fallbacks cost as much as the whole scan of a
// typical value; the test checks it against the real parser.
struct Cursor {
  const uint8_t* at;
  const uint8_t* end;

  bool AtEnd() const { return at == end; }

  bool ReadVarint(uint64_t* value) {
    uint64_t result = 0;
    for (int i = 0; i < kVarintBytesMax && at != end; ++i) {
      const uint8_t byte = *at++;
      result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        *value = result;
        return true;
      }
    }
    return false;  // truncated, or longer than ten bytes
  }

  // A length-delimited payload: its bounds, and the cursor moved past it.
  bool ReadPayload(Cursor* payload) {
    uint64_t length = 0;
    if (!ReadVarint(&length) || length > static_cast<uint64_t>(end - at)) return false;
    *payload = Cursor{at, at + length};
    at += length;
    return true;
  }

  bool ReadTag(int* number, WireFormatLite::WireType* type) {
    uint64_t tag = 0;
    if (!ReadVarint(&tag) || tag > UINT32_MAX) return false;
    *number = WireFormatLite::GetTagFieldNumber(static_cast<uint32_t>(tag));
    *type = WireFormatLite::GetTagWireType(static_cast<uint32_t>(tag));
    return true;
  }
};

// One TableMutation's fields; its `sequence` values appended.
bool ScanMutation(Cursor in, RowEventScan* scan) {
  while (!in.AtEnd()) {
    int number = 0;
    WireFormatLite::WireType type;
    if (!in.ReadTag(&number, &type)) return false;
    uint64_t varint = 0;
    Cursor payload{};
    switch (number) {
      case kMutationTableIdField:
      case kMutationDeletedIdsField:
        if (type != WireFormatLite::WIRETYPE_VARINT || !in.ReadVarint(&varint)) return false;
        break;
      case kMutationSequenceField:
        // Values past INT32_MAX (negative enums, truncation) are left to the parser.
        if (type != WireFormatLite::WIRETYPE_VARINT || !in.ReadVarint(&varint) ||
            varint > static_cast<uint64_t>(INT32_MAX)) {
          return false;
        }
        scan->row_types.push_back(static_cast<int32_t>(varint));
        break;
      case kMutationInsertedRowsField:
      case kMutationUpdatedRowsField:
      case kMutationDeletedPksField:
      case kMutationDeletedRowsField:
        if (type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED || !in.ReadPayload(&payload)) {
          return false;
        }
        break;
      default:  // tag 0, unknown fields: not the plain shape
        return false;
    }
  }
  return true;
}

// The PrewriteValue's fields.
bool ScanPrewriteValue(Cursor in, RowEventScan* scan) {
  while (!in.AtEnd()) {
    int number = 0;
    WireFormatLite::WireType type;
    if (!in.ReadTag(&number, &type)) return false;
    if (number == kPrewriteSchemaVersionField && type == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t version = 0;
      if (!in.ReadVarint(&version)) return false;
      scan->schema_version = static_cast<int64_t>(version);  // the last one wins, as parsed
    } else if (number == kPrewriteMutationsField &&
               type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      Cursor mutation{};
      if (!in.ReadPayload(&mutation) || !ScanMutation(mutation, scan)) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ScanRowEvents(std::string_view value, RowEventScan* scan) {
  scan->schema_version = 0;
  scan->row_types.clear();
  if (value.size() > kScanBytesMax) return false;
  const auto* data = reinterpret_cast<const uint8_t*>(value.data());
  return ScanPrewriteValue(Cursor{data, data + value.size()}, scan);
}

}  // namespace tidb_binlog
