// TidbWorkload: the local cluster's built-in TiDB stand-in. A thread that writes a realistic
// binlog stream (benchmarks/workload/binlog_generator.h) into the pumps the way TiDB does:
//  - each transaction's Prewrite goes to one pump, chosen round-robin among the pumps that
//    are online; when that write fails the Prewrite is retried on the next online pump;
//  - its Commit (or TiDB Rollback) goes to the SAME pump, as TiDB's binlog client requires;
//  - start_ts and commit_ts come from the shared TsoSource (the generator's own simulated
//    TSOs are replaced), so every binlog carries real time;
//  - DDL jobs appear now and then (the generator's DDL rate);
//  - the pace is `binlogs_per_second` binlogs (Prewrites plus Commits/Rollbacks); a writer
//    that falls more than kWorkloadCatchUpWindowMilliseconds behind skips ahead instead of
//    bursting.
// A Commit whose pump has stopped is kept (at most kOrphanCommitsMax of them) and written
// when that pump is online again: upstream relies on TiKV to resolve such a Prewrite, which
// this reference has no TiKV for, and an unmatched Prewrite would hold the pump's
// MaxCommitTS (and so every drainer) back forever.
//
// Not for: measuring throughput (benchmarks/ does that).
// Thread safety: Start/Stop from one owner thread; the target must be callable from the
// workload thread for as long as the workload runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/workload/binlog_generator.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/core/tso_source.h"

namespace tidb_binlog {

// Commits kept for pumps that stopped before their Commit could be written.
inline constexpr size_t kOrphanCommitsMax = 4'096;
// Open transactions the workload tracks; the generator keeps far fewer in flight, this only
// bounds the map should a Commit never come.
inline constexpr size_t kWorkloadOpenTransactionsMax = 65'536;
// How far behind its schedule the writer may fall before it drops the backlog.
inline constexpr int64_t kWorkloadCatchUpWindowMilliseconds = 1'000;

// Where the workload writes: the cluster's pumps, by node id.
class PumpWriteTarget {
 public:
  virtual ~PumpWriteTarget() = default;
  // Ids of the pumps accepting Prewrites now, in a stable order.
  virtual std::vector<std::string> OnlinePumpIds() = 0;
  // One WriteBinlog RPC to pump `pump_id` (kUnavailable if it is not running).
  virtual Status WriteBinlog(const std::string& pump_id, const binlog::Binlog& binlog) = 0;
};

struct TidbWorkloadOptions {
  int64_t binlogs_per_second = 100;  // > 0
  uint64_t seed = 1;
};

// What the workload has done so far.
struct TidbWorkloadCounts {
  int64_t prewrites = 0;       // written
  int64_t commits = 0;         // Commits and TiDB Rollbacks written
  int64_t ddl = 0;             // DDL Prewrites written
  int64_t failed_writes = 0;   // failed attempts (retried or kept)
  int64_t dropped_transactions = 0;  // no pump took the Prewrite
};

class TidbWorkload {
 public:
  TidbWorkload(TidbWorkloadOptions options, PumpWriteTarget& target, TsoSource& tso);
  ~TidbWorkload();  // Stop()
  TidbWorkload(const TidbWorkload&) = delete;
  TidbWorkload& operator=(const TidbWorkload&) = delete;

  void Start();
  // Returns once the thread finished its current write. Idempotent.
  void Stop();

  TidbWorkloadCounts counts() const;

 private:
  struct Transaction {
    int64_t start_ts = 0;
    std::string pump_id;
  };

  void Run();
  // Writes the next generated binlog that is not a fake one.
  void Step();
  void WritePrewrite(binlog::Binlog binlog);
  void WriteFinish(binlog::Binlog binlog);
  void RetryOrphans();
  void KeepOrphan(const std::string& pump_id, binlog::Binlog binlog);
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);

  const TidbWorkloadOptions options_;
  PumpWriteTarget& target_;
  TsoSource& tso_;
  workload::BinlogGenerator generator_;
  size_t next_pump_ = 0;
  std::map<int64_t, Transaction> open_;  // generator start_ts -> real transaction
  std::map<std::string, std::deque<binlog::Binlog>> orphans_;  // pump id -> Commits
  size_t orphan_count_ = 0;

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by mu_
  TidbWorkloadCounts counts_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tidb_binlog
