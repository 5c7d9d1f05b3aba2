// Raw baselines the storage benchmarks compare against, measured in the same binary on the
// same disk (PERFORMANCE.md §6): a bare RocksDB holding values (or 12-byte pointers) under
// 8-byte big-endian ts keys, and a flat append-only file written with writev + fdatasync
// and read with pread. They do only what the goal's baseline names, nothing a store needs
// on top (framing, checksums, metadata, sorting), so the ratios show the store's overhead.
//
// Not for: production use; setup failures abort (benchmarks have nothing to report then).
// Thread safety: RawKv is safe for concurrent use (RocksDB is). RawFile Append is for one
// thread at a time; Read may run concurrently with anything.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace rocksdb {
class DB;
}

namespace tidb_binlog::bench {

// A RocksDB tuned as in PERFORMANCE.md §2b: no compression, whole-key bloom filter of 10
// bits, 1 GiB block cache, max_open_files = -1.
class RawKv {
 public:
  static std::unique_ptr<RawKv> Open(const std::string& dir);
  ~RawKv();
  RawKv(const RawKv&) = delete;
  RawKv& operator=(const RawKv&) = delete;

  // One WriteBatch with keys BigEndianKey(ts[i]) and values[i]; WAL on; fsync if `sync`.
  void Write(std::span<const int64_t> ts, std::span<const std::string> values, bool sync);
  // True and the value if present.
  bool Get(int64_t ts, std::string* value);
  // Flushes the memtable, compacts everything into one level and waits for compactions, so
  // lookups see a settled LSM of the same shape in every run.
  void Settle();

 private:
  explicit RawKv(rocksdb::DB* db);
  std::unique_ptr<rocksdb::DB> db_;
};

// One flat file of concatenated records.
class RawFile {
 public:
  explicit RawFile(const std::string& path);
  ~RawFile();
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  // Appends records with one writev (in slices of at most IOV_MAX), then fdatasync if
  // `sync`. Returns the offset of the first record.
  uint64_t Append(std::span<const std::string> records, bool sync);
  // pread of [offset, offset + length) into *out.
  void Read(uint64_t offset, size_t length, std::string* out) const;

 private:
  int fd_ = -1;
  uint64_t end_ = 0;
};

// A 12-byte pointer (offset u64 LE, length u32 LE) into a RawFile, as the raw index value.
std::string EncodeRawPointer(uint64_t offset, uint32_t length);
void DecodeRawPointer(const std::string& bytes, uint64_t* offset, uint32_t* length);

}  // namespace tidb_binlog::bench
