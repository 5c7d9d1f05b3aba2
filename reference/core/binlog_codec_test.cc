// Checks that our encoder writes the bytes upstream's gogoproto marshaller writes, and that
// byte strings laid out exactly as gogo writes them decode to the expected values. The
// expected bytes are written out by hand from the wire format (UPSTREAM.md §6.1).
#include "reference/core/binlog_codec.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include <google/protobuf/util/message_differencer.h>

namespace tidb_binlog {
namespace {

using google::protobuf::util::MessageDifferencer;

// "08 00 1a" -> the three bytes.
std::string Bytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    i += 2;
  }
  return out;
}

std::string Hex(const std::string& bytes) {
  std::string out;
  char buf[4];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof(buf), out.empty() ? "%02x" : " %02x", c);
    out += buf;
  }
  return out;
}

binlog::Binlog MustDecode(const std::string& hex) {
  Result<binlog::Binlog> decoded = DecodeBinlog(Bytes(hex));
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return decoded.ok() ? *decoded : binlog::Binlog();
}

TEST(BinlogCodecTest, ZeroBinlogWritesEveryNonNullableScalar) {
  EXPECT_EQ(Hex(EncodeBinlog(binlog::Binlog())), "08 00 10 00 18 00 38 00 40 00");
  binlog::Binlog decoded = MustDecode("08 00 10 00 18 00 38 00 40 00");
  EXPECT_EQ(decoded.tp(), binlog::Prewrite);
  EXPECT_EQ(decoded.start_ts(), 0);
  EXPECT_FALSE(decoded.has_prewrite_key());
  EXPECT_EQ(Hex(EncodeBinlog(decoded)), "08 00 10 00 18 00 38 00 40 00");
}

TEST(BinlogCodecTest, CommitWithPrewriteKey) {
  const std::string upstream = "08 01 10 05 18 07 22 01 6b 38 00 40 00";
  binlog::Binlog decoded = MustDecode(upstream);
  EXPECT_EQ(decoded.tp(), binlog::Commit);
  EXPECT_EQ(decoded.start_ts(), 5);
  EXPECT_EQ(decoded.commit_ts(), 7);
  EXPECT_EQ(decoded.prewrite_key(), "k");
  EXPECT_FALSE(decoded.has_prewrite_value());

  binlog::Binlog built;
  built.set_tp(binlog::Commit);
  built.set_start_ts(5);
  built.set_commit_ts(7);
  built.set_prewrite_key("k");
  EXPECT_EQ(Hex(EncodeBinlog(built)), upstream);
}

TEST(BinlogCodecTest, PresentButEmptyBytesFieldIsWritten) {
  binlog::Binlog built;
  built.set_prewrite_key("");
  EXPECT_EQ(Hex(EncodeBinlog(built)), "08 00 10 00 18 00 22 00 38 00 40 00");
  binlog::Binlog decoded = MustDecode("08 00 10 00 18 00 22 00 38 00 40 00");
  EXPECT_TRUE(decoded.has_prewrite_key());
}

TEST(BinlogCodecTest, NegativeSchemaStateIsTenByteVarint) {
  const std::string upstream =
      "08 00 10 00 18 00 32 01 71 38 03 40 ff ff ff ff ff ff ff ff ff 01";
  binlog::Binlog decoded = MustDecode(upstream);
  EXPECT_EQ(decoded.ddl_schema_state(), -1);
  EXPECT_EQ(decoded.ddl_job_id(), 3);
  EXPECT_EQ(decoded.ddl_query(), "q");

  binlog::Binlog built;
  built.set_ddl_query("q");
  built.set_ddl_job_id(3);
  built.set_ddl_schema_state(-1);
  EXPECT_EQ(Hex(EncodeBinlog(built)), upstream);
}

TEST(BinlogCodecTest, UnknownEnumNumberStaysInTp) {
  binlog::Binlog decoded = MustDecode("08 09 10 00 18 00 38 00 40 00");
  EXPECT_EQ(static_cast<int>(decoded.tp()), 9);
  EXPECT_EQ(Hex(EncodeBinlog(decoded)), "08 09 10 00 18 00 38 00 40 00");
}

TEST(BinlogCodecTest, UnknownFieldsAreKeptAndWrittenLast) {
  // Field 9 (varint 5) between tp and start_ts: gogo keeps it in XXX_unrecognized and
  // appends it after the known fields when marshalling again.
  binlog::Binlog decoded = MustDecode("08 01 48 05 10 02 18 03 38 00 40 00");
  EXPECT_EQ(decoded.start_ts(), 2);
  EXPECT_EQ(Hex(EncodeBinlog(decoded)), "08 01 10 02 18 03 38 00 40 00 48 05");
  // A length-delimited unknown field 10 ("ab") and a fixed32 unknown field 11.
  binlog::Binlog more = MustDecode("08 00 10 00 18 00 38 00 40 00 52 02 61 62 5d 01 00 00 00");
  EXPECT_EQ(Hex(EncodeBinlog(more)), "08 00 10 00 18 00 38 00 40 00 52 02 61 62 5d 01 00 00 00");
}

TEST(BinlogCodecTest, MissingScalarsDecodeAsZeroAndAreWrittenBack) {
  // A non-gogo writer may omit zero scalars; upstream reads zeros and writes them back.
  binlog::Binlog decoded = MustDecode("10 05");
  EXPECT_EQ(decoded.start_ts(), 5);
  EXPECT_EQ(Hex(EncodeBinlog(decoded)), "08 00 10 05 18 00 38 00 40 00");
}

TEST(BinlogCodecTest, RoundTripKeepsEveryField) {
  binlog::Binlog original;
  original.set_tp(binlog::Commit);
  original.set_start_ts(412518831548007786);
  original.set_commit_ts(412518831548007863);
  original.set_prewrite_key(std::string("t\x80\0\0", 4));
  original.set_prewrite_value(std::string("\x08\x01", 2));
  original.set_ddl_query("create table t(a int)");
  original.set_ddl_job_id(77);
  original.set_ddl_schema_state(5);
  Result<binlog::Binlog> decoded = DecodeBinlog(EncodeBinlog(original));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(*decoded, original));
}

TEST(BinlogCodecTest, NotProtobufIsCorruption) {
  Result<binlog::Binlog> decoded = DecodeBinlog(Bytes("ff"));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.status().message(), "cannot decode binlog.Binlog from 1 bytes");
  // Truncated length-delimited field.
  EXPECT_EQ(DecodeBinlog(Bytes("22 05 6b")).status().code(), StatusCode::kCorruption);
}

TEST(BinlogCodecTest, KnownFieldWithWrongWireTypeIsCorruption) {
  // start_ts (field 2) as length-delimited: gogo fails with "wrong wireType".
  Result<binlog::Binlog> decoded = DecodeBinlog(Bytes("12 01 00"));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.status().message(),
            "cannot decode binlog.Binlog: wrong wire type for field 2");
}

TEST(BinlogCodecTest, FakeBinlog) {
  binlog::Binlog fake = MakeFakeBinlog(7);
  EXPECT_EQ(fake.tp(), binlog::Rollback);
  EXPECT_EQ(fake.start_ts(), 7);
  EXPECT_EQ(fake.commit_ts(), 7);
  EXPECT_EQ(Hex(EncodeBinlog(fake)), "08 02 10 07 18 07 38 00 40 00");
  EXPECT_TRUE(MessageDifferencer::Equals(fake, MustDecode("08 02 10 07 18 07 38 00 40 00")));
}

// PrewriteValue{schema_version: 12, mutations: [{table_id: 45, inserted_rows: ["r1"],
// sequence: [Insert, DeleteRow]}, {}]}: sequence is unpacked (one 0x38 tag per element),
// and the empty mutation still carries table_id 0.
constexpr char kPrewriteValueHex[] = "08 0c 12 0a 08 2d 12 02 72 31 38 00 38 04 12 02 08 00";

TEST(PrewriteValueCodecTest, MatchesUpstreamBytes) {
  binlog::PrewriteValue value;
  value.set_schema_version(12);
  binlog::TableMutation* mutation = value.add_mutations();
  mutation->set_table_id(45);
  mutation->add_inserted_rows("r1");
  mutation->add_sequence(binlog::Insert);
  mutation->add_sequence(binlog::DeleteRow);
  value.add_mutations();
  EXPECT_EQ(Hex(EncodePrewriteValue(value)), kPrewriteValueHex);

  Result<binlog::PrewriteValue> decoded = DecodePrewriteValue(Bytes(kPrewriteValueHex));
  ASSERT_TRUE(decoded.ok());
  // Decoding marks the empty mutation's table_id present; equal once `value` says so too.
  value.mutable_mutations(1)->set_table_id(0);
  EXPECT_TRUE(MessageDifferencer::Equals(*decoded, value));
}

TEST(PrewriteValueCodecTest, ZeroValueAndPackedSequence) {
  EXPECT_EQ(Hex(EncodePrewriteValue(binlog::PrewriteValue())), "08 00");
  // A packed sequence (0x3a) decodes as well, as gogo's generated Unmarshal accepts both.
  Result<binlog::PrewriteValue> decoded = DecodePrewriteValue(Bytes("08 01 12 06 08 01 3a 02 01 04"));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->mutations(0).sequence_size(), 2);
  EXPECT_EQ(decoded->mutations(0).sequence(1), binlog::DeleteRow);
  EXPECT_EQ(Hex(EncodePrewriteValue(*decoded)), "08 01 12 06 08 01 38 01 38 04");
}

TEST(PrewriteValueCodecTest, GarbageAndWrongWireTypeInMutation) {
  EXPECT_EQ(DecodePrewriteValue(Bytes("0a")).status().code(), StatusCode::kCorruption);
  Result<binlog::PrewriteValue> decoded = DecodePrewriteValue(Bytes("12 03 0a 01 00"));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "cannot decode binlog.TableMutation: wrong wire type for field 1");
}

}  // namespace
}  // namespace tidb_binlog
