// EncodeOneRowPrewriteValue must write exactly what protobuf serializes for the same
// PrewriteValue (the writers' bytes, sizes and trace hashes depend on it): compared over
// table ids and row sizes around every varint length boundary.
#include "simulator/prewrite_value.h"

#include <gtest/gtest.h>

#include <string>

#include "reference/core/proto/binlog.pb.h"

namespace tidb_binlog::sim {
namespace {

std::string Serialized(int64_t table_id, const std::string& row) {
  binlog::PrewriteValue value;
  value.set_schema_version(1);
  binlog::TableMutation* mutation = value.add_mutations();
  mutation->set_table_id(table_id);
  mutation->add_inserted_rows(row);
  mutation->add_sequence(binlog::Insert);
  return value.SerializeAsString();
}

TEST(PrewriteValueTest, BytesAreWhatProtobufSerializes) {
  std::string pool(20000, '\0');
  for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<char>(i * 131 + 7);
  std::string encoded = "left over from a previous value";
  for (int64_t table_id : {int64_t{0}, int64_t{100}, int64_t{127}, int64_t{128},
                           int64_t{1} << 40, int64_t{-1}}) {
    for (size_t row_bytes : {size_t{0}, size_t{1}, size_t{100}, size_t{127}, size_t{128},
                             size_t{512}, size_t{16383}, size_t{16384}}) {
      const std::string row = pool.substr(3, row_bytes);
      EncodeOneRowPrewriteValue(table_id, row, &encoded);
      EXPECT_EQ(encoded, Serialized(table_id, row)) << table_id << " " << row_bytes;
    }
  }
}

}  // namespace
}  // namespace tidb_binlog::sim
