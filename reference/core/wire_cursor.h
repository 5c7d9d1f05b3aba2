// WireCursor: a read position in protobuf wire-format bytes, and binlog.proto's
// PrewriteValue / TableMutation field numbers, for the hot paths that walk an encoded
// PrewriteValue in place instead of decoding it: the drainer's row-event count
// (reference/drainer/row_events.h) and pump's /debug/binlog body (binlog_text.cc). The
// simulator's writers encode with the same field numbers (simulator/prewrite_value.h).
//
// Hand-written rather than protobuf's CodedInputStream, whose set-up, limits and out-of-line
// fallbacks cost as much as the whole walk of a typical value. Both users accept only the
// plain shape TiDB's encoder writes and leave anything else to protobuf's parser; their
// tests compare them with it.
//
// Thread safety: a WireCursor is a value; the bytes it reads must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace tidb_binlog {

// Field numbers of binlog.proto's PrewriteValue and TableMutation.
inline constexpr uint32_t kPrewriteSchemaVersionField = 1;
inline constexpr uint32_t kPrewriteMutationsField = 2;
inline constexpr uint32_t kMutationTableIdField = 1;
inline constexpr uint32_t kMutationInsertedRowsField = 2;
inline constexpr uint32_t kMutationUpdatedRowsField = 3;
inline constexpr uint32_t kMutationDeletedIdsField = 4;
inline constexpr uint32_t kMutationDeletedPksField = 5;
inline constexpr uint32_t kMutationDeletedRowsField = 6;
inline constexpr uint32_t kMutationSequenceField = 7;

// Protobuf wire format: a tag is (field number << 3) | wire type.
inline constexpr int kTagWireTypeBits = 3;
inline constexpr uint32_t kWireTypeVarint = 0;
inline constexpr uint32_t kWireTypeLengthDelimited = 2;
// A varint is at most ten bytes (64 bits, seven a byte); the tenth carries only bit 63.
inline constexpr int kVarintBytesMax = 10;
inline constexpr uint8_t kVarintLastByteMax = 1;
// protobuf's parser takes sizes as an int: anything larger is left to it (it refuses).
inline constexpr size_t kWireWalkBytesMax = static_cast<size_t>(std::numeric_limits<int>::max());

struct WireCursor {
  const uint8_t* at;
  const uint8_t* end;

  bool AtEnd() const { return at == end; }

  // False if truncated, longer than ten bytes, or past 64 bits (what the parser reads
  // exactly).
  bool ReadVarint(uint64_t* value) {
    uint64_t result = 0;
    for (int i = 0; i < kVarintBytesMax && at != end; ++i) {
      const uint8_t byte = *at++;
      result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        if (i == kVarintBytesMax - 1 && byte > kVarintLastByteMax) return false;
        *value = result;
        return true;
      }
    }
    return false;
  }

  // A length-delimited payload: its bounds, and the cursor moved past it.
  bool ReadPayload(WireCursor* payload) {
    uint64_t length = 0;
    if (!ReadVarint(&length) || length > static_cast<uint64_t>(end - at)) return false;
    *payload = WireCursor{at, at + length};
    at += length;
    return true;
  }

  // The next field's number and wire type.
  bool ReadTag(uint32_t* number, uint32_t* wire_type) {
    uint64_t tag = 0;
    if (!ReadVarint(&tag) || tag > std::numeric_limits<uint32_t>::max()) return false;
    *number = static_cast<uint32_t>(tag >> kTagWireTypeBits);
    *wire_type = static_cast<uint32_t>(tag) & ((1u << kTagWireTypeBits) - 1);
    return true;
  }
};

}  // namespace tidb_binlog
