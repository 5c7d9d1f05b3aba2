// ValueLog: the append-only files holding binlog payloads for RocksDbBinlogStore, in
// upstream's byte format (UPSTREAM.md §7.1):
//
//   <dir>/NNNNNN.vlog  (fid, 6 digits, first 000000.vlog)
//   record  = magic u32 LE 0x823a56e8 | length u64 LE | CRC-32C u32 LE of payload | payload
//   footer  = maxTS i64 LE | magic u32 LE 0x123ab922   (ends a finalized file)
//   pointer = fid u32 LE | offset u64 LE               (12 bytes, stored in the index)
//
// Files rotate once the write offset reaches ValueLogOptions::file_bytes_max; the full file
// gets its footer (maxTS = the largest index ts of its records, so GC can drop it whole).
//
// The file being written is extended with zeros ahead of its records (kZeroFillAheadBytes
// at a time), which the records then overwrite, so that an fdatasync need not write the
// inode too; the zeros are cut before the footer and on a clean close, so closed files hold
// upstream's bytes only.
//
// Open() repairs what a crash can leave: zeros written ahead at the end of the last file are
// cut off, and a torn or corrupt record at its tail was never acknowledged (its group's
// fdatasync had not returned), so it is truncated away. Bad bytes followed by a valid
// record, or in any earlier file, are real corruption and Open fails with kCorruption. A
// non-last file without footer is scanned and finalized.
//
// Not for: indexing (the store's RocksDB does that) or deciding what to acknowledge (the
// caller acknowledges a record only after Append, or a SyncTo covering it, returned OK).
//
// Durability is split from writing so that a caller can pipeline group commit: Write puts
// records into the page cache, SyncTo(end) fdatasyncs until everything before `end` is
// durable, and the next Write may run while a SyncTo is in its fdatasync (the store writes
// group N+1 while group N is being synced). Append is Write + SyncTo for simple callers.
//
// Thread safety: Write and Append are called by one thread at a time (the appender).
// SyncTo may run concurrently with them (calls to SyncTo are serialised inside). Read, Scan,
// End, Synced and DeleteFilesUpTo may run concurrently with everything; a file being read
// while it is deleted stays readable through its open descriptor (and its mapping: finalized
// files are read through one read-only mmap each, the file being written with pread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>

#include "reference/core/status.h"

namespace tidb_binlog {

inline constexpr uint32_t kRecordMagic = 0x823a56e8;
inline constexpr size_t kRecordHeaderBytes = 16;
inline constexpr uint32_t kFooterMagic = 0x123ab922;
inline constexpr size_t kFooterBytes = 12;
inline constexpr size_t kValuePointerBytes = 12;
// A length field above this is treated as corruption instead of being allocated; a binlog
// is bounded far below by the pump's gRPC message limit.
inline constexpr uint64_t kRecordPayloadBytesMax = uint64_t{1} << 31;
// Zeros written ahead of the file being appended, so that a durable write overwrites bytes
// that exist instead of growing the file (ValueLog::ZeroFillAhead): ~18 rounds of 55 KB.
inline constexpr uint64_t kZeroFillAheadBytes = uint64_t{1} << 20;

struct ValuePointer {
  uint32_t fid = 0;
  uint64_t offset = 0;

  std::string Encode() const;
  static Result<ValuePointer> Decode(std::string_view bytes);
  friend auto operator<=>(const ValuePointer&, const ValuePointer&) = default;
};

// Appends one record (header + payload) to *out.
void AppendRecord(std::string_view payload, std::string* out);

// Writes the kRecordHeaderBytes header of a record holding `payload` (magic, length, CRC) to
// `header`.
void EncodeRecordHeader(std::string_view payload, char* header);

// AppendRecord for a payload that `fill(char* payload)` writes in place (exactly
// payload_bytes bytes, e.g. a protobuf serialized straight into the record): no copy.
template <typename Fill>
void AppendRecordInPlace(size_t payload_bytes, Fill&& fill, std::string* out) {
  const size_t at = out->size();
  out->resize(at + kRecordHeaderBytes + payload_bytes);
  char* header = out->data() + at;
  fill(header + kRecordHeaderBytes);
  EncodeRecordHeader(std::string_view(header + kRecordHeaderBytes, payload_bytes), header);
}

// The path of file `fid` in `dir` ("<dir>/000042.vlog").
std::string ValueLogFilePath(const std::string& dir, uint32_t fid);

struct ValueLogOptions {
  std::string dir;
  uint64_t file_bytes_max = uint64_t{64} << 20;
  bool sync = true;  // Append fdatasyncs (SyncTo) before returning
  // The index ts of a record's payload; used when a file must be (re)scanned for its maxTS.
  std::function<Result<int64_t>(std::string_view payload)> index_ts_of;
  // Tests only: when set and it returns true, the next fdatasync is reported as failed.
  std::function<bool()> fail_sync_for_testing;
};

// A reader's scratch for ValueLog::ReadView. The payload view a read returns points into
// this buffer (records of the file being written, read with pread) or into the mapping of a
// finalized file that the buffer keeps alive, so the view stays valid until the buffer's
// next read, Release() or destruction. Not thread-safe: one buffer per concurrent reader.
class ValueLogReadBuffer {
 public:
  // Drops what the last view pointed into (a deleted file's mapping is released here).
  void Release() {
    pinned_.reset();
    bytes_.clear();
  }

 private:
  friend class ValueLog;
  std::shared_ptr<const void> pinned_;  // the mapped file the last view points into
  std::string bytes_;                   // the last pread record (header + payload)
};

class ValueLog {
 public:
  // Called for each record from Scan: its position, the position just after it, payload.
  using ScanFn = std::function<Status(ValuePointer at, ValuePointer next, std::string_view)>;

  static Result<std::unique_ptr<ValueLog>> Open(ValueLogOptions options);
  ~ValueLog();
  ValueLog(const ValueLog&) = delete;
  ValueLog& operator=(const ValueLog&) = delete;

  // Writes already-encoded records (AppendRecord output) with one write, without syncing
  // (with options.sync, their writeback starts at once so that SyncTo then waits less);
  // rotates first if the current file is full (rotation fdatasyncs the full file with its
  // footer, so everything before the new file is durable). `max_index_ts` is the largest
  // index ts among them. Returns where the first record starts; the records end at
  // {fid, offset + records.size()}. On a failed write the file is cut back so nothing
  // partial stays. After a failed fdatasync (here or in SyncTo) every later Write and
  // SyncTo fails (kIoError): whether the page cache still holds the data is unknown (the
  // LevelDB/PostgreSQL "fsyncgate" rule), so the log must not pretend later writes are
  // durable.
  Result<ValuePointer> Write(std::string_view records, int64_t max_index_ts);
  // The same for records in several buffers, written in order with one pwritev (no copy
  // into one buffer); they end at {fid, offset + the parts' total size}.
  Result<ValuePointer> Write(std::span<const std::string_view> parts, int64_t max_index_ts);

  // Makes every record ending at or before `end` (a position a Write returned, or its
  // records' end) durable: one fdatasync of end's file unless Synced() already covers it.
  // Records written after the fdatasync started may or may not be covered by it.
  Status SyncTo(ValuePointer end);

  // Write, then SyncTo the records' end when options.sync.
  Result<ValuePointer> Append(std::string_view records, int64_t max_index_ts);

  // The payload of the record at `at`, checksum verified. kNotFound if the file is gone,
  // kCorruption if the bytes are not a valid record.
  Result<std::string> Read(ValuePointer at) const;

  // As Read, without copying the payload: the view points into *buffer or into the mapping
  // of a finalized file (mapped read-only at its first read: a lookup then costs no syscall),
  // valid as ValueLogReadBuffer says. Same errors as Read.
  Result<std::string_view> ReadView(ValuePointer at, ValueLogReadBuffer* buffer) const;

  // Calls fn for every record from `from` (or the first existing file if that one is gone)
  // to the end of the log, in order. Stops at fn's first error and returns it.
  Status Scan(ValuePointer from, const ScanFn& fn) const;

  // The position the next Append will write to.
  ValuePointer End() const;

  // Unlinks every finalized file (never the current one) whose maxTS <= bound. Returns how
  // many were removed.
  Result<int> DeleteFilesUpTo(int64_t bound);

  // Total bytes of all value-log files.
  uint64_t TotalBytes() const;

  // Everything before this position is known durable.
  ValuePointer Synced() const;

  // Not ok once a failed fdatasync made the log refuse writes (sticky).
  Status broken() const;

  // Bytes of a torn tail that Open cut off the last file (0 if none).
  uint64_t truncated_tail_bytes() const { return truncated_tail_bytes_; }

 private:
  struct File;

  explicit ValueLog(ValueLogOptions options);
  Status OpenExisting();
  Status RecoverLastFile(std::shared_ptr<File> file);
  Status FinalizeFile(File& file);
  Status CreateFile(uint32_t fid);
  Status Rotate();
  Status ZeroFillAhead(uint64_t end);
  // Starts writing [offset, offset + bytes) of the current file to disk without waiting
  // (sync_file_range): the fdatasync that follows then waits only for the rest of the
  // write and the cache flush, and the time in between is free for the caller (the store
  // acknowledges the previous group there). Measured here: 30 KB, sync_file_range ~16 us
  // to submit, then 40 us of other work, then fdatasync ~43 us: ~99 us for the round, as
  // long as a bare fdatasync alone (~100 us).
  void StartWriteback(uint64_t offset, uint64_t bytes);
  Status CutZeroFill();
  Status Sync(int fd, const std::string& path);
  // Records `s` as the sticky failure (first one wins) and returns the sticky status.
  Status Break(const Status& s);
  void MarkSynced(ValuePointer end);
  Status ScanFile(const File& file, uint64_t offset, const ScanFn& fn) const;
  // Maps a finalized file once (see File::map); false if it is not mapped.
  static bool MapFinalized(File& file);
  // The record at `offset` read with pread into *bytes: one read of a first chunk, and a
  // second for the rest of a longer record. Returns the bytes read (the record, or less at
  // the end of the file); the caller checks them.
  static Result<std::string_view> PreadRecord(const File& file, uint64_t offset,
                                              std::string* bytes);
  // The file `fid` (null if gone) and, in *finalized, whether it was finalized then.
  std::shared_ptr<File> FindFile(uint32_t fid, bool* finalized = nullptr) const;

  const ValueLogOptions options_;
  mutable std::shared_mutex files_mutex_;             // guards files_, current_
  std::map<uint32_t, std::shared_ptr<File>> files_;
  std::shared_ptr<File> current_;
  // Only the appender writes these; End() reads them under files_mutex_.
  uint64_t write_offset_ = 0;
  // Appender only: the current file's size; its bytes past write_offset_ are zeros written
  // ahead (ZeroFillAhead).
  uint64_t zeroed_end_ = 0;
  int64_t current_max_ts_ = 0;
  std::mutex sync_mutex_;  // one SyncTo at a time; held across its fdatasync
  mutable std::mutex state_mutex_;  // guards broken_, synced_; never held across I/O
  Status broken_;  // sticky failure of a previous fdatasync
  ValuePointer synced_;
  uint64_t truncated_tail_bytes_ = 0;
};

}  // namespace tidb_binlog
