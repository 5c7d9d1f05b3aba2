// Goal: the simulator-only behaviour of MemoryBinlogStore (the shared contract is in
// binlog_store_contract_test.cc): a crash loses exactly the unsynced writes, injected write
// and sync faults leave nothing partial, corrupt values give kCorruption, simulated disk
// space drives the free-space guard.
// Method: drive a store on a MemoryDisk, inject the fault, reopen on the same disk, and
// check what a user of the store can see.

#include "reference/storage/memory_binlog_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reference/core/binlog_codec.h"
#include "reference/core/tso.h"

namespace tidb_binlog {
namespace {

using binlog::Binlog;

constexpr int64_t kBasePhysicalMs = 1'700'000'000'000;
constexpr int64_t kMinuteMs = 60'000;

int64_t Ts(int64_t ms_after_base) { return EncodeTso(kBasePhysicalMs + ms_after_base); }

Binlog Prewrite(int64_t start_ts, size_t value_bytes = 16) {
  Binlog b;
  b.set_tp(binlog::Prewrite);
  b.set_start_ts(start_ts);
  b.set_commit_ts(0);
  b.set_prewrite_value(std::string(value_bytes, 'v'));
  return b;
}

Binlog Commit(int64_t start_ts, int64_t commit_ts) {
  Binlog b;
  b.set_tp(binlog::Commit);
  b.set_start_ts(start_ts);
  b.set_commit_ts(commit_ts);
  return b;
}

Binlog Rollback(int64_t start_ts) {
  Binlog b;
  b.set_tp(binlog::Rollback);
  b.set_start_ts(start_ts);
  b.set_commit_ts(0);
  return b;
}

class MemoryBinlogStoreTest : public ::testing::Test {
 protected:
  void Open(MemoryBinlogStoreOptions options = {}) {
    store_.reset();
    Result<std::unique_ptr<MemoryBinlogStore>> opened = MemoryBinlogStore::Open(disk_, options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  static MemoryBinlogStoreOptions Unsynced() {
    MemoryBinlogStoreOptions options;
    options.sync = false;
    return options;
  }
  bool Has(int64_t ts) { return store_->Lookup(ts).ok(); }

  std::shared_ptr<MemoryDisk> disk_ = std::make_shared<MemoryDisk>();
  std::unique_ptr<MemoryBinlogStore> store_;
};

TEST_F(MemoryBinlogStoreTest, CrashDropsExactlyTheUnsyncedWrites) {
  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  ASSERT_TRUE(store_->Sync().ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(3), Ts(4))).ok());
  EXPECT_EQ(disk_->unsynced_write_count(), 2u);
  EXPECT_EQ(store_->MaxCommitTS(), Ts(4));  // visible before the crash
  store_->Crash();
  EXPECT_EQ(store_->Lookup(Ts(1)).status().code(), StatusCode::kUnavailable);

  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  EXPECT_TRUE(Has(Ts(1)));
  EXPECT_TRUE(Has(Ts(2)));
  EXPECT_FALSE(Has(Ts(3)));
  EXPECT_FALSE(Has(Ts(4)));
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
  EXPECT_TRUE(store_->AllMatched());
  EXPECT_EQ(disk_->unsynced_write_count(), 0u);
}

// The slots are kept in key order and searched from the newest: writes far out of key order
// (early and late keys interleaved) must still be found, pulled in order, and a crash must
// remove exactly the unsynced ones wherever they sit.
TEST_F(MemoryBinlogStoreTest, WritesInAnyKeyOrderAreFoundPulledInOrderAndCrashSafe) {
  constexpr int kTxns = 64;
  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  std::vector<int> order(kTxns);
  for (int i = 0; i < kTxns; ++i) order[i] = (i * 37) % kTxns;  // 37 is coprime to 64
  // Transaction t: Prewrite at Ts(10 t), Commit at Ts(10 t + 5); the first half synced.
  for (int i = 0; i < kTxns; ++i) {
    const int t = order[i];
    ASSERT_TRUE(store_->Write(Prewrite(Ts(10 * t))).ok());
    ASSERT_TRUE(store_->Write(Commit(Ts(10 * t), Ts(10 * t + 5))).ok());
    if (i == kTxns / 2 - 1) {
      ASSERT_TRUE(store_->Sync().ok());
    }
  }
  for (int t = 0; t < kTxns; ++t) {
    EXPECT_TRUE(Has(Ts(10 * t))) << t;
    EXPECT_TRUE(Has(Ts(10 * t + 5))) << t;
    EXPECT_FALSE(Has(Ts(10 * t + 1))) << t;
  }
  Result<PullResult> pulled = store_->Pull(0, kTxns, SIZE_MAX);
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->binlogs.size(), static_cast<size_t>(kTxns));
  for (int t = 0; t < kTxns; ++t) EXPECT_EQ(pulled->binlogs[t].commit_ts(), Ts(10 * t + 5));
  store_->Crash();
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < kTxns; ++i) {
    const bool synced = i < kTxns / 2;
    EXPECT_EQ(Has(Ts(10 * order[i])), synced) << i;
    EXPECT_EQ(Has(Ts(10 * order[i] + 5)), synced) << i;
  }
}

TEST_F(MemoryBinlogStoreTest, CrashWithSyncOnLosesNothingAcknowledged) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());
  store_->Crash();
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(Has(Ts(1)));
  EXPECT_TRUE(Has(Ts(2)));
  EXPECT_TRUE(Has(Ts(3)));
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
  EXPECT_FALSE(store_->AllMatched());  // Prewrite 3 still waits after recovery
  ASSERT_TRUE(store_->Write(Commit(Ts(3), Ts(5))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(5));
}

TEST_F(MemoryBinlogStoreTest, CrashRestoresTheRollbackAnUnsyncedOneReplaced) {
  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  ASSERT_TRUE(store_->Write(Rollback(Ts(1))).ok());
  ASSERT_TRUE(store_->Sync().ok());
  ASSERT_TRUE(store_->Write(Rollback(Ts(2))).ok());
  EXPECT_EQ(store_->Lookup(0)->start_ts(), Ts(2));
  store_->Crash();
  ASSERT_NO_FATAL_FAILURE(Open());
  Result<Binlog> zero = store_->Lookup(0);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->start_ts(), Ts(1));
}

TEST_F(MemoryBinlogStoreTest, CrashRebuildsSorterFromTheLastSync) {
  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(2))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(2), Ts(3))).ok());
  ASSERT_TRUE(store_->Sync().ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(4))).ok());  // lost
  EXPECT_EQ(store_->MaxCommitTS(), Ts(4));
  store_->Crash();
  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  EXPECT_EQ(store_->MaxCommitTS(), 0);
  EXPECT_FALSE(store_->AllMatched());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(5))).ok());  // TiDB retries the commit
  EXPECT_EQ(store_->MaxCommitTS(), Ts(5));
  EXPECT_TRUE(store_->AllMatched());
}

// WriteShared (the simulator's pump path) stores exactly what Write stores, takes the same
// space, drops the probe, and applies nothing when refused.
TEST_F(MemoryBinlogStoreTest, WriteSharedStoresWhatWriteStores) {
  ASSERT_NO_FATAL_FAILURE(Open());
  auto other_disk = std::make_shared<MemoryDisk>();
  auto copying = MemoryBinlogStore::Open(other_disk);
  ASSERT_TRUE(copying.ok());
  for (const Binlog& b : {Prewrite(Ts(1), 300), Commit(Ts(1), Ts(2)), Rollback(Ts(3))}) {
    ASSERT_TRUE((*copying)->Write(b).ok());
    ASSERT_TRUE(store_->WriteShared(std::make_shared<const Binlog>(b)).ok());
  }
  for (int64_t ts : {Ts(1), Ts(2), int64_t{0}}) {
    Result<Binlog> want = (*copying)->Lookup(ts);
    Result<Binlog> got = store_->Lookup(ts);
    ASSERT_TRUE(want.ok() && got.ok()) << ts;
    EXPECT_EQ(EncodeBinlog(got.value()), EncodeBinlog(want.value())) << ts;
    EXPECT_EQ(got->has_ddl_schema_state(), want->has_ddl_schema_state()) << ts;
  }
  EXPECT_EQ(store_->MaxCommitTS(), (*copying)->MaxCommitTS());
  EXPECT_EQ(disk_->available_bytes(), other_disk->available_bytes());

  ASSERT_TRUE(store_->WriteShared(std::make_shared<const Binlog>()).ok());  // TiDB's probe
  EXPECT_EQ(disk_->available_bytes(), other_disk->available_bytes());
  disk_->FailNextWrites(1);
  EXPECT_EQ(store_->WriteShared(std::make_shared<const Binlog>(Prewrite(Ts(4)))).code(),
            StatusCode::kIoError);
  EXPECT_FALSE(Has(Ts(4)));
  EXPECT_TRUE(store_->AllMatched());
}

// PullShared answers what Pull answers (same binlogs, limits, counts), sharing the stored
// binlogs instead of copying them; its sizes are the enriched binlogs' encoded sizes, DDL
// fields and a commit carrying enrichment fields of its own included.
TEST_F(MemoryBinlogStoreTest, PullSharedSharesWhatPullCopies) {
  ASSERT_NO_FATAL_FAILURE(Open());
  auto ddl = std::make_shared<Binlog>(Prewrite(Ts(3)));
  ddl->set_ddl_job_id(7);
  ddl->set_ddl_query("create table t (id int primary key)");
  ddl->set_ddl_schema_state(5);
  Binlog ddl_commit = Commit(Ts(3), Ts(4));
  ddl_commit.set_prewrite_value("stale");  // replaced by the Prewrite's (absent) value
  ddl_commit.set_ddl_query("x");
  // Decoded, so every always-written scalar is present: the store keeps it as it is.
  auto commit = std::make_shared<const Binlog>(*DecodeBinlog(EncodeBinlog(Commit(Ts(1), Ts(2)))));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1), 300)).ok());
  ASSERT_TRUE(store_->WriteShared(commit).ok());
  ASSERT_TRUE(store_->WriteShared(ddl).ok());
  ASSERT_TRUE(store_->Write(ddl_commit).ok());
  ASSERT_TRUE(store_->Write(MakeFakeBinlog(Ts(5))).ok());
  for (size_t limit_bytes : {size_t{1}, size_t{400}, size_t{1} << 20}) {
    Result<PullResult> copied = store_->Pull(0, 10, limit_bytes);
    Result<SharedPullResult> shared = store_->PullShared(0, 10, limit_bytes);
    ASSERT_TRUE(copied.ok() && shared.ok());
    ASSERT_EQ(shared->binlogs.size(), copied->binlogs.size()) << limit_bytes;
    for (size_t i = 0; i < copied->binlogs.size(); ++i) {
      const SharedPulledBinlog& s = shared->binlogs[i];
      EXPECT_EQ(s.bytes, copied->binlogs[i].ByteSizeLong());
      EXPECT_EQ(EncodeBinlog(s.Materialize()), EncodeBinlog(copied->binlogs[i]));
      EXPECT_EQ(s.start_ts(), copied->binlogs[i].start_ts());
      EXPECT_EQ(s.ddl_query(), copied->binlogs[i].ddl_query());
      EXPECT_EQ(s.prewrite_value(), copied->binlogs[i].prewrite_value());
    }
  }
  Result<SharedPullResult> all = store_->PullShared(0, 10, size_t{1} << 20);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->binlogs.size(), 3u);
  EXPECT_TRUE(all->binlogs[0].commit == commit);  // the written binlog itself, not a copy
  EXPECT_TRUE(all->binlogs[2].prewrite == nullptr);  // the fake binlog, as stored
}

TEST_F(MemoryBinlogStoreTest, InjectedWriteFailureAppliesNothing) {
  ASSERT_NO_FATAL_FAILURE(Open());
  disk_->FailNextWrites(1);
  EXPECT_EQ(store_->Write(Prewrite(Ts(1))).code(), StatusCode::kIoError);
  EXPECT_FALSE(Has(Ts(1)));
  EXPECT_TRUE(store_->AllMatched());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());

  disk_->FailNextWrites(1);
  const std::vector<Binlog> batch = {Commit(Ts(1), Ts(2)), Prewrite(Ts(3))};
  EXPECT_EQ(store_->WriteBatch(batch).code(), StatusCode::kIoError);
  EXPECT_FALSE(Has(Ts(2)));
  EXPECT_FALSE(Has(Ts(3)));
  EXPECT_EQ(store_->MaxCommitTS(), 0);
  ASSERT_TRUE(store_->WriteBatch(batch).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
  EXPECT_EQ(store_->Stats().write_errors, 2);
}

TEST_F(MemoryBinlogStoreTest, InjectedSyncFailureRefusesASyncedWriteWhole) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  disk_->FailNextSyncs(1);
  EXPECT_EQ(store_->Write(Commit(Ts(1), Ts(2))).code(), StatusCode::kIoError);
  EXPECT_FALSE(Has(Ts(2)));
  EXPECT_EQ(store_->MaxCommitTS(), 0);
  EXPECT_EQ(disk_->unsynced_write_count(), 0u);
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
}

TEST_F(MemoryBinlogStoreTest, FailedExplicitSyncLeavesWritesUnsynced) {
  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  disk_->FailNextSyncs(1);
  EXPECT_EQ(store_->Sync().code(), StatusCode::kIoError);
  EXPECT_EQ(disk_->unsynced_write_count(), 1u);
  store_->Crash();
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_FALSE(Has(Ts(1)));
}

TEST_F(MemoryBinlogStoreTest, CorruptValueGivesCorruptionFromLookupAndPull) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  EXPECT_EQ(disk_->CorruptValue(Ts(9)).code(), StatusCode::kNotFound);
  ASSERT_TRUE(disk_->CorruptValue(Ts(1)).ok());
  EXPECT_EQ(store_->Lookup(Ts(1)).status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Has(Ts(2)));
  // Pulling the commit needs its Prewrite's value.
  EXPECT_EQ(store_->Pull(0, 10, 1 << 20).status().code(), StatusCode::kCorruption);
  ASSERT_TRUE(disk_->CorruptValue(Ts(2)).ok());
  EXPECT_EQ(store_->Pull(0, 10, 1 << 20).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store_->Stats().read_errors, 3);
  // Still durable-corrupt after a restart.
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(store_->Lookup(Ts(2)).status().code(), StatusCode::kCorruption);
}

TEST_F(MemoryBinlogStoreTest, SimulatedSpaceDrivesTheGuardAndIsReclaimedByGc) {
  disk_->SetCapacityBytes(100'000);
  disk_->SetAvailableBytes(10'000);
  MemoryBinlogStoreOptions options;
  options.stop_write_at_available_space_bytes = 5'000;
  ASSERT_NO_FATAL_FAILURE(Open(options));
  EXPECT_EQ(store_->Stats().capacity_bytes, 100'000);
  EXPECT_EQ(store_->Stats().available_bytes, 10'000);

  // Each transaction stores about 1 KiB; the guard trips once 5'000 bytes or fewer remain.
  int m = 0;
  Status status;
  for (; m < 20 && status.ok(); ++m) {
    const std::vector<Binlog> txn = {Prewrite(Ts(m * kMinuteMs), 1000),
                                     Commit(Ts(m * kMinuteMs), Ts(m * kMinuteMs + 1))};
    status = store_->WriteBatch(txn);
  }
  const int64_t available = store_->Stats().available_bytes;
  EXPECT_LE(available, 5'000);
  EXPECT_EQ(status.code(), StatusCode::kNoSpace);
  EXPECT_EQ(status.message(), "no available space, available: " + std::to_string(available) +
                                  ", StopWriteAtAvailableSpace: 5000");
  ASSERT_TRUE(store_->Write(MakeFakeBinlog(Ts(30 * kMinuteMs))).ok());  // fake still accepted

  // GC of everything older than the 10-minute margin gives the space back.
  ASSERT_EQ(store_->Gc(Ts(30 * kMinuteMs) - 1), GcOutcome::kAccepted);
  EXPECT_GT(store_->Stats().available_bytes, 5'000);
  EXPECT_TRUE(store_->Write(Prewrite(Ts(31 * kMinuteMs))).ok());
}

TEST_F(MemoryBinlogStoreTest, WriteLargerThanFreeSpaceFailsWithIoError) {
  disk_->SetAvailableBytes(500);
  MemoryBinlogStoreOptions options;
  options.stop_write_at_available_space_bytes = 0;
  ASSERT_NO_FATAL_FAILURE(Open(options));
  EXPECT_EQ(store_->Write(Prewrite(Ts(1), 1000)).code(), StatusCode::kIoError);
  EXPECT_FALSE(Has(Ts(1)));
  EXPECT_TRUE(store_->Write(Prewrite(Ts(1), 100)).ok());
}

TEST_F(MemoryBinlogStoreTest, GcDeletesSynchronouslyAndCounts) {
  ASSERT_NO_FATAL_FAILURE(Open(Unsynced()));
  for (int m = 0; m < 15; ++m) {
    ASSERT_TRUE(store_->Write(Prewrite(Ts(m * kMinuteMs))).ok());
    ASSERT_TRUE(store_->Write(Commit(Ts(m * kMinuteMs), Ts(m * kMinuteMs + 1))).ok());
  }
  ASSERT_EQ(store_->Gc(Ts(13 * kMinuteMs)), GcOutcome::kAccepted);  // no WaitForGc needed
  EXPECT_FALSE(Has(Ts(3 * kMinuteMs)));
  EXPECT_TRUE(Has(Ts(3 * kMinuteMs + 1)));
  EXPECT_EQ(store_->Stats().deleted_index_keys, 7);
  EXPECT_EQ(store_->Stats().done_gc_ts, Ts(3 * kMinuteMs));
  // Gc made the earlier unsynced writes durable before persisting gc_ts.
  EXPECT_EQ(disk_->unsynced_write_count(), 0u);
  store_->Crash();
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(store_->GcTS(), Ts(13 * kMinuteMs));
  EXPECT_TRUE(Has(Ts(14 * kMinuteMs + 1)));
  EXPECT_FALSE(Has(Ts(3 * kMinuteMs)));
}

TEST_F(MemoryBinlogStoreTest, LateWriteBelowTheGcBoundIsNotVisible) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(MakeFakeBinlog(Ts(30 * kMinuteMs))).ok());
  ASSERT_EQ(store_->Gc(Ts(20 * kMinuteMs)), GcOutcome::kAccepted);
  ASSERT_TRUE(store_->Write(Prewrite(Ts(5 * kMinuteMs))).ok());
  EXPECT_EQ(store_->Lookup(Ts(5 * kMinuteMs)).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tidb_binlog
