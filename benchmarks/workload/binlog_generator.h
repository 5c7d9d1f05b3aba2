// BinlogGenerator: a seeded, deterministic stream of realistic TiDB binlogs, in the order a
// pump receives them. Used by the storage benchmarks, and meant to be reused by the
// simulator and the reference cluster's built-in workload.
//
// What the stream looks like (UPSTREAM.md §6, §7):
//  - TSOs come from a simulated PD (TsoOracle over a simulated clock that starts at
//    `start_physical_ms` and advances by a random gap per new transaction): physical ms << 18
//    | logical, strictly increasing in the order they are handed out.
//  - Each transaction takes its start_ts when it begins, later sends its Prewrite binlog
//    (tp Prewrite, start_ts, prewrite_key = its primary record key, prewrite_value = a
//    marshalled PrewriteValue), and later still takes a commit_ts and sends its Commit, which
//    keeps the Prewrite's start_ts, prewrite_key and DDL fields and drops the value, as TiDB's
//    committer does. Up to `open_transactions_max` transactions are in flight, so other
//    transactions' binlogs interleave between a Prewrite and its Commit, and Prewrites are not
//    in start_ts order. Commit binlogs (and fake binlogs) are in commit_ts order.
//  - A few transactions are rolled back by TiDB: tp Rollback with commit_ts 0.
//  - A few transactions are DDL jobs: ddl_job_id > 0 (increasing), ddl_query, ddl_schema_state
//    of a finished job, no prewrite_value; each bumps the schema version.
//  - Fake binlogs ({tp Rollback, start_ts = commit_ts = a fresh TSO}) whenever the simulated
//    clock crosses a multiple of `fake_interval_ms`, as from a pump's genForwardBinlog tick.
//  - Row bytes of a Prewrite total a sampled size (fixed, uniform or log-uniform between
//    min and max), split into inserted / updated / deleted rows of 1..3 tables.
//
// Determinism: the stream is a function of the options alone (same seed, same bytes, on any
// platform): sampling uses Prng (prng.h), never std distributions or clocks.
//
// Thread safety: a generator is a plain value; one owner at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "benchmarks/workload/prng.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/tso.h"

namespace tidb_binlog::workload {

// How the total row bytes of one Prewrite are drawn.
enum class RowBytesShape {
  kFixed,       // always min_bytes (e.g. "1 KiB binlogs")
  kUniform,     // uniform in [min_bytes, max_bytes]
  kLogUniform,  // a uniformly chosen octave [min<<k, min<<(k+1)), then uniform within it
};

struct RowBytesDistribution {
  RowBytesShape shape = RowBytesShape::kLogUniform;
  int64_t min_bytes = 100;
  int64_t max_bytes = 16 * 1024;

  static RowBytesDistribution Fixed(int64_t bytes) {
    return {RowBytesShape::kFixed, bytes, bytes};
  }
};

struct BinlogGeneratorOptions {
  uint64_t seed = 1;
  // Simulated PD clock at the first TSO: 2023-11-14T22:13:20Z, fixed so streams replay.
  int64_t start_physical_ms = 1'700'000'000'000;
  // The simulated clock advances by a uniform [0, max] ms whenever a transaction begins:
  // the default (mean 4 ms) makes one million binlogs span about an hour of TSO time, more
  // than pump's 10-minute GC margin.
  int64_t transaction_gap_ms_max = 8;
  // Transactions in flight at once (begun or prewritten, not yet committed).
  int open_transactions_max = 16;
  uint32_t rollback_per_million = 20'000;  // 2% of transactions end with a TiDB rollback
  uint32_t ddl_per_million = 2'000;        // 0.2% of transactions are DDL jobs
  int64_t fake_interval_ms = 3'000;        // pump's default gen-binlog-interval; 0: none
  RowBytesDistribution row_bytes;
  int tables_count = 32;                   // table ids kTableIdFirst .. + tables_count - 1
};

// How many binlogs of each kind a generator has produced so far.
struct BinlogGeneratorCounts {
  int64_t prewrites = 0;
  int64_t commits = 0;
  int64_t rollbacks = 0;      // TiDB rollbacks (commit_ts 0), not fake binlogs
  int64_t fakes = 0;
  int64_t ddl_prewrites = 0;  // Prewrites of DDL jobs (also counted in prewrites)
  int64_t row_bytes = 0;      // sum of row bytes over all Prewrites
};

class BinlogGenerator {
 public:
  explicit BinlogGenerator(const BinlogGeneratorOptions& options);

  // The next binlog of the (endless) stream.
  binlog::Binlog Next();

  // Ends every transaction still in flight: the Prewrites not yet sent, then a Commit or
  // Rollback for each, so that a finite stream has every Prewrite matched. The generator
  // can go on afterwards.
  std::vector<binlog::Binlog> FinishOpenTransactions();

  const BinlogGeneratorCounts& counts() const { return counts_; }
  // The simulated clock (ms since the Unix epoch).
  int64_t now_ms() const { return now_ms_; }

 private:
  struct OpenTransaction {
    int64_t start_ts = 0;
    bool prewritten = false;
    binlog::Binlog prewrite;  // filled when the Prewrite is sent
  };

  void Step();
  void BeginTransaction();
  void AdvanceClock(int64_t gap_ms);
  void SendPrewrite(OpenTransaction* transaction);
  binlog::Binlog MakePrewriteWithoutValue(int64_t start_ts);
  binlog::Binlog MakeFinish(const OpenTransaction& transaction);
  std::string MakePrewriteValue(int64_t row_bytes);
  void AddRow(int64_t row_bytes, binlog::TableMutation* mutation);
  int64_t SampleRowBytes();
  void Emit(binlog::Binlog binlog);

  BinlogGeneratorOptions options_;
  Prng prng_;
  TsoOracle oracle_;
  int64_t now_ms_;
  int64_t next_fake_ms_;
  int64_t schema_version_;
  int64_t next_ddl_job_id_ = 1;
  int64_t next_handle_ = 1;
  std::vector<OpenTransaction> open_;
  std::deque<binlog::Binlog> ready_;
  BinlogGeneratorCounts counts_;
};

}  // namespace tidb_binlog::workload
