// Goal: what the RocksDB store adds to the BinlogStore contract: the data directory lock,
// recovery after reopen (the in-memory lookup bound included), crash leftovers (torn tail)
// versus real corruption, checksummed reads, GC that really returns disk space (value log
// and index, rollback key 0 included), the refusal of an older index layout, the free-space
// guard and the sticky read-only state after a failed fdatasync (also with writers in flight
// in the commit pipeline), and async writes (Close waits for them; a full queue refuses
// them). Method: real stores in
// temporary directories; damage is done to the value-log files between Close and Open (or
// under an open store).
#include "reference/storage/rocksdb_binlog_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "reference/storage/binlog_store_contract.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;

constexpr int kTsoLogicalBits = 18;
int64_t Tso(int64_t ms) { return ms << kTsoLogicalBits; }
// AcknowledgedWritesAreReadableBeforeTheirIndexWrite: how long the index write is held back
// after the readers are started.
constexpr std::chrono::milliseconds kReadersHeadStart{50};
// The slow disk's fdatasync (SlowSyncOptions), and the writers each one must cover on
// average in ConcurrentWritersShareFdatasyncs.
constexpr std::chrono::milliseconds kSlowSync{1};
constexpr int64_t kMinWritersPerSync = 4;

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "rocksdb_store_XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

binlog::Binlog Prewrite(int64_t start, std::string value) {
  binlog::Binlog b;
  b.set_tp(binlog::Prewrite);
  b.set_start_ts(start);
  b.set_commit_ts(0);
  b.set_prewrite_key("pk");
  b.set_prewrite_value(std::move(value));
  return b;
}

binlog::Binlog Commit(int64_t start, int64_t commit) {
  binlog::Binlog b;
  b.set_tp(binlog::Commit);
  b.set_start_ts(start);
  b.set_commit_ts(commit);
  b.set_prewrite_key("pk");
  return b;
}

binlog::Binlog Fake(int64_t ts) {
  binlog::Binlog b;
  b.set_tp(binlog::Rollback);
  b.set_start_ts(ts);
  b.set_commit_ts(ts);
  return b;
}

RocksDbBinlogStoreOptions Options(const std::string& dir) {
  RocksDbBinlogStoreOptions o;
  o.data_dir = dir;
  o.stop_write_at_available_space_bytes = 0;  // the test machine's free space is irrelevant
  o.index_block_cache_bytes = size_t{8} << 20;
  return o;
}

// A slow disk: every fdatasync takes kSlowSync longer, so writers queue while it runs.
RocksDbBinlogStoreOptions SlowSyncOptions(const std::string& dir) {
  RocksDbBinlogStoreOptions o = Options(dir);
  o.fail_sync_for_testing = [] {
    std::this_thread::sleep_for(kSlowSync);
    return false;
  };
  return o;
}

std::unique_ptr<RocksDbBinlogStore> MustOpen(const RocksDbBinlogStoreOptions& o) {
  auto store = RocksDbBinlogStore::Open(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Start ts i of the index-count and late-key tests: one second apart.
int64_t SecondTs(int i) { return Tso(1'000'000'000 + int64_t{i} * 1'000); }

// Writes the transactions i in [from, to), each a Prewrite at SecondTs(i) and its Commit at
// SecondTs(i) + 1, kPairsPerWrite of them per WriteBatch.
constexpr int kPairsPerWrite = 500;
void WritePairs(RocksDbBinlogStore* store, int from, int to) {
  std::vector<binlog::Binlog> batch;
  for (int i = from; i < to; ++i) {
    batch.push_back(Prewrite(SecondTs(i), "v"));
    batch.push_back(Commit(SecondTs(i), SecondTs(i) + 1));
    if (batch.size() == 2 * kPairsPerWrite || i + 1 == to) {
      ASSERT_TRUE(store->WriteBatch(batch).ok());
      batch.clear();
    }
  }
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

int CountVlogFiles(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir + "/value")) n += e.path().extension() == ".vlog";
  return n;
}

void FlipByte(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c = 0;
  ASSERT_EQ(::pread(fd, &c, 1, static_cast<off_t>(offset)), 1);
  c = static_cast<char>(c ^ 0x5a);
  ASSERT_EQ(::pwrite(fd, &c, 1, static_cast<off_t>(offset)), 1);
  ::close(fd);
}

// The shared contract suite (binlog_store_contract_test.cc) on a fresh directory per test.
class RocksDbHarness : public StoreHarness {
 public:
  Result<std::unique_ptr<BinlogStore>> Open(const ContractOptions& contract) override {
    RocksDbBinlogStoreOptions options = Options(dir_.path());
    options.sync = contract.sync;
    options.stop_write_at_available_space_bytes = contract.stop_write_at_available_space_bytes;
    auto store = RocksDbBinlogStore::Open(options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<BinlogStore>(std::move(store).value());
  }
  std::string Name() const override { return "RocksDb"; }

 private:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(RocksDb, BinlogStoreContract,
                         ::testing::Values(HarnessFactory([] {
                           return std::unique_ptr<StoreHarness>(new RocksDbHarness());
                         })),
                         ContractParamName);

TEST(RocksDbBinlogStore, SecondOpenOfTheSameDirectoryIsBusy) {
  TempDir dir;
  auto first = MustOpen(Options(dir.path()));
  auto second = RocksDbBinlogStore::Open(Options(dir.path()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find(dir.path()), std::string::npos);
  ASSERT_TRUE(first->Close().ok());
  EXPECT_TRUE(RocksDbBinlogStore::Open(Options(dir.path())).ok());  // the lock is released
}

TEST(RocksDbBinlogStore, UsesUpstreamLayout) {
  TempDir dir;
  auto store = MustOpen(Options(dir.path()));
  ASSERT_TRUE(store->Write(Fake(100)).ok());
  ASSERT_TRUE(store->Close().ok());
  EXPECT_TRUE(fs::exists(dir.path() + "/.lock"));
  EXPECT_TRUE(fs::exists(dir.path() + "/value/000000.vlog"));
  EXPECT_TRUE(fs::is_directory(dir.path() + "/kv"));
}

TEST(RocksDbBinlogStore, EverythingSurvivesReopen) {
  TempDir dir;
  {
    auto store = MustOpen(Options(dir.path()));
    for (int64_t i = 1; i <= 50; ++i) {
      ASSERT_TRUE(store->Write(Prewrite(i * 10, std::string(1, 'v').append(std::to_string(i)))).ok());
      ASSERT_TRUE(store->Write(Commit(i * 10, i * 10 + 5)).ok());
    }
    ASSERT_TRUE(store->Write(Prewrite(1000, "open")).ok());  // left unmatched
    ASSERT_TRUE(store->Write(Fake(1001)).ok());
    EXPECT_EQ(store->MaxCommitTS(), 505);
    EXPECT_FALSE(store->AllMatched());
  }
  auto store = MustOpen(Options(dir.path()));
  EXPECT_EQ(store->MaxCommitTS(), 505);
  EXPECT_FALSE(store->AllMatched());  // the sorter state is rebuilt from handlePointer
  auto p = store->Lookup(250);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->prewrite_value(), "v25");
  ASSERT_TRUE(store->Write(Commit(1000, 1002)).ok());
  EXPECT_EQ(store->MaxCommitTS(), 1002);
  EXPECT_TRUE(store->AllMatched());
  auto pulled = store->Pull(0, 1000, size_t{1} << 20);
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->binlogs.size(), 52u);
  EXPECT_EQ(pulled->binlogs[0].prewrite_value(), "v1");
  EXPECT_EQ(pulled->binlogs[51].prewrite_value(), "open");
}

// Lookup answers ts above the largest index key from memory; that bound must cover every
// key written before a reopen and move with every later write.
TEST(RocksDbBinlogStore, LookupAboveTheLastWrittenKeyIsNotFoundAndTheBoundSurvivesReopen) {
  TempDir dir;
  {
    auto store = MustOpen(Options(dir.path()));
    EXPECT_EQ(store->Lookup(1).status().code(), StatusCode::kNotFound);
    ASSERT_TRUE(store->Write(Prewrite(1000, "open")).ok());
    ASSERT_TRUE(store->Write(Fake(900)).ok());  // a smaller key later must not lower the bound
    EXPECT_TRUE(store->Lookup(1000).ok());
    EXPECT_EQ(store->Lookup(1001).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(store->Lookup(1001).status().message(), kBinlogNotFoundMessage);
  }
  auto store = MustOpen(Options(dir.path()));
  EXPECT_TRUE(store->Lookup(900).ok());
  EXPECT_TRUE(store->Lookup(1000).ok());
  EXPECT_EQ(store->Lookup(1001).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->Write(Fake(2000)).ok());
  EXPECT_TRUE(store->Lookup(2000).ok());
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(store->Lookup(3000).status().code(), StatusCode::kUnavailable);
}

TEST(RocksDbBinlogStore, TornTailOfTheLastFileIsCutOff) {
  TempDir dir;
  {
    auto store = MustOpen(Options(dir.path()));
    ASSERT_TRUE(store->Write(Prewrite(10, "value")).ok());
    ASSERT_TRUE(store->Write(Commit(10, 11)).ok());
  }
  // What a crash in the middle of a group leaves: a header promising more bytes than exist.
  const std::string vlog = dir.path() + "/value/000000.vlog";
  std::string torn;
  AppendRecord(std::string(500, 'x'), &torn);
  torn.resize(100);
  {
    int fd = ::open(vlog.c_str(), O_WRONLY | O_APPEND);
    ASSERT_EQ(::write(fd, torn.data(), torn.size()), static_cast<ssize_t>(torn.size()));
    ::close(fd);
  }
  auto store = MustOpen(Options(dir.path()));
  EXPECT_EQ(store->recovered_truncated_bytes(), torn.size());
  EXPECT_EQ(store->MaxCommitTS(), 11);
  ASSERT_TRUE(store->Write(Fake(20)).ok());
  ASSERT_TRUE(store->Close().ok());
  store = MustOpen(Options(dir.path()));
  EXPECT_TRUE(store->Lookup(10).ok());
  EXPECT_TRUE(store->Lookup(20).ok());
  EXPECT_EQ(store->recovered_truncated_bytes(), 0u);
}

TEST(RocksDbBinlogStore, CorruptionBeforeValidRecordsFailsOpen) {
  TempDir dir;
  {
    auto store = MustOpen(Options(dir.path()));
    for (int64_t ts = 1; ts <= 5; ++ts) ASSERT_TRUE(store->Write(Fake(ts * 100)).ok());
  }
  FlipByte(dir.path() + "/value/000000.vlog", kRecordHeaderBytes + 2);  // first payload
  auto store = RocksDbBinlogStore::Open(Options(dir.path()));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find("000000.vlog"), std::string::npos);
}

TEST(RocksDbBinlogStore, LookupOfADamagedRecordIsCorruption) {
  TempDir dir;
  auto store = MustOpen(Options(dir.path()));
  ASSERT_TRUE(store->Write(Prewrite(7, std::string(100, 'a'))).ok());
  FlipByte(dir.path() + "/value/000000.vlog", kRecordHeaderBytes + 20);
  auto b = store->Lookup(7);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store->Stats().read_errors, 1);
}

TEST(RocksDbBinlogStore, GcUnlinksValueLogFilesAndDeletesTheIndex) {
  TempDir dir;
  auto options = Options(dir.path());
  options.value_log_file_bytes_max = 64 << 10;
  auto store = MustOpen(options);
  constexpr int kCount = 1000;
  constexpr int64_t kStepMs = 10'000;
  auto ts_of = [](int i) { return Tso(1'000'000'000 + i * kStepMs); };
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(store->Write(Prewrite(ts_of(i), std::string(2048, 'p'))).ok());
    ASSERT_TRUE(store->Write(Commit(ts_of(i), ts_of(i) + 1)).ok());
  }
  const int files_before = CountVlogFiles(dir.path());
  const uint64_t bytes_before = DirBytes(dir.path());
  ASSERT_GT(files_before, 20);
  // Everything up to ts_of(900) - 10 minutes = ts_of(840) goes.
  ASSERT_EQ(store->Gc(ts_of(900)), GcOutcome::kAccepted);
  store->WaitForGc();
  EXPECT_LT(CountVlogFiles(dir.path()), files_before / 4);
  EXPECT_LT(DirBytes(dir.path()), bytes_before / 2);
  BinlogStoreStats stats = store->Stats();
  EXPECT_EQ(stats.gc_ts, ts_of(900));
  EXPECT_EQ(stats.done_gc_ts, ts_of(900) - Tso(kGcMarginMilliseconds));
  EXPECT_EQ(stats.deleted_index_keys, 2 * 841 - 1);  // P and C of 0..840, minus C of 840
  EXPECT_EQ(store->Lookup(ts_of(100)).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->Lookup(ts_of(950)).ok());
  // A drainer behind gc_ts gets what is left, starting after gc_ts.
  auto pulled = store->Pull(0, 10000, size_t{64} << 20);
  ASSERT_TRUE(pulled.ok());
  EXPECT_TRUE(pulled->requested_purged);
  ASSERT_EQ(pulled->binlogs.size(), static_cast<size_t>(kCount - 900));
  EXPECT_EQ(pulled->binlogs.front().commit_ts(), ts_of(900) + 1);
  EXPECT_EQ(pulled->binlogs.front().prewrite_value().size(), 2048u);
  // The purge is durable: still purged after reopen.
  ASSERT_TRUE(store->Close().ok());
  store = MustOpen(options);
  EXPECT_EQ(store->GcTS(), ts_of(900));
  EXPECT_EQ(store->Lookup(ts_of(100)).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->Lookup(ts_of(999)).ok());
}

// The keys of a closed store's index column family, read with RocksDB directly.
struct IndexKeyCount {
  int64_t total = 0;
  int64_t at_or_below = 0;  // keys whose ts is at or below `bound`
};

IndexKeyCount CountIndexKeys(const std::string& data_dir, int64_t bound) {
  IndexKeyCount count;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"index", rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), data_dir + "/kv",
                                                   families, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return count;
  std::unique_ptr<rocksdb::DB> db(raw);
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[1]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++count.total;
      // "ts:" + 8-byte big-endian ts (rocksdb_binlog_store.h)
      const rocksdb::Slice key = it->key();
      uint64_t ts = 0;
      for (size_t i = key.size() - 8; i < key.size(); ++i) {
        ts = (ts << 8) | static_cast<uint8_t>(key[i]);
      }
      if (static_cast<int64_t>(ts) <= bound) ++count.at_or_below;
    }
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
  return count;
}

// With a tiny index memtable the index spans many files; GC must leave no index key at or
// below the bound behind (no tombstones either: the compaction filter drops them) and reads
// above it still find their binlogs.
TEST(RocksDbBinlogStore, GcLeavesNoIndexKeysAtOrBelowTheBound) {
  TempDir dir;
  auto options = Options(dir.path());
  options.sync = false;
  options.value_log_file_bytes_max = 64 << 10;
  options.index_write_buffer_bytes = 64 << 10;  // RocksDB's smallest: many index files
  auto store = MustOpen(options);
  constexpr int kCount = 6000;
  constexpr int64_t kStepMs = 1'000;
  auto ts_of = [](int i) { return Tso(1'000'000'000 + i * kStepMs); };
  for (int i = 0; i < kCount; ++i) {
    std::string value = "v";  // not "v" + to_string: GCC 12 -Wrestrict false positive
    value += std::to_string(i);
    const binlog::Binlog pair[] = {Prewrite(ts_of(i), value), Commit(ts_of(i), ts_of(i) + 1)};
    ASSERT_TRUE(store->WriteBatch(pair).ok());
  }
  // The bound is ts_of(5000) - 10 minutes = ts_of(4400): P and C of 0..4399 and P of 4400.
  constexpr int kGone = 4400;
  ASSERT_EQ(store->Gc(ts_of(5000)), GcOutcome::kAccepted);
  store->WaitForGc();
  EXPECT_EQ(store->LastGcRound().bound, ts_of(kGone));
  EXPECT_EQ(store->Stats().deleted_index_keys, 2 * kGone + 1);
  auto p = store->Lookup(ts_of(4401));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->prewrite_value(), "v4401");
  auto pulled = store->Pull(ts_of(5000), 1, size_t{1} << 20);
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->binlogs.size(), 1u);
  EXPECT_EQ(pulled->binlogs[0].commit_ts(), ts_of(5000) + 1);
  EXPECT_EQ(pulled->binlogs[0].prewrite_value(), "v5000");
  // Counted exactly in the closed store's index: RocksDB's estimate-num-keys is not exact
  // while background flushes and compactions change the file set (it failed this check
  // under load with every key really gone).
  ASSERT_TRUE(store->Close().ok());
  const IndexKeyCount left = CountIndexKeys(dir.path(), ts_of(kGone));
  EXPECT_EQ(left.at_or_below, 0);
  EXPECT_EQ(left.total, 2 * (kCount - kGone) - 1);  // the Prewrite of kGone went too
}

// GC's count of deleted index keys (binlog_pump_storage_deleted_kv_total) is exact where it
// takes whole index files' counts from their table properties instead of scanning them: a
// store large enough for several 8 MiB index files below the bound, reopened before GC (file
// metadata then comes from the MANIFEST, not from the flush or compaction that wrote it), with
// a key written after the reopen into the range of the oldest file, which that file's count
// does not hold (a prewrite with an old start ts), and a binlog of that file written again.
TEST(RocksDbBinlogStore, GcCountsIndexKeysOfWholeFilesFromTheirProperties) {
  TempDir dir;
  auto options = Options(dir.path());
  options.sync = false;
  // Many flushes, so that compactions move the older keys into L1's 8 MiB files.
  options.index_write_buffer_bytes = 1 << 20;
  constexpr int kCount = 450'000;  // 900k index keys: ~25 MB of index files
  const auto ts_of = SecondTs;
  WritePairs(MustOpen(options).get(), 0, kCount);
  auto store = MustOpen(options);
  ASSERT_TRUE(store->Write(Prewrite(ts_of(10) + 7, "late")).ok());
  // And a binlog written twice: its keys are in that file and in the memtable.
  const binlog::Binlog again[] = {Prewrite(ts_of(20), "v"), Commit(ts_of(20), ts_of(20) + 1)};
  ASSERT_TRUE(store->WriteBatch(again).ok());
  // The bound is ts_of(kCut) - 10 minutes = ts_of(kGone).
  constexpr int kCut = 400'000;
  constexpr int kGone = kCut - 600;
  ASSERT_EQ(store->Gc(ts_of(kCut)), GcOutcome::kAccepted);
  store->WaitForGc();
  EXPECT_EQ(store->Stats().deleted_index_keys, 2 * kGone + 1 + 1);  // + the late prewrite
  EXPECT_GT(store->LastGcRound().keys_counted_from_files, 0);
  EXPECT_TRUE(store->Lookup(ts_of(kGone + 1)).ok());
  ASSERT_TRUE(store->Close().ok());
  const IndexKeyCount left = CountIndexKeys(dir.path(), ts_of(kGone));
  EXPECT_EQ(left.at_or_below, 0);
  EXPECT_EQ(left.total, 2 * (kCount - kGone) - 1);
}

// The same while the keys wait in L0 files (compactions lagging behind ingest): an L0 file
// whose range meets no other file's is counted from its properties too.
TEST(RocksDbBinlogStore, GcCountsIndexKeysOfL0FilesFromTheirProperties) {
  TempDir dir;
  auto options = Options(dir.path());
  options.sync = false;
  options.index_write_buffer_bytes = 1 << 20;  // a few flushes, fewer than L0's trigger of 4
  constexpr int kCount = 36'000;  // 72k keys: ~3 flushes of ~21k
  const auto ts_of = SecondTs;
  auto store = MustOpen(options);
  WritePairs(store.get(), 0, kCount);
  auto l0_files = store->IndexProperty("rocksdb.num-files-at-level0");
  ASSERT_TRUE(l0_files.ok());
  ASSERT_GE(std::stoi(*l0_files), 1);  // the setup this test is about
  constexpr int kCut = 12'600;  // above the first flush's keys
  constexpr int kGone = kCut - 600;  // the bound is ts_of(kCut) - 10 minutes
  ASSERT_EQ(store->Gc(ts_of(kCut)), GcOutcome::kAccepted);
  store->WaitForGc();
  EXPECT_EQ(store->Stats().deleted_index_keys, 2 * kGone + 1);
  EXPECT_GT(store->LastGcRound().keys_counted_from_files, 0);
}

// Binlogs written twice (a client's retry; recovery re-indexing does the same) put a second
// copy of their index keys in newer files or the memtable: GC counts each key once.
TEST(RocksDbBinlogStore, GcCountsIndexKeysWrittenTwiceOnce) {
  TempDir dir;
  auto options = Options(dir.path());
  options.sync = false;
  options.index_write_buffer_bytes = 64 << 10;  // RocksDB's smallest: many index files
  constexpr int kCount = 6000;
  const auto ts_of = SecondTs;
  auto write_pair = [](RocksDbBinlogStore* store, int i) { WritePairs(store, i, i + 1); };
  {
    auto store = MustOpen(options);
    for (int i = 0; i < kCount; ++i) write_pair(store.get(), i);
    for (int i : {10, 2000, 4399}) write_pair(store.get(), i);
  }
  auto store = MustOpen(options);
  for (int i : {20, 3000, 5500}) write_pair(store.get(), i);
  // The bound is ts_of(5000) - 10 minutes = ts_of(4400): P and C of 0..4399 and P of 4400.
  constexpr int kGone = 4400;
  ASSERT_EQ(store->Gc(ts_of(5000)), GcOutcome::kAccepted);
  store->WaitForGc();
  EXPECT_EQ(store->Stats().deleted_index_keys, 2 * kGone + 1);
}

// Point reads of keys below every key in the index memtables skip the memtables: a late key
// below that floor (a prewrite with an old start_ts) must still be found at once, across
// flushes (many: RocksDB's smallest write buffer) and a reopen, and misses stay misses.
TEST(RocksDbBinlogStore, LateKeysBelowTheFlushedOnesAreFound) {
  TempDir dir;
  auto options = Options(dir.path());
  options.sync = false;
  options.index_write_buffer_bytes = 64 << 10;
  constexpr int kCount = 6000;
  const auto ts_of = SecondTs;
  std::vector<int64_t> written;
  auto write = [&](RocksDbBinlogStore* store, int64_t start) {
    const binlog::Binlog pair[] = {Prewrite(start, "v"), Commit(start, start + 1)};
    ASSERT_TRUE(store->WriteBatch(pair).ok());
    written.insert(written.end(), {start, start + 1});
  };
  // Big batches: a flush completes while the next batch's keys fill the new memtable, so
  // the floor is raised with many keys in the memtables.
  auto write_many = [&](RocksDbBinlogStore* store, int from, int to) {
    WritePairs(store, from, to);
    for (int i = from; i < to; ++i) written.insert(written.end(), {ts_of(i), ts_of(i) + 1});
  };
  auto expect_all_found = [&](RocksDbBinlogStore* store) {
    for (int64_t ts : written) ASSERT_TRUE(store->Lookup(ts).ok()) << ts;
    for (int64_t ts : {ts_of(7) + 5, ts_of(4321) + 5}) {
      EXPECT_EQ(store->Lookup(ts).status().code(), StatusCode::kNotFound) << ts;
    }
  };
  {
    auto store = MustOpen(options);
    write_many(store.get(), 0, kCount);
    expect_all_found(store.get());
    for (int i : {5999, 2500, 10}) {  // each below everything written since the last flush
      write(store.get(), ts_of(i) + 2);
      ASSERT_TRUE(store->Lookup(ts_of(i) + 2).ok()) << i;
    }
    write_many(store.get(), kCount, kCount + 3000);
    write(store.get(), ts_of(11) + 2);
    ASSERT_TRUE(store->Lookup(ts_of(11) + 2).ok());
    expect_all_found(store.get());
  }
  auto store = MustOpen(options);
  expect_all_found(store.get());
  write(store.get(), ts_of(12) + 2);
  ASSERT_TRUE(store->Lookup(ts_of(12) + 2).ok());
}

// TiDB rollbacks share index key 0 (upstream): it is served until GC, survives reopen, and
// GC deletes and counts it like upstream's "ts:0 .. ts:bound" range.
TEST(RocksDbBinlogStore, RollbackKeyZeroSurvivesReopenAndGoesWithGc) {
  TempDir dir;
  constexpr int64_t kStepMs = 60'000;
  auto ts_of = [](int i) { return Tso(1'000'000'000 + i * kStepMs); };
  binlog::Binlog rollback;
  rollback.set_tp(binlog::Rollback);
  rollback.set_start_ts(ts_of(1));
  {
    auto store = MustOpen(Options(dir.path()));
    ASSERT_TRUE(store->Write(Prewrite(ts_of(1), "rolled back")).ok());
    ASSERT_TRUE(store->Write(rollback).ok());
    for (int i = 2; i <= 30; ++i) ASSERT_TRUE(store->Write(Fake(ts_of(i))).ok());
  }
  auto store = MustOpen(Options(dir.path()));
  auto zero = store->Lookup(0);
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(zero->start_ts(), ts_of(1));
  // Bound ts_of(20) - 10 minutes = ts_of(10): the prewrite, fakes 2..10 and key 0.
  ASSERT_EQ(store->Gc(ts_of(20)), GcOutcome::kAccepted);
  store->WaitForGc();
  EXPECT_EQ(store->Stats().deleted_index_keys, 1 + 9 + 1);
  EXPECT_EQ(store->Lookup(0).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->Lookup(ts_of(11)).ok());
}

// The index entries of a group are put in key order; equal keys (rollbacks share key 0)
// keep their log order, so the last rollback written is the one served.
TEST(RocksDbBinlogStore, LastRollbackOfABatchWinsKeyZero) {
  TempDir dir;
  auto store = MustOpen(Options(dir.path()));
  std::vector<binlog::Binlog> batch;
  for (int64_t start : {Tso(1'000'000'300), Tso(1'000'000'100), Tso(1'000'000'200)}) {
    binlog::Binlog rollback;
    rollback.set_tp(binlog::Rollback);
    rollback.set_start_ts(start);
    batch.push_back(Fake(start + 1));  // index keys on both sides of the rollbacks' key 0
    batch.push_back(rollback);
  }
  ASSERT_TRUE(store->WriteBatch(batch).ok());
  auto zero = store->Lookup(0);
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(zero->start_ts(), Tso(1'000'000'200));
  for (int64_t start : {Tso(1'000'000'300), Tso(1'000'000'100), Tso(1'000'000'200)}) {
    EXPECT_TRUE(store->Lookup(start + 1).ok());
  }
}

// A kv/ directory whose default column family holds "ts:" index keys (the layout before the
// index had its own family) is refused rather than silently read as empty.
TEST(RocksDbBinlogStore, IndexKeysInTheDefaultFamilyAreRefused) {
  TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    std::unique_ptr<rocksdb::DB> db;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path() + "/kv", &raw).ok());
    db.reset(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), std::string("ts:\0\0\0\0\0\0\0\x07", 11),
                        std::string(kValuePointerBytes, '\0'))
                    .ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto store = RocksDbBinlogStore::Open(Options(dir.path()));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
}

// Holds the store's index write back (before_index_write_for_testing) once armed, so that a
// test can read while a write is acknowledged but not yet indexed.
class IndexWriteHold {
 public:
  void Install(RocksDbBinlogStoreOptions* options) {
    options->before_index_write_for_testing = [this] {
      if (!hold_.load()) return;
      held_.store(true);
      held_.notify_all();
      while (hold_.load()) hold_.wait(true);
    };
  }
  void Arm() { hold_.store(true); }
  void WaitUntilHeld() { held_.wait(false); }
  // Gives readers started just before time to reach the store while the index is held (a
  // reader that does not wait for the index then answers from the old index; the outcome
  // checked does not depend on the timing), then lets the index write go.
  void Release() {
    std::this_thread::sleep_for(kReadersHeadStart);
    hold_.store(false);
    hold_.notify_all();
  }

 private:
  std::atomic<bool> hold_{false};
  std::atomic<bool> held_{false};
};

// A write is acknowledged once its fdatasync returns, before its index entries are written
// (as upstream); Lookup and Pull of an acknowledged write must still find it, waiting for the
// index if need be.
TEST(RocksDbBinlogStore, AcknowledgedWritesAreReadableBeforeTheirIndexWrite) {
  TempDir dir;
  auto options = Options(dir.path());
  IndexWriteHold hold;
  hold.Install(&options);
  auto store = MustOpen(options);
  hold.Arm();
  ASSERT_TRUE(store->WriteBatch(std::vector{Prewrite(10, "v"), Commit(10, 11)}).ok());
  hold.WaitUntilHeld();  // acknowledged, and the index write is held back
  EXPECT_EQ(store->MaxCommitTS(), 11);
  Result<binlog::Binlog> looked_up = Status::Unavailable("not run");
  Result<PullResult> pulled = Status::Unavailable("not run");
  std::thread readers([&] {
    looked_up = store->Lookup(10);
    pulled = store->Pull(0, 10, 1 << 20);
  });
  hold.Release();
  readers.join();
  ASSERT_TRUE(looked_up.ok()) << looked_up.status().ToString();
  EXPECT_EQ(looked_up->prewrite_value(), "v");
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  ASSERT_EQ(pulled->binlogs.size(), 1u);
  EXPECT_EQ(pulled->binlogs[0].commit_ts(), 11);
  EXPECT_EQ(pulled->binlogs[0].prewrite_value(), "v");
}

// Key 0 is rewritten by every rollback: while the newest one's index write is held back, a
// lookup must not answer the older rollback still in the index.
TEST(RocksDbBinlogStore, AcknowledgedRollbackReplacesKeyZeroBeforeItsIndexWrite) {
  TempDir dir;
  auto options = Options(dir.path());
  IndexWriteHold hold;
  hold.Install(&options);
  auto store = MustOpen(options);
  auto rollback = [](int64_t start) {
    binlog::Binlog b;
    b.set_tp(binlog::Rollback);
    b.set_start_ts(start);
    return b;
  };
  ASSERT_TRUE(store->Write(rollback(20)).ok());
  // Write returns before its index write: Lookup(0) waits for it, so that the hold armed next
  // catches rollback 30's index write, not this one's (which would block the writer thread
  // before it acknowledges rollback 30).
  ASSERT_TRUE(store->Lookup(0).ok());
  hold.Arm();
  ASSERT_TRUE(store->Write(rollback(30)).ok());
  hold.WaitUntilHeld();
  Result<binlog::Binlog> zero = Status::Unavailable("not run");
  std::thread reader([&] { zero = store->Lookup(0); });
  hold.Release();
  reader.join();
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(zero->start_ts(), 30);
}

TEST(RocksDbBinlogStore, LowFreeSpaceRefusesRealWritesWithUpstreamText) {
  TempDir dir;
  auto options = Options(dir.path());
  options.stop_write_at_available_space_bytes = INT64_MAX;
  auto store = MustOpen(options);
  Status s = store->Write(Prewrite(5, "x"));
  ASSERT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_TRUE(s.message().starts_with("no available space, available: ")) << s.message();
  EXPECT_TRUE(s.message().ends_with(", StopWriteAtAvailableSpace: " +
                                    std::to_string(INT64_MAX)))
      << s.message();
  EXPECT_TRUE(store->Write(Fake(9)).ok());  // fake binlogs bypass the guard
  EXPECT_EQ(store->MaxCommitTS(), 9);
}

TEST(RocksDbBinlogStore, FailedFdatasyncMakesTheStoreReadOnly) {
  TempDir dir;
  auto options = Options(dir.path());
  auto fail = std::make_shared<std::atomic<bool>>(false);
  options.fail_sync_for_testing = [fail] { return fail->load(); };
  auto store = MustOpen(options);
  ASSERT_TRUE(store->Write(Fake(10)).ok());
  fail->store(true);
  EXPECT_EQ(store->Write(Fake(20)).code(), StatusCode::kIoError);
  fail->store(false);
  Status later = store->Write(Fake(30));
  EXPECT_EQ(later.code(), StatusCode::kIoError);
  EXPECT_NE(later.message().find("read-only"), std::string::npos) << later.message();
  EXPECT_TRUE(store->Lookup(10).ok());  // reads still work
  EXPECT_EQ(store->Stats().write_errors, 2);
}

// With the commit pipeline, groups may be written while an earlier group's fdatasync fails:
// none of them may be acknowledged, every write that starts after a failure was reported
// fails too, and whatever was acknowledged before stays readable.
TEST(RocksDbBinlogStore, FailedFdatasyncUnderConcurrentWritersAcknowledgesNothingAfterIt) {
  TempDir dir;
  auto options = Options(dir.path());
  auto fail = std::make_shared<std::atomic<bool>>(false);
  options.fail_sync_for_testing = [fail] { return fail->load(); };
  auto store = MustOpen(options);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  constexpr int kFailAfterAcks = 300;
  std::atomic<int> acks{0};
  std::atomic<bool> failure_seen{false};
  std::atomic<int> ok_after_failure_seen{0};
  std::vector<std::vector<int64_t>> acked(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const bool after_failure = failure_seen.load();
        const int64_t ts = (int64_t{i} * kThreads + t) + 1;
        Status s = store->Write(Fake(ts));
        if (s.ok()) {
          acked[t].push_back(ts);
          ok_after_failure_seen += after_failure;
          if (++acks == kFailAfterAcks) fail->store(true);
        } else {
          EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
          failure_seen.store(true);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(failure_seen.load());
  EXPECT_EQ(ok_after_failure_seen.load(), 0);
  EXPECT_GE(store->Stats().write_errors, 1);
  for (const auto& mine : acked) {
    for (int64_t ts : mine) EXPECT_TRUE(store->Lookup(ts).ok()) << ts;
  }
}

TEST(RocksDbBinlogStore, ConcurrentWritersAreAllDurableAndReadable) {
  TempDir dir;
  auto store = MustOpen(Options(dir.path()));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int64_t start = (int64_t{i} * kThreads + t) * 4 + 1;
        ASSERT_TRUE(store->Write(Prewrite(start, std::to_string(start))).ok());
        ASSERT_TRUE(store->Write(Commit(start, start + 2)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(store->AllMatched());
  EXPECT_EQ(store->MaxCommitTS(), (int64_t{kPerThread} * kThreads - 1) * 4 + 3);
  ASSERT_TRUE(store->Close().ok());
  store = MustOpen(Options(dir.path()));
  for (int64_t k = 0; k < kThreads * kPerThread; ++k) {
    auto p = store->Lookup(k * 4 + 1);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->prewrite_value(), std::to_string(k * 4 + 1));
  }
}

// Group commit: concurrent writers share fdatasyncs. The sync is made slow (1 ms, a slow
// disk), so the writers queue while it runs and the next one covers them all.
TEST(RocksDbBinlogStore, ConcurrentWritersShareFdatasyncs) {
  TempDir dir;
  auto store = MustOpen(SlowSyncOptions(dir.path()));
  constexpr int kThreads = 16;
  constexpr int kPerThread = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(store->Write(Fake(int64_t{i} * kThreads + t + 1)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store->MaxCommitTS(), kThreads * kPerThread);
  // After Close: the writer thread counts a group's requests after acknowledging them.
  ASSERT_TRUE(store->Close().ok());
  const WritePathReport report = store->write_path_report();
  EXPECT_EQ(report.requests, kThreads * kPerThread);
  EXPECT_GE(report.syncs, 1);
  // Each fdatasync covers several writers (one per write would be kThreads * kPerThread).
  EXPECT_LE(report.syncs * kMinWritersPerSync, report.requests)
      << report.syncs << " fdatasyncs for " << report.requests << " writes";
}

// Close lets every async write in flight finish (each callback runs, with OK) before it
// stops the store's threads; those writes are durable.
TEST(RocksDbBinlogStore, CloseWaitsForAsyncWritesInFlight) {
  TempDir dir;
  auto store = MustOpen(SlowSyncOptions(dir.path()));
  constexpr int kWrites = 64;
  std::atomic<int> ok{0};
  std::atomic<int> done{0};
  for (int i = 1; i <= kWrites; ++i) {
    const binlog::Binlog fake = Fake(i);
    store->WriteBatchAsync(std::span<const binlog::Binlog>(&fake, 1), [&](Status s) {
      ok += s.ok();
      ++done;
    });
  }
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(done.load(), kWrites);
  EXPECT_EQ(ok.load(), kWrites);
  store = MustOpen(Options(dir.path()));
  for (int i = 1; i <= kWrites; ++i) EXPECT_TRUE(store->Lookup(i).ok()) << i;
}

// An async write never waits for queue room: with the queue full it is refused at once
// (kResourceExhausted), and the writes already queued still complete.
TEST(RocksDbBinlogStore, AsyncWriteIsRefusedWhenTheWriteQueueIsFull) {
  TempDir dir;
  auto options = Options(dir.path());
  options.write_queue_requests_max = 2;
  auto hold = std::make_shared<std::promise<void>>();
  auto held = std::make_shared<std::promise<void>>();
  std::shared_future<void> release = hold->get_future().share();
  auto first_sync = std::make_shared<std::atomic<bool>>(true);
  options.fail_sync_for_testing = [release, held, first_sync] {
    if (first_sync->exchange(false)) {
      held->set_value();
      release.wait();  // the sync thread stays in its first fdatasync
    }
    return false;
  };
  auto store = MustOpen(options);
  std::atomic<int> ok{0};
  auto write_fake = [&](int64_t ts) {
    const binlog::Binlog fake = Fake(ts);
    store->WriteBatchAsync(std::span<const binlog::Binlog>(&fake, 1),
                           [&ok](Status s) { ok += s.ok(); });
  };
  write_fake(1);
  held->get_future().wait();  // write 1 is in the held fdatasync, the queue is empty
  write_fake(2);
  write_fake(3);  // the queue is full now
  const binlog::Binlog fake = Fake(4);
  Status refused;
  bool answered = false;
  store->WriteBatchAsync(std::span<const binlog::Binlog>(&fake, 1), [&](Status s) {
    refused = std::move(s);
    answered = true;
  });
  EXPECT_TRUE(answered);  // before WriteBatchAsync returned
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
  hold->set_value();
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(ok.load(), 3);
}

}  // namespace
}  // namespace tidb_binlog
