// Upstream's text form of binlog protobufs: what TiDB-Binlog's generated `String()` prints,
// i.e. golang/protobuf v1.5.2 `CompactTextString` (UPSTREAM.md §6.3), byte for byte, and
// the body of pump's `GET /debug/binlog/{ts}` built from it (§2.4).
//
// Hand-written because protobuf's C++ TextFormat differs from Go's legacy writer in every
// detail that matters here: it separates fields differently, prints nested messages as
// `name { ... }`, escapes bytes differently, prints zero proto3 scalars by presence, and
// formats unknown fields its own way.
//
// The rules, as Go applies them to upstream's gogo structs:
//  - fields in field-number order, each `name:value` followed by one space;
//  - the always-written (non-nullable) scalars print only when != 0; bytes fields print
//    when present, an empty present one as `""`; repeated fields once per element;
//  - enums by name, unknown numbers as the number;
//  - bytes quoted with \n \r \t \" \\, 0x20-0x7E literal, any other byte as \ooo octal;
//  - nested messages `name:<...> `, an empty one `name:<> `;
//  - unknown fields last, in the order they were decoded, as Go's writeUnknownFields does in
//    compact mode: varint `N:<uint64> `, fixed32 / fixed64 `N:<unsigned decimal> `,
//    length-delimited `N:<Go %q of the bytes> ` (strconv.Quote: Go escapes, \xHH for bytes
//    that are not UTF-8 or not printable, \uXXXX for non-printable runes), group
//    `N { <fields>} `.
//  Known limit: strconv.Quote consults Go's full Unicode tables to decide which runes are
//  printable; we escape the controls, spaces other than U+0020, format characters and
//  private-use code points, and print every other valid rune literally (Go escapes
//  unassigned code points too). This only affects unknown length-delimited fields.
//
// An all-default message prints as the empty string. Thread safety: pure functions.
#pragma once

#include <string>

#include "reference/core/proto/binlog.pb.h"

namespace tidb_binlog {

// `binlog.String()` upstream, e.g. `tp:Rollback start_ts:7 commit_ts:7 `.
std::string BinlogText(const binlog::Binlog& binlog);

// `prewriteValue.String()` upstream.
std::string PrewriteValueText(const binlog::PrewriteValue& value);

// `tableMutation.String()` upstream.
std::string TableMutationText(const binlog::TableMutation& mutation);

// The body of pump `GET /debug/binlog/{ts}` for a binlog that was found (UPSTREAM.md §2.4
// step 4): BinlogText; then, if prewrite_value is non-empty, "\n\n PrewriteValue: \n" and its
// text (or "\n\n PrewriteValue: <Unmarshallable>\n" when it does not decode); then, if
// prewrite_key is non-empty, "\n\n GetMvccByEncodedKey: \n" and the MVCC record's text.
// Without TiKV the MVCC record is always the empty response, whose text is "", so only
// upstream's framing appears. No trailing newline, as upstream.
// Cost: a prewrite_value of the plain shape TiDB's encoder writes is printed straight from
// its wire bytes and each row is escaped once (its text is copied into the PrewriteValue
// section); any other value is decoded and printed as PrewriteValueText does. The bytes are
// the same either way.
std::string DebugBinlogText(const binlog::Binlog& binlog);

}  // namespace tidb_binlog
