// RocksDbBinlogStore: the pump's durable BinlogStore (binlog_store.h), upstream's design
// (UPSTREAM.md §7, PERFORMANCE.md §7): payloads in an fdatasync'ed value log
// (value_log.h), the ts -> value-pointer index and recovery metadata in RocksDB.
//
//   <data_dir>/.lock      flock'ed exclusively while open (a second opener gets kBusy)
//   <data_dir>/value/     NNNNNN.vlog value-log files
//   <data_dir>/kv/        RocksDB. Column family "index": "ts:" + big-endian ts -> pointer.
//                         Default column family: "!binlog!gcts", "!binlog!maxCommitTS"
//                         (int64 LE), "!binlog!handlePointer", "!binlog!headPointer"
//                         (pointers), and "ts:" + 0 (TiDB rollbacks, all under key 0,
//                         rewritten all the time). Upstream's goleveldb keys, split in two
//                         families so that index files hold real ts ranges only (GC drops
//                         them whole). A kv/ with "ts:" keys in the default family (older
//                         layout) is refused with kCorruption.
//
// Writes are group-committed in a pipeline of two threads. Each caller encodes its own
// value-log records (protobuf serialized in place, CRC) before queueing them, then either
// sleeps until acknowledged (Write, WriteBatch) or returns (WriteBatchAsync: a callback
// acknowledges). The sync thread, per fdatasync: publishes MaxCommitTS and acknowledges the
// group the last fdatasync made durable (async callbacks first, which may queue their
// writers' next writes); takes every queued request, writes them (the callers' buffers with
// one pwritev), feeds them to the CommitSorter and starts their writeback; wakes the
// acknowledged group's sleeping callers (one futex call per round) while the disk writes;
// fdatasyncs the new group; goes straight back, so the disk is hardly ever idle. The writer
// thread, in log order, puts the acknowledged groups' index entries, headPointer,
// maxCommitTS and handlePointer in one RocksDB WriteBatch (without WAL: the vlog is the
// durable log, and atomic_flush persists each index entry with the pointers of its own
// write), as upstream acknowledges after the vlog sync and indexes afterwards. With sync
// off the writer thread writes, acknowledges and indexes by itself. Until the index write,
// a Lookup that misses and a Pull wait for it, so an acknowledged write is always readable.
// A write is acknowledged only once the fdatasync covering it returned OK; after a failed
// fdatasync the store refuses every later write (read-only), as after a failed index write
// (whose records are durable and acknowledged: the next Open indexes them).
// Open() replays the vlog from min(headPointer, handlePointer) as RocksDB last flushed them
// (after a crash, up to a memtable's worth of records; Close flushes).
// GC, in a background thread at lower CPU priority, unlinks whole vlog files, drops whole
// index files and compacts away the index keys left at or below the bound (RunGc); it counts
// the keys it deletes exactly, from the index files' table properties where no other file or
// memtable key meets a file's range, by a key-only scan elsewhere (CountIndexKeys).
// Lookup is one index Get (whole-key bloom, data blocks with a hash index; a ts below every
// key in the index memtables skips them, memtable_floor_) and the record
// checked and decoded in place: from the shared read-only mapping of a finalized vlog file,
// or read with pread from the file being written.
//
// Thread safety: every method may be called concurrently (BinlogStore contract).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "reference/storage/binlog_store.h"
#include "reference/storage/commit_sorter.h"
#include "reference/storage/value_log.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Iterator;
class Slice;
struct ReadOptions;
}

namespace tidb_binlog {

class IndexCompactionFilter;

// Default niceness of background GC work (RocksDbBinlogStoreOptions::gc_nice).
inline constexpr int kGcNiceDefault = 10;
inline constexpr int kGcNiceMax = 19;  // setpriority's lowest priority

struct RocksDbBinlogStoreOptions {
  std::string data_dir;
  // fdatasync the value log before acknowledging a group (upstream sync-log, default true).
  bool sync = true;
  // Non-fake writes are refused while free space is at or below this (upstream default).
  int64_t stop_write_at_available_space_bytes = int64_t{10} << 30;
  // Rotate value-log files past this size; smaller than upstream's 500 MiB so GC frees
  // space in smaller steps. At most kValueLogFileBytesLimit.
  uint64_t value_log_file_bytes_max = uint64_t{64} << 20;
  // RocksDB block cache for the index.
  size_t index_block_cache_bytes = size_t{64} << 20;
  // Index memtable size. 16 MiB holds ~330k entries (~165k transactions of 1 KiB), so the
  // flush GC may force is short and index files soon reach L1, where GC drops them whole.
  size_t index_write_buffer_bytes = size_t{16} << 20;
  // Niceness (setpriority, 0..19) of the GC thread and of RocksDB's compaction threads, so
  // that GC and compaction yield the CPU to ingest (upstream throttled GC for the same
  // reason). 0 leaves them at the process's priority. Note: compaction threads belong to
  // RocksDB's default Env, shared by every RocksDB instance in the process.
  int gc_nice = kGcNiceDefault;
  // Write requests queued for the value-log writer (the sync thread with sync on) before
  // Write blocks.
  size_t write_queue_requests_max = 4096;
  // Tests only: when set and it returns true, the next value-log fdatasync fails.
  std::function<bool()> fail_sync_for_testing;
  // Tests only: called by the writer thread before it indexes acknowledged groups (it may
  // block, holding the index back).
  std::function<void()> before_index_write_for_testing;
};

// Positions handed to the CommitSorter are fid << kPositionOffsetBits | offset.
inline constexpr int kPositionOffsetBits = 40;
// A single Write/WriteBatch request is refused above this many payload bytes.
inline constexpr uint64_t kWriteRequestBytesMax = uint64_t{1} << 30;
// Largest accepted value_log_file_bytes_max; with one request of overshoot an offset stays
// below 2^kPositionOffsetBits.
inline constexpr uint64_t kValueLogFileBytesLimit = uint64_t{1} << 38;
static_assert(kValueLogFileBytesLimit + kWriteRequestBytesMax * 2 <
              (uint64_t{1} << kPositionOffsetBits));

// What the last finished background GC round did and how long each step took (seconds of
// wall time), for benchmarks and diagnostics. The value-log unlinks run in a thread of their
// own, alongside the index steps (which run one after the other).
struct GcRoundReport {
  int64_t bound = INT64_MIN;  // index keys <= bound were deleted
  int removed_value_log_files = 0;
  double vlog_unlink_seconds = 0;  // overlaps the three index steps below
  double count_keys_seconds = 0;
  // Index keys counted (the rollback key 0 aside), and how many of them came from the table
  // properties of files whose keys need no scan (CountIndexKeys).
  int64_t counted_keys = 0;
  int64_t keys_counted_from_files = 0;
  // CPU seconds of the GC thread over the index steps (the compaction itself runs in
  // RocksDB's threads and is not included) and of the unlinking thread.
  double index_cpu_seconds = 0;
  double vlog_unlink_cpu_seconds = 0;
  double delete_files_in_range_seconds = 0;
  double compact_range_seconds = 0;
};

// Where the durable write path's time went since Open (seconds of wall time, summed), for
// benchmarks and diagnostics: a few clock reads per group, none per record. Stages overlap
// (the sync thread acknowledges a group while the disk writes the next, and the writer
// thread indexes meanwhile), so the sums are not a partition of the wall time.
struct WritePathReport {
  int64_t groups = 0;    // groups written to the value log
  int64_t syncs = 0;     // value-log fdatasyncs
  int64_t acks = 0;      // groups acknowledged (AcknowledgeGroup)
  int64_t requests = 0;  // requests acknowledged
  double write_seconds = 0;  // value-log pwritev (and, with sync on, starting its writeback)
  double sync_seconds = 0;   // value-log fdatasync
  // A group durable (its fdatasync returned), until its acknowledgement began: the next
  // group's write goes first.
  double handoff_seconds = 0;
  double ack_seconds = 0;    // settling, publishing and waking the group's callers
  double index_seconds = 0;  // the writer thread's index writes (IndexAcknowledged)
};

class RocksDbBinlogStore final : public BinlogStore {
 public:
  static Result<std::unique_ptr<RocksDbBinlogStore>> Open(
      const RocksDbBinlogStoreOptions& options);
  ~RocksDbBinlogStore() override;

  Status Write(const binlog::Binlog& binlog) override;
  Status WriteBatch(std::span<const binlog::Binlog> binlogs) override;
  void WriteBatchAsync(std::span<const binlog::Binlog> binlogs, WriteDone done) override;
  Result<binlog::Binlog> Lookup(int64_t ts) override;
  Result<PullResult> Pull(int64_t after_ts, size_t limit_count, size_t limit_bytes) override;
  int64_t MaxCommitTS() const override;
  int64_t GcTS() const override;
  bool AllMatched() const override;
  GcOutcome Gc(int64_t ts) override;
  void WaitForGc() override;
  BinlogStoreStats Stats() const override;
  Status Close() override;

  // Bytes of a torn value-log tail that Open() cut off (0 if none); for tests.
  uint64_t recovered_truncated_bytes() const;

  // The last finished GC round (bound INT64_MIN if none yet).
  GcRoundReport LastGcRound() const;

  // The durable write path's time breakdown since Open.
  WritePathReport write_path_report();

  // A RocksDB property of the index column family (rocksdb::DB::GetProperty, e.g.
  // "rocksdb.num-running-compactions"); kNotFound if RocksDB does not know it.
  Result<std::string> IndexProperty(const std::string& name) const;

 private:
  struct Item;
  struct Request;
  struct Group;
  struct IndexEntry {
    int64_t ts;
    ValuePointer pointer;
  };
  // An acknowledged group's part of the index, for the writer thread.
  struct IndexBatch {
    std::vector<IndexEntry> entries;
    bool good = false;   // false: the group failed, nothing to index
    uint64_t round = 0;  // its acked_rounds_ value
    // The state after the group, persisted with its entries.
    ValuePointer end;
    int64_t max_commit_ts = 0;
    bool all_matched = true;
    ValuePointer handle;
  };

  explicit RocksDbBinlogStore(const RocksDbBinlogStoreOptions& options);
  Status LockDataDir();
  Status OpenIndex();
  Status CheckIndexLayout();
  rocksdb::ColumnFamilyHandle* FamilyOf(int64_t ts) const;  // where index key ts lives
  Status DeleteRollbackKey(int64_t* count);
  Status LoadMeta();
  Status Recover();
  Status LoadMaxIndexTs();
  // An iterator over the index memtables only (mutable and immutable).
  std::unique_ptr<rocksdb::Iterator> NewIndexMemtablesIterator() const;
  // Sets memtable_floor_ to the smallest key in the index memtables (INT64_MAX if none).
  // Writer thread, or Open before it starts: no index key may be inserted meanwhile.
  void RaiseMemtableFloor();
  // The options of a point read of index key `ts` (see memtable_floor_).
  const rocksdb::ReadOptions& IndexReadOptionsFor(int64_t ts) const;
  Status PrepareRequest(std::span<const binlog::Binlog> binlogs, Request* request);
  Status Enqueue(std::span<const binlog::Binlog> binlogs);
  Status QueueAsync(std::span<const binlog::Binlog> binlogs, WriteDone& done);
  void FinishAsyncWrite();
  void QueueRequestLocked(Request* request);
  Status CheckSpace(std::span<const binlog::Binlog> binlogs);
  void RefreshSpace(bool force) const;
  // Group commit pipeline (queue_mutex_ held for the predicates and TakeRequests).
  bool CanWriteGroup() const;
  std::vector<Request*> TakeRequests();
  std::unique_ptr<Group> WriteNextGroup(std::unique_lock<std::mutex>& lock);
  std::unique_ptr<Group> WriteGroup(std::vector<Request*> requests,
                                    const std::string& read_only_reason);
  void WriterLoop();
  void SyncLoop();
  void AcknowledgeGroup(std::unique_ptr<Group> group, std::unique_lock<std::mutex>& lock,
                        const std::function<void()>& between);
  void PublishGroup(Group* group);
  void CompleteAsyncWrites(Group* group);
  void SetReadOnly(std::string reason);
  IndexBatch SettleGroup(Group* group);
  void IndexAcknowledged(std::unique_lock<std::mutex>& lock);
  void WriteIndex(const IndexBatch& last);
  void WaitForIndex(uint64_t acked);
  Result<binlog::Binlog> LookupIndexed(int64_t ts);
  void WakeCallers(const Group& group);
  Result<binlog::Binlog> ReadIndexed(int64_t ts, size_t* payload_bytes);
  void GcLoop();
  void RunGc(int64_t bound);
  Status GcIndex(int64_t bound, int64_t* count, GcRoundReport* report);
  Status CountIndexKeys(const rocksdb::Slice& begin, const rocksdb::Slice& end, int64_t* count,
                        GcRoundReport* report);
  bool IndexHasKeysBefore(const rocksdb::Slice& end);
  Status PutMeta(const std::string& key, const std::string& value, bool sync);

  const RocksDbBinlogStoreOptions options_;
  int lock_fd_ = -1;
  // Declared before db_: RocksDB uses it until the DB is closed.
  std::unique_ptr<IndexCompactionFilter> index_filter_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;   // default column family: meta keys
  rocksdb::ColumnFamilyHandle* index_cf_ = nullptr;  // "index": ts keys -> value pointers
  std::unique_ptr<ValueLog> vlog_;

  // Shared by every call, exclusive in Close; closing_ turns new calls away first.
  mutable std::shared_mutex lifecycle_mutex_;
  std::atomic<bool> closing_{false};
  bool closed_ = false;  // guarded by lifecycle_mutex_
  // Async writes not yet completed (WriteBatchAsync); Close waits on async_cv_ for none.
  std::atomic<int64_t> async_writes_{0};
  std::mutex async_mutex_;
  std::condition_variable async_cv_;

  // Guards the write pipeline: queue_, unindexed_, stopping_, open_round_, write_path_ and
  // read_only_reason_.
  std::mutex queue_mutex_;
  // The writer thread waits for acknowledged groups (and, with sync off, for requests).
  std::condition_variable queue_cv_;
  std::condition_variable room_cv_;   // callers wait for queue room
  std::condition_variable sync_cv_;   // the sync thread waits for requests (and index room)
  std::deque<Request*> queue_;        // at most options_.write_queue_requests_max
  // Acknowledged groups' index entries, in log order (at most kUnindexedGroupsMax + 1).
  std::vector<IndexBatch> unindexed_;
  bool stopping_ = false;
  std::thread writer_thread_;
  std::thread sync_thread_;  // only when options_.sync
  // The value-log writer's (the sync thread with sync on, else the writer thread; Open
  // before they start): the sorter, and the requests' record buffers of the group being
  // written (reused).
  CommitSorter sorter_;
  std::vector<std::string_view> group_parts_;
  // Writer thread only: the index entries of the groups being indexed (reused).
  std::vector<IndexEntry> index_entries_;
  // Non-empty once writes are refused: after a failed fdatasync (SettleGroup) or index
  // write (SetReadOnly).
  std::string read_only_reason_;
  WritePathReport write_path_;  // guarded by queue_mutex_

  // Groups acknowledged (AcknowledgeGroup calls), and those whose index entries are written
  // (or failed to be): written by the acknowledging thread and the writer thread.
  // indexed_rounds_ changes under index_mutex_, and index_cv_ wakes readers waiting for it
  // (WaitForIndex).
  std::atomic<uint64_t> acked_rounds_{0};
  std::atomic<uint64_t> indexed_rounds_{0};
  std::mutex index_mutex_;
  std::condition_variable index_cv_;
  // Futex words the callers sleep on until acknowledged: requests queued between two
  // TakeRequests calls (a round) share one, bumped and woken by the Acknowledge of their
  // group, so that it wakes no caller of another round. Round r uses word r % kAckWords.
  static constexpr size_t kAckWords = 8;
  std::array<std::atomic<uint32_t>, kAckWords> ack_words_{};
  uint64_t open_round_ = 0;  // guarded by queue_mutex_

  std::atomic<int64_t> max_commit_ts_{0};
  // Largest index key ever written (writer thread; Open). Lookup answers kNotFound above it.
  std::atomic<int64_t> max_index_ts_{0};
  // Every key in the index memtables (mutable and immutable) is at least this, so a point
  // read of a smaller ts skips them (MemtableFloorReadOptions). Only the writer thread (and
  // Open, before it starts) inserts index keys: it lowers the floor before each index write
  // and raises it to the memtables' smallest key after a flush (index_flushed_, set by a
  // RocksDB listener). INT64_MIN (read every memtable) until Open has computed it.
  std::atomic<int64_t> memtable_floor_{INT64_MIN};
  std::shared_ptr<std::atomic<bool>> index_flushed_ = std::make_shared<std::atomic<bool>>(false);
  std::atomic<int64_t> gc_ts_{0};
  std::atomic<int64_t> gc_bound_{INT64_MIN};  // Lookup answers kNotFound at or below it
  std::atomic<int64_t> done_gc_ts_{0};
  std::atomic<int64_t> deleted_index_keys_{0};
  std::atomic<int64_t> write_errors_{0};
  mutable std::atomic<int64_t> read_errors_{0};
  std::atomic<bool> all_matched_{true};

  mutable std::mutex space_mutex_;
  mutable std::atomic<int64_t> available_bytes_{0};
  mutable std::atomic<int64_t> capacity_bytes_{0};
  mutable std::atomic<int64_t> space_checked_ms_{INT64_MIN / 2};

  std::mutex gc_mutex_;  // also serialises Gc() decisions
  std::condition_variable gc_cv_;
  int64_t gc_pending_bound_ = INT64_MIN;  // newest bound not yet handled
  bool gc_running_ = false;
  bool gc_stop_ = false;
  std::thread gc_thread_;
  mutable std::mutex gc_report_mutex_;
  GcRoundReport last_gc_round_;  // guarded by gc_report_mutex_
};

}  // namespace tidb_binlog
