#include "reference/storage/value_log.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "reference/storage/crc32c.h"
#include "reference/storage/posix_file.h"

namespace tidb_binlog {
namespace {

// One pread of this many bytes usually holds a whole record, so a lookup costs one syscall.
constexpr size_t kReadAheadBytes = 4096;
// fid is printed with this many digits, as upstream (fmt "%06d.vlog").
constexpr int kFidDigits = 6;

void EncodeFixed32(char* b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
}
void EncodeFixed64(char* b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
}
void PutFixed32(std::string* out, uint32_t v) {
  char b[4];
  EncodeFixed32(b, v);
  out->append(b, 4);
}
void PutFixed64(std::string* out, uint64_t v) {
  char b[8];
  EncodeFixed64(b, v);
  out->append(b, 8);
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

enum class Parse { kRecord, kFooter, kEnd, kBad };

struct Parsed {
  Parse kind = Parse::kEnd;
  std::string_view payload;
  uint64_t next = 0;
  int64_t footer_max_ts = 0;
  std::string why;  // for kBad
};

// Parses the record (or footer) at `pos` of a file whose bytes are `data`.
Parsed ParseAt(std::string_view data, uint64_t pos) {
  Parsed p;
  uint64_t remaining = data.size() - pos;
  if (remaining == 0) return p;
  if (remaining == kFooterBytes && GetFixed32(data.data() + pos + 8) == kFooterMagic) {
    p.kind = Parse::kFooter;
    p.footer_max_ts = static_cast<int64_t>(GetFixed64(data.data() + pos));
    return p;
  }
  p.kind = Parse::kBad;
  if (remaining < kRecordHeaderBytes) {
    p.why = "torn record header";
    return p;
  }
  const char* h = data.data() + pos;
  if (GetFixed32(h) != kRecordMagic) {
    p.why = "bad record magic";
    return p;
  }
  uint64_t length = GetFixed64(h + 4);
  if (length > kRecordPayloadBytesMax || length > remaining - kRecordHeaderBytes) {
    p.why = "record length beyond end of file";
    return p;
  }
  std::string_view payload(h + kRecordHeaderBytes, length);
  if (crc32c::Value(payload.data(), payload.size()) != GetFixed32(h + 12)) {
    p.why = "record checksum mismatch";
    return p;
  }
  p.kind = Parse::kRecord;
  p.payload = payload;
  p.next = pos + kRecordHeaderBytes + length;
  return p;
}

// Just past the last non-zero byte at or after `from` (`from` if there is none).
uint64_t NonZeroEnd(std::string_view data, uint64_t from) {
  const size_t last = data.find_last_not_of('\0');
  return last == std::string_view::npos || last < from ? from : last + 1;
}

// True if a valid record starts anywhere in data[from, end): then the bad bytes before it
// are not a torn tail but damage in the middle of acknowledged data.
bool ValidRecordStartsAfter(std::string_view data, uint64_t from) {
  std::string magic;
  PutFixed32(&magic, kRecordMagic);
  for (size_t at = data.find(magic, from); at != std::string_view::npos;
       at = data.find(magic, at + 1)) {
    if (ParseAt(data, at).kind == Parse::kRecord) return true;
  }
  return false;
}

// Reads up to `size` bytes at `offset` into out; fewer only at the end of the file.
Result<uint64_t> ReadRangeInto(int fd, uint64_t offset, uint64_t size, char* out,
                               const std::string& path) {
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return posix_file::ErrnoStatus("pread", path);
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
  }
  return done;
}

Result<std::string> ReadRange(int fd, uint64_t offset, uint64_t size, const std::string& path) {
  std::string data(size, '\0');
  auto done = ReadRangeInto(fd, offset, size, data.data(), path);
  if (!done.ok()) return done.status();
  data.resize(*done);
  return data;
}

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return posix_file::ErrnoStatus("fstat", path);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

struct ValueLog::File {
  uint32_t fid = 0;
  std::string path;
  int fd = -1;
  bool finalized = false;
  int64_t max_ts = 0;  // from the footer once finalized
  // A finalized file never changes again (only GC unlinks it, and a mapping outlives the
  // name), so readers share one read-only mapping of it, made at its first read. Set inside
  // map_once; `map` stays null if mmap failed, and reads then use pread.
  std::once_flag map_once;
  const char* map = nullptr;
  uint64_t map_bytes = 0;
  ~File() {
    if (map) ::munmap(const_cast<char*>(map), map_bytes);
    if (fd >= 0) ::close(fd);
  }
};

std::string ValuePointer::Encode() const {
  std::string out;
  PutFixed32(&out, fid);
  PutFixed64(&out, offset);
  return out;
}

Result<ValuePointer> ValuePointer::Decode(std::string_view bytes) {
  if (bytes.size() != kValuePointerBytes) {
    return Status::Corruption("value pointer of " + std::to_string(bytes.size()) + " bytes");
  }
  return ValuePointer{GetFixed32(bytes.data()), GetFixed64(bytes.data() + 4)};
}

void AppendRecord(std::string_view payload, std::string* out) {
  char header[kRecordHeaderBytes];
  EncodeRecordHeader(payload, header);
  out->append(header, kRecordHeaderBytes);
  out->append(payload);
}

void EncodeRecordHeader(std::string_view payload, char* header) {
  EncodeFixed32(header, kRecordMagic);
  EncodeFixed64(header + 4, payload.size());
  EncodeFixed32(header + 12, crc32c::Value(payload.data(), payload.size()));
}

std::string ValueLogFilePath(const std::string& dir, uint32_t fid) {
  char name[32];
  std::snprintf(name, sizeof(name), "%0*u.vlog", kFidDigits, fid);
  return dir + "/" + name;
}

ValueLog::ValueLog(ValueLogOptions options) : options_(std::move(options)) {}
// A clean close leaves the last file as upstream would: without the zeros written ahead.
ValueLog::~ValueLog() {
  if (current_ != nullptr && zeroed_end_ > write_offset_) (void)CutZeroFill();
}

Result<std::unique_ptr<ValueLog>> ValueLog::Open(ValueLogOptions options) {
  BINLOG_ASSERT(options.index_ts_of != nullptr);
  std::unique_ptr<ValueLog> log(new ValueLog(std::move(options)));
  BINLOG_RETURN_IF_ERROR(log->OpenExisting());
  return log;
}

Status ValueLog::OpenExisting() {
  BINLOG_RETURN_IF_ERROR(posix_file::EnsureDirectory(options_.dir));
  std::error_code ec;
  std::vector<uint32_t> fids;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == kFidDigits + 5 && name.ends_with(".vlog")) {
      fids.push_back(static_cast<uint32_t>(std::stoul(name.substr(0, kFidDigits))));
    }
  }
  if (ec) return Status::IoError("list " + options_.dir + ": " + ec.message());
  std::sort(fids.begin(), fids.end());
  if (fids.empty()) return CreateFile(0);
  for (uint32_t fid : fids) {
    auto file = std::make_shared<File>();
    file->fid = fid;
    file->path = ValueLogFilePath(options_.dir, fid);
    file->fd = ::open(file->path.c_str(), O_RDWR | O_CLOEXEC);
    if (file->fd < 0) return posix_file::ErrnoStatus("open", file->path);
    files_[fid] = file;
  }
  for (auto it = files_.begin(); std::next(it) != files_.end(); ++it) {
    BINLOG_RETURN_IF_ERROR(FinalizeFile(*it->second));
  }
  return RecoverLastFile(files_.rbegin()->second);
}

// Brings a non-last file to the finalized state: trusts an existing footer (we write it, and
// fdatasync it, before creating the next file); otherwise scans strictly and writes one.
Status ValueLog::FinalizeFile(File& file) {
  if (file.finalized) return Status::Ok();
  auto size = FileSize(file.fd, file.path);
  if (!size.ok()) return size.status();
  if (*size >= kFooterBytes) {
    auto tail = ReadRange(file.fd, *size - kFooterBytes, kFooterBytes, file.path);
    if (!tail.ok()) return tail.status();
    if (tail->size() == kFooterBytes && GetFixed32(tail->data() + 8) == kFooterMagic) {
      file.finalized = true;
      file.max_ts = static_cast<int64_t>(GetFixed64(tail->data()));
      return Status::Ok();
    }
  }
  int64_t max_ts = 0;
  BINLOG_RETURN_IF_ERROR(ScanFile(file, 0, [&](ValuePointer, ValuePointer, std::string_view p) {
    auto ts = options_.index_ts_of(p);
    if (!ts.ok()) return ts.status();
    max_ts = std::max(max_ts, *ts);
    return Status::Ok();
  }));
  std::string footer;
  PutFixed64(&footer, static_cast<uint64_t>(max_ts));
  PutFixed32(&footer, kFooterMagic);
  BINLOG_RETURN_IF_ERROR(
      posix_file::WriteAllAt(file.fd, footer, static_cast<int64_t>(*size), file.path));
  BINLOG_RETURN_IF_ERROR(Sync(file.fd, file.path));
  file.finalized = true;
  file.max_ts = max_ts;
  return Status::Ok();
}

// The last file may end in a record whose group never finished its fdatasync (never
// acknowledged): cut it off. Anything else wrong is corruption of acknowledged data. What
// remains is fdatasync'ed once (when options.sync, or after a cut): the store replays it
// into the index, so it may become visible to readers, and a record written but never
// synced by a killed process must not vanish in a later power loss after a drainer has
// pulled it.
Status ValueLog::RecoverLastFile(std::shared_ptr<File> file) {
  auto size = FileSize(file->fd, file->path);
  if (!size.ok()) return size.status();
  auto data = ReadRange(file->fd, 0, *size, file->path);
  if (!data.ok()) return data.status();
  uint64_t pos = 0;
  int64_t max_ts = 0;
  for (;;) {
    Parsed p = ParseAt(*data, pos);
    if (p.kind == Parse::kEnd) break;
    if (p.kind == Parse::kFooter) {
      file->finalized = true;
      file->max_ts = p.footer_max_ts;
      return CreateFile(file->fid + 1);
    }
    if (p.kind == Parse::kBad) {
      if (ValidRecordStartsAfter(*data, pos + 1)) {
        return Status::Corruption("value log " + file->path + ": " + p.why + " at offset " +
                                  std::to_string(pos) + ", followed by valid records");
      }
      if (::ftruncate(file->fd, static_cast<off_t>(pos)) != 0) {
        return posix_file::ErrnoStatus("ftruncate", file->path);
      }
      // Zeros written ahead (ZeroFillAhead) are not a torn record.
      truncated_tail_bytes_ = NonZeroEnd(*data, pos) - pos;
      break;
    }
    auto ts = options_.index_ts_of(p.payload);
    if (!ts.ok()) {
      return Status::Corruption("value log " + file->path + " at offset " +
                                std::to_string(pos) + ": " + ts.status().message());
    }
    max_ts = std::max(max_ts, *ts);
    pos = p.next;
  }
  if (options_.sync || truncated_tail_bytes_ > 0) {
    BINLOG_RETURN_IF_ERROR(Sync(file->fd, file->path));  // a cut must stick in any mode
  }
  MarkSynced({file->fid, pos});
  std::unique_lock lock(files_mutex_);
  current_ = std::move(file);
  write_offset_ = pos;
  zeroed_end_ = pos;
  current_max_ts_ = max_ts;
  return Status::Ok();
}

Status ValueLog::CreateFile(uint32_t fid) {
  auto file = std::make_shared<File>();
  file->fid = fid;
  file->path = ValueLogFilePath(options_.dir, fid);
  file->fd = ::open(file->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (file->fd < 0) return posix_file::ErrnoStatus("create", file->path);
  // The new name must survive a power loss before any acknowledged record lands in it.
  BINLOG_RETURN_IF_ERROR(posix_file::FsyncDirectory(options_.dir));
  MarkSynced({fid, 0});
  std::unique_lock lock(files_mutex_);
  files_[fid] = file;
  current_ = file;
  write_offset_ = 0;
  zeroed_end_ = 0;
  current_max_ts_ = 0;
  return Status::Ok();
}

Status ValueLog::Rotate() {
  std::string footer;
  PutFixed64(&footer, static_cast<uint64_t>(current_max_ts_));
  PutFixed32(&footer, kFooterMagic);
  // The footer ends the file: the zeros written ahead go first.
  Status s = CutZeroFill();
  if (s.ok()) {
    s = posix_file::WriteAllAt(current_->fd, footer, static_cast<int64_t>(write_offset_),
                               current_->path);
  }
  if (s.ok()) s = Sync(current_->fd, current_->path);
  if (!s.ok()) return Break(s);  // the file's end is now unknown; stop appending
  // Every record of the full file is durable now, whatever SyncTo has reached.
  MarkSynced({current_->fid, write_offset_});
  {
    std::unique_lock lock(files_mutex_);
    current_->finalized = true;
    current_->max_ts = current_max_ts_;
  }
  return CreateFile(current_->fid + 1);
}

Status ValueLog::Sync(int fd, const std::string& path) {
  if (options_.fail_sync_for_testing && options_.fail_sync_for_testing()) {
    return Status::IoError("fdatasync " + path + ": injected failure");
  }
  if (::fdatasync(fd) != 0) return posix_file::ErrnoStatus("fdatasync", path);
  return Status::Ok();
}

Status ValueLog::Break(const Status& s) {
  std::lock_guard lock(state_mutex_);
  if (broken_.ok()) broken_ = s;
  return broken_;
}

void ValueLog::MarkSynced(ValuePointer end) {
  std::lock_guard lock(state_mutex_);
  synced_ = std::max(synced_, end);
}

Status ValueLog::broken() const {
  std::lock_guard lock(state_mutex_);
  return broken_;
}

ValuePointer ValueLog::Synced() const {
  std::lock_guard lock(state_mutex_);
  return synced_;
}

Result<ValuePointer> ValueLog::Write(std::string_view records, int64_t max_index_ts) {
  return Write(std::span<const std::string_view>(&records, 1), max_index_ts);
}

Result<ValuePointer> ValueLog::Write(std::span<const std::string_view> parts,
                                     int64_t max_index_ts) {
  BINLOG_RETURN_IF_ERROR(broken());
  if (write_offset_ >= options_.file_bytes_max) BINLOG_RETURN_IF_ERROR(Rotate());
  const ValuePointer start{current_->fid, write_offset_};
  size_t bytes = 0;
  for (std::string_view part : parts) bytes += part.size();
  BINLOG_RETURN_IF_ERROR(ZeroFillAhead(write_offset_ + bytes));
  Status s = posix_file::WriteAllAtV(current_->fd, parts, static_cast<int64_t>(write_offset_),
                                     current_->path);
  if (!s.ok()) {
    // Cut back a partial write so the next group starts where the index expects it. The
    // cut is above every earlier record, so a SyncTo running meanwhile loses nothing.
    if (!CutZeroFill().ok()) return Break(s);
    return s;
  }
  if (options_.sync) StartWriteback(write_offset_, bytes);
  std::unique_lock lock(files_mutex_);
  write_offset_ += bytes;
  current_max_ts_ = std::max(current_max_ts_, max_index_ts);
  return start;
}

// An fdatasync after an append must also write the inode (the file size changed): on this
// ext4 (no journal) a second, serial disk write in every durable round (measured: 57 KB
// append + fdatasync 205-257 us; the same over bytes already written, 125-160 us). So the
// current file is extended with zeros kZeroFillAheadBytes ahead of the records, which then
// overwrite bytes that exist: only the first fdatasync after each extension writes the
// inode. The zeros' writeback starts at once (sync_file_range, a hint whose failure the
// next fdatasync reports anyway), so that fdatasync does not write them too. The zeros are
// no part of the format: Rotate cuts them before the footer, the destructor on a clean close,
// and Open off the last file after a crash (RecoverLastFile).
Status ValueLog::ZeroFillAhead(uint64_t end) {
  // Never past the rotation size: the group that reaches it grows the file once, and a small
  // file_bytes_max (tests) does not get a MiB of zeros per file.
  if (end <= zeroed_end_ || end >= options_.file_bytes_max) return Status::Ok();
  static const std::string zeros(kZeroFillAheadBytes, '\0');
  const uint64_t from = std::max(zeroed_end_, write_offset_);
  const uint64_t to = std::min(end + kZeroFillAheadBytes, options_.file_bytes_max);
  std::vector<std::string_view> parts;
  for (uint64_t at = from; at < to; at += zeros.size()) {
    parts.emplace_back(zeros.data(), std::min<uint64_t>(zeros.size(), to - at));
  }
  BINLOG_RETURN_IF_ERROR(posix_file::WriteAllAtV(current_->fd, parts,
                                                 static_cast<int64_t>(from), current_->path));
  StartWriteback(from, to - from);
  zeroed_end_ = to;
  return Status::Ok();
}

// A hint: a failed writeback is reported by the next fdatasync anyway (SYNC_FILE_RANGE_WRITE
// alone neither waits nor consumes the file's writeback error).
void ValueLog::StartWriteback(uint64_t offset, uint64_t bytes) {
  (void)::sync_file_range(current_->fd, static_cast<off_t>(offset), static_cast<off_t>(bytes),
                          SYNC_FILE_RANGE_WRITE);
}

// Cuts the current file back to its records (the zeros written ahead, or a partial write).
Status ValueLog::CutZeroFill() {
  if (::ftruncate(current_->fd, static_cast<off_t>(write_offset_)) != 0) {
    return posix_file::ErrnoStatus("ftruncate", current_->path);
  }
  zeroed_end_ = write_offset_;
  return Status::Ok();
}

Status ValueLog::SyncTo(ValuePointer end) {
  std::lock_guard serial(sync_mutex_);
  {
    std::lock_guard lock(state_mutex_);
    if (!broken_.ok()) return broken_;
    if (end <= synced_) return Status::Ok();
  }
  std::shared_ptr<File> file = FindFile(end.fid);
  if (file == nullptr) {
    // Only GC deletes files, and only finalized ones, which Rotate synced whole.
    BINLOG_ASSERT(end <= Synced());
    return Status::Ok();
  }
  Status s = Sync(file->fd, file->path);
  if (!s.ok()) return Break(s);
  std::lock_guard lock(state_mutex_);
  // A failure reported to a concurrent Rotate may have dropped dirty pages this fdatasync
  // then found clean: its success proves nothing once the log is broken.
  if (!broken_.ok()) return broken_;
  synced_ = std::max(synced_, end);
  return Status::Ok();
}

Result<ValuePointer> ValueLog::Append(std::string_view records, int64_t max_index_ts) {
  auto start = Write(records, max_index_ts);
  if (!start.ok() || !options_.sync) return start;
  BINLOG_RETURN_IF_ERROR(SyncTo({start->fid, start->offset + records.size()}));
  return start;
}

std::shared_ptr<ValueLog::File> ValueLog::FindFile(uint32_t fid, bool* finalized) const {
  std::shared_lock lock(files_mutex_);
  auto it = files_.find(fid);
  if (it == files_.end()) return nullptr;
  if (finalized) *finalized = it->second->finalized;
  return it->second;
}

// Maps a finalized file once (see File::map); false if it is not mapped.
bool ValueLog::MapFinalized(File& file) {
  std::call_once(file.map_once, [&file] {
    auto size = FileSize(file.fd, file.path);
    if (!size.ok() || *size == 0) return;
    void* at = ::mmap(nullptr, *size, PROT_READ, MAP_SHARED, file.fd, 0);
    if (at == MAP_FAILED) return;
    // Lookups land on random records: read-around on a page-cache miss would only waste I/O.
    ::madvise(at, *size, MADV_RANDOM);
    file.map = static_cast<const char*>(at);
    file.map_bytes = *size;
  });
  return file.map != nullptr;
}

// First chunk: kReadAheadBytes.
Result<std::string_view> ValueLog::PreadRecord(const File& file, uint64_t offset,
                                               std::string* bytes) {
  if (bytes->size() < kReadAheadBytes) bytes->resize(kReadAheadBytes);
  auto head = ReadRangeInto(file.fd, offset, kReadAheadBytes, bytes->data(), file.path);
  if (!head.ok()) return head.status();
  uint64_t have = *head;
  if (have >= kRecordHeaderBytes && GetFixed32(bytes->data()) == kRecordMagic) {
    const uint64_t length = GetFixed64(bytes->data() + 4);
    const uint64_t total = kRecordHeaderBytes + length;
    if (length <= kRecordPayloadBytesMax && total > have) {
      if (bytes->size() < total) bytes->resize(total);
      auto rest = ReadRangeInto(file.fd, offset + have, total - have, bytes->data() + have,
                                file.path);
      if (!rest.ok()) return rest.status();
      have += *rest;
    }
  }
  return std::string_view(bytes->data(), have);
}

Result<std::string_view> ValueLog::ReadView(ValuePointer at, ValueLogReadBuffer* buffer) const {
  bool finalized = false;
  std::shared_ptr<File> file = FindFile(at.fid, &finalized);
  if (!file) return Status::NotFound("value log file " + std::to_string(at.fid) + " is gone");
  std::string_view data;  // the record, or what the file holds from its start on
  if (finalized && MapFinalized(*file)) {
    if (at.offset < file->map_bytes) {
      data = std::string_view(file->map + at.offset, file->map_bytes - at.offset);
    }
  } else {
    auto read = PreadRecord(*file, at.offset, &buffer->bytes_);
    if (!read.ok()) return read.status();
    data = *read;
  }
  // Built only on failure: lookups are hot and the message costs allocations.
  auto corrupt = [&](const char* what) {
    return Status::Corruption("value log " + file->path + " at offset " +
                              std::to_string(at.offset) + ": " + what);
  };
  if (data.size() < kRecordHeaderBytes || GetFixed32(data.data()) != kRecordMagic) {
    return corrupt("bad record header");
  }
  const uint64_t length = GetFixed64(data.data() + 4);
  if (length > kRecordPayloadBytesMax) return corrupt("bad record length");
  if (data.size() < kRecordHeaderBytes + length) return corrupt("record beyond end of file");
  const std::string_view payload = data.substr(kRecordHeaderBytes, length);
  if (crc32c::Value(payload.data(), payload.size()) != GetFixed32(data.data() + 12)) {
    return corrupt("checksum mismatch");
  }
  buffer->pinned_ = std::move(file);
  return payload;
}

Result<std::string> ValueLog::Read(ValuePointer at) const {
  ValueLogReadBuffer buffer;
  auto payload = ReadView(at, &buffer);
  if (!payload.ok()) return payload.status();
  return std::string(*payload);
}

Status ValueLog::ScanFile(const File& file, uint64_t offset, const ScanFn& fn) const {
  uint64_t end = 0;
  {
    std::shared_lock lock(files_mutex_);
    if (current_ && current_->fid == file.fid) end = write_offset_;
  }
  if (end == 0) {
    auto size = FileSize(file.fd, file.path);
    if (!size.ok()) return size.status();
    end = *size;
  }
  auto data = ReadRange(file.fd, 0, end, file.path);
  if (!data.ok()) return data.status();
  for (uint64_t pos = offset;;) {
    Parsed p = ParseAt(*data, pos);
    if (p.kind == Parse::kEnd || p.kind == Parse::kFooter) return Status::Ok();
    if (p.kind == Parse::kBad) {
      return Status::Corruption("value log " + file.path + ": " + p.why + " at offset " +
                                std::to_string(pos));
    }
    BINLOG_RETURN_IF_ERROR(fn({file.fid, pos}, {file.fid, p.next}, p.payload));
    pos = p.next;
  }
}

Status ValueLog::Scan(ValuePointer from, const ScanFn& fn) const {
  std::vector<std::shared_ptr<File>> files;
  {
    std::shared_lock lock(files_mutex_);
    for (auto it = files_.lower_bound(from.fid); it != files_.end(); ++it) {
      files.push_back(it->second);
    }
  }
  for (const auto& file : files) {
    BINLOG_RETURN_IF_ERROR(ScanFile(*file, file->fid == from.fid ? from.offset : 0, fn));
  }
  return Status::Ok();
}

ValuePointer ValueLog::End() const {
  std::shared_lock lock(files_mutex_);
  return {current_->fid, write_offset_};
}

Result<int> ValueLog::DeleteFilesUpTo(int64_t bound) {
  std::vector<std::shared_ptr<File>> doomed;
  {
    std::unique_lock lock(files_mutex_);
    for (auto it = files_.begin(); it != files_.end();) {
      const auto& f = it->second;
      if (f != current_ && f->finalized && f->max_ts <= bound) {
        doomed.push_back(f);
        it = files_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& f : doomed) {
    if (::unlink(f->path.c_str()) != 0) return posix_file::ErrnoStatus("unlink", f->path);
  }
  return static_cast<int>(doomed.size());
}

uint64_t ValueLog::TotalBytes() const {
  std::shared_lock lock(files_mutex_);
  uint64_t total = 0;
  for (const auto& [fid, f] : files_) {
    struct stat st {};
    if (f == current_) {
      total += write_offset_;  // not the zeros written ahead
    } else if (::fstat(f->fd, &st) == 0) {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  return total;
}

}  // namespace tidb_binlog
