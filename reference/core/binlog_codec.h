// Encoding and decoding of TiDB's binlog protobufs, byte-compatible with upstream's gogoproto
// code (UPSTREAM.md §6.1).
//
// Upstream marshals Binlog, PrewriteValue and TableMutation with gogoproto, which writes its
// non-nullable scalars even when they are zero (Binlog: tp, start_ts, commit_ts, ddl_job_id,
// ddl_schema_state; PrewriteValue: schema_version; TableMutation: table_id): the zero Binlog
// is `08 00 10 00 18 00 38 00 40 00`, not empty. Our .proto gives those fields explicit
// presence (see proto/binlog.proto), so the encoders below mark them present and let
// protobuf serialize; the bytes then equal upstream's, field-number order first, retained
// unknown fields last (where gogo appends XXX_unrecognized).
//
// Decoding accepts what gogo's Unmarshal accepts: unknown fields are kept (they print and
// re-encode), unknown enum numbers stay in the enum field, packed or unpacked repeated
// scalars. Like gogo it rejects a known field number carrying the wrong wire type.
//
// Not for: the text form (binlog_text.h) or storage framing (reference/storage).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"

namespace tidb_binlog {

// The bytes upstream's gogo marshaller writes for `binlog`.
std::string EncodeBinlog(const binlog::Binlog& binlog);

// Parses bytes written by any protobuf encoder of tipb's Binlog. kCorruption, naming the
// message and the size, when they do not parse.
Result<binlog::Binlog> DecodeBinlog(std::string_view bytes);

// The bytes upstream's gogo marshaller writes for `value` (and each of its mutations).
std::string EncodePrewriteValue(const binlog::PrewriteValue& value);

// As DecodeBinlog, for a PrewriteValue (Binlog.prewrite_value).
Result<binlog::PrewriteValue> DecodePrewriteValue(std::string_view bytes);
// The same decode into `value` (cleared first), reusing its memory: for a caller that
// decodes one value after another (the drainer's event counts). On error `value` holds
// whatever was parsed.
Status DecodePrewriteValueInto(std::string_view bytes, binlog::PrewriteValue* value);

// util.GenFakeBinlog: {tp: Rollback, start_ts: ts, commit_ts: ts}. The other always-written
// scalars are present with value 0, so the result equals DecodeBinlog(upstream's bytes).
binlog::Binlog MakeFakeBinlog(int64_t ts);

}  // namespace tidb_binlog
