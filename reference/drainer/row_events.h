// ScanRowEvents: the row changes and schema version of a marshalled PrewriteValue, read off
// the wire without decoding it, for the drainer's binlog_drainer_event counts.
//
// Decoding a PrewriteValue copies every row into a message only to count its `sequence`
// entries; the scan walks the fields in place instead. It is a fast path, not a parser:
// it accepts only the plain shape TiDB's encoder writes (known field numbers with their
// declared wire types, unpacked `sequence` and `deleted_ids`, enum values that fit in
// 32 bits) and says "not plain" for anything else (unknown or misplaced fields, packed
// encodings, malformed bytes). A caller then decodes the value with
// DecodePrewriteValueInto, which gives the same answer for plain values, and the error or
// answer for the rest. Contract: whenever ScanRowEvents returns true,
// DecodePrewriteValueInto succeeds on the same bytes, with the same schema_version and
// the same sequence values in the same order (row_events_test.cc checks this on encoded,
// truncated and damaged values).
//
// Thread safety: a pure function; the scan object belongs to the caller.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tidb_binlog {

struct RowEventScan {
  int64_t schema_version = 0;
  // Every TableMutation's `sequence` values, mutation after mutation (MutationType values).
  std::vector<int32_t> row_types;
};

// Fills `scan` (cleared first; its memory is reused) and returns true if `value` is a
// plain PrewriteValue; false (and `scan` unspecified) otherwise.
bool ScanRowEvents(std::string_view value, RowEventScan* scan);

}  // namespace tidb_binlog
