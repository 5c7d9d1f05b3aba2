// EncodeOneRowPrewriteValue: the simulated writers' PrewriteValue bytes, encoded without
// building the message.
//
// The value is what TiDB marshals for a one-row insert: {schema_version 1, one TableMutation
// {table_id, inserted_rows [row], sequence [Insert]}}. The bytes are exactly those
// binlog::PrewriteValue::SerializeToString writes for that message (fields in number
// order; prewrite_value_test.cc compares them), so trace hashes and sizes do not depend on
// which of the two built them.
//
// Thread safety: a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidb_binlog::sim {

// Replaces `*out` with the encoded value.
void EncodeOneRowPrewriteValue(int64_t table_id, std::string_view row, std::string* out);

}  // namespace tidb_binlog::sim
