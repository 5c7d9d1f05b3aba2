// MemoryBinlogStore: the deterministic BinlogStore for the simulator (see binlog_store.h for
// the contract), and MemoryDisk, the durable state it lives on.
//
// A MemoryDisk models one data directory: what is durable survives the store, what is not
// yet synced is lost by a crash. The store is opened on a disk (one store at a time, as a
// directory lock would enforce); reopening recovers the durable binlogs, gc_ts and
// MaxCommitTS, the latter by replaying the durable arrival log into a CommitSorter from the
// last sync's checkpoint, as the RocksDB store replays its value log.
//
// Durability: with options.sync every acknowledged write is synced; with sync off, writes
// become durable at the next Sync(), Gc() or Close(). Crash() drops every unsynced write.
// Fault injection for the simulator lives on the disk: simulated capacity and available
// bytes (driving the free-space guard), failing the next N writes or syncs with kIoError
// (checked before anything is applied, so nothing is partial), and corrupting a stored
// value (Lookup and Pull then return kCorruption).
//
// Determinism: no threads of its own, no clocks, no filesystem, ordered containers only.
// Cost: a write in key order (the common case: keys come from one TSO) is an append; one
// that arrives late moves the slots after it (a deque's insert, from the nearer end).
// GC runs synchronously inside Gc(), so WaitForGc() has nothing to wait for.
//
// Thread safety: all methods of both classes may be called concurrently. Store and disk
// share the disk's mutex, so a fault injected from another thread is seen atomically
// between two store operations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reference/storage/binlog_store.h"
#include "reference/storage/commit_sorter.h"

namespace tidb_binlog {

// A new MemoryDisk's size: large enough that no simulated workload fills it by accident.
inline constexpr int64_t kMemoryDiskDefaultCapacityBytes = int64_t{1} << 40;
// Upstream's default stop-write-at-available-space (10 GiB).
inline constexpr int64_t kDefaultStopWriteAtAvailableSpaceBytes = int64_t{10} << 30;

class MemoryDisk {
 public:
  MemoryDisk() = default;
  MemoryDisk(const MemoryDisk&) = delete;
  MemoryDisk& operator=(const MemoryDisk&) = delete;

  // Simulated file-system size. Available space shrinks by each stored value's size and
  // grows back when a value is deleted or a write is lost; it never goes below 0.
  void SetCapacityBytes(int64_t bytes);
  void SetAvailableBytes(int64_t bytes);
  int64_t capacity_bytes() const;
  int64_t available_bytes() const;

  // The next `count` store writes (Write or WriteBatch calls that pass the space guard) fail
  // with kIoError; nothing of them is applied.
  void FailNextWrites(int count);
  // The next `count` syncs fail with kIoError: a synced write is then refused whole; an
  // explicit Sync() leaves the unsynced writes unsynced.
  void FailNextSyncs(int count);
  // Damages the value stored under index key `ts` (durably); kNotFound if there is none.
  Status CorruptValue(int64_t ts);

  // Writes applied but not yet durable (what Crash() would lose).
  size_t unsynced_write_count() const;

 private:
  friend class MemoryBinlogStore;

  // One stored binlog, kept decoded and immutable, shared with whoever wrote it
  // (WriteShared) and whoever pulls it (PullShared): the simulator's pulls would otherwise
  // decode or copy every Commit and its Prewrite again (nothing here is ever read back from
  // real bytes, so a decode could not fail). `bytes` is its encoded size (EncodeBinlog),
  // which disk space accounts for. The index fields duplicate the binlog's so that Pull can skip Prewrite
  // records cheaply.
  struct Slot {
    int64_t key = 0;  // the index key (BinlogIndexTs)
    std::shared_ptr<const binlog::Binlog> binlog;
    int64_t bytes = 0;
    binlog::BinlogType tp = binlog::Prewrite;
    int64_t start_ts = 0;
    int64_t commit_ts = 0;
    bool corrupt = false;
  };
  // What a not-yet-synced write replaced, to restore on crash.
  struct Undo {
    int64_t key;
    std::optional<Slot> previous;
  };
  // One write in arrival order, as the sorter saw it.
  struct Arrival {
    binlog::BinlogType tp;
    int64_t start_ts;
    int64_t commit_ts;
    uint64_t position;
  };
  // The sorter state at the last sync: replaying the arrivals from replay_position into a
  // CommitSorter(max_commit_ts) rebuilds the live sorter.
  struct SorterCheckpoint {
    int64_t max_commit_ts = 0;
    uint64_t replay_position = 1;
  };

  // Slots in key order. Flat rather than a tree: keys come from one TSO, so a write lands
  // at or near the end and GC removes from the front, and no write costs a node.
  using Slots = std::deque<Slot>;

  // All below are guarded by mu_; the store calls them with mu_ held.
  // The first slot with a key above `key`; the slot under `key` (end() / null if none).
  Slots::iterator UpperBoundLocked(int64_t key);
  Slots::iterator FindIteratorLocked(int64_t key);
  Slot* FindLocked(int64_t key);
  // The same, searched back from `above`, a slot whose key (and every later one's) is above
  // `key`: a Commit's Prewrite sits shortly before it.
  Slots::iterator UpperBoundBeforeLocked(int64_t key, Slots::iterator above);
  Slot* FindBeforeLocked(int64_t key, Slots::iterator above);
  // Stores `binlog` (its encoded size `bytes`) under `key`, keeping what it replaces for
  // DropUnsyncedLocked.
  void PutLocked(int64_t key, std::shared_ptr<const binlog::Binlog> binlog, int64_t bytes,
                 const Arrival& arrival);
  void SyncLocked(const CommitSorter& sorter);
  void DropUnsyncedLocked();
  int64_t DeleteUpToLocked(int64_t bound);
  int64_t AvailableLocked() const;
  void ReleaseSpaceLocked(const Slot& slot);

  mutable std::mutex mu_;
  Slots slots_;
  std::vector<Undo> undo_;
  std::deque<Arrival> arrivals_;
  size_t durable_arrivals_ = 0;
  uint64_t next_position_ = 1;
  SorterCheckpoint checkpoint_;
  int64_t gc_ts_ = 0;

  int64_t capacity_bytes_ = kMemoryDiskDefaultCapacityBytes;
  // available = free_base_bytes_ - used_bytes_, so writes and deletions move it.
  int64_t free_base_bytes_ = kMemoryDiskDefaultCapacityBytes;
  int64_t used_bytes_ = 0;
  int failing_writes_ = 0;
  int failing_syncs_ = 0;
  bool in_use_ = false;
};

struct MemoryBinlogStoreOptions {
  bool sync = true;  // upstream sync-log
  int64_t stop_write_at_available_space_bytes = kDefaultStopWriteAtAvailableSpaceBytes;
};

class MemoryBinlogStore final : public BinlogStore {
 public:
  // kBusy if another open store holds `disk`.
  static Result<std::unique_ptr<MemoryBinlogStore>> Open(std::shared_ptr<MemoryDisk> disk,
                                                         MemoryBinlogStoreOptions options = {});
  // Closes (flushing unsynced writes) unless Close() or Crash() came first.
  ~MemoryBinlogStore() override;

  Status Write(const binlog::Binlog& binlog) override;
  Status WriteBatch(std::span<const binlog::Binlog> binlogs) override;
  Status WriteShared(std::shared_ptr<const binlog::Binlog> binlog) override;
  Result<binlog::Binlog> Lookup(int64_t ts) override;
  Result<PullResult> Pull(int64_t after_ts, size_t limit_count, size_t limit_bytes) override;
  Result<SharedPullResult> PullShared(int64_t after_ts, size_t limit_count,
                                      size_t limit_bytes) override;
  int64_t MaxCommitTS() const override;
  int64_t GcTS() const override;
  bool AllMatched() const override;
  GcOutcome Gc(int64_t ts) override;
  void WaitForGc() override {}
  BinlogStoreStats Stats() const override;
  Status Close() override;

  // MaxCommitTS() and GcTS() read together: what a driver checks after every call costs
  // one lock instead of two.
  struct Watermarks {
    int64_t max_commit_ts = 0;
    int64_t gc_ts = 0;
  };
  Watermarks ReadWatermarks() const;

  // Makes every write so far durable; kIoError (and nothing changes) on an injected fault.
  Status Sync();
  // Simulates a process crash: unsynced writes are lost, the disk is released, and further
  // calls return kUnavailable. Reopen the disk to recover.
  void Crash();

 private:
  MemoryBinlogStore(std::shared_ptr<MemoryDisk> disk, MemoryBinlogStoreOptions options);
  void RecoverLocked();
  Status WriteKept(std::span<const binlog::Binlog> given,
                   std::span<std::shared_ptr<const binlog::Binlog>> kept);
  Status CheckSpaceGuardLocked(std::span<const binlog::Binlog> binlogs) const;
  Status CheckWritableLocked(std::span<const binlog::Binlog> binlogs, int64_t bytes);
  // The binlog under index key `key`, or the error a read gives (not found, corrupt).
  Result<std::shared_ptr<const binlog::Binlog>> ReadLocked(int64_t key);
  // The same for `slot`, what the disk holds under `key` (null: nothing), found by the caller.
  Result<const MemoryDisk::Slot*> CheckedSlotLocked(int64_t key, const MemoryDisk::Slot* slot);
  Result<std::shared_ptr<const binlog::Binlog>> ReadSlotLocked(int64_t key,
                                                               const MemoryDisk::Slot* slot);
  // MaxCommitTS as Pull and callers see it: the sorter's (a planted bug may change it).
  int64_t VisibleMaxCommitTsLocked() const;
  void ReleaseLocked();

  const std::shared_ptr<MemoryDisk> disk_;
  const MemoryBinlogStoreOptions options_;
  // Guarded by disk_->mu_.
  CommitSorter sorter_;
  bool closed_ = false;
  // Index keys at or below this were deleted by GC (-1: none yet).
  int64_t deleted_bound_ = -1;
  int64_t deleted_index_keys_ = 0;
  int64_t write_errors_ = 0;
  int64_t read_errors_ = 0;
  // Only the planted bug kMaxCommitPastUnmatched (planted_bugs.h) writes this.
  int64_t planted_max_seen_commit_ts_ = 0;
};

}  // namespace tidb_binlog
