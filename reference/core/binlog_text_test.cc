// Golden tests for upstream's compact text form (UPSTREAM.md §6.3) and the
// /debug/binlog/{ts} body (§2.4): every example in the spec, the public doc's example, and
// each rule (presence, escapes, enums, nesting, unknown fields) on hand-written expectations.
#include "reference/core/binlog_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference/core/binlog_codec.h"

// GCC 12 reports a false -Wrestrict inside std::string when protobuf's add_x("a") is
// inlined with a one-character literal (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace tidb_binlog {
namespace {

// Reverses the text form's escaping (\ooo octal, \n \r \t \" \\), to build key bytes from
// the doc's printed form.
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    const char c = text[++i];
    if (c >= '0' && c <= '7') {
      out.push_back(static_cast<char>(std::stoi(text.substr(i, 3), nullptr, 8)));
      i += 2;
    } else {
      out.push_back(c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
    }
  }
  return out;
}

constexpr char kDocKeyEscaped[] =
    R"(t\200\000\000\000\000\000-\212_i\200\000\000\000\000\000\000\001\003\200\000\000\000\000\teK\003\200\000\000\000\000\007\230L)";

binlog::Binlog DocExampleBinlog() {
  binlog::Binlog b;
  b.set_tp(binlog::Commit);
  b.set_start_ts(412518831548007786);
  b.set_commit_ts(412518831548007863);
  b.set_prewrite_key(Unescape(kDocKeyEscaped));
  return b;
}

TEST(BinlogTextTest, PublicDocExample) {
  const std::string expected =
      std::string("tp:Commit start_ts:412518831548007786 commit_ts:412518831548007863 ") +
      "prewrite_key:\"" + kDocKeyEscaped + "\" ";
  EXPECT_EQ(BinlogText(DocExampleBinlog()), expected);
  // The same binlog as decoded from upstream's bytes prints the same.
  Result<binlog::Binlog> decoded = DecodeBinlog(EncodeBinlog(DocExampleBinlog()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(BinlogText(*decoded), expected);
}

TEST(BinlogTextTest, PublicDocDebugBody) {
  EXPECT_EQ(DebugBinlogText(DocExampleBinlog()),
            BinlogText(DocExampleBinlog()) + "\n\n GetMvccByEncodedKey: \n");
}

// golang/protobuf's writeQuotedString, one byte at a time: the rule the table-driven printer
// must reproduce for every byte value and across its internal chunk boundaries.
std::string ReferenceQuoted(const std::string& bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else {
      out += '\\';
      out += static_cast<char>('0' + (c >> 6));
      out += static_cast<char>('0' + ((c >> 3) & 7));
      out += static_cast<char>('0' + (c & 7));
    }
  }
  return out + "\"";
}

TEST(BinlogTextTest, EveryByteValueAndLongValuesEscapeAsGo) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  // 256 values, then a value long enough to span several of the printer's chunks.
  std::string long_value;
  for (int i = 0; i < 40 * 256 + 7; ++i) long_value.push_back(static_cast<char>(i * 37));
  for (const std::string& value : {all_bytes, long_value}) {
    binlog::Binlog b;
    b.set_prewrite_key(value);
    EXPECT_EQ(BinlogText(b), "prewrite_key:" + ReferenceQuoted(value) + " ");
  }
}

// The printer copies 16-byte blocks that need no escape as they are and escapes the others
// and the tail through its table: put each byte that must be escaped (and the printable
// extremes) at every position of, and around, such blocks, in values of every length up to
// a few blocks, and compare with the one-byte-at-a-time rule.
TEST(BinlogTextTest, EscapesAtEveryPositionAcrossLiteralBlocks) {
  const std::string specials("\x00\x1f \x7e\x7f\x80\xff\"\\\n\r\t", 12);
  for (size_t length = 0; length <= 50; ++length) {
    std::string literal;
    for (size_t i = 0; i < length; ++i) literal.push_back(static_cast<char>('a' + i % 26));
    binlog::Binlog plain;
    plain.set_ddl_query(literal);
    ASSERT_EQ(BinlogText(plain), "ddl_query:" + ReferenceQuoted(literal) + " ") << length;
    for (size_t at = 0; at < length; ++at) {
      for (char special : specials) {
        std::string value = literal;
        value[at] = special;
        binlog::Binlog b;
        b.set_ddl_query(value);
        ASSERT_EQ(BinlogText(b), "ddl_query:" + ReferenceQuoted(value) + " ")
            << "length " << length << " at " << at << " byte " << int{special};
      }
    }
  }
}

// Long values mixing printable runs of every length with binary bytes, so that literal
// blocks, escaped blocks and table tails alternate at every alignment and across the
// printer's internal chunks.
TEST(BinlogTextTest, MixedRunsOfPrintableAndBinaryBytes) {
  std::string value;
  uint32_t state = 12345;
  while (value.size() < 20000) {
    state = state * 1103515245 + 12345;
    const size_t run = (state >> 16) % 40;
    for (size_t i = 0; i < run; ++i) value.push_back(static_cast<char>('A' + i % 26));
    value.push_back(static_cast<char>(state >> 8));
  }
  binlog::Binlog b;
  b.set_prewrite_key(value);
  EXPECT_EQ(BinlogText(b), "prewrite_key:" + ReferenceQuoted(value) + " ");
}

TEST(BinlogTextTest, FakeBinlog) {
  EXPECT_EQ(BinlogText(MakeFakeBinlog(7)), "tp:Rollback start_ts:7 commit_ts:7 ");
}

TEST(BinlogTextTest, PrewriteNeverShowsTpAndEscapesBytes) {
  binlog::Binlog b;
  b.set_tp(binlog::Prewrite);
  b.set_start_ts(5);
  b.set_prewrite_key(std::string("k\"\\\n\t\r\x7f"));
  b.set_prewrite_value(std::string("\x01\x02"));
  EXPECT_EQ(BinlogText(b), R"(start_ts:5 prewrite_key:"k\"\\\n\t\r\177" prewrite_value:"\001\002" )");
}

TEST(BinlogTextTest, DdlPresentEmptyKeyAndNegativeState) {
  binlog::Binlog b;
  b.set_prewrite_key("");
  b.set_ddl_query("create table t(a int)");
  b.set_ddl_job_id(3);
  b.set_ddl_schema_state(-1);
  EXPECT_EQ(BinlogText(b),
            R"x(prewrite_key:"" ddl_query:"create table t(a int)" ddl_job_id:3 ddl_schema_state:-1 )x");
}

TEST(BinlogTextTest, AllDefaultIsEmpty) {
  EXPECT_EQ(BinlogText(binlog::Binlog()), "");
  // Present zero scalars (as decoded from upstream bytes) still do not print.
  EXPECT_EQ(BinlogText(*DecodeBinlog(EncodeBinlog(binlog::Binlog()))), "");
  EXPECT_EQ(PrewriteValueText(binlog::PrewriteValue()), "");
}

TEST(BinlogTextTest, ByteEscapesAtTheBoundaries) {
  binlog::Binlog b;
  b.set_ddl_query(std::string("\x00\x1f \x7e\x7f\x80\xff'", 8));
  EXPECT_EQ(BinlogText(b), R"(ddl_query:"\000\037 ~\177\200\377'" )");
}

TEST(BinlogTextTest, UnknownEnumNumberPrintsNumber) {
  binlog::Binlog b;
  b.set_tp(static_cast<binlog::BinlogType>(9));
  EXPECT_EQ(BinlogText(b), "tp:9 ");
}

binlog::PrewriteValue SpecPrewriteValue() {
  binlog::PrewriteValue v;
  v.set_schema_version(12);
  binlog::TableMutation* m = v.add_mutations();
  m->set_table_id(45);
  m->add_inserted_rows("r1");
  m->add_sequence(binlog::Insert);
  m->add_sequence(binlog::DeleteRow);
  v.add_mutations();
  return v;
}

TEST(PrewriteValueTextTest, SpecExample) {
  EXPECT_EQ(PrewriteValueText(SpecPrewriteValue()),
            "schema_version:12 mutations:<table_id:45 inserted_rows:\"r1\" sequence:Insert "
            "sequence:DeleteRow > mutations:<> ");
}

TEST(TableMutationTextTest, EveryFieldRepeatedInNumberOrder) {
  binlog::TableMutation m;
  m.set_table_id(-2);
  m.add_inserted_rows("a");
  m.add_inserted_rows("b");
  m.add_updated_rows("u");
  m.add_deleted_ids(4);
  m.add_deleted_ids(0);
  m.add_deleted_pks("");
  m.add_deleted_rows("d");
  m.add_sequence(static_cast<binlog::MutationType>(7));
  m.add_sequence(binlog::Update);
  EXPECT_EQ(TableMutationText(m),
            "table_id:-2 inserted_rows:\"a\" inserted_rows:\"b\" updated_rows:\"u\" "
            "deleted_ids:4 deleted_ids:0 deleted_pks:\"\" deleted_rows:\"d\" sequence:7 "
            "sequence:Update ");
}

Result<binlog::Binlog> DecodeHex(std::initializer_list<unsigned char> bytes) {
  return DecodeBinlog(std::string(bytes.begin(), bytes.end()));
}

TEST(BinlogTextTest, UnknownVarintField) {
  // Binlog{tp: Commit} followed by unknown field 9 = varint 5.
  Result<binlog::Binlog> b = DecodeHex({0x08, 0x01, 0x48, 0x05});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(BinlogText(*b), "tp:Commit 9:5 ");
}

TEST(BinlogTextTest, UnknownFieldsOfEveryWireType) {
  Result<binlog::Binlog> b = DecodeHex({
      0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,  // 9: varint -1
      0x55, 0x01, 0x00, 0x00, 0x80,                                      // 10: fixed32
      0x59, 0x02, 0, 0, 0, 0, 0, 0, 0,                                   // 11: fixed64
      0x62, 0x08, 'a', '"', '\n', 0x00, 0x7f, 0xc3, 0xa9, 0xff,          // 12: bytes
      0x6b, 0x08, 0x01, 0x6c,                                            // 13: group {1:1}
  });
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(BinlogText(*b),
            "9:18446744073709551615 10:2147483649 11:2 12:\"a\\\"\\n\\x00\\x7fé\\xff\" "
            "13 { 1:1 } ");
}

TEST(BinlogTextTest, UnknownBytesUseGoQuoteForNonPrintableRunes) {
  // U+00A0 (no-break space), U+2028, U+1F600 (printable), U+E000 (private use), and a
  // truncated 3-byte sequence.
  Result<binlog::Binlog> b = DecodeHex({0x52, 0x0f, 0xc2, 0xa0, 0xe2, 0x80, 0xa8, 0xf0, 0x9f,
                                        0x98, 0x80, 0xee, 0x80, 0x80, 0xe2, 0x82, 0x07});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(BinlogText(*b), "10:\"\\u00a0\\u2028\U0001F600\\ue000\\xe2\\x82\\a\" ");
}

TEST(DebugBinlogTextTest, PrewriteValueSection) {
  binlog::Binlog b;
  b.set_start_ts(5);
  b.set_prewrite_value(EncodePrewriteValue(SpecPrewriteValue()));
  EXPECT_EQ(DebugBinlogText(b),
            BinlogText(b) + "\n\n PrewriteValue: \n" + PrewriteValueText(SpecPrewriteValue()));
}

// The body is written into one buffer sized from the binlog's bytes fields; a value of many
// empty rows prints far more than that estimate and must come out whole all the same.
TEST(DebugBinlogTextTest, ManyTinyRowsOutgrowTheCapacityEstimate) {
  binlog::PrewriteValue value;
  for (int table = 0; table < 50; ++table) {
    binlog::TableMutation* mutation = value.add_mutations();
    mutation->set_table_id(table + 1);
    for (int row = 0; row < 40; ++row) {
      mutation->add_deleted_rows("");
      mutation->add_sequence(binlog::DeleteRow);
    }
  }
  binlog::Binlog b;
  b.set_start_ts(5);
  b.set_prewrite_key("k");
  b.set_prewrite_value(EncodePrewriteValue(value));
  const std::string expected = BinlogText(b) + "\n\n PrewriteValue: \n" +
                               PrewriteValueText(value) + "\n\n GetMvccByEncodedKey: \n";
  EXPECT_EQ(DebugBinlogText(b), expected);
  EXPECT_GT(expected.size(), 8 * b.prewrite_value().size());
}

// The body as the spec composes it, from the public text functions (which escape every
// row afresh): what DebugBinlogText must equal byte for byte however it gets there.
std::string ComposedDebugText(const binlog::Binlog& b) {
  Result<binlog::PrewriteValue> value = DecodePrewriteValue(b.prewrite_value());
  EXPECT_TRUE(value.ok());
  return BinlogText(b) + "\n\n PrewriteValue: \n" + PrewriteValueText(*value) +
         (b.prewrite_key().empty() ? "" : "\n\n GetMvccByEncodedKey: \n");
}

// Wire-format builders for values Go would not write (fields out of number order, packed
// obsolete ids, unknown fields).
std::string Varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>(v | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}
std::string VarintField(int number, uint64_t v) { return Varint(number << 3) + Varint(v); }
std::string BytesField(int number, const std::string& bytes) {
  return Varint((number << 3) | 2) + Varint(bytes.size()) + bytes;
}

// The body copies a row's text from the escaped prewrite_value when the row's bytes are the
// next ones found there; rows written out of field order, repeated, empty, next to packed
// ids and unknown fields, must print exactly as escaped afresh.
TEST(DebugBinlogTextTest, RowsOutOfWireOrderRepeatedAndAmongOtherFields) {
  const std::string row_a("a\0\"\\\n\x7f\xff", 7);
  const std::string row_b("printable row text of some length", 33);
  const std::string first = VarintField(1, 45) + BytesField(3, row_b) + BytesField(2, row_a) +
                            BytesField(4, Varint(1) + Varint(300)) +  // packed deleted_ids
                            BytesField(9, "unknown") + BytesField(2, "") +
                            BytesField(6, row_a) + VarintField(7, 1) + VarintField(7, 0);
  const std::string second = BytesField(2, row_a) + BytesField(2, row_a) + BytesField(5, row_b);
  binlog::Binlog b;
  b.set_start_ts(5);
  b.set_prewrite_key("k");
  b.set_prewrite_value(VarintField(1, 12) + BytesField(2, first) + BytesField(2, second) +
                       BytesField(2, ""));
  ASSERT_TRUE(DecodePrewriteValue(b.prewrite_value()).ok());
  EXPECT_EQ(DebugBinlogText(b), ComposedDebugText(b));
}

// A row printed while the next row noted in the value has the same size but other bytes.
TEST(DebugBinlogTextTest, SameSizeRowWithOtherBytesIsNotCopied) {
  binlog::Binlog b;
  b.set_prewrite_value(BytesField(2, BytesField(6, "\x01zz") + BytesField(2, "\x02yy")));
  ASSERT_TRUE(DecodePrewriteValue(b.prewrite_value()).ok());
  EXPECT_EQ(DebugBinlogText(b), ComposedDebugText(b));
}

// Seeded random values as the pump stores them: tables of binary and text rows of random
// sizes, including rows that are prefixes or copies of one another.
TEST(DebugBinlogTextTest, RandomPrewriteValuesPrintAsComposed) {
  uint64_t state = 42;
  const auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  for (int round = 0; round < 200; ++round) {
    binlog::PrewriteValue value;
    value.set_schema_version(static_cast<int64_t>(next(1000)));
    std::string previous = "seed row";
    for (uint64_t table = next(4); table > 0; --table) {
      binlog::TableMutation* mutation = value.add_mutations();
      mutation->set_table_id(static_cast<int64_t>(next(100)));
      for (uint64_t rows = next(6); rows > 0; --rows) {
        std::string row;
        const uint64_t kind = next(4);
        const uint64_t size = next(300);
        for (uint64_t i = 0; i < size; ++i) {
          row.push_back(static_cast<char>(kind == 0 ? 'a' + next(26) : next(256)));
        }
        if (kind == 3) row = previous.substr(0, next(previous.size() + 1));
        previous = row;
        const uint64_t field = next(3);
        if (field == 0) mutation->add_inserted_rows(row);
        if (field == 1) mutation->add_updated_rows(row);
        if (field == 2) mutation->add_deleted_rows(row);
        mutation->add_sequence(binlog::Insert);
      }
    }
    binlog::Binlog b;
    b.set_start_ts(round + 1);
    b.set_prewrite_key(next(2) == 0 ? "" : "key");
    b.set_prewrite_value(EncodePrewriteValue(value));
    if (b.prewrite_value().empty()) continue;
    ASSERT_EQ(DebugBinlogText(b), ComposedDebugText(b)) << "round " << round;
  }
}

// What DebugBinlogText must print for any value, decodable or not.
std::string ExpectedDebugText(const binlog::Binlog& b) {
  if (DecodePrewriteValue(b.prewrite_value()).ok()) return ComposedDebugText(b);
  return BinlogText(b) + "\n\n PrewriteValue: <Unmarshallable>\n" +
         (b.prewrite_key().empty() ? "" : "\n\n GetMvccByEncodedKey: \n");
}

// The body reads values of the plain shape off the wire and decodes any other: both ways
// must print what the decoded message prints. Values at the edges of the plain shape:
// explicit zero scalars, repeated singular fields (the last wins), fields out of number
// order, 10-byte varints, unknown enum numbers, over-long tags, wrong wire types, unknown
// and malformed fields, and unknown fields of the Binlog itself.
TEST(DebugBinlogTextTest, WireEdgeCasesPrintAsDecoded) {
  const std::string row = BytesField(2, std::string("r\0w", 3));
  const std::string ten_byte_minus_one = Varint(~uint64_t{0});
  const std::vector<std::string> values = {
      VarintField(1, 0) + BytesField(2, VarintField(1, 0) + row),
      VarintField(1, 3) + VarintField(1, 4) + BytesField(2, row),
      BytesField(2, row) + VarintField(1, 4),
      BytesField(2, VarintField(1, 5) + VarintField(1, 6) + row),
      BytesField(2, row + VarintField(1, 6)),
      BytesField(2, VarintField(1, ~uint64_t{0}) + VarintField(4, ~uint64_t{0} - 5) + row),
      BytesField(2, VarintField(7, 99) + VarintField(7, 4) + VarintField(7, 0)),
      BytesField(2, Varint(7 << 3) + ten_byte_minus_one),  // negative enum number
      BytesField(2, Varint(1 << 3) + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 10)),
      BytesField(2, Varint(1 << 3) + std::string("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10)),
      std::string("\x92\x00", 2) + Varint(row.size()) + row,  // field 2, tag in two bytes
      BytesField(2, BytesField(1, "x")),                        // table_id as bytes
      BytesField(2, VarintField(2, 1)),                         // rows as a varint
      VarintField(2, 1),                                        // mutations as a varint
      BytesField(2, BytesField(4, Varint(1) + Varint(2))),      // packed deleted_ids
      BytesField(2, BytesField(7, Varint(1) + Varint(0))),      // packed sequence
      BytesField(2, row + VarintField(15, 1)),                  // unknown field
      VarintField(3, 1) + BytesField(2, row),                   // unknown field
      BytesField(2, row) + std::string("\x00", 1),              // tag 0
      BytesField(2, row).substr(0, 4),                          // truncated
      BytesField(2, "") + BytesField(2, "") + BytesField(2, VarintField(7, 1)),
      std::string("\x0b\x0c", 2),                               // a group
  };
  for (size_t i = 0; i < values.size(); ++i) {
    binlog::Binlog b;
    b.set_tp(static_cast<binlog::BinlogType>(77));
    b.set_start_ts(-5);
    b.set_prewrite_key(i % 2 == 0 ? "k" : "");
    b.set_prewrite_value(values[i]);
    b.set_ddl_query("q\n");
    b.set_ddl_job_id(-1);
    b.set_ddl_schema_state(-2);
    EXPECT_EQ(DebugBinlogText(b), ExpectedDebugText(b)) << "value " << i;
    // The same binlog with unknown fields of its own, as decoded from bytes.
    Result<binlog::Binlog> extended =
        DecodeBinlog(EncodeBinlog(b) + VarintField(20, 3) + BytesField(21, "u\xff"));
    ASSERT_TRUE(extended.ok());
    EXPECT_EQ(DebugBinlogText(*extended), ExpectedDebugText(*extended)) << "value " << i;
  }
}

TEST(DebugBinlogTextTest, UnmarshallablePrewriteValueThenMvccFraming) {
  binlog::Binlog b;
  b.set_start_ts(5);
  b.set_prewrite_key("k");
  b.set_prewrite_value("\xff");
  EXPECT_EQ(DebugBinlogText(b),
            "start_ts:5 prewrite_key:\"k\" prewrite_value:\"\\377\" "
            "\n\n PrewriteValue: <Unmarshallable>\n\n\n GetMvccByEncodedKey: \n");
}

TEST(DebugBinlogTextTest, EmptyKeyAndValueAddNothing) {
  binlog::Binlog b = MakeFakeBinlog(9);
  b.set_prewrite_key("");
  b.set_prewrite_value("");
  EXPECT_EQ(DebugBinlogText(b), "tp:Rollback start_ts:9 commit_ts:9 prewrite_key:\"\" prewrite_value:\"\" ");
}

}  // namespace
}  // namespace tidb_binlog
