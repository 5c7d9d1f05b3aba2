#include "reference/storage/rocksdb_binlog_store.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <system_error>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/write_batch.h>

#include "reference/core/cpu_time.h"
#include "reference/storage/posix_file.h"

namespace tidb_binlog {
namespace {

// A group grows to this many payload bytes (upstream writeToValueLog)...
constexpr size_t kGroupBytesMax = size_t{1} << 20;
// ...or, when the first request is at most this big, to first + this many bytes.
constexpr size_t kGroupSmallFirstBytes = size_t{128} << 10;
// Groups acknowledged but not yet indexed. The writer thread indexes all of them with one
// write, so more than one waits only while it lags (a slow index write); past this the sync
// thread stops taking requests (and the bounded request queue stops the callers).
constexpr size_t kUnindexedGroupsMax = 16;
// Free space is re-read with statfs at most this often (upstream: every 3 s).
constexpr int64_t kSpaceRefreshIntervalMilliseconds = 3000;
// Index entries per RocksDB write while replaying the value log at Open.
constexpr size_t kRecoveryBatchEntries = 1024;
// TSO = physical milliseconds << this (UPSTREAM.md §6.4).
constexpr int kTsoLogicalBits = 18;
// RocksDB index tuning (PERFORMANCE.md §7).
constexpr int kBloomBitsPerKey = 10;
// RocksDB's default splits a 64 MiB cache into 64 shards of 1 MiB; a whole-file bloom filter
// of an index file is larger than that (10 bits x ~1M keys), so it could never stay cached.
constexpr int kIndexBlockCacheShardBits = 2;
// Whole-key bloom over the index memtable, as a fraction of the memtable's size: an entry
// takes ~50 bytes (16 MiB held ~330k), so 2.5% is ~10 bits per entry, the files' rate.
// Without it every miss walks the skiplist (measured: miss 0.57-0.72 -> 0.48 us with a
// full 16 MiB memtable, whose misses were then slower than a raw RocksDB miss).
constexpr double kIndexMemtableBloomRatio = 0.025;
// Keys per restart point in index data blocks: the hash index above leads a Get to its
// restart point, from which it scans keys in order; 4 instead of RocksDB's 16 shortens that
// scan (store Lookup 3.57-3.81 -> 3.40-3.53 us in http-bench-server's handler pass) for ~7%
// larger index files (less key prefix sharing).
constexpr int kIndexBlockRestartIntervalKeys = 4;
// GC's index passes (DeleteFilesInRange + CompactRange) at most; a pass repeats only when an
// automatic compaction published a file in range meanwhile.
constexpr int kGcIndexPassesMax = 3;
// Index files in L1+: GC drops whole files of this size and rewrites at most the straddling one.
constexpr uint64_t kIndexTargetFileBytes = uint64_t{8} << 20;
// The meta column family holds four keys rewritten by every group.
constexpr size_t kMetaWriteBufferBytes = size_t{4} << 20;

// The "ts:" index lives in its own column family, so its files hold only ts keys: the meta
// keys (rewritten by every group, sorting before "ts:") would otherwise widen every file's key
// range to include them and DeleteFilesInRange could never drop a file whole.
const std::string kIndexColumnFamily = "index";
const std::string kTsKeyPrefix = "ts:";
// TiDB rollbacks (commit_ts 0) are all stored under index key 0, each replacing the last
// (UPSTREAM.md §7.2). That key is rewritten all the time: in the index family it would put
// ts 0 into every flushed file, so every file would overlap every older one (no whole-file
// GC drops, and each L0 compaction rewriting all of L1). It lives with the meta keys.
constexpr int64_t kRollbackIndexTs = 0;
const std::string kGcTsKey = "!binlog!gcts";
const std::string kMaxCommitTsKey = "!binlog!maxCommitTS";
const std::string kHandlePointerKey = "!binlog!handlePointer";
const std::string kHeadPointerKey = "!binlog!headPointer";
// Lookup's message for an absent ts, referred to by its statuses (no allocation per miss).
const std::string kBinlogNotFoundText = kBinlogNotFoundMessage;

// Every call after Close has begun.
Status StoreClosed() { return Status::Unavailable("binlog store is closed"); }

Status BinlogNotFound() {
  return Status::WithStaticMessage(StatusCode::kNotFound, kBinlogNotFoundText);
}

int64_t EncodeTso(int64_t milliseconds) { return milliseconds << kTsoLogicalBits; }

// A request's acknowledgement is a word (0 = pending, kAcknowledged = done) and its caller
// sleeps on a futex word of the store (ack_words_, one per round of queued requests) rather
// than on a mutex + condition variable: the writer's wake is one FUTEX_WAKE for a whole
// round that wakes no caller of another round (under load, the callers waiting for the next
// fdatasync would otherwise all wake for nothing at every acknowledgement), and a woken
// caller takes no lock, so it never wakes only to block on a mutex the writer still holds
// (measured: ~4 futex calls and ~2.8 context switches per request with the mutex, on 32
// writers).
// Not std::atomic::wait/notify_all, which do the same underneath but spin (and yield) before
// sleeping: 32 callers spinning on 2 cores would take the CPU the writer and the returning
// callers need.
constexpr uint32_t kAcknowledged = 1;
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

uint32_t* FutexWord(std::atomic<uint32_t>* word) { return reinterpret_cast<uint32_t*>(word); }

// Blocks until *acknowledged is set. The caller sleeps on its round's `epoch` word, which
// the writer bumps (and wakes every sleeper on, with one call) after setting the round's
// acknowledgements: reading the epoch before the check means a bump between the check and
// the sleep makes FUTEX_WAIT return at once. Spurious wakes (a group that took only part of
// a round, a word shared with a round kAckWords earlier) and EINTR just check again.
void WaitForAcknowledgement(const std::atomic<uint32_t>& acknowledged,
                            std::atomic<uint32_t>* epoch) {
  for (;;) {
    const uint32_t seen = epoch->load(std::memory_order_acquire);
    if (acknowledged.load(std::memory_order_acquire) != 0) return;
    ::syscall(SYS_futex, FutexWord(epoch), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
  }
}

// Wakes every thread sleeping on *word.
void WakeAll(std::atomic<uint32_t>* word) {
  ::syscall(SYS_futex, FutexWord(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

std::string TsKey(int64_t ts) {
  std::string key = kTsKeyPrefix;
  auto v = static_cast<uint64_t>(ts);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(v >> shift));
  return key;
}

// The ts of an index key (TsKey's inverse); false if `key` is not of that form.
bool DecodeTsKey(const rocksdb::Slice& key, int64_t* ts) {
  if (!key.starts_with(kTsKeyPrefix) || key.size() != kTsKeyPrefix.size() + 8) return false;
  uint64_t v = 0;
  for (size_t i = kTsKeyPrefix.size(); i < key.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(key[i]);
  }
  *ts = static_cast<int64_t>(v);
  return true;
}

std::string EncodeInt64(int64_t value) {
  std::string out;
  auto v = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

Result<int64_t> DecodeInt64(const std::string& bytes, const std::string& key) {
  if (bytes.size() != 8) return Status::Corruption("index meta " + key + " is not 8 bytes");
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<int64_t>(v);
}

uint64_t EncodePosition(ValuePointer p) {
  return (uint64_t{p.fid} << kPositionOffsetBits) | p.offset;
}
ValuePointer DecodePosition(uint64_t position) {
  return {static_cast<uint32_t>(position >> kPositionOffsetBits),
          position & ((uint64_t{1} << kPositionOffsetBits) - 1)};
}

// Point reads of the index use default options, built once: a ReadOptions is some 30
// fields (a std::function and shared_ptrs among them), measurable on a ~0.5 us miss.
const rocksdb::ReadOptions& IndexReadOptions() {
  static const rocksdb::ReadOptions options;
  return options;
}

// Point reads of index keys below every key in the index memtables: RocksDB reads only
// the index files, skipping the memtables' bloom probes (a miss's largest cost after the
// files' own filter). kPersistedTier skips memtables because index writes skip the WAL.
const rocksdb::ReadOptions& BelowMemtablesReadOptions() {
  static const rocksdb::ReadOptions options = [] {
    rocksdb::ReadOptions o;
    o.read_tier = rocksdb::kPersistedTier;
    return o;
  }();
  return options;
}

// Tells the writer thread that a flush moved memtable keys into files, so that it may
// raise memtable_floor_ (RaiseMemtableFloor).
class FlushListener final : public rocksdb::EventListener {
 public:
  explicit FlushListener(std::shared_ptr<std::atomic<bool>> flushed)
      : flushed_(std::move(flushed)) {}
  void OnFlushCompleted(rocksdb::DB* /*db*/, const rocksdb::FlushJobInfo& /*info*/) override {
    flushed_->store(true, std::memory_order_release);
  }

 private:
  std::shared_ptr<std::atomic<bool>> flushed_;
};

// The write path's index writes skip RocksDB's WAL: the fdatasync'ed value log is the log.
// Each index write carries headPointer and handlePointer with its entries, and atomic_flush
// persists both column families together, so whatever RocksDB has flushed (after a crash,
// the state Open finds) holds pointers that match its entries, and Open() re-indexes the
// value log from them, as upstream re-indexes from its handle pointer (UPSTREAM.md §7).
// Measured: I1 (BM_IngestNoSync) ratio 1.54-1.57 -> 1.84-1.88 (medians of 3, alternating
// runs); a crash now replays up to a memtable's worth of value log at Open.
const rocksdb::WriteOptions& IndexWriteOptions() {
  static const rocksdb::WriteOptions options = [] {
    rocksdb::WriteOptions o;
    o.disableWAL = true;
    return o;
  }();
  return options;
}

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IoError(what + ": " + s.ToString());
}

Result<binlog::Binlog> DecodeBinlog(std::string_view payload) {
  binlog::Binlog b;
  if (!b.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status::Corruption("stored binlog does not decode");
  }
  return b;
}

bool IsProbe(const binlog::Binlog& b) { return b.start_ts() == 0 && b.commit_ts() == 0; }

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t NowMilliseconds() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Fields a pulled Commit takes from its Prewrite (upstream PullCommitBinlog).
void EnrichFromPrewrite(const binlog::Binlog& prewrite, binlog::Binlog* commit) {
  commit->set_start_ts(prewrite.start_ts());
  if (prewrite.has_prewrite_value()) {
    commit->set_prewrite_value(prewrite.prewrite_value());
  } else {
    commit->clear_prewrite_value();
  }
  if (prewrite.has_ddl_query()) {
    commit->set_ddl_query(prewrite.ddl_query());
  } else {
    commit->clear_ddl_query();
  }
  commit->set_ddl_job_id(prewrite.ddl_job_id());
  commit->set_ddl_schema_state(prewrite.ddl_schema_state());
}

// A thread running `body`, named for top -H, perf and gdb (`name`: at most 15 characters).
template <typename Body>
std::thread NamedThread(const char* name, Body body) {
  return std::thread([name, body = std::move(body)] {
    (void)::pthread_setname_np(::pthread_self(), name);
    body();
  });
}

// A key range [first, last], both ends included.
struct KeyRange {
  std::string first;
  std::string last;
};

// Index keys counted without a scan: `keys` distinct keys that live in the half-open key ranges
// `skip` and nowhere else (the scan passes over those ranges).
struct CountedKeys {
  int64_t keys = 0;
  std::vector<std::pair<std::string, std::string>> skip;  // [from, to), sorted, disjoint
};

// The smallest key after `key` (bytewise order).
std::string KeyAfter(const std::string& key) { return key + '\0'; }

// An index file's path, as table properties are keyed.
std::string FilePath(const rocksdb::SstFileMetaData& file) {
  return file.directory + "/" + file.relative_filename;
}

// A file's table properties, or null if `properties` (read separately from the file set, so a
// compaction may have replaced it meanwhile) does not hold them.
const rocksdb::TableProperties* PropertiesOf(const rocksdb::SstFileMetaData& file,
                                             const rocksdb::TablePropertiesCollection& properties) {
  auto it = properties.find(FilePath(file));
  return it == properties.end() ? nullptr : it->second.get();
}

// The parts of `file`'s range that another file's range meets, and the span of the memtable
// keys within it (`memtables` iterates the memtables only), merged, sorted. Consecutive
// flushes overlap by a sliver (a prewrite indexed after a flush can be older than that
// flush's newest commit), so these are usually a few keys at either end of the file.
std::vector<KeyRange> ContestedParts(const std::vector<const rocksdb::SstFileMetaData*>& all,
                                     const rocksdb::SstFileMetaData& file,
                                     rocksdb::Iterator* memtables) {
  std::vector<KeyRange> parts;
  for (const rocksdb::SstFileMetaData* other : all) {
    if (other == &file || other->smallestkey > file.largestkey ||
        other->largestkey < file.smallestkey) {
      continue;
    }
    parts.push_back({std::max(other->smallestkey, file.smallestkey),
                     std::min(other->largestkey, file.largestkey)});
  }
  memtables->Seek(file.smallestkey);
  if (memtables->Valid() && memtables->key().compare(file.largestkey) <= 0) {
    std::string first = memtables->key().ToString();
    memtables->SeekForPrev(file.largestkey);
    if (memtables->Valid()) parts.push_back({std::move(first), memtables->key().ToString()});
  }
  std::sort(parts.begin(), parts.end(),
            [](const KeyRange& a, const KeyRange& b) { return a.first < b.first; });
  std::vector<KeyRange> merged;
  for (KeyRange& part : parts) {
    if (!merged.empty() && part.first <= merged.back().last) {
      merged.back().last = std::max(merged.back().last, part.last);
    } else {
      merged.push_back(std::move(part));
    }
  }
  return merged;
}

// The keys of the index file at `path` within `parts`, read from that file alone; -1 if it
// cannot be read (a compaction may have deleted it since the file set was read).
int64_t FileKeysIn(const std::string& path, const std::vector<KeyRange>& parts) {
  rocksdb::SstFileReader reader{rocksdb::Options()};
  if (!reader.Open(path).ok()) return -1;
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(read_options));
  int64_t keys = 0;
  for (const KeyRange& part : parts) {
    for (it->Seek(part.first); it->Valid() && it->key().compare(part.last) <= 0; it->Next()) {
      ++keys;
    }
  }
  return it->status().ok() ? keys : -1;
}

// Counts what it can of the index keys in [begin, end) from the table properties of the files
// there: a file's puts (num_entries, for files with no tombstones, merges or range deletions)
// are its distinct keys, as the store takes no snapshots (flushes and compactions keep one
// entry per key). Those outside the file's contested parts (ContestedParts) exist nowhere
// else: another copy of a key (a binlog written twice, or re-indexed by recovery) lies in a
// memtable or a file whose range meets this one's. So the file's keys minus those in its
// contested parts (read from the file alone) are counted here, and the scan passes over the
// rest of its range.
CountedKeys CountFromFileProperties(const rocksdb::ColumnFamilyMetaData& files,
                                    const rocksdb::TablePropertiesCollection& properties,
                                    rocksdb::Iterator* memtables, const rocksdb::Slice& begin,
                                    const rocksdb::Slice& end) {
  std::vector<const rocksdb::SstFileMetaData*> all;
  for (const rocksdb::LevelMetaData& level : files.levels) {
    for (const rocksdb::SstFileMetaData& file : level.files) all.push_back(&file);
  }
  CountedKeys out;
  for (const rocksdb::SstFileMetaData* file : all) {
    if (begin.compare(file->smallestkey) > 0 || end.compare(file->largestkey) <= 0) continue;
    const rocksdb::TableProperties* table = PropertiesOf(*file, properties);
    if (table == nullptr || table->num_deletions != 0 || table->num_merge_operands != 0 ||
        table->num_range_deletions != 0) {
      continue;
    }
    const std::vector<KeyRange> contested = ContestedParts(all, *file, memtables);
    if (contested.size() == 1 && contested[0].first == file->smallestkey &&
        contested[0].last == file->largestkey) {
      continue;  // contested end to end: all of it is scanned
    }
    const int64_t contested_keys =
        contested.empty() ? 0 : FileKeysIn(FilePath(*file), contested);
    if (contested_keys < 0) continue;
    const int64_t keys = static_cast<int64_t>(table->num_entries) - contested_keys;
    // The file's range outside the contested parts: [from, to) pieces.
    std::string from = file->smallestkey;
    for (const KeyRange& part : contested) {
      if (from < part.first) out.skip.emplace_back(from, part.first);
      from = KeyAfter(part.last);
    }
    if (from <= file->largestkey) out.skip.emplace_back(from, KeyAfter(file->largestkey));
    out.keys += keys;
  }
  std::sort(out.skip.begin(), out.skip.end());
  return out;
}

}  // namespace

// Drops index keys at or below a bound from every compaction and flush of the index: GC's
// way to delete the keys DeleteFilesInRange left (no range tombstone on the read path). The
// bound only grows. Readers never see a dropped key anyway: Lookup answers kNotFound at or
// below gc_bound_ and Pull starts above gc_ts.
class IndexCompactionFilter final : public rocksdb::CompactionFilter {
 public:
  void AllowDropUpTo(int64_t bound) {
    int64_t current = drop_up_to_.load();
    while (bound > current && !drop_up_to_.compare_exchange_weak(current, bound)) {
    }
  }

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& /*value*/,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    int64_t ts = 0;
    return DecodeTsKey(key, &ts) && ts <= drop_up_to_.load(std::memory_order_relaxed);
  }

  const char* Name() const override { return "tidb_binlog.IndexGcFilter"; }

 private:
  std::atomic<int64_t> drop_up_to_{INT64_MIN};
};

// A binlog of a request; its record (header + encoded payload) is in the request's records.
struct RocksDbBinlogStore::Item {
  size_t payload_bytes;
  int64_t key;
  binlog::BinlogType tp;
  int64_t start_ts;
  int64_t commit_ts;
};

// A caller's write, on its stack until acknowledged. The acknowledgement goes through the
// request's own futex word, not queue_mutex_, so that callers woken together do not queue
// up on the pipeline's lock (and the writer does not hold it while waking them). An async
// write's request (WriteBatchAsync) is the store's, on the heap, and `done` acknowledges it.
struct RocksDbBinlogStore::Request {
  std::vector<Item> items;
  // The items' value-log records, encoded by the caller (in parallel with other callers and
  // the writer thread), written by the writer as they are.
  std::string records;
  size_t bytes = 0;  // payload bytes
  Status status;  // written by the writer before it releases `acknowledged`
  // kAcknowledged once status is final; the caller sleeps on `word` until then.
  std::atomic<uint32_t> acknowledged{0};
  std::atomic<uint32_t>* word = nullptr;  // its round's futex word (ack_words_)
  WriteDone done;  // set for an async write
};

// Requests written to the value log with one write, and what their index write will persist.
struct RocksDbBinlogStore::Group {
  std::vector<Request*> requests;
  // Not ok if the write failed or was refused, or if the fdatasync meant to cover it failed.
  Status status;
  ValuePointer start;  // the first record
  ValuePointer end;    // just past the last record
  // NowSeconds() when it became durable (or failed): its fdatasync returned, or with sync
  // off its write did (WritePathReport).
  double synced_at = 0;
  // State after this group's records, persisted and published with its index entries.
  int64_t max_commit_ts = 0;
  bool all_matched = true;
  ValuePointer handle;  // the sorter's replay position
};

RocksDbBinlogStore::RocksDbBinlogStore(const RocksDbBinlogStoreOptions& options)
    : options_(options), index_filter_(std::make_unique<IndexCompactionFilter>()) {}

RocksDbBinlogStore::~RocksDbBinlogStore() { (void)Close(); }

Result<std::unique_ptr<RocksDbBinlogStore>> RocksDbBinlogStore::Open(
    const RocksDbBinlogStoreOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("data dir is empty");
  if (options.gc_nice < 0 || options.gc_nice > kGcNiceMax) {
    return Status::InvalidArgument("gc_nice out of range");
  }
  if (options.value_log_file_bytes_max == 0 ||
      options.value_log_file_bytes_max > kValueLogFileBytesLimit) {
    return Status::InvalidArgument("value_log_file_bytes_max out of range");
  }
  std::unique_ptr<RocksDbBinlogStore> store(new RocksDbBinlogStore(options));
  BINLOG_RETURN_IF_ERROR(store->LockDataDir());
  BINLOG_RETURN_IF_ERROR(store->OpenIndex());
  BINLOG_RETURN_IF_ERROR(store->LoadMeta());
  ValueLogOptions vlog_options;
  vlog_options.dir = options.data_dir + "/value";
  vlog_options.file_bytes_max = options.value_log_file_bytes_max;
  vlog_options.sync = options.sync;
  vlog_options.fail_sync_for_testing = options.fail_sync_for_testing;
  vlog_options.index_ts_of = [](std::string_view payload) -> Result<int64_t> {
    auto b = DecodeBinlog(payload);
    if (!b.ok()) return b.status();
    return BinlogIndexTs(*b);
  };
  auto vlog = ValueLog::Open(std::move(vlog_options));
  if (!vlog.ok()) return vlog.status();
  store->vlog_ = std::move(vlog).value();
  BINLOG_RETURN_IF_ERROR(store->Recover());
  BINLOG_RETURN_IF_ERROR(store->LoadMaxIndexTs());
  store->RaiseMemtableFloor();
  store->RefreshSpace(/*force=*/true);
  RocksDbBinlogStore* s = store.get();
  store->writer_thread_ = NamedThread("store-writer", [s] { s->WriterLoop(); });
  if (options.sync) store->sync_thread_ = NamedThread("store-sync", [s] { s->SyncLoop(); });
  store->gc_thread_ = NamedThread("store-gc", [s] { s->GcLoop(); });
  return store;
}

Status RocksDbBinlogStore::LockDataDir() {
  BINLOG_RETURN_IF_ERROR(posix_file::EnsureDirectory(options_.data_dir));
  const std::string path = options_.data_dir + "/.lock";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return posix_file::ErrnoStatus("open", path);
  Status s = posix_file::LockExclusive(
      lock_fd_, path,
      "data directory " + options_.data_dir + " is in use by another store (lock " + path +
          " is held)");
  if (!s.ok()) {
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
  return s;
}

Status RocksDbBinlogStore::OpenIndex() {
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey, false));
  table.whole_key_filtering = true;
  table.cache_index_and_filter_blocks = true;
  // Every file's index and filter stay in the cache, not only L0's: once GC's compaction
  // moves the live keys out of L0, an unpinned filter would be read from disk again
  // (measured: live-key lookups 7 -> 100 us after GC).
  table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
  // A point Get finds its key in the data block through a small hash table instead of a
  // binary search over the block's restart points (the search was a third of a hit's
  // BlockBasedTable::Get under perf). Applies to files written from now on; files of either
  // format stay readable.
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.block_restart_interval = kIndexBlockRestartIntervalKeys;
  table.block_cache =
      rocksdb::NewLRUCache(options_.index_block_cache_bytes, kIndexBlockCacheShardBits);
  rocksdb::ColumnFamilyOptions index_options;
  index_options.compression = rocksdb::kNoCompression;
  index_options.write_buffer_size = options_.index_write_buffer_bytes;
  index_options.memtable_prefix_bloom_size_ratio = kIndexMemtableBloomRatio;
  index_options.memtable_whole_key_filtering = true;
  index_options.target_file_size_base = kIndexTargetFileBytes;
  index_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  index_options.compaction_filter = index_filter_.get();
  rocksdb::ColumnFamilyOptions meta_options;
  meta_options.compression = rocksdb::kNoCompression;
  meta_options.write_buffer_size = kMetaWriteBufferBytes;
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_open_files = -1;
  // The index and the meta keys that say how far it reaches are flushed together, so a
  // lost WAL tail can never leave meta ahead of the index.
  db_options.atomic_flush = true;
  db_options.listeners.push_back(std::make_shared<FlushListener>(index_flushed_));
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, meta_options}, {kIndexColumnFamily, index_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  if (options_.gc_nice > 0) {
    // Compactions (GC's CompactRange included) run in the LOW pool; RocksDB offers coarse
    // levels only (kLow showed as nice 19 on 7.8.3 here), flushes (HIGH pool) keep theirs.
    (void)db_options.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW,
                                                     rocksdb::CpuPriority::kLow);
  }
  rocksdb::DB* db = nullptr;
  BINLOG_RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::Open(db_options, options_.data_dir + "/kv", families, &handles, &db),
      "open index"));
  db_.reset(db);
  meta_cf_ = handles[0];
  index_cf_ = handles[1];
  return CheckIndexLayout();
}

rocksdb::ColumnFamilyHandle* RocksDbBinlogStore::FamilyOf(int64_t ts) const {
  return ts == kRollbackIndexTs ? meta_cf_ : index_cf_;
}

// A data directory written before the index had its own column family holds "ts:" keys
// (other than key 0) in the default one; this build would not see them, so it refuses
// instead of losing them.
Status RocksDbBinlogStore::CheckIndexLayout() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  it->Seek(TsKey(kRollbackIndexTs + 1));
  if (it->Valid() && it->key().starts_with(kTsKeyPrefix)) {
    return Status::Corruption("index keys in the default column family: data directory " +
                              options_.data_dir + " was written by an older layout");
  }
  return FromRocks(it->status(), "check index layout");
}

Status RocksDbBinlogStore::LoadMeta() {
  for (const auto& [key, target] :
       {std::pair{&kGcTsKey, &gc_ts_}, std::pair{&kMaxCommitTsKey, &max_commit_ts_}}) {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), *key, &value);
    if (s.IsNotFound()) continue;
    BINLOG_RETURN_IF_ERROR(FromRocks(s, "read " + *key));
    auto v = DecodeInt64(value, *key);
    if (!v.ok()) return v.status();
    target->store(*v);
  }
  gc_bound_.store(gc_ts_.load() - EncodeTso(kGcMarginMilliseconds));
  // Keys a GC round before a restart did not get to delete go with the next compaction.
  if (gc_ts_.load() > 0) index_filter_->AllowDropUpTo(gc_bound_.load());
  return Status::Ok();
}

// Replays the value log past what the index and the sorter are known to hold.
Status RocksDbBinlogStore::Recover() {
  ValuePointer head, handle;
  for (const auto& [key, target] :
       {std::pair{&kHeadPointerKey, &head}, std::pair{&kHandlePointerKey, &handle}}) {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), *key, &value);
    if (s.IsNotFound()) continue;
    BINLOG_RETURN_IF_ERROR(FromRocks(s, "read " + *key));
    auto p = ValuePointer::Decode(value);
    if (!p.ok()) return p.status();
    *target = *p;
  }
  sorter_ = CommitSorter(max_commit_ts_.load());
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> Status {
    Status s = FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "replay index");
    batch.Clear();
    return s;
  };
  BINLOG_RETURN_IF_ERROR(vlog_->Scan(
      std::min(head, handle), [&](ValuePointer at, ValuePointer, std::string_view payload) {
        auto b = DecodeBinlog(payload);
        if (!b.ok()) return b.status();
        if (at >= head) {
          const int64_t ts = BinlogIndexTs(*b);
          batch.Put(FamilyOf(ts), TsKey(ts), at.Encode());
        }
        if (at >= handle) {
          BINLOG_RETURN_IF_ERROR(
              sorter_.Add(b->tp(), b->start_ts(), b->commit_ts(), EncodePosition(at)));
        }
        return batch.Count() >= static_cast<int>(kRecoveryBatchEntries) ? flush() : Status::Ok();
      }));
  const ValuePointer end = vlog_->End();
  batch.Put(kHeadPointerKey, end.Encode());
  batch.Put(kMaxCommitTsKey, EncodeInt64(sorter_.max_commit_ts()));
  batch.Put(kHandlePointerKey,
            DecodePosition(sorter_.ReplayPosition(EncodePosition(end))).Encode());
  BINLOG_RETURN_IF_ERROR(flush());
  max_commit_ts_.store(sorter_.max_commit_ts());
  all_matched_.store(sorter_.all_matched());
  return Status::Ok();
}

// The largest index key present after recovery; nothing above it was ever acknowledged.
Status RocksDbBinlogStore::LoadMaxIndexTs() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_cf_));
  it->SeekToLast();
  BINLOG_RETURN_IF_ERROR(FromRocks(it->status(), "find the last index key"));
  if (!it->Valid()) return Status::Ok();  // empty index: max_index_ts_ stays 0 (key 0)
  int64_t ts = 0;
  if (!DecodeTsKey(it->key(), &ts)) {
    return Status::Corruption("index key of unexpected form: " + it->key().ToString(/*hex=*/true));
  }
  max_index_ts_.store(std::max(int64_t{0}, ts));
  return Status::Ok();
}

std::unique_ptr<rocksdb::Iterator> RocksDbBinlogStore::NewIndexMemtablesIterator() const {
  rocksdb::ReadOptions memtables;
  memtables.read_tier = rocksdb::kMemtableTier;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(memtables, index_cf_));
}

void RocksDbBinlogStore::RaiseMemtableFloor() {
  // Cleared first: a flush completing during the scan below sets it again, and a scan that
  // still saw that flush's memtable only yields a lower (safe) floor.
  index_flushed_->store(false, std::memory_order_relaxed);
  std::unique_ptr<rocksdb::Iterator> it = NewIndexMemtablesIterator();
  it->SeekToFirst();
  int64_t floor = INT64_MAX;
  if (!it->status().ok() || (it->Valid() && !DecodeTsKey(it->key(), &floor))) {
    floor = INT64_MIN;  // unknown: every read looks at the memtables
  }
  memtable_floor_.store(floor, std::memory_order_release);
}

const rocksdb::ReadOptions& RocksDbBinlogStore::IndexReadOptionsFor(int64_t ts) const {
  // Only the index family's writes skip the WAL (the meta family's keep it).
  return FamilyOf(ts) == index_cf_ && ts < memtable_floor_.load(std::memory_order_acquire)
             ? BelowMemtablesReadOptions()
             : IndexReadOptions();
}

uint64_t RocksDbBinlogStore::recovered_truncated_bytes() const {
  return vlog_ ? vlog_->truncated_tail_bytes() : 0;
}

// ---- write path ----

Status RocksDbBinlogStore::Write(const binlog::Binlog& binlog) {
  return WriteBatch(std::span<const binlog::Binlog>(&binlog, 1));
}

Status RocksDbBinlogStore::WriteBatch(std::span<const binlog::Binlog> binlogs) {
  std::shared_lock lifecycle(lifecycle_mutex_);
  if (closing_.load() || closed_) return StoreClosed();
  BINLOG_RETURN_IF_ERROR(CheckSpace(binlogs));
  return Enqueue(binlogs);
}

void RocksDbBinlogStore::RefreshSpace(bool force) const {
  const int64_t now = NowMilliseconds();
  if (!force && now - space_checked_ms_.load() < kSpaceRefreshIntervalMilliseconds) return;
  std::unique_lock lock(space_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // someone else is refreshing right now
  struct statvfs st {};
  if (::statvfs(options_.data_dir.c_str(), &st) != 0) return;
  available_bytes_.store(static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize));
  capacity_bytes_.store(static_cast<int64_t>(st.f_blocks) * static_cast<int64_t>(st.f_frsize));
  space_checked_ms_.store(now);
}

Status RocksDbBinlogStore::CheckSpace(std::span<const binlog::Binlog> binlogs) {
  bool all_fake = std::all_of(binlogs.begin(), binlogs.end(), IsFakeBinlog);
  if (all_fake) return Status::Ok();  // fake binlogs keep MaxCommitTS moving on a full disk
  RefreshSpace(/*force=*/false);
  const int64_t available = available_bytes_.load();
  if (available <= options_.stop_write_at_available_space_bytes) {
    return Status::NoSpace("no available space, available: " + std::to_string(available) +
                           ", StopWriteAtAvailableSpace: " +
                           std::to_string(options_.stop_write_at_available_space_bytes));
  }
  return Status::Ok();
}

// Encodes the binlogs into *request: each one's value-log record, protobuf serialized in
// place after its header, into one buffer sized up front (ByteSizeLong caches the sizes the
// serialization then uses). An empty request means nothing to write (probes only).
Status RocksDbBinlogStore::PrepareRequest(std::span<const binlog::Binlog> binlogs,
                                          Request* request) {
  request->items.reserve(binlogs.size());
  size_t record_bytes = 0;
  for (const binlog::Binlog& b : binlogs) {
    if (IsProbe(b)) continue;  // TiDB's empty probe: accepted and dropped
    const size_t payload_bytes = b.ByteSizeLong();
    request->bytes += payload_bytes;
    if (request->bytes > kWriteRequestBytesMax) {
      return Status::InvalidArgument("binlog write of at least " +
                                     std::to_string(request->bytes) + " bytes exceeds " +
                                     std::to_string(kWriteRequestBytesMax));
    }
    record_bytes += kRecordHeaderBytes + payload_bytes;
    request->items.push_back(
        Item{payload_bytes, BinlogIndexTs(b), b.tp(), b.start_ts(), b.commit_ts()});
  }
  request->records.reserve(record_bytes);
  auto item = request->items.begin();
  for (const binlog::Binlog& b : binlogs) {
    if (IsProbe(b)) continue;
    AppendRecordInPlace(
        (item++)->payload_bytes,
        [&b](char* payload) {
          b.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(payload));
        },
        &request->records);
  }
  return Status::Ok();
}

// Queues the encoded request for the value-log thread (the sync thread with sync on, else
// the writer) and sleeps until it is acknowledged, on the futex word of the round it joined.
Status RocksDbBinlogStore::Enqueue(std::span<const binlog::Binlog> binlogs) {
  Request request;
  BINLOG_RETURN_IF_ERROR(PrepareRequest(binlogs, &request));
  if (request.items.empty()) return Status::Ok();
  {
    std::unique_lock lock(queue_mutex_);
    room_cv_.wait(lock, [&] { return queue_.size() < options_.write_queue_requests_max; });
    QueueRequestLocked(&request);
  }
  WaitForAcknowledgement(request.acknowledged, request.word);
  return std::move(request.status);
}

// Async writes are counted from before the closing_ check until after their `done`
// returned, so that Close, which sets closing_ first, either sees the count or turns the
// write away, and waits for every one it sees (async_cv_).
void RocksDbBinlogStore::WriteBatchAsync(std::span<const binlog::Binlog> binlogs,
                                         WriteDone done) {
  async_writes_.fetch_add(1);
  Status refused = QueueAsync(binlogs, done);
  if (!refused.ok() || done != nullptr) {  // refused, or nothing to write (probes only)
    done(std::move(refused));
    FinishAsyncWrite();
  }
}

// Encodes and queues an async write, moving `done` into its request (`done` is then null);
// leaves `done` alone when it refuses the write or has nothing to queue.
Status RocksDbBinlogStore::QueueAsync(std::span<const binlog::Binlog> binlogs, WriteDone& done) {
  if (closing_.load()) return StoreClosed();
  BINLOG_RETURN_IF_ERROR(CheckSpace(binlogs));
  auto request = std::make_unique<Request>();
  BINLOG_RETURN_IF_ERROR(PrepareRequest(binlogs, request.get()));
  if (request->items.empty()) return Status::Ok();
  std::lock_guard lock(queue_mutex_);
  if (queue_.size() >= options_.write_queue_requests_max) {
    return Status::ResourceExhausted("binlog write queue is full: " +
                                     std::to_string(queue_.size()) + " requests");
  }
  request->done = std::exchange(done, nullptr);
  QueueRequestLocked(request.release());
  return Status::Ok();
}

// Queues a request for the value-log thread (queue_mutex_ held, room checked) in the open
// round, whose futex word its caller sleeps on if it waits.
void RocksDbBinlogStore::QueueRequestLocked(Request* request) {
  queue_.push_back(request);
  request->word = &ack_words_[open_round_ % ack_words_.size()];
  // A condition variable with no waiter (the thread is busy) costs no system call.
  (options_.sync ? sync_cv_ : queue_cv_).notify_one();
}

void RocksDbBinlogStore::FinishAsyncWrite() {
  if (async_writes_.fetch_sub(1) == 1 && closing_.load()) {
    std::lock_guard lock(async_mutex_);
    async_cv_.notify_all();
  }
}

// ---- pipelined group commit ----
//
// With sync on, the sync thread runs the durable path alone, one round per fdatasync. It
// acknowledges the group the previous fdatasync made durable: first its async writes, whose
// callbacks may queue their writers' next writes at once; then it takes every queued request
// and writes them to the value log with one pwritev, whose writeback starts at once
// (ValueLog::StartWriteback); while the disk writes them it wakes the acknowledged group's
// blocked callers; then it fdatasyncs the new group and goes round again. Async writers
// thus all join every round; blocked callers come back (encode, queue) while the fdatasync
// runs, so under steady load they split into two halves that alternate. The disk is busy
// nearly all the time. The writer thread only indexes acknowledged groups, off the callers'
// path (readers wait for it where they must: WaitForIndex). With sync off the writer thread
// writes, acknowledges and indexes by itself. Every stage keeps log order.
//
// Measured on 32 writers x WriteBatch(4), 2 cores (benchmarks/README.md, "I3, acknowledged
// by the sync thread"): with blocked writer threads, 0.58-0.63x the raw write + fdatasync
// loop, against 0.45-0.56x when the writer thread acknowledged: woken by the sync thread
// after each fdatasync, it waited ~45-55 us for a CPU (behind its own index write and the
// returning callers) before it woke the first caller; waking before the next write instead
// would put the ~45 us of wake calls on the disk's path. With async writers, ~31 of the 32
// requests make each fdatasync and the store keeps up with the raw loop. Nothing waits for
// more requests to arrive: holding a take for returning callers measured no better.

bool RocksDbBinlogStore::CanWriteGroup() const {
  return !queue_.empty() && unindexed_.size() < kUnindexedGroupsMax;
}

std::vector<RocksDbBinlogStore::Request*> RocksDbBinlogStore::TakeRequests() {
  std::vector<Request*> requests;
  size_t bytes = queue_.front()->bytes;
  const size_t limit =
      bytes <= kGroupSmallFirstBytes ? bytes + kGroupSmallFirstBytes : kGroupBytesMax;
  requests.push_back(queue_.front());
  queue_.pop_front();
  while (!queue_.empty() && bytes + queue_.front()->bytes <= limit) {
    bytes += queue_.front()->bytes;
    requests.push_back(queue_.front());
    queue_.pop_front();
  }
  ++open_round_;  // requests queued from now on sleep on the next word
  room_cv_.notify_all();
  return requests;
}

// Takes a group's worth of queued requests and writes them to the value log (queue_mutex_
// held by `lock` on entry and exit, released across the write). The thread that writes the
// value log: the sync thread with sync on, else the writer thread.
std::unique_ptr<RocksDbBinlogStore::Group> RocksDbBinlogStore::WriteNextGroup(
    std::unique_lock<std::mutex>& lock) {
  std::vector<Request*> requests = TakeRequests();
  const std::string read_only_reason = read_only_reason_;
  lock.unlock();
  const double start = NowSeconds();
  std::unique_ptr<Group> group = WriteGroup(std::move(requests), read_only_reason);
  const double end = NowSeconds();
  lock.lock();
  write_path_.write_seconds += end - start;
  ++write_path_.groups;
  group->synced_at = end;
  return group;
}

// The writer thread: with sync off writes and acknowledges a group per turn; indexes every
// acknowledged group. Exits once stopping and nothing is queued or left to index.
void RocksDbBinlogStore::WriterLoop() {
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    queue_cv_.wait(lock, [&] {
      return (!options_.sync && !queue_.empty()) || !unindexed_.empty() || stopping_;
    });
    if (!options_.sync && !queue_.empty()) AcknowledgeGroup(WriteNextGroup(lock), lock, {});
    if (!unindexed_.empty()) {
      IndexAcknowledged(lock);
    } else if (stopping_ && queue_.empty()) {
      return;
    }
  }
}

// The sync thread (sync on): per round, acknowledges the group the last fdatasync made
// durable (its async writes first, so that their writers' next writes join the next group;
// its blocked callers while the disk writes the next group), writes the next group and
// fdatasyncs it. Exits once stopping and nothing is queued (Close has let every caller
// return by then, so nothing is left to acknowledge either).
void RocksDbBinlogStore::SyncLoop() {
  std::unique_ptr<Group> synced;  // durable (or failed), not yet acknowledged
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    if (synced == nullptr) {
      sync_cv_.wait(lock, [&] { return CanWriteGroup() || (stopping_ && queue_.empty()); });
    }
    std::unique_ptr<Group> next;
    const auto write_next = [&] {
      if (CanWriteGroup()) next = WriteNextGroup(lock);
    };
    if (synced != nullptr) {
      AcknowledgeGroup(std::move(synced), lock, write_next);
    } else {
      write_next();
    }
    if (next == nullptr) {
      if (stopping_ && queue_.empty()) return;
      continue;
    }
    if (next->status.ok()) {
      lock.unlock();
      const double start = NowSeconds();
      // A failure breaks the value log for good: every later group fails to write.
      Status status = vlog_->SyncTo(next->end);
      const double end = NowSeconds();
      lock.lock();
      write_path_.sync_seconds += end - start;
      ++write_path_.syncs;
      next->status = std::move(status);
      next->synced_at = end;
    }
    synced = std::move(next);
  }
}

// Completes a group that is durable (or failed) once its callers may learn it (queue_mutex_
// held by `lock` on entry and exit, released meanwhile): settles its status, queues its
// index entries for the writer thread and publishes the state after it; completes its async
// writes; runs `between` (with the lock held; may be empty); wakes its blocked callers.
// Upstream acknowledges at the same point (the value-log write and sync, UPSTREAM.md §7.2)
// and indexes afterwards; readers that could miss an acknowledged, not yet indexed record
// wait for the index (WaitForIndex), and a crash before the index write loses nothing:
// headPointer moves with the index entries, so Open() replays those records from the value
// log.
void RocksDbBinlogStore::AcknowledgeGroup(std::unique_ptr<Group> group,
                                          std::unique_lock<std::mutex>& lock,
                                          const std::function<void()>& between) {
  const double start = NowSeconds();
  write_path_.handoff_seconds += std::max(0.0, start - group->synced_at);
  const size_t requests = group->requests.size();
  PublishGroup(group.get());
  lock.unlock();
  CompleteAsyncWrites(group.get());
  double acknowledging = NowSeconds() - start;
  lock.lock();
  if (between) between();
  lock.unlock();
  const double wake_start = NowSeconds();
  WakeCallers(*group);  // the requests may be gone from here on
  acknowledging += NowSeconds() - wake_start;
  lock.lock();
  write_path_.ack_seconds += acknowledging;
  ++write_path_.acks;
  write_path_.requests += static_cast<int64_t>(requests);
}

// The first part of AcknowledgeGroup (queue_mutex_ held).
void RocksDbBinlogStore::PublishGroup(Group* group) {
  IndexBatch batch = SettleGroup(group);
  if (!group->status.ok()) write_errors_.fetch_add(1);
  // Counted as acknowledged before the new MaxCommitTS is published: a reader that sees
  // the new MaxCommitTS then also sees the round and waits for its index (Pull).
  batch.round = acked_rounds_.load(std::memory_order_relaxed) + 1;
  acked_rounds_.store(batch.round, std::memory_order_release);
  if (batch.good) {
    max_commit_ts_.store(batch.max_commit_ts);
    all_matched_.store(batch.all_matched);
  }
  // Queued before the callers learn the outcome: once they have all returned (Close), the
  // writer thread has every batch it must index.
  unindexed_.push_back(std::move(batch));
  if (options_.sync) queue_cv_.notify_one();
}

// Completes the group's async writes (without queue_mutex_): frees each one's request and
// calls its `done`, which may queue the writer's next write. Their slots become null.
void RocksDbBinlogStore::CompleteAsyncWrites(Group* group) {
  for (Request*& r : group->requests) {
    if (r->done == nullptr) continue;
    WriteDone done = std::move(r->done);
    delete r;
    r = nullptr;
    done(group->status);
    FinishAsyncWrite();
  }
}

// Writes the group's records with one value-log write (no sync) and feeds them to the
// sorter, whose state after them the group keeps for its index write. Refused while the
// store is read-only (`read_only_reason` not empty).
std::unique_ptr<RocksDbBinlogStore::Group> RocksDbBinlogStore::WriteGroup(
    std::vector<Request*> requests, const std::string& read_only_reason) {
  auto group = std::make_unique<Group>();
  group->requests = std::move(requests);
  if (!read_only_reason.empty()) {
    group->status = Status::IoError(read_only_reason);
    return group;
  }
  std::vector<std::string_view>& parts = group_parts_;
  parts.clear();
  size_t bytes = 0;
  int64_t max_ts = 0;
  size_t prewrites = 0;
  for (const Request* r : group->requests) {
    parts.emplace_back(r->records);
    bytes += r->records.size();
    for (const Item& item : r->items) {
      max_ts = std::max(max_ts, item.key);
      prewrites += item.tp == binlog::Prewrite;
    }
  }
  // Checked before writing: a record in the vlog that the sorter refused would come back at
  // the next Open anyway.
  if (sorter_.pending_count() + prewrites > kPendingPrewritesMax) {
    group->status = Status::ResourceExhausted("too many prewrites waiting for their commit");
    return group;
  }
  auto start = vlog_->Write(parts, max_ts);
  if (!start.ok()) {
    group->status = start.status();
    return group;
  }
  group->start = *start;
  group->end = {start->fid, start->offset + bytes};
  uint64_t offset = start->offset;
  for (const Request* r : group->requests) {
    for (const Item& item : r->items) {
      Status s = sorter_.Add(item.tp, item.start_ts, item.commit_ts,
                             EncodePosition({start->fid, offset}));
      BINLOG_ASSERT(s.ok());  // capacity was checked above
      offset += kRecordHeaderBytes + item.payload_bytes;
    }
  }
  group->max_commit_ts = sorter_.max_commit_ts();
  group->all_matched = sorter_.all_matched();
  group->handle = DecodePosition(sorter_.ReplayPosition(EncodePosition(group->end)));
  return group;
}

void RocksDbBinlogStore::SetReadOnly(std::string reason) {
  std::lock_guard lock(queue_mutex_);
  read_only_reason_ = std::move(reason);
}

// Decides the group's final status (a failed fdatasync or an earlier failure makes the
// store read-only; queue_mutex_ held) and, if it is good, collects its index entries and
// the state after it, while the requests still exist.
RocksDbBinlogStore::IndexBatch RocksDbBinlogStore::SettleGroup(Group* group) {
  IndexBatch batch;
  if (!group->status.ok() && read_only_reason_.empty() && !vlog_->broken().ok()) {
    read_only_reason_ =
        "binlog store is read-only after a failed fdatasync: " + vlog_->broken().message();
  }
  if (!group->status.ok()) return batch;
  if (!read_only_reason_.empty()) {
    group->status = Status::IoError(read_only_reason_);
    return batch;
  }
  uint64_t offset = group->start.offset;
  for (const Request* r : group->requests) {
    for (const Item& item : r->items) {
      batch.entries.push_back({item.key, {group->start.fid, offset}});
      offset += kRecordHeaderBytes + item.payload_bytes;
    }
  }
  batch.good = true;
  batch.end = group->end;
  batch.max_commit_ts = group->max_commit_ts;
  batch.all_matched = group->all_matched;
  batch.handle = group->handle;
  return batch;
}

// Writes the index entries of every acknowledged group with one RocksDB write, then
// publishes their rounds as indexed and wakes waiting readers (writer thread; queue_mutex_
// held by `lock` on entry and exit, released across the write).
void RocksDbBinlogStore::IndexAcknowledged(std::unique_lock<std::mutex>& lock) {
  const bool was_full = unindexed_.size() >= kUnindexedGroupsMax;
  const std::vector<IndexBatch> batches = std::exchange(unindexed_, {});
  if (was_full) sync_cv_.notify_one();  // the sync thread may take requests again
  lock.unlock();
  const double start = NowSeconds();
  if (options_.before_index_write_for_testing) options_.before_index_write_for_testing();
  std::vector<IndexEntry>& entries = index_entries_;
  entries.clear();
  const IndexBatch* last = nullptr;
  for (const IndexBatch& batch : batches) {
    if (!batch.good) continue;
    entries.insert(entries.end(), batch.entries.begin(), batch.entries.end());
    last = &batch;
  }
  if (last != nullptr) WriteIndex(*last);
  {
    std::lock_guard index_lock(index_mutex_);
    indexed_rounds_.store(batches.back().round, std::memory_order_release);
  }
  index_cv_.notify_all();
  const double end = NowSeconds();
  lock.lock();
  write_path_.index_seconds += end - start;
}

// One RocksDB write (without WAL: IndexWriteOptions) of index_entries_ and the meta keys
// of `last`, the newest good batch among them; then max_index_ts_ is published. A failure
// leaves the store read-only (the records are durable and acknowledged; the next Open
// replays them into the index). Writer thread.
void RocksDbBinlogStore::WriteIndex(const IndexBatch& last) {
  std::vector<IndexEntry>& entries = index_entries_;
  // In key order: the memtable's skiplist then inserts each key next to the one before
  // (RocksDB keeps the last insert position), instead of searching from the top for keys
  // that alternate between start and commit ts (measured: the inserts were half of the
  // writer thread's time). Stable, so that a key written twice (the rollback key 0) keeps
  // its last value.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const IndexEntry& a, const IndexEntry& b) { return a.ts < b.ts; });
  const int64_t max_index_ts = entries.empty() ? 0 : entries.back().ts;
  // memtable_floor_: raised after a flush, then lowered to this write's least key of the
  // index family before the write.
  if (index_flushed_->load(std::memory_order_acquire)) RaiseMemtableFloor();
  const auto least = std::find_if(entries.begin(), entries.end(), [this](const IndexEntry& e) {
    return FamilyOf(e.ts) == index_cf_;
  });
  if (least != entries.end() && least->ts < memtable_floor_.load(std::memory_order_relaxed)) {
    memtable_floor_.store(least->ts, std::memory_order_release);
  }
  rocksdb::WriteBatch batch;
  for (const IndexEntry& entry : entries) {
    batch.Put(FamilyOf(entry.ts), TsKey(entry.ts), entry.pointer.Encode());
  }
  batch.Put(kHeadPointerKey, last.end.Encode());
  batch.Put(kMaxCommitTsKey, EncodeInt64(last.max_commit_ts));
  batch.Put(kHandlePointerKey, last.handle.Encode());
  Status s = FromRocks(db_->Write(IndexWriteOptions(), &batch), "write index");
  if (!s.ok()) {
    // The vlog holds records the index and sorter state on disk do not reflect; only a
    // reopen (which replays the vlog) makes them consistent again.
    SetReadOnly("binlog store is read-only after an index write failure: " + s.message());
    write_errors_.fetch_add(1);
    return;
  }
  // Published after the index write, so a Lookup that passes the check finds the keys.
  if (max_index_ts > max_index_ts_.load(std::memory_order_relaxed)) {
    max_index_ts_.store(max_index_ts, std::memory_order_release);
  }
}

// Readers: blocks until the index holds every round acknowledged up to `acked` (an
// acked_rounds_ value read earlier). Returns at once in the common case (nothing pending).
void RocksDbBinlogStore::WaitForIndex(uint64_t acked) {
  if (indexed_rounds_.load(std::memory_order_acquire) >= acked) return;
  std::unique_lock lock(index_mutex_);
  index_cv_.wait(lock, [&] { return indexed_rounds_.load(std::memory_order_acquire) >= acked; });
}

// Wakes the group's blocked callers (without queue_mutex_; its async writes are completed
// already): sets each request's status and word, then wakes the sleeping callers of each
// round with one futex call on its word. One call instead of a chain of 32 (the writer woke
// the first caller, which woke the next...): on 2 cores each link of the chain was a context
// switch on the critical path (measured: ~240 us from the writer's wake until the 32nd
// caller was awake). A request is the caller's stack object: it may be gone as soon as its
// word is set, so nothing touches it after that.
void RocksDbBinlogStore::WakeCallers(const Group& group) {
  static_assert(kAckWords <= 32, "one bit per word below");
  uint32_t words = 0;
  for (Request* r : group.requests) {
    if (r == nullptr) continue;  // an async write, completed
    words |= uint32_t{1} << (r->word - ack_words_.data());
    r->status = group.status;
    r->acknowledged.store(kAcknowledged, std::memory_order_release);
  }
  for (size_t i = 0; i < ack_words_.size(); ++i) {
    if ((words & (uint32_t{1} << i)) == 0) continue;
    ack_words_[i].fetch_add(1, std::memory_order_release);
    WakeAll(&ack_words_[i]);
  }
}

// ---- read path ----

Result<binlog::Binlog> RocksDbBinlogStore::ReadIndexed(int64_t ts, size_t* payload_bytes) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      db_->Get(IndexReadOptionsFor(ts), FamilyOf(ts), TsKey(ts), &value);
  if (s.IsNotFound()) return BinlogNotFound();
  if (!s.ok()) {
    read_errors_.fetch_add(1);
    return FromRocks(s, "read index");
  }
  auto at = ValuePointer::Decode(std::string_view(value.data(), value.size()));
  if (!at.ok()) return at.status();
  // Decoded straight from the file's mapping (or one read buffer): no copy of the payload.
  ValueLogReadBuffer buffer;
  auto payload = vlog_->ReadView(*at, &buffer);
  if (!payload.ok()) {
    if (payload.status().code() != StatusCode::kNotFound) read_errors_.fetch_add(1);
    return payload.status();
  }
  if (payload_bytes) *payload_bytes = payload->size();
  auto b = DecodeBinlog(*payload);
  if (!b.ok()) read_errors_.fetch_add(1);
  return b;
}

// An acknowledged record may not be indexed yet (CompleteGroups): a miss while the index
// was behind the acknowledgements waits for it and looks again. Whether the index was
// behind is read BEFORE the lookup: read after it, an index write finishing in between
// would make a miss taken from the older index look authoritative. Key 0 is rewritten by
// every TiDB rollback, so a hit there may be an older rollback: it waits before reading.
Result<binlog::Binlog> RocksDbBinlogStore::Lookup(int64_t ts) {
  const uint64_t acked = acked_rounds_.load(std::memory_order_acquire);
  bool indexed = indexed_rounds_.load(std::memory_order_acquire) >= acked;
  if (!indexed && ts == kRollbackIndexTs) {
    WaitForIndex(acked);
    indexed = true;
  }
  Result<binlog::Binlog> found = LookupIndexed(ts);
  if (indexed || found.ok() || found.status().code() != StatusCode::kNotFound) return found;
  WaitForIndex(acked);
  return LookupIndexed(ts);
}

Result<binlog::Binlog> RocksDbBinlogStore::LookupIndexed(int64_t ts) {
  // Purged keys, and keys above every key ever written, are answered without touching
  // storage (PERFORMANCE.md L4). Neither answer reads db_, so closing_ is enough to keep
  // the "every call after Close is kUnavailable" contract without the lifecycle lock.
  if (ts <= gc_bound_.load(std::memory_order_relaxed) ||
      ts > max_index_ts_.load(std::memory_order_acquire)) {
    if (closing_.load(std::memory_order_relaxed)) {
      return StoreClosed();
    }
    return BinlogNotFound();
  }
  std::shared_lock lifecycle(lifecycle_mutex_);
  if (closing_.load() || closed_) return StoreClosed();
  return ReadIndexed(ts, nullptr);
}

Result<PullResult> RocksDbBinlogStore::Pull(int64_t after_ts, size_t limit_count,
                                            size_t limit_bytes) {
  std::shared_lock lifecycle(lifecycle_mutex_);
  if (closing_.load() || closed_) return StoreClosed();
  PullResult result;
  const int64_t gc_ts = gc_ts_.load();
  // MaxCommitTS before the acknowledged rounds (PublishAcknowledged's order), so that the
  // index is waited for up to the round that published it.
  const int64_t max_commit_ts = max_commit_ts_.load();
  WaitForIndex(acked_rounds_.load(std::memory_order_acquire));
  result.requested_purged = after_ts <= gc_ts;
  const int64_t first = std::max({after_ts, gc_ts, int64_t{0}}) + 1;
  if (first > max_commit_ts || limit_count == 0) return result;
  // The bound strings must outlive the iterator (rocksdb::Slice does not own its bytes).
  const std::string lower = TsKey(first);
  const std::string upper = TsKey(max_commit_ts + 1);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_lower_bound = &lower_slice;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, index_cf_));
  size_t bytes = 0;
  ValueLogReadBuffer buffer;  // reused by the whole pull
  for (it->Seek(lower_slice); it->Valid(); it->Next()) {
    auto at = ValuePointer::Decode(std::string_view(it->value().data(), it->value().size()));
    if (!at.ok()) return at.status();
    auto payload = vlog_->ReadView(*at, &buffer);
    if (!payload.ok()) return payload.status();
    auto b = DecodeBinlog(*payload);
    if (!b.ok()) return b.status();
    if (b->tp() == binlog::Prewrite) continue;
    if (!IsFakeBinlog(*b)) {
      auto prewrite = ReadIndexed(b->start_ts(), nullptr);
      if (!prewrite.ok() || prewrite->tp() != binlog::Prewrite) {
        if (prewrite.ok() || prewrite.status().code() == StatusCode::kNotFound) {
          ++result.skipped_unmatched;
          continue;
        }
        return prewrite.status();
      }
      EnrichFromPrewrite(*prewrite, &*b);
    }
    // The byte limit is soft only for the first binlog, so a pull always makes progress.
    const size_t size = b->ByteSizeLong();
    if (!result.binlogs.empty() && bytes + size > limit_bytes) break;
    bytes += size;
    result.binlogs.push_back(std::move(b).value());
    if (result.binlogs.size() >= limit_count) break;
  }
  BINLOG_RETURN_IF_ERROR(FromRocks(it->status(), "iterate index"));
  return result;
}

int64_t RocksDbBinlogStore::MaxCommitTS() const { return max_commit_ts_.load(); }
int64_t RocksDbBinlogStore::GcTS() const { return gc_ts_.load(); }
bool RocksDbBinlogStore::AllMatched() const { return all_matched_.load(); }

// ---- GC ----

Status RocksDbBinlogStore::PutMeta(const std::string& key, const std::string& value,
                                   bool sync) {
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  return FromRocks(db_->Put(write_options, key, value), "write " + key);
}

GcOutcome RocksDbBinlogStore::Gc(int64_t ts) {
  std::shared_lock lifecycle(lifecycle_mutex_);
  std::lock_guard lock(gc_mutex_);
  if (closing_.load() || closed_ || ts <= gc_ts_.load()) return GcOutcome::kIgnoredNotNewer;
  if (max_commit_ts_.load() <= ts) return GcOutcome::kIgnoredUnsafe;
  // Persisted before anything is deleted, so a reopen never serves a purged key.
  if (!PutMeta(kGcTsKey, EncodeInt64(ts), /*sync=*/true).ok()) {
    write_errors_.fetch_add(1);
    return GcOutcome::kIgnoredNotNewer;
  }
  gc_ts_.store(ts);
  const int64_t bound = ts - EncodeTso(kGcMarginMilliseconds);
  gc_bound_.store(bound);
  gc_pending_bound_ = bound;
  gc_cv_.notify_all();
  return GcOutcome::kAccepted;
}

void RocksDbBinlogStore::GcLoop() {
  // Best effort: a GC at normal priority still works, only competes more with ingest.
  if (options_.gc_nice > 0) {
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), options_.gc_nice);
  }
  std::unique_lock lock(gc_mutex_);
  for (;;) {
    gc_cv_.wait(lock, [&] { return gc_stop_ || gc_pending_bound_ != INT64_MIN; });
    if (gc_pending_bound_ == INT64_MIN) return;  // stopping with nothing left to do
    const int64_t bound = gc_pending_bound_;
    gc_pending_bound_ = INT64_MIN;
    gc_running_ = true;
    lock.unlock();
    RunGc(bound);
    lock.lock();
    gc_running_ = false;
    gc_cv_.notify_all();
  }
}

// Deletes everything with index key <= bound. Two parts run at once: whole value-log files
// (the bulk of the bytes) are unlinked in a helper thread, which is kernel work (dropping
// the files' page cache and extents), while this thread deletes the index range, which is
// mostly CPU: index files wholly in range go whole (DeleteFilesInRange), then the compaction
// filter drops the rest while CompactRange rewrites only the files straddling the bound. No
// per-key deletes and no range tombstone: both would sit in the read path of the next pull
// from gc_ts (PERFORMANCE.md §2b hazards).
void RocksDbBinlogStore::RunGc(int64_t bound) {
  if (bound < 0) return;
  GcRoundReport report;
  report.bound = bound;
  Result<int> removed = 0;
  auto unlink_files = [&] {
    const double start = NowSeconds();
    const double cpu_start = ThreadCpuSeconds();
    removed = vlog_->DeleteFilesUpTo(bound);
    report.vlog_unlink_seconds = NowSeconds() - start;
    report.vlog_unlink_cpu_seconds = ThreadCpuSeconds() - cpu_start;
  };
  std::thread unlinker;
  try {
    unlinker = std::thread(unlink_files);  // inherits this thread's niceness
  } catch (const std::system_error&) {
    unlink_files();  // no thread to spare: one after the other
  }
  int64_t count = 0;
  const double index_cpu_start = ThreadCpuSeconds();
  Status index = GcIndex(bound, &count, &report);
  report.index_cpu_seconds = ThreadCpuSeconds() - index_cpu_start;
  if (unlinker.joinable()) unlinker.join();
  report.removed_value_log_files = removed.ok() ? *removed : 0;
  {
    std::lock_guard lock(gc_report_mutex_);
    last_gc_round_ = report;
  }
  if (!removed.ok()) write_errors_.fetch_add(1);
  if (!index.ok()) {
    write_errors_.fetch_add(1);
    return;
  }
  deleted_index_keys_.fetch_add(count);
  done_gc_ts_.store(bound);
}

// The index part of RunGc: counts the keys about to go (*count), then drops them. Fills the
// index steps' timings of *report.
Status RocksDbBinlogStore::GcIndex(int64_t bound, int64_t* count, GcRoundReport* report) {
  double step_start = NowSeconds();
  auto lap = [&step_start] {
    const double now = NowSeconds();
    const double seconds = now - step_start;
    step_start = now;
    return seconds;
  };
  const std::string begin = TsKey(0);
  const std::string end = TsKey(bound + 1);  // exclusive
  rocksdb::Slice begin_slice(begin), end_slice(end);
  // Exact count of the keys about to go, before the compaction filter may drop them: every
  // write acknowledged before this round included (its index write may still be pending).
  WaitForIndex(acked_rounds_.load(std::memory_order_acquire));
  const int64_t counted_before = *count;
  // A failed count (a read error) still lets the keys go: GC must not stall on a metric.
  if (!CountIndexKeys(begin_slice, end_slice, count, report).ok()) write_errors_.fetch_add(1);
  report->counted_keys = *count - counted_before;
  if (!DeleteRollbackKey(count).ok()) write_errors_.fetch_add(1);
  report->count_keys_seconds = lap();
  // What DeleteFilesInRange cannot drop whole (the file straddling the bound, L0 files, the
  // memtable) goes through the index compaction filter, which from now on drops keys <=
  // bound; no range tombstone ever enters the read path. Only files overlapping the range
  // are rewritten; CompactRange flushes the memtable first only if it holds such keys.
  index_filter_->AllowDropUpTo(bound);
  // An automatic compaction running meanwhile can publish a file wholly in range after both
  // steps chose their files (seen under load: a whole L1 file of purged keys left behind),
  // so the range is checked with one Seek and the steps repeat, a bounded number of times.
  rocksdb::Status s;
  for (int pass = 0; pass < kGcIndexPassesMax; ++pass) {
    s = rocksdb::DeleteFilesInRange(db_.get(), index_cf_, &begin_slice, &end_slice,
                                    /*include_end=*/false);
    report->delete_files_in_range_seconds += lap();
    if (!s.ok()) break;
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    s = db_->CompactRange(compact, index_cf_, &begin_slice, &end_slice);
    report->compact_range_seconds += lap();
    if (!s.ok() || !IndexHasKeysBefore(end_slice)) break;
  }
  return FromRocks(s, "GC of the index");
}

// Adds the number of distinct index keys in [begin, end) to *count: what it can from the index
// files' table properties (CountFromFileProperties), the rest by a key-only scan that passes
// over the ranges counted that way (values are 12 bytes, so the scan costs about as much as
// reading the keys once). On a store that ingests in ts order that is most of the range:
// storage_bench's first GC counts 937k keys and scans 88k of them, where the scan of every
// key took ~0.1 s of the GC thread.
Status RocksDbBinlogStore::CountIndexKeys(const rocksdb::Slice& begin, const rocksdb::Slice& end,
                                          int64_t* count, GcRoundReport* report) {
  // The memtables are pinned before the file set is read: a flush in between puts their keys
  // into an L0 file, which the file set then shows; keys written after this are not counted
  // (as with a plain scan, they are written after the count's moment).
  std::unique_ptr<rocksdb::Iterator> memtables = NewIndexMemtablesIterator();
  rocksdb::ColumnFamilyMetaData files;
  db_->GetColumnFamilyMetaData(index_cf_, &files);
  rocksdb::TablePropertiesCollection properties;
  BINLOG_RETURN_IF_ERROR(
      FromRocks(db_->GetPropertiesOfAllTables(index_cf_, &properties), "index file properties"));
  const CountedKeys counted =
      CountFromFileProperties(files, properties, memtables.get(), begin, end);
  BINLOG_RETURN_IF_ERROR(FromRocks(memtables->status(), "iterate index memtables"));
  *count += counted.keys;
  report->keys_counted_from_files += counted.keys;
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  read_options.verify_checksums = false;  // a count; nothing read here is served
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, index_cf_));
  size_t next = 0;  // the first skipped range not wholly below the iterator's key
  for (it->Seek(begin); it->Valid();) {
    const rocksdb::Slice key = it->key();
    while (next < counted.skip.size() && key.compare(counted.skip[next].second) >= 0) ++next;
    if (next < counted.skip.size() && key.compare(counted.skip[next].first) >= 0) {
      // Counted already: only that file's keys (and keys written since) live here.
      it->Seek(counted.skip[next].second);
      ++next;
      continue;
    }
    ++*count;
    it->Next();
  }
  return FromRocks(it->status(), "count index keys");
}

// Whether the index still holds a key below `end` (one Seek; the compaction filter leaves
// no tombstones to skip).
bool RocksDbBinlogStore::IndexHasKeysBefore(const rocksdb::Slice& end) {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, index_cf_));
  it->SeekToFirst();
  return it->Valid();
}

// Upstream's GC range ts:0..bound includes key 0, so the last TiDB rollback goes too (a
// later one brings the key back; Lookup answers kNotFound for it either way).
Status RocksDbBinlogStore::DeleteRollbackKey(int64_t* count) {
  const std::string key = TsKey(kRollbackIndexTs);
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_, key, &value);
  if (s.IsNotFound()) return Status::Ok();
  BINLOG_RETURN_IF_ERROR(FromRocks(s, "read rollback key"));
  BINLOG_RETURN_IF_ERROR(
      FromRocks(db_->Delete(rocksdb::WriteOptions(), meta_cf_, key), "delete rollback key"));
  ++*count;
  return Status::Ok();
}

WritePathReport RocksDbBinlogStore::write_path_report() {
  std::lock_guard lock(queue_mutex_);
  return write_path_;
}

GcRoundReport RocksDbBinlogStore::LastGcRound() const {
  std::lock_guard lock(gc_report_mutex_);
  return last_gc_round_;
}

Result<std::string> RocksDbBinlogStore::IndexProperty(const std::string& name) const {
  std::shared_lock lifecycle(lifecycle_mutex_);
  if (closing_.load() || closed_) return StoreClosed();
  std::string value;
  if (!db_->GetProperty(index_cf_, name, &value)) {
    return Status::NotFound("no index property " + name);
  }
  return value;
}

void RocksDbBinlogStore::WaitForGc() {
  std::unique_lock lock(gc_mutex_);
  gc_cv_.wait(lock, [&] { return gc_pending_bound_ == INT64_MIN && !gc_running_; });
}

BinlogStoreStats RocksDbBinlogStore::Stats() const {
  RefreshSpace(/*force=*/false);
  BinlogStoreStats stats;
  stats.max_commit_ts = max_commit_ts_.load();
  stats.gc_ts = gc_ts_.load();
  stats.done_gc_ts = done_gc_ts_.load();
  stats.deleted_index_keys = deleted_index_keys_.load();
  stats.capacity_bytes = capacity_bytes_.load();
  stats.available_bytes = available_bytes_.load();
  stats.write_errors = write_errors_.load();
  stats.read_errors = read_errors_.load();
  return stats;
}

Status RocksDbBinlogStore::Close() {
  closing_.store(true);
  {
    // Async writes in flight are completed by the store's threads, still running.
    std::unique_lock lock(async_mutex_);
    async_cv_.wait(lock, [&] { return async_writes_.load() == 0; });
  }
  std::unique_lock lifecycle(lifecycle_mutex_);
  if (closed_) return Status::Ok();
  closed_ = true;
  {
    std::lock_guard lock(queue_mutex_);
    // Every caller has returned (lifecycle_mutex_), so nothing is queued or in flight.
    stopping_ = true;
    queue_cv_.notify_all();
    sync_cv_.notify_all();
  }
  if (writer_thread_.joinable()) writer_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  {
    std::lock_guard lock(gc_mutex_);
    gc_stop_ = true;
    gc_cv_.notify_all();
  }
  if (gc_thread_.joinable()) gc_thread_.join();
  Status status;
  if (db_) {
    if (index_cf_ != nullptr && meta_cf_ != nullptr) {
      // The index writes skip the WAL (IndexWriteOptions): persisted now, so that the next
      // Open does not replay the value log behind the memtables.
      status = FromRocks(db_->Flush(rocksdb::FlushOptions(), {meta_cf_, index_cf_}),
                         "flush index");
    }
    for (rocksdb::ColumnFamilyHandle* cf : {index_cf_, meta_cf_}) {
      if (cf != nullptr) (void)db_->DestroyColumnFamilyHandle(cf);
    }
    index_cf_ = meta_cf_ = nullptr;
    const Status closed = FromRocks(db_->Close(), "close index");
    if (status.ok()) status = closed;
    db_.reset();
  }
  vlog_.reset();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
  return status;
}

}  // namespace tidb_binlog
