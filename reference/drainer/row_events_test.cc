// ScanRowEvents must agree with the full decode (DecodePrewriteValueInto) whenever it
// answers: checked on encoded random PrewriteValues, every truncation of them and seeded
// random byte damage; and it must answer for what TiDB writes, or the fast path is dead.
#include "reference/drainer/row_events.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "reference/core/binlog_codec.h"

namespace tidb_binlog {
namespace {

// Seeded so that a failure reproduces; enough cases to reach every field in every shape.
constexpr uint32_t kSeed = 20261124;
constexpr int kValuesCount = 200;
constexpr int kDamagesPerValue = 40;

std::string RandomBytes(std::mt19937& rng, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

binlog::PrewriteValue RandomValue(std::mt19937& rng) {
  binlog::PrewriteValue value;
  value.set_schema_version(static_cast<int64_t>(rng() % 1000) - 10);
  const int mutations = static_cast<int>(rng() % 4);
  for (int m = 0; m < mutations; ++m) {
    binlog::TableMutation* mutation = value.add_mutations();
    mutation->set_table_id(static_cast<int64_t>(rng()) - (int64_t{1} << 31));
    for (int i = static_cast<int>(rng() % 3); i > 0; --i) {
      mutation->add_inserted_rows(RandomBytes(rng, rng() % 40));
      mutation->add_sequence(binlog::Insert);
    }
    for (int i = static_cast<int>(rng() % 3); i > 0; --i) {
      mutation->add_updated_rows(RandomBytes(rng, rng() % 40));
      mutation->add_sequence(binlog::Update);
    }
    if (rng() % 4 == 0) mutation->add_deleted_ids(static_cast<int64_t>(rng()));
    if (rng() % 4 == 0) mutation->add_deleted_pks(RandomBytes(rng, rng() % 10));
    for (int i = static_cast<int>(rng() % 3); i > 0; --i) {
      mutation->add_deleted_rows(RandomBytes(rng, rng() % 40));
      mutation->add_sequence(binlog::DeleteRow);
    }
  }
  return value;
}

std::vector<int32_t> DecodedRowTypes(const binlog::PrewriteValue& value) {
  std::vector<int32_t> types;
  for (const binlog::TableMutation& mutation : value.mutations()) {
    for (int type : mutation.sequence()) types.push_back(type);
  }
  return types;
}

// If the scan answers, the decode succeeds with the same answer. Returns whether it answered.
bool ExpectScanAgrees(const std::string& bytes) {
  RowEventScan scan;
  if (!ScanRowEvents(bytes, &scan)) return false;
  binlog::PrewriteValue decoded;
  Status status = DecodePrewriteValueInto(bytes, &decoded);
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(scan.schema_version, decoded.schema_version());
  EXPECT_EQ(scan.row_types, DecodedRowTypes(decoded));
  return true;
}

TEST(RowEventsTest, AnswersForEncodedValuesAsTheDecodeDoes) {
  std::mt19937 rng(kSeed);
  for (int i = 0; i < kValuesCount; ++i) {
    EXPECT_TRUE(ExpectScanAgrees(EncodePrewriteValue(RandomValue(rng))));
  }
}

TEST(RowEventsTest, TruncatedValuesNeverDisagree) {
  std::mt19937 rng(kSeed);
  for (int i = 0; i < kValuesCount; ++i) {
    const std::string bytes = EncodePrewriteValue(RandomValue(rng));
    for (size_t size = 0; size < bytes.size(); ++size) ExpectScanAgrees(bytes.substr(0, size));
  }
}

TEST(RowEventsTest, DamagedValuesNeverDisagree) {
  std::mt19937 rng(kSeed);
  for (int i = 0; i < kValuesCount; ++i) {
    const std::string bytes = EncodePrewriteValue(RandomValue(rng));
    for (int d = 0; d < kDamagesPerValue && !bytes.empty(); ++d) {
      std::string damaged = bytes;
      damaged[rng() % damaged.size()] = static_cast<char>(rng() & 0xff);
      ExpectScanAgrees(damaged);
    }
  }
}

TEST(RowEventsTest, LeavesUnusualShapesToTheDecode) {
  binlog::PrewriteValue value;
  value.set_schema_version(7);
  value.add_mutations()->add_sequence(binlog::Update);
  const std::string plain = EncodePrewriteValue(value);
  RowEventScan scan;
  ASSERT_TRUE(ScanRowEvents(plain, &scan));
  EXPECT_EQ(scan.row_types, std::vector<int32_t>{binlog::Update});
  // An unknown field (number 15, varint) after the plain ones: the decode keeps it.
  EXPECT_FALSE(ScanRowEvents(plain + std::string("\x78\x01", 2), &scan));
  // A packed `sequence` (field 7, length-delimited) in a mutation: the decode accepts it.
  const std::string packed = std::string("\x12\x03\x3a\x01\x01", 5);
  EXPECT_FALSE(ScanRowEvents(packed, &scan));
  binlog::PrewriteValue decoded;
  EXPECT_TRUE(DecodePrewriteValueInto(packed, &decoded).ok());
  // A negative enum value (ten-byte varint).
  binlog::PrewriteValue negative;
  negative.add_mutations()->add_sequence(static_cast<binlog::MutationType>(-1));
  EXPECT_FALSE(ScanRowEvents(EncodePrewriteValue(negative), &scan));
}

}  // namespace
}  // namespace tidb_binlog
