#include "benchmarks/raw_baselines.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "benchmarks/bench_support.h"
#include "reference/core/assert.h"

namespace tidb_binlog::bench {
namespace {

// PERFORMANCE.md §2b's probe settings, so the baseline matches the published figures.
constexpr size_t kBlockCacheBytes = size_t{1} << 30;
constexpr double kBloomBitsPerKey = 10;
// The store's index table format (rocksdb_binlog_store.cc), so the baselines read alike.
constexpr int kBlockRestartIntervalKeys = 4;
// Bound on a compaction wait in Settle(): a stuck LSM should not hang the run.
constexpr int kSettlePollsMax = 6000;
constexpr int kSettlePollMicroseconds = 10'000;
constexpr size_t kRawPointerBytes = 12;

[[noreturn]] void DieErrno(const char* what) {
  std::fprintf(stderr, "storage_bench: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

void CheckRocks(const rocksdb::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "storage_bench: %s: %s\n", what, status.ToString().c_str());
    std::exit(2);
  }
}

}  // namespace

std::unique_ptr<RawKv> RawKv::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kNoCompression;
  options.max_open_files = -1;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  // The store's index uses the same data-block hash index and restart interval; a baseline
  // without them would make the store look better than a plain RocksDB of the same format.
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.block_restart_interval = kBlockRestartIntervalKeys;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* db = nullptr;
  CheckRocks(rocksdb::DB::Open(options, dir, &db), "open raw RocksDB");
  return std::unique_ptr<RawKv>(new RawKv(db));
}

RawKv::RawKv(rocksdb::DB* db) : db_(db) {}

RawKv::~RawKv() {
  if (db_) CheckRocks(db_->Close(), "close raw RocksDB");
}

void RawKv::Write(std::span<const int64_t> ts, std::span<const std::string> values,
                  bool sync) {
  BINLOG_ASSERT(ts.size() == values.size());
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < ts.size(); ++i) batch.Put(BigEndianKey(ts[i]), values[i]);
  rocksdb::WriteOptions options;
  options.sync = sync;
  CheckRocks(db_->Write(options, &batch), "raw RocksDB write");
}

bool RawKv::Get(int64_t ts, std::string* value) {
  const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), BigEndianKey(ts), value);
  if (status.IsNotFound()) return false;
  CheckRocks(status, "raw RocksDB get");
  return true;
}

void RawKv::Settle() {
  CheckRocks(db_->Flush(rocksdb::FlushOptions()), "raw RocksDB flush");
  // Everything down into one level: left to background compaction, zero to three L0 files
  // stayed behind depending on flush timing, and each is one more filter probe per miss
  // (the raw miss moved 0.37-0.53 us from one run to the next). One level is also the
  // cheapest shape for a miss, so the baseline gets no slower for being deterministic.
  CheckRocks(db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr),
             "raw RocksDB compact");
  // RocksDB 7.8 has no WaitForCompact: poll the pending/running counters (PERFORMANCE §7).
  for (int i = 0; i < kSettlePollsMax; ++i) {
    uint64_t pending = 0, running = 0;
    db_->GetIntProperty("rocksdb.compaction-pending", &pending);
    db_->GetIntProperty("rocksdb.num-running-compactions", &running);
    if (pending == 0 && running == 0) return;
    ::usleep(kSettlePollMicroseconds);
  }
}

RawFile::RawFile(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) DieErrno("open raw file");
}

RawFile::~RawFile() { ::close(fd_); }

uint64_t RawFile::Append(std::span<const std::string> records, bool sync) {
  const uint64_t first = end_;
  std::vector<iovec> iov;
  iov.reserve(std::min<size_t>(records.size(), IOV_MAX));
  size_t next = 0;
  while (next < records.size()) {
    iov.clear();
    size_t bytes = 0;
    for (; next < records.size() && iov.size() < IOV_MAX; ++next) {
      iov.push_back({const_cast<char*>(records[next].data()), records[next].size()});
      bytes += records[next].size();
    }
    // Regular-file writev of this size completes fully or fails; a short write is an error.
    const ssize_t written = ::writev(fd_, iov.data(), static_cast<int>(iov.size()));
    if (written != static_cast<ssize_t>(bytes)) DieErrno("writev raw file");
    end_ += bytes;
  }
  if (sync && ::fdatasync(fd_) != 0) DieErrno("fdatasync raw file");
  return first;
}

void RawFile::Read(uint64_t offset, size_t length, std::string* out) const {
  out->resize(length);
  const ssize_t got = ::pread(fd_, out->data(), length, static_cast<off_t>(offset));
  if (got != static_cast<ssize_t>(length)) DieErrno("pread raw file");
}

std::string EncodeRawPointer(uint64_t offset, uint32_t length) {
  std::string bytes(kRawPointerBytes, '\0');
  std::memcpy(bytes.data(), &offset, sizeof offset);
  std::memcpy(bytes.data() + sizeof offset, &length, sizeof length);
  return bytes;
}

void DecodeRawPointer(const std::string& bytes, uint64_t* offset, uint32_t* length) {
  BINLOG_ASSERT(bytes.size() == kRawPointerBytes);
  std::memcpy(offset, bytes.data(), sizeof *offset);
  std::memcpy(length, bytes.data() + sizeof *offset, sizeof *length);
}

}  // namespace tidb_binlog::bench
