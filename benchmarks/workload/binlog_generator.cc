#include "benchmarks/workload/binlog_generator.h"

#include <algorithm>
#include <utility>

#include "reference/core/assert.h"
#include "reference/core/binlog_codec.h"

namespace tidb_binlog::workload {
namespace {

// Table ids of user tables start here (TiDB's first ids are taken by system tables).
constexpr int64_t kTableIdFirst = 100;
// A transaction touches at most this many tables.
constexpr int kTablesPerTransactionMax = 3;
// Bounds of one row's bytes: a Prewrite's total is split into rows of this size.
constexpr int64_t kRowBytesPerRowMin = 16;
constexpr int64_t kRowBytesPerRowMax = 1024;
// Row events by kind, out of 100: inserts, then updates, the rest deletes.
constexpr uint64_t kInsertPercent = 60;
constexpr uint64_t kUpdatePercent = 25;
// TiDB model.StatePublic: the schema state of a finished DDL job.
constexpr int32_t kDdlSchemaStatePublic = 5;
// First schema version of the simulated cluster (any positive value is realistic).
constexpr int64_t kSchemaVersionFirst = 100;
// TiDB codec: integers are encoded big-endian with the sign bit flipped, so they sort.
constexpr uint64_t kSignBitFlip = uint64_t{1} << 63;

void AppendComparableInt(int64_t value, std::string* out) {
  const uint64_t bits = static_cast<uint64_t>(value) ^ kSignBitFlip;
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

// A few DDL statements of the shapes TiDB sends most; the job id keeps each one distinct.
std::string DdlQuery(int64_t job_id, int64_t table_id, uint64_t shape) {
  const std::string table = "`bench`.`t" + std::to_string(table_id) + "`";
  const std::string suffix = std::to_string(job_id);
  switch (shape % 3) {
    case 0:
      return "ALTER TABLE " + table + " ADD INDEX `idx_" + suffix + "` (`c1`)";
    case 1:
      return "ALTER TABLE " + table + " ADD COLUMN `c_" + suffix + "` BIGINT DEFAULT 0";
    default:
      return "CREATE TABLE `bench`.`n" + suffix + "` (`id` BIGINT PRIMARY KEY, `c1` TEXT)";
  }
}

// TiDB's record key of a row: 't' table_id "_r" handle.
std::string RecordKey(int64_t table_id, int64_t handle) {
  std::string key = "t";
  AppendComparableInt(table_id, &key);
  key += "_r";
  AppendComparableInt(handle, &key);
  return key;
}

}  // namespace

BinlogGenerator::BinlogGenerator(const BinlogGeneratorOptions& options)
    : options_(options),
      prng_(options.seed),
      now_ms_(options.start_physical_ms),
      next_fake_ms_(options.start_physical_ms + options.fake_interval_ms),
      schema_version_(kSchemaVersionFirst) {
  BINLOG_ASSERT(options.start_physical_ms > 0);
  BINLOG_ASSERT(options.transaction_gap_ms_max >= 0);
  BINLOG_ASSERT(options.open_transactions_max >= 1);
  BINLOG_ASSERT(options.fake_interval_ms >= 0);
  BINLOG_ASSERT(options.tables_count >= 1);
  BINLOG_ASSERT(options.row_bytes.min_bytes >= 1);
  BINLOG_ASSERT(options.row_bytes.min_bytes <= options.row_bytes.max_bytes);
}

binlog::Binlog BinlogGenerator::Next() {
  while (ready_.empty()) Step();
  binlog::Binlog next = std::move(ready_.front());
  ready_.pop_front();
  return next;
}

std::vector<binlog::Binlog> BinlogGenerator::FinishOpenTransactions() {
  for (OpenTransaction& transaction : open_) {
    if (!transaction.prewritten) SendPrewrite(&transaction);
  }
  for (const OpenTransaction& transaction : open_) Emit(MakeFinish(transaction));
  open_.clear();
  std::vector<binlog::Binlog> out(std::make_move_iterator(ready_.begin()),
                                  std::make_move_iterator(ready_.end()));
  ready_.clear();
  return out;
}

// One event: a transaction begins, or a random in-flight one sends its next binlog.
void BinlogGenerator::Step() {
  const bool can_begin = open_.size() < static_cast<size_t>(options_.open_transactions_max);
  if (open_.empty() || (can_begin && prng_.Below(2) == 0)) {
    BeginTransaction();
    return;
  }
  const size_t index = prng_.Below(open_.size());
  OpenTransaction& transaction = open_[index];
  if (!transaction.prewritten) {
    SendPrewrite(&transaction);
    return;
  }
  Emit(MakeFinish(transaction));
  open_[index] = std::move(open_.back());
  open_.pop_back();
}

void BinlogGenerator::BeginTransaction() {
  AdvanceClock(prng_.Between(0, options_.transaction_gap_ms_max));
  OpenTransaction transaction;
  transaction.start_ts = oracle_.Next(now_ms_);
  open_.push_back(std::move(transaction));
}

void BinlogGenerator::AdvanceClock(int64_t gap_ms) {
  now_ms_ += gap_ms;
  while (options_.fake_interval_ms > 0 && now_ms_ >= next_fake_ms_) {
    Emit(MakeFakeBinlog(oracle_.Next(next_fake_ms_)));
    next_fake_ms_ += options_.fake_interval_ms;
  }
}

void BinlogGenerator::SendPrewrite(OpenTransaction* transaction) {
  binlog::Binlog prewrite = MakePrewriteWithoutValue(transaction->start_ts);
  // The Commit reuses everything but the value, so the copy is taken before it is added.
  transaction->prewrite = prewrite;
  transaction->prewritten = true;
  if (prewrite.ddl_job_id() == 0) {
    const int64_t row_bytes = SampleRowBytes();
    prewrite.set_prewrite_value(MakePrewriteValue(row_bytes));
    counts_.row_bytes += row_bytes;
  }
  Emit(std::move(prewrite));
}

binlog::Binlog BinlogGenerator::MakePrewriteWithoutValue(int64_t start_ts) {
  binlog::Binlog prewrite;
  prewrite.set_tp(binlog::Prewrite);
  prewrite.set_start_ts(start_ts);
  prewrite.set_commit_ts(0);
  prewrite.set_ddl_job_id(0);
  prewrite.set_ddl_schema_state(0);
  const int64_t table_id =
      kTableIdFirst + static_cast<int64_t>(prng_.Below(options_.tables_count));
  if (prng_.ChancePerMillion(options_.ddl_per_million)) {
    const int64_t job_id = next_ddl_job_id_++;
    std::string key = "mDDLJobHistory";
    AppendComparableInt(job_id, &key);
    prewrite.set_prewrite_key(std::move(key));
    prewrite.set_ddl_job_id(job_id);
    prewrite.set_ddl_query(DdlQuery(job_id, table_id, prng_.NextU64()));
    prewrite.set_ddl_schema_state(kDdlSchemaStatePublic);
    ++schema_version_;
    ++counts_.ddl_prewrites;
    return prewrite;
  }
  prewrite.set_prewrite_key(RecordKey(table_id, next_handle_));
  return prewrite;
}

// TiDB's committer reuses the Prewrite binlog: same start_ts, key and DDL fields, no value.
binlog::Binlog BinlogGenerator::MakeFinish(const OpenTransaction& transaction) {
  binlog::Binlog finish = transaction.prewrite;
  const bool is_ddl = finish.ddl_job_id() > 0;
  if (!is_ddl && prng_.ChancePerMillion(options_.rollback_per_million)) {
    finish.set_tp(binlog::Rollback);
    finish.set_commit_ts(0);
  } else {
    finish.set_tp(binlog::Commit);
    finish.set_commit_ts(oracle_.Next(now_ms_));
  }
  return finish;
}

std::string BinlogGenerator::MakePrewriteValue(int64_t row_bytes) {
  binlog::PrewriteValue value;
  value.set_schema_version(schema_version_);
  const int tables = static_cast<int>(prng_.Between(1, kTablesPerTransactionMax));
  int64_t remaining = row_bytes;
  int table = 0;
  while (remaining > 0) {
    int64_t row = std::min(remaining, prng_.Between(kRowBytesPerRowMin, kRowBytesPerRowMax));
    if (remaining - row < kRowBytesPerRowMin) row = remaining;  // no tiny tail row
    // Mutations are created as rows reach them, so none is empty.
    if (table == value.mutations_size()) {
      binlog::TableMutation* mutation = value.add_mutations();
      mutation->set_table_id(kTableIdFirst +
                             static_cast<int64_t>(prng_.Below(options_.tables_count)));
    }
    AddRow(row, value.mutable_mutations(table));
    table = (table + 1) % tables;
    remaining -= row;
  }
  return EncodePrewriteValue(value);
}

void BinlogGenerator::AddRow(int64_t row_bytes, binlog::TableMutation* mutation) {
  std::string row(static_cast<size_t>(row_bytes), '\0');
  prng_.Fill(row.data(), row.size());
  ++next_handle_;
  const uint64_t kind = prng_.Below(100);
  if (kind < kInsertPercent) {
    mutation->add_inserted_rows(std::move(row));
    mutation->add_sequence(binlog::Insert);
  } else if (kind < kInsertPercent + kUpdatePercent) {
    mutation->add_updated_rows(std::move(row));
    mutation->add_sequence(binlog::Update);
  } else {
    mutation->add_deleted_rows(std::move(row));
    mutation->add_sequence(binlog::DeleteRow);
  }
}

int64_t BinlogGenerator::SampleRowBytes() {
  const RowBytesDistribution& d = options_.row_bytes;
  switch (d.shape) {
    case RowBytesShape::kFixed:
      return d.min_bytes;
    case RowBytesShape::kUniform:
      return prng_.Between(d.min_bytes, d.max_bytes);
    case RowBytesShape::kLogUniform: {
      int octaves = 1;
      while ((d.min_bytes << octaves) <= d.max_bytes) ++octaves;
      const int octave = static_cast<int>(prng_.Below(octaves));
      const int64_t lo = d.min_bytes << octave;
      const int64_t hi = std::min(d.max_bytes, (lo << 1) - 1);
      return prng_.Between(lo, hi);
    }
  }
  BINLOG_ASSERT(false);
  return d.min_bytes;
}

void BinlogGenerator::Emit(binlog::Binlog binlog) {
  if (binlog.tp() == binlog::Prewrite) {
    ++counts_.prewrites;
  } else if (binlog.start_ts() == binlog.commit_ts()) {
    ++counts_.fakes;
  } else if (binlog.tp() == binlog::Rollback) {
    ++counts_.rollbacks;
  } else {
    ++counts_.commits;
  }
  ready_.push_back(std::move(binlog));
}

}  // namespace tidb_binlog::workload
