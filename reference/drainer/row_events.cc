#include "reference/drainer/row_events.h"

#include <climits>

#include "reference/core/wire_cursor.h"

namespace tidb_binlog {
namespace {

// One TableMutation's fields; its `sequence` values appended.
bool ScanMutation(WireCursor in, RowEventScan* scan) {
  while (!in.AtEnd()) {
    uint32_t number = 0;
    uint32_t type = 0;
    if (!in.ReadTag(&number, &type)) return false;
    uint64_t varint = 0;
    WireCursor payload{};
    switch (number) {
      case kMutationTableIdField:
      case kMutationDeletedIdsField:
        if (type != kWireTypeVarint || !in.ReadVarint(&varint)) return false;
        break;
      case kMutationSequenceField:
        // Values past INT32_MAX (negative enums, truncation) are left to the parser.
        if (type != kWireTypeVarint || !in.ReadVarint(&varint) ||
            varint > static_cast<uint64_t>(INT32_MAX)) {
          return false;
        }
        scan->row_types.push_back(static_cast<int32_t>(varint));
        break;
      case kMutationInsertedRowsField:
      case kMutationUpdatedRowsField:
      case kMutationDeletedPksField:
      case kMutationDeletedRowsField:
        if (type != kWireTypeLengthDelimited || !in.ReadPayload(&payload)) {
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
bool ScanPrewriteValue(WireCursor in, RowEventScan* scan) {
  while (!in.AtEnd()) {
    uint32_t number = 0;
    uint32_t type = 0;
    if (!in.ReadTag(&number, &type)) return false;
    if (number == kPrewriteSchemaVersionField && type == kWireTypeVarint) {
      uint64_t version = 0;
      if (!in.ReadVarint(&version)) return false;
      scan->schema_version = static_cast<int64_t>(version);  // the last one wins, as parsed
    } else if (number == kPrewriteMutationsField &&
               type == kWireTypeLengthDelimited) {
      WireCursor mutation{};
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
  if (value.size() > kWireWalkBytesMax) return false;
  const auto* data = reinterpret_cast<const uint8_t*>(value.data());
  return ScanPrewriteValue(WireCursor{data, data + value.size()}, scan);
}

}  // namespace tidb_binlog
