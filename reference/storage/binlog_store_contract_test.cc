// Goal: every BinlogStore implementation shows the user-visible behaviour binlog_store.h
// promises (upstream pump storage, UPSTREAM.md §7): index keys, MaxCommitTS, Pull, GC, the
// free-space guard, close and restart, concurrent writers, async writers.
// Method: value-parameterised tests over a StoreHarness (binlog_store_contract.h), driving
// the store only through the BinlogStore interface; instantiated here for
// MemoryBinlogStore and, in rocksdb_binlog_store_test.cc, for RocksDbBinlogStore.

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "reference/core/binlog_codec.h"
#include "reference/core/tso.h"
#include "reference/storage/binlog_store_contract.h"
#include "reference/storage/memory_binlog_store.h"

namespace tidb_binlog {
namespace {

using binlog::Binlog;

// Test TSOs: a realistic physical time (2023-11) so that GC margins apply as in production.
constexpr int64_t kBasePhysicalMs = 1'700'000'000'000;
constexpr int64_t kMinuteMs = 60'000;

int64_t Ts(int64_t ms_after_base, int64_t logical = 0) {
  return ComposeTs(kBasePhysicalMs + ms_after_base, logical);
}

Binlog Prewrite(int64_t start_ts, const std::string& value = "rows") {
  Binlog b;
  b.set_tp(binlog::Prewrite);
  b.set_start_ts(start_ts);
  b.set_commit_ts(0);
  b.set_prewrite_key("pk");
  b.set_prewrite_value(value);
  return b;
}

Binlog Commit(int64_t start_ts, int64_t commit_ts) {
  Binlog b;
  b.set_tp(binlog::Commit);
  b.set_start_ts(start_ts);
  b.set_commit_ts(commit_ts);
  b.set_prewrite_key("pk");
  return b;
}

Binlog Rollback(int64_t start_ts) {
  Binlog b;
  b.set_tp(binlog::Rollback);
  b.set_start_ts(start_ts);
  b.set_commit_ts(0);
  return b;
}

// Same upstream bytes: whether a zero non-nullable scalar is marked present is not visible
// (gogo always writes it, the text form never prints it), so stores may differ there.
void ExpectSameBinlog(const Binlog& actual, const Binlog& expected) {
  EXPECT_EQ(EncodeBinlog(actual), EncodeBinlog(expected))
      << "actual: " << actual.ShortDebugString()
      << "\nexpected: " << expected.ShortDebugString();
}

// "no available space, available: <digits>, StopWriteAtAvailableSpace: <threshold>"
// (std::regex is avoided: GCC 12 warns inside it under the sanitizer build).
bool IsSpaceGuardText(const std::string& text, const std::string& threshold) {
  const std::string prefix = "no available space, available: ";
  const std::string suffix = ", StopWriteAtAvailableSpace: " + threshold;
  if (text.size() <= prefix.size() + suffix.size()) return false;
  if (!text.starts_with(prefix) || !text.ends_with(suffix)) return false;
  const std::string digits =
      text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The concurrent-writer tests: transaction i of writer w of n starts here, and commits 1 later.
int64_t InterleavedStart(int i, int w, int n) { return Ts((i * n + w) * 2); }

// After `writers` writers each wrote `txns` transactions at InterleavedStart: every Prewrite
// matched, MaxCommitTS at the last commit, and a Pull returns every Commit in commit-ts order,
// enriched with its Prewrite's value.
void ExpectInterleavedTransactions(BinlogStore& store, int writers, int txns) {
  EXPECT_TRUE(store.AllMatched());
  EXPECT_EQ(store.MaxCommitTS(), InterleavedStart(txns - 1, writers - 1, writers) + 1);
  Result<PullResult> pulled = store.Pull(0, writers * txns + 1, 1 << 30);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  ASSERT_EQ(pulled->binlogs.size(), static_cast<size_t>(writers * txns));
  EXPECT_TRUE(std::is_sorted(pulled->binlogs.begin(), pulled->binlogs.end(),
                             [](const Binlog& a, const Binlog& b) {
                               return a.commit_ts() < b.commit_ts();
                             }));
  for (const Binlog& c : pulled->binlogs) EXPECT_EQ(c.prewrite_value(), "rows");
}

std::vector<int64_t> CommitTsOf(const PullResult& result) {
  std::vector<int64_t> out;
  for (const Binlog& b : result.binlogs) out.push_back(b.commit_ts());
  return out;
}

// ---------------------------------------------------------------- keys and lookups

TEST_P(BinlogStoreContract, PrewriteFoundByStartTsCommitByCommitTs) {
  ASSERT_NO_FATAL_FAILURE(Open());
  const Binlog p = Prewrite(Ts(1), "value-1");
  const Binlog c = Commit(Ts(1), Ts(2));
  ASSERT_TRUE(store_->Write(p).ok());
  ASSERT_TRUE(store_->Write(c).ok());
  Result<Binlog> got_p = store_->Lookup(Ts(1));
  ASSERT_TRUE(got_p.ok()) << got_p.status().ToString();
  ExpectSameBinlog(*got_p, p);
  Result<Binlog> got_c = store_->Lookup(Ts(2));
  ASSERT_TRUE(got_c.ok()) << got_c.status().ToString();
  ExpectSameBinlog(*got_c, c);  // as TiDB sent it: no prewrite_value
  Result<Binlog> missing = store_->Lookup(Ts(3));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), kBinlogNotFoundMessage);
}

TEST_P(BinlogStoreContract, TiDbRollbacksLandOnKeyZeroAndTheLaterReplaces) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Rollback(Ts(1))).ok());
  Result<Binlog> first = store_->Lookup(0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ExpectSameBinlog(*first, Rollback(Ts(1)));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(5))).ok());
  ASSERT_TRUE(store_->Write(Rollback(Ts(5))).ok());
  Result<Binlog> second = store_->Lookup(0);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ExpectSameBinlog(*second, Rollback(Ts(5)));
}

TEST_P(BinlogStoreContract, FakeBinlogFoundByItsTs) {
  ASSERT_NO_FATAL_FAILURE(Open());
  const Binlog fake = MakeFakeBinlog(Ts(7));
  ASSERT_TRUE(store_->Write(fake).ok());
  Result<Binlog> got = store_->Lookup(Ts(7));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSameBinlog(*got, fake);
}

TEST_P(BinlogStoreContract, ProbeBinlogIsAcceptedAndDropped) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Binlog probe;  // TiDB's empty payload: start_ts 0, commit_ts 0
  EXPECT_TRUE(store_->Write(probe).ok());
  probe.set_tp(binlog::Prewrite);
  EXPECT_TRUE(store_->Write(probe).ok());
  EXPECT_EQ(store_->Lookup(0).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->AllMatched());
  EXPECT_EQ(store_->MaxCommitTS(), 0);
}

TEST_P(BinlogStoreContract, WriteBatchStoresAll) {
  ASSERT_NO_FATAL_FAILURE(Open());
  const std::vector<Binlog> batch = {Prewrite(Ts(1)), Prewrite(Ts(2)), Commit(Ts(2), Ts(3)),
                                     Commit(Ts(1), Ts(4))};
  ASSERT_TRUE(store_->WriteBatch(batch).ok());
  for (int64_t key : {Ts(1), Ts(2), Ts(3), Ts(4)}) {
    EXPECT_TRUE(store_->Lookup(key).ok()) << key;
  }
  EXPECT_EQ(store_->MaxCommitTS(), Ts(4));
}

TEST_P(BinlogStoreContract, WriteBatchRefusedByTheSpaceGuardStoresNothing) {
  ContractOptions options;
  options.stop_write_at_available_space_bytes = int64_t{1} << 62;  // above any disk
  ASSERT_NO_FATAL_FAILURE(Open(options));
  const std::vector<Binlog> batch = {Prewrite(Ts(1)), Commit(Ts(1), Ts(2)),
                                     MakeFakeBinlog(Ts(3))};
  EXPECT_EQ(store_->WriteBatch(batch).code(), StatusCode::kNoSpace);
  for (int64_t key : {Ts(1), Ts(2), Ts(3)}) {
    EXPECT_EQ(store_->Lookup(key).status().code(), StatusCode::kNotFound) << key;
  }
  EXPECT_EQ(store_->MaxCommitTS(), 0);
  EXPECT_TRUE(store_->AllMatched());
}

// ---------------------------------------------------------------- MaxCommitTS

TEST_P(BinlogStoreContract, PendingPrewriteHoldsMaxCommitTsUntilItsCommit) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(4))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(4), Ts(5))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
  EXPECT_FALSE(store_->AllMatched());
  ASSERT_TRUE(store_->Write(Commit(Ts(3), Ts(6))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(6));
  EXPECT_TRUE(store_->AllMatched());
}

TEST_P(BinlogStoreContract, OutOfOrderCommitsNeverDecreaseMaxCommitTs) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(2))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(2), Ts(20))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(10))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(20));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(3), Ts(15))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(20));
}

TEST_P(BinlogStoreContract, RollbackMatchesItsPrewriteWithoutAdvancing) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(4))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(4), Ts(5))).ok());
  ASSERT_TRUE(store_->Write(Rollback(Ts(3))).ok());
  EXPECT_TRUE(store_->AllMatched());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(5));
}

TEST_P(BinlogStoreContract, FakeBinlogAdvancesMaxCommitTsOnlyBehindMatchedPrewrites) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(MakeFakeBinlog(Ts(10))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(10));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(11))).ok());
  ASSERT_TRUE(store_->Write(MakeFakeBinlog(Ts(20))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(10));
  ASSERT_TRUE(store_->Write(Commit(Ts(11), Ts(12))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(20));
}

TEST_P(BinlogStoreContract, MaxCommitTsAndPendingPrewritesSurviveReopen) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());  // still open at restart
  ASSERT_TRUE(store_->Write(Prewrite(Ts(4))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(4), Ts(5))).ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
  EXPECT_FALSE(store_->AllMatched());
  ASSERT_TRUE(store_->Write(Commit(Ts(3), Ts(6))).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(6));
  EXPECT_TRUE(store_->AllMatched());
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(6));
  EXPECT_TRUE(store_->AllMatched());
  EXPECT_TRUE(store_->Lookup(Ts(3)).ok());
}

TEST_P(BinlogStoreContract, UnsyncedWritesSurviveAClose) {
  ContractOptions options;
  options.sync = false;
  ASSERT_NO_FATAL_FAILURE(Open(options));
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  ASSERT_NO_FATAL_FAILURE(Open(options));
  EXPECT_TRUE(store_->Lookup(Ts(1)).ok());
  EXPECT_TRUE(store_->Lookup(Ts(2)).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(2));
}

// ---------------------------------------------------------------- Pull

TEST_P(BinlogStoreContract, PullReturnsCommittedBinlogsInCommitTsOrderEnriched) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Binlog ddl_prewrite = Prewrite(Ts(2), "ddl-rows");
  ddl_prewrite.set_ddl_query("CREATE TABLE t (a INT)");
  ddl_prewrite.set_ddl_job_id(77);
  ddl_prewrite.set_ddl_schema_state(5);
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1), "rows-1")).ok());
  ASSERT_TRUE(store_->Write(ddl_prewrite).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(2), Ts(4))).ok());  // arrives first, commits later
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(3))).ok());
  ASSERT_TRUE(store_->Write(MakeFakeBinlog(Ts(5))).ok());

  Result<PullResult> pulled = store_->Pull(Ts(0), 100, 1 << 20);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(CommitTsOf(*pulled), (std::vector<int64_t>{Ts(3), Ts(4), Ts(5)}));
  ASSERT_EQ(pulled->binlogs.size(), 3u);
  const Binlog& c1 = pulled->binlogs[0];
  EXPECT_EQ(c1.tp(), binlog::Commit);
  EXPECT_EQ(c1.start_ts(), Ts(1));
  EXPECT_EQ(c1.prewrite_value(), "rows-1");
  const Binlog& c2 = pulled->binlogs[1];
  EXPECT_EQ(c2.prewrite_value(), "ddl-rows");
  EXPECT_EQ(c2.ddl_query(), "CREATE TABLE t (a INT)");
  EXPECT_EQ(c2.ddl_job_id(), 77);
  EXPECT_EQ(c2.ddl_schema_state(), 5);
  ExpectSameBinlog(pulled->binlogs[2], MakeFakeBinlog(Ts(5)));
  EXPECT_EQ(pulled->skipped_unmatched, 0);
}

TEST_P(BinlogStoreContract, PullStaysWithinAfterTsAndMaxCommitTs) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(1))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(3), Ts(4))).ok());
  ASSERT_TRUE(store_->Write(Prewrite(Ts(5))).ok());  // holds back the next commit
  ASSERT_TRUE(store_->Write(Prewrite(Ts(6))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(6), Ts(7))).ok());
  ASSERT_EQ(store_->MaxCommitTS(), Ts(4));

  Result<PullResult> after_first = store_->Pull(Ts(2), 100, 1 << 20);
  ASSERT_TRUE(after_first.ok()) << after_first.status().ToString();
  EXPECT_EQ(CommitTsOf(*after_first), std::vector<int64_t>{Ts(4)});
  EXPECT_FALSE(after_first->requested_purged);

  Result<PullResult> at_max = store_->Pull(Ts(4), 100, 1 << 20);
  ASSERT_TRUE(at_max.ok());
  EXPECT_TRUE(at_max->binlogs.empty());

  ASSERT_TRUE(store_->Write(Commit(Ts(5), Ts(8))).ok());
  Result<PullResult> released = store_->Pull(Ts(4), 100, 1 << 20);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(CommitTsOf(*released), (std::vector<int64_t>{Ts(7), Ts(8)}));
}

TEST_P(BinlogStoreContract, PullHonoursCountAndByteLimitsButReturnsAtLeastOne) {
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store_->Write(Prewrite(Ts(10 * i), std::string(100, 'x'))).ok());
    ASSERT_TRUE(store_->Write(Commit(Ts(10 * i), Ts(10 * i + 1))).ok());
  }
  Result<PullResult> two = store_->Pull(Ts(0), 2, 1 << 20);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(CommitTsOf(*two), (std::vector<int64_t>{Ts(11), Ts(21)}));

  Result<PullResult> one = store_->Pull(Ts(21), 100, 1);  // smaller than any binlog
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(CommitTsOf(*one), std::vector<int64_t>{Ts(31)});

  // Room for exactly three enriched commits, not four.
  const size_t commit_bytes = two->binlogs[0].ByteSizeLong();
  Result<PullResult> by_bytes = store_->Pull(Ts(0), 100, 4 * commit_bytes - 1);
  ASSERT_TRUE(by_bytes.ok());
  EXPECT_EQ(CommitTsOf(*by_bytes), (std::vector<int64_t>{Ts(11), Ts(21), Ts(31)}));
  Result<PullResult> exact = store_->Pull(Ts(0), 100, 3 * commit_bytes);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->binlogs.size(), 3u);

  Result<PullResult> none = store_->Pull(Ts(0), 0, 1 << 20);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->binlogs.empty());
}

TEST_P(BinlogStoreContract, PullSkipsAndCountsCommitsWithoutPrewrite) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(store_->Write(Commit(Ts(1), Ts(2))).ok());  // its Prewrite went elsewhere
  ASSERT_TRUE(store_->Write(Prewrite(Ts(3))).ok());
  ASSERT_TRUE(store_->Write(Commit(Ts(3), Ts(4))).ok());
  Result<PullResult> pulled = store_->Pull(Ts(0), 100, 1 << 20);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(CommitTsOf(*pulled), std::vector<int64_t>{Ts(4)});
  EXPECT_EQ(pulled->skipped_unmatched, 1);
}

// ---------------------------------------------------------------- GC

// Writes one transaction per minute for `minutes` minutes: Prewrite at minute m, its
// Commit one millisecond later.
void WriteMinutes(BinlogStore& store, int minutes) {
  for (int m = 0; m < minutes; ++m) {
    const int64_t start = Ts(m * kMinuteMs);
    ASSERT_TRUE(store.Write(Prewrite(start)).ok());
    ASSERT_TRUE(store.Write(Commit(start, Ts(m * kMinuteMs + 1))).ok());
  }
}

TEST_P(BinlogStoreContract, GcIgnoresOldAndUnsafeRequests) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(WriteMinutes(*store_, 5));
  const int64_t max = store_->MaxCommitTS();
  EXPECT_EQ(store_->Gc(0), GcOutcome::kIgnoredNotNewer);
  EXPECT_EQ(store_->Gc(max), GcOutcome::kIgnoredUnsafe);
  EXPECT_EQ(store_->Gc(max + 1), GcOutcome::kIgnoredUnsafe);
  EXPECT_EQ(store_->GcTS(), 0);
  EXPECT_EQ(store_->Gc(Ts(2 * kMinuteMs)), GcOutcome::kAccepted);
  EXPECT_EQ(store_->GcTS(), Ts(2 * kMinuteMs));
  EXPECT_EQ(store_->Gc(Ts(2 * kMinuteMs)), GcOutcome::kIgnoredNotNewer);
  EXPECT_EQ(store_->Gc(Ts(kMinuteMs)), GcOutcome::kIgnoredNotNewer);
  store_->WaitForGc();
  // Within the 10-minute margin: nothing deleted.
  EXPECT_TRUE(store_->Lookup(Ts(0)).ok());
}

TEST_P(BinlogStoreContract, GcDeletesKeysAtOrBelowTenMinutesBeforeGcTs) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(WriteMinutes(*store_, 30));
  const int64_t gc_ts = Ts(20 * kMinuteMs);
  const int64_t bound = gc_ts - EncodeTso(kGcMarginMilliseconds);  // minute 10
  ASSERT_EQ(store_->Gc(gc_ts), GcOutcome::kAccepted);
  store_->WaitForGc();
  for (int m = 0; m < 30; ++m) {
    for (int64_t key : {Ts(m * kMinuteMs), Ts(m * kMinuteMs + 1)}) {
      const StatusCode code = store_->Lookup(key).status().code();
      EXPECT_EQ(code, key <= bound ? StatusCode::kNotFound : StatusCode::kOk) << "minute " << m;
    }
  }
  const BinlogStoreStats stats = store_->Stats();
  EXPECT_EQ(stats.gc_ts, gc_ts);
  EXPECT_EQ(stats.done_gc_ts, bound);
  EXPECT_EQ(stats.deleted_index_keys, 21);  // P and C of minutes 0-9, P of minute 10
}

TEST_P(BinlogStoreContract, PullBelowGcTsStartsAtGcTsAndReportsPurged) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(WriteMinutes(*store_, 30));
  const int64_t gc_ts = Ts(20 * kMinuteMs);
  ASSERT_EQ(store_->Gc(gc_ts), GcOutcome::kAccepted);
  store_->WaitForGc();
  Result<PullResult> pulled = store_->Pull(Ts(0), 100, 1 << 20);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_TRUE(pulled->requested_purged);
  ASSERT_FALSE(pulled->binlogs.empty());
  EXPECT_EQ(pulled->binlogs.front().commit_ts(), Ts(20 * kMinuteMs + 1));
  EXPECT_EQ(pulled->binlogs.size(), 10u);  // minutes 20-29
  Result<PullResult> at_gc = store_->Pull(gc_ts, 100, 1 << 20);
  ASSERT_TRUE(at_gc.ok());
  EXPECT_TRUE(at_gc->requested_purged);  // upstream: last <= gcTS
  Result<PullResult> above = store_->Pull(gc_ts + 1, 100, 1 << 20);
  ASSERT_TRUE(above.ok());
  EXPECT_FALSE(above->requested_purged);
}

TEST_P(BinlogStoreContract, GcTsSurvivesReopen) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(WriteMinutes(*store_, 30));
  const int64_t gc_ts = Ts(20 * kMinuteMs);
  ASSERT_EQ(store_->Gc(gc_ts), GcOutcome::kAccepted);
  store_->WaitForGc();
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(store_->GcTS(), gc_ts);
  EXPECT_EQ(store_->Gc(gc_ts), GcOutcome::kIgnoredNotNewer);
  EXPECT_EQ(store_->Lookup(Ts(0)).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Lookup(Ts(29 * kMinuteMs)).ok());
}

// ---------------------------------------------------------------- space, close, threads

TEST_P(BinlogStoreContract, SpaceGuardRefusesRealBinlogsWithUpstreamTextButNotFakeOnes) {
  ContractOptions options;
  options.stop_write_at_available_space_bytes = int64_t{1} << 62;
  ASSERT_NO_FATAL_FAILURE(Open(options));
  const Status refused = store_->Write(Prewrite(Ts(1)));
  EXPECT_EQ(refused.code(), StatusCode::kNoSpace);
  EXPECT_TRUE(IsSpaceGuardText(refused.message(), "4611686018427387904")) << refused.message();
  EXPECT_EQ(store_->Lookup(Ts(1)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Write(Commit(Ts(1), Ts(2))).code(), StatusCode::kNoSpace);
  ASSERT_TRUE(store_->Write(MakeFakeBinlog(Ts(3))).ok());
  EXPECT_TRUE(store_->Lookup(Ts(3)).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(3));
}

TEST_P(BinlogStoreContract, EveryCallAfterCloseIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(WriteMinutes(*store_, 15));
  ASSERT_TRUE(store_->Close().ok());
  EXPECT_EQ(store_->Write(Prewrite(Ts(100))).code(), StatusCode::kUnavailable);
  const std::vector<Binlog> batch = {Prewrite(Ts(100))};
  EXPECT_EQ(store_->WriteBatch(batch).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->Lookup(Ts(0)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->Pull(0, 10, 1 << 20).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->Gc(Ts(12 * kMinuteMs)), GcOutcome::kIgnoredNotNewer);
  EXPECT_TRUE(store_->Close().ok());  // idempotent
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(store_->GcTS(), 0);
  EXPECT_TRUE(store_->Lookup(Ts(0)).ok());
}

TEST_P(BinlogStoreContract, SecondOpenWhileOpenIsBusy) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Result<std::unique_ptr<BinlogStore>> second = harness_->Open({});
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
}

TEST_P(BinlogStoreContract, ConcurrentWritersAreAllDurableAndMatched) {
  constexpr int kThreads = 8;
  constexpr int kTxnsPerThread = 100;
  ASSERT_NO_FATAL_FAILURE(Open());
  std::vector<std::thread> writers;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([this, t, &failures] {
      for (int i = 0; i < kTxnsPerThread; ++i) {
        const int64_t start = InterleavedStart(i, t, kThreads);
        if (!store_->Write(Prewrite(start)).ok()) ++failures[t];
        if (!store_->Write(Commit(start, start + 1)).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  ASSERT_NO_FATAL_FAILURE(ExpectInterleavedTransactions(*store_, kThreads, kTxnsPerThread));
  ASSERT_NO_FATAL_FAILURE(Open());
  const int64_t last_start = InterleavedStart(kTxnsPerThread - 1, kThreads - 1, kThreads);
  EXPECT_EQ(store_->MaxCommitTS(), last_start + 1);
  EXPECT_TRUE(store_->Lookup(last_start).ok());
}

// Async writers, as the pump's gRPC service drives the store: each writer's next write is
// issued from the callback of its last one (a Commit only once its Prewrite is durable).
TEST_P(BinlogStoreContract, AsyncWritersChainedFromTheirCallbacksAreAllDurableAndMatched) {
  constexpr int kWriters = 8;
  constexpr int kTxnsPerWriter = 50;
  ASSERT_NO_FATAL_FAILURE(Open());
  struct Writer {
    int index = 0;
    int written = 0;  // binlogs acknowledged
    int failures = 0;
  };
  std::vector<Writer> writers(kWriters);
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0;
  std::function<void(Writer&)> next = [&](Writer& w) {
    if (w.written == 2 * kTxnsPerWriter) {
      std::lock_guard lock(mu);
      ++finished;
      cv.notify_all();
      return;
    }
    const int64_t start = InterleavedStart(w.written / 2, w.index, kWriters);
    const Binlog binlog = w.written % 2 == 0 ? Prewrite(start) : Commit(start, start + 1);
    store_->WriteBatchAsync(std::span<const Binlog>(&binlog, 1), [&, &w = w](Status s) {
      w.failures += !s.ok();
      ++w.written;
      next(w);
    });
  };
  for (int i = 0; i < kWriters; ++i) {
    writers[i].index = i;
    next(writers[i]);
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return finished == kWriters; });
  }
  for (const Writer& w : writers) EXPECT_EQ(w.failures, 0) << w.index;
  ASSERT_NO_FATAL_FAILURE(ExpectInterleavedTransactions(*store_, kWriters, kTxnsPerWriter));
  ASSERT_NO_FATAL_FAILURE(Open());
  const int64_t last_start = InterleavedStart(kTxnsPerWriter - 1, kWriters - 1, kWriters);
  EXPECT_EQ(store_->MaxCommitTS(), last_start + 1);
  EXPECT_TRUE(store_->Lookup(last_start).ok());
}

// WriteBatchAsync's callback gets what WriteBatch would return: the space guard's refusal
// (nothing stored), OK for a fake binlog, kUnavailable after Close.
TEST_P(BinlogStoreContract, WriteBatchAsyncReportsWhatWriteBatchWould) {
  ContractOptions options;
  options.stop_write_at_available_space_bytes = int64_t{1} << 62;
  ASSERT_NO_FATAL_FAILURE(Open(options));
  auto write_async = [this](const std::vector<Binlog>& batch) {
    std::promise<Status> done;
    store_->WriteBatchAsync(batch, [&done](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  };
  EXPECT_EQ(write_async({Prewrite(Ts(1)), Commit(Ts(1), Ts(2))}).code(), StatusCode::kNoSpace);
  EXPECT_EQ(store_->Lookup(Ts(1)).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(write_async({MakeFakeBinlog(Ts(3))}).ok());
  EXPECT_EQ(store_->MaxCommitTS(), Ts(3));
  ASSERT_TRUE(store_->Close().ok());
  EXPECT_EQ(write_async({MakeFakeBinlog(Ts(4))}).code(), StatusCode::kUnavailable);
}

// ---------------------------------------------------------------- Memory instantiation

class MemoryHarness : public StoreHarness {
 public:
  Result<std::unique_ptr<BinlogStore>> Open(const ContractOptions& options) override {
    MemoryBinlogStoreOptions store_options;
    store_options.sync = options.sync;
    store_options.stop_write_at_available_space_bytes =
        options.stop_write_at_available_space_bytes;
    disk_->SetAvailableBytes(options.available_bytes_for_memory_store);
    Result<std::unique_ptr<MemoryBinlogStore>> store =
        MemoryBinlogStore::Open(disk_, store_options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<BinlogStore>(std::move(store).value());
  }
  std::string Name() const override { return "Memory"; }

 private:
  std::shared_ptr<MemoryDisk> disk_ = std::make_shared<MemoryDisk>();
};

INSTANTIATE_TEST_SUITE_P(Memory, BinlogStoreContract,
                         ::testing::Values(HarnessFactory(
                             [] { return std::make_unique<MemoryHarness>(); })),
                         ContractParamName);

}  // namespace
}  // namespace tidb_binlog
