#include "simulator/prewrite_value.h"

#include <cstring>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "reference/core/assert.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/wire_cursor.h"

namespace tidb_binlog::sim {
namespace {

using google::protobuf::internal::WireFormatLite;

// The value's schema version, as TiDB's encoder writes it.
constexpr int64_t kSchemaVersion = 1;

}  // namespace

// Written in place with protobuf's wire helpers: building the message first would copy
// every row twice (into it, then out of it), the writers' largest cost.
void EncodeOneRowPrewriteValue(int64_t table_id, std::string_view row, std::string* out) {
  const size_t mutation_bytes =
      WireFormatLite::TagSize(kMutationTableIdField, WireFormatLite::TYPE_INT64) +
      WireFormatLite::Int64Size(table_id) +
      WireFormatLite::TagSize(kMutationInsertedRowsField, WireFormatLite::TYPE_BYTES) +
      WireFormatLite::LengthDelimitedSize(row.size()) +
      WireFormatLite::TagSize(kMutationSequenceField, WireFormatLite::TYPE_ENUM) +
      WireFormatLite::EnumSize(binlog::Insert);
  const size_t value_bytes =
      WireFormatLite::TagSize(kPrewriteSchemaVersionField, WireFormatLite::TYPE_INT64) +
      WireFormatLite::Int64Size(kSchemaVersion) +
      WireFormatLite::TagSize(kPrewriteMutationsField, WireFormatLite::TYPE_MESSAGE) +
      WireFormatLite::LengthDelimitedSize(mutation_bytes);
  out->resize(value_bytes);
  uint8_t* at = reinterpret_cast<uint8_t*>(out->data());
  at = WireFormatLite::WriteInt64ToArray(kPrewriteSchemaVersionField, kSchemaVersion, at);
  at = WireFormatLite::WriteTagToArray(kPrewriteMutationsField,
                                       WireFormatLite::WIRETYPE_LENGTH_DELIMITED, at);
  at = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(mutation_bytes), at);
  at = WireFormatLite::WriteInt64ToArray(kMutationTableIdField, table_id, at);
  at = WireFormatLite::WriteTagToArray(kMutationInsertedRowsField,
                                       WireFormatLite::WIRETYPE_LENGTH_DELIMITED, at);
  at = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(row.size()), at);
  std::memcpy(at, row.data(), row.size());
  at += row.size();
  at = WireFormatLite::WriteEnumToArray(kMutationSequenceField, binlog::Insert, at);
  BINLOG_ASSERT(at == reinterpret_cast<uint8_t*>(out->data()) + value_bytes);
}

}  // namespace tidb_binlog::sim
