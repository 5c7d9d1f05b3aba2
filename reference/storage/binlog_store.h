// BinlogStore: the pump's binlog storage, one interface with two implementations.
//
//  - RocksDbBinlogStore (rocksdb_binlog_store.h): the real one, used by the reference
//    cluster. Payloads in an fdatasync'ed value log, index in RocksDB (upstream's design).
//  - MemoryBinlogStore (memory_binlog_store.h): deterministic, single process, with crash
//    and disk-fault injection, used by the simulator.
//
// One contract test suite (binlog_store_contract_test.cc) runs against both.
//
// The contract, modelled on upstream pump/storage (UPSTREAM.md §7):
//  - Keys are upstream's index keys: a Prewrite binlog is stored under its start_ts, a
//    Commit or Rollback binlog under its commit_ts, a fake binlog (start_ts == commit_ts,
//    tp Rollback) under that ts. TiDB rollbacks (commit_ts 0) all land on key 0; a later one
//    replaces the earlier. Lookup(ts) is one point read; its kNotFound message is
//    kBinlogNotFoundMessage, goleveldb's text that upstream's /debug/binlog shows.
//  - A write is acknowledged (Write returns OK) only once it is durable under the store's
//    sync policy; concurrent writers share syncs (group commit).
//  - MaxCommitTS is the largest commit_ts of a Commit/Rollback (commit_ts > 0) such that
//    every Prewrite written before it has been matched by its Commit/Rollback (UPSTREAM.md
//    §7.4). It never decreases and survives reopen.
//  - Pull returns committed binlogs with commit_ts in (max(after_ts, gc_ts), MaxCommitTS] in
//    commit-ts order, each Commit enriched with its Prewrite's fields (§7.5); fake binlogs
//    as stored; Prewrite records and key-0 rollbacks never.
//  - Gc(ts) follows §7.6: ignored unless gc_ts < ts < MaxCommitTS; the new gc_ts is
//    persisted at once and everything with key <= ts - 10 minutes (in TSO units) is deleted
//    in the background, with its disk space reclaimed.
//
// Thread safety: every method may be called from any thread concurrently.
// Errors: expected failures are Status values (status.h); a corrupt stored value is
// kCorruption, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"

namespace tidb_binlog {

// Everything at or below gc ts minus this margin is deleted, so that the Prewrite of a
// still-running transaction survives (upstream maxTxnTimeoutSecond = 600 s).
inline constexpr int64_t kGcMarginMilliseconds = 600'000;

// The message of Lookup's kNotFound (goleveldb ErrNotFound, shown by /debug/binlog/{ts}).
inline constexpr const char* kBinlogNotFoundMessage = "leveldb: not found";

// Index of a binlog: the ts it is stored under (see the contract above).
int64_t BinlogIndexTs(const binlog::Binlog& binlog);

// True for upstream's fake binlog: start_ts > 0 and start_ts == commit_ts.
bool IsFakeBinlog(const binlog::Binlog& binlog);

enum class GcOutcome {
  kAccepted,          // gc_ts advanced; deletion scheduled
  kIgnoredNotNewer,   // ts <= current gc_ts ("ignore gc request")
  kIgnoredUnsafe,     // MaxCommitTS <= ts ("Ignore unsafe gc request")
};

struct PullResult {
  std::vector<binlog::Binlog> binlogs;  // strictly increasing commit_ts
  // after_ts was at or below gc_ts: some binlogs the caller wanted may have been purged
  // (upstream logs "drainer request a purged binlog TS, some binlog events may be loss").
  bool requested_purged = false;
  // Commits whose Prewrite was not found and that were therefore skipped
  // (upstream logs "Matching P-binlog not found").
  int64_t skipped_unmatched = 0;
};

// Upstream feedPreWriteValue, extended to the DDL fields (UPSTREAM.md §7.5): `commit` takes
// the start_ts, prewrite_value, ddl_query, ddl_job_id and ddl_schema_state of `prewrite`,
// presence included, so the enriched commit encodes exactly as upstream's would.
void CopyPrewriteFields(const binlog::Binlog& prewrite, binlog::Binlog& commit);
// ByteSizeLong() of `commit` enriched with `prewrite` (CopyPrewriteFields), without building
// it: the commit's size minus its five enrichment fields plus the prewrite's.
size_t EnrichedByteSize(const binlog::Binlog& commit, const binlog::Binlog& prewrite);

// A pulled binlog without a copy: the Commit (or fake binlog) as stored and, for a Commit,
// its Prewrite, both immutable and shared with the store that holds them. It stands for
// what Pull returns (Materialize()): the Commit enriched with its Prewrite's fields; a
// fake binlog as stored. The accessors answer as the enriched binlog would.
// Thread safety: nobody modifies a binlog once it is shared, so any thread may read it.
struct SharedPulledBinlog {
  std::shared_ptr<const binlog::Binlog> commit;    // never null
  // Null when `commit` is already what Pull returns (a fake binlog, or a copying store's
  // enriched commit).
  std::shared_ptr<const binlog::Binlog> prewrite;
  size_t bytes = 0;                                // Materialize().ByteSizeLong()

  // The binlog that the enriched fields come from.
  const binlog::Binlog& enriching() const { return prewrite ? *prewrite : *commit; }
  binlog::BinlogType tp() const { return commit->tp(); }
  int64_t commit_ts() const { return commit->commit_ts(); }
  int64_t start_ts() const { return enriching().start_ts(); }
  int64_t ddl_job_id() const { return enriching().ddl_job_id(); }
  const std::string& ddl_query() const { return enriching().ddl_query(); }
  const std::string& prewrite_value() const { return enriching().prewrite_value(); }
  // The enriched binlog itself (a copy): for destinations that encode it, and for callers
  // of the copying interfaces.
  binlog::Binlog Materialize() const;
};

// Shares a binlog the caller gives up (a pulled one: already enriched), its size computed.
SharedPulledBinlog SharePulledBinlog(binlog::Binlog&& binlog);

// PullResult with shared binlogs (BinlogStore::PullShared).
struct SharedPullResult {
  std::vector<SharedPulledBinlog> binlogs;  // strictly increasing commit_ts
  bool requested_purged = false;            // as PullResult
  int64_t skipped_unmatched = 0;            // as PullResult
};

// Shares every binlog of a copied pull (a store's Pull, or a pull carried as bytes).
SharedPullResult SharePullResult(PullResult&& pulled);

// Numbers the pump exports as metrics (UPSTREAM.md §4.1).
struct BinlogStoreStats {
  int64_t max_commit_ts = 0;
  int64_t gc_ts = 0;
  int64_t done_gc_ts = 0;           // key bound up to which data was physically deleted
  int64_t deleted_index_keys = 0;   // binlog_pump_storage_deleted_kv_total
  int64_t capacity_bytes = 0;       // of the file system holding the data directory
  int64_t available_bytes = 0;
  int64_t write_errors = 0;
  int64_t read_errors = 0;
};

class BinlogStore {
 public:
  virtual ~BinlogStore() = default;

  // Stores one binlog; OK means durable. Refused with kNoSpace (upstream's text
  // "no available space, available: <n>, StopWriteAtAvailableSpace: <n>") when free space is
  // below the threshold, unless the binlog is fake. A binlog with start_ts == 0 and
  // commit_ts == 0 (TiDB's probe) is accepted and dropped. Nothing is partially written.
  virtual Status Write(const binlog::Binlog& binlog) = 0;

  // Stores all binlogs atomically (all or none) with one durability point.
  virtual Status WriteBatch(std::span<const binlog::Binlog> binlogs) = 0;

  // Write() of an immutable binlog (never null) that the caller may share with others (the
  // simulator's writer, network and drainers). Same contract and results; a store that keeps
  // decoded binlogs (MemoryBinlogStore) keeps the pointer instead of a copy. The default
  // writes it as Write() does.
  virtual Status WriteShared(std::shared_ptr<const binlog::Binlog> binlog) {
    return Write(*binlog);
  }

  // Called exactly once with the outcome of a WriteBatchAsync: what WriteBatch would have
  // returned (OK means durable). It runs on a store thread, on the durable path, so it must
  // be short and must not block (nor call Close); or, for a write refused or completed at
  // once, on the caller's thread before WriteBatchAsync returns. It may write again.
  using WriteDone = std::function<void(Status)>;

  // WriteBatch without holding the caller's thread until the binlogs are durable: for a
  // server with many writes in flight (the pump's gRPC service, like upstream's goroutines),
  // where a blocked thread per write costs a sleep and a wake-up per write. The binlogs are
  // encoded before it returns (they need not outlive the call). Refused with kUnavailable
  // once the store is closing, and with kResourceExhausted when the store's write queue is
  // full (it never waits for room). The default runs WriteBatch, then `done`.
  virtual void WriteBatchAsync(std::span<const binlog::Binlog> binlogs, WriteDone done) {
    done(WriteBatch(binlogs));
  }

  // The binlog stored under index key `ts` (see contract). kNotFound if absent or at or
  // below the deleted GC bound; kCorruption if the stored bytes do not decode.
  virtual Result<binlog::Binlog> Lookup(int64_t ts) = 0;

  // Up to `limit_count` binlogs with commit_ts in (max(after_ts, gc_ts), MaxCommitTS].
  // Their total ByteSizeLong() (as returned, enriched) stays within `limit_bytes`, except
  // that the first available binlog is always returned whatever its size.
  virtual Result<PullResult> Pull(int64_t after_ts, size_t limit_count,
                                  size_t limit_bytes) = 0;
  // Pull() with the same limits and results, the binlogs shared (SharedPulledBinlog) rather
  // than copied where the store keeps them decoded (MemoryBinlogStore). The default wraps
  // what Pull() returns.
  virtual Result<SharedPullResult> PullShared(int64_t after_ts, size_t limit_count,
                                              size_t limit_bytes);

  virtual int64_t MaxCommitTS() const = 0;
  virtual int64_t GcTS() const = 0;
  // True when no Prewrite is waiting for its Commit/Rollback (upstream sorter AllMatched).
  virtual bool AllMatched() const = 0;

  // After Close() it changes nothing and returns kIgnoredNotNewer.
  virtual GcOutcome Gc(int64_t ts) = 0;
  // Blocks until background GC work scheduled so far has finished (tests, benchmarks).
  virtual void WaitForGc() = 0;

  virtual BinlogStoreStats Stats() const = 0;

  // Flushes and releases everything; further calls return kUnavailable. Idempotent.
  virtual Status Close() = 0;
};

}  // namespace tidb_binlog
