#include "reference/drainer/binlog_file_destination.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <utility>

#include "reference/core/binlog_codec.h"
#include "reference/storage/crc32c.h"
#include "reference/storage/posix_file.h"

namespace tidb_binlog {
namespace {

// Upstream's fileutil.PrivateFileMode for binlog files.
constexpr mode_t kBinlogFileMode = 0600;
constexpr std::string_view kFileNamePrefix = "binlog-";
constexpr size_t kIndexDigits = 16;
constexpr size_t kTimeDigits = 14;  // YYYYMMDDhhmmss
// Chunk used to check that a torn tail is all zero bytes.
constexpr size_t kZeroScanChunkBytes = 64 * 1024;

using posix_file::ErrnoStatus;

void PutLittleEndian(uint64_t value, size_t bytes, std::string& out) {
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t GetLittleEndian(const unsigned char* p, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value |= uint64_t{p[i]} << (8 * i);
  return value;
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// pread of exactly `size` bytes; false at end of file.
Result<bool> ReadExactly(int fd, int64_t offset, void* data, size_t size,
                         const std::string& path) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read", path);
    if (n == 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

enum class FrameCheck { kValid, kIncomplete, kBadMagic, kBadChecksum };

struct FrameRead {
  FrameCheck check = FrameCheck::kValid;
  int64_t end = 0;      // offset just after the frame (when its length is known)
  std::string payload;  // when kValid
};

const char* FrameCheckText(FrameCheck check) {
  switch (check) {
    case FrameCheck::kValid: return "valid";
    case FrameCheck::kIncomplete: return "incomplete frame";
    case FrameCheck::kBadMagic: return "bad magic";
    case FrameCheck::kBadChecksum: return "checksum mismatch";
  }
  return "?";
}

// Reads and checks the frame at `offset` of a file of `file_size` bytes.
Result<FrameRead> ReadFrame(int fd, int64_t offset, int64_t file_size, const std::string& path) {
  FrameRead frame;
  const uint64_t remaining = static_cast<uint64_t>(file_size - offset);
  unsigned char header[kBinlogFrameHeaderBytes];
  if (remaining < kBinlogFrameHeaderBytes) {
    frame.check = FrameCheck::kIncomplete;
    return frame;
  }
  Result<bool> read = ReadExactly(fd, offset, header, sizeof(header), path);
  if (!read.ok()) return read.status();
  if (GetLittleEndian(header, 4) != kBinlogFileMagic) {
    frame.check = FrameCheck::kBadMagic;
    return frame;
  }
  const uint64_t length = GetLittleEndian(header + 4, 8);
  const uint64_t body_max = remaining - kBinlogFrameHeaderBytes;
  if (body_max < kBinlogFrameTrailerBytes || length > body_max - kBinlogFrameTrailerBytes) {
    frame.check = FrameCheck::kIncomplete;
    return frame;
  }
  frame.end = offset + static_cast<int64_t>(kBinlogFrameHeaderBytes + length +
                                            kBinlogFrameTrailerBytes);
  frame.payload.resize(length + kBinlogFrameTrailerBytes);
  read = ReadExactly(fd, offset + static_cast<int64_t>(kBinlogFrameHeaderBytes),
                     frame.payload.data(), frame.payload.size(), path);
  if (!read.ok()) return read.status();
  if (!*read) {  // the file shrank under us
    frame.check = FrameCheck::kIncomplete;
    return frame;
  }
  const auto* crc_bytes = reinterpret_cast<const unsigned char*>(frame.payload.data() + length);
  const uint32_t stored_crc = static_cast<uint32_t>(GetLittleEndian(crc_bytes, 4));
  frame.payload.resize(length);
  if (crc32c::Value(frame.payload.data(), frame.payload.size()) != stored_crc) {
    frame.check = FrameCheck::kBadChecksum;
  }
  return frame;
}

Result<bool> AllZeroFrom(int fd, int64_t offset, int64_t file_size, const std::string& path) {
  std::string chunk;
  while (offset < file_size) {
    chunk.resize(static_cast<size_t>(
        std::min<int64_t>(file_size - offset, static_cast<int64_t>(kZeroScanChunkBytes))));
    Result<bool> read = ReadExactly(fd, offset, chunk.data(), chunk.size(), path);
    if (!read.ok()) return read.status();
    if (!*read) return true;
    if (std::any_of(chunk.begin(), chunk.end(), [](char c) { return c != 0; })) return false;
    offset += static_cast<int64_t>(chunk.size());
  }
  return true;
}

// Whether an invalid frame at the end of the last file is what a crash during a write
// leaves (see the header), rather than damage to committed data.
Result<bool> IsTornTail(int fd, int64_t offset, int64_t file_size, const FrameRead& frame,
                        const std::string& path) {
  switch (frame.check) {
    case FrameCheck::kIncomplete: return true;
    case FrameCheck::kBadChecksum: return frame.end == file_size;
    case FrameCheck::kBadMagic: return AllZeroFrom(fd, offset, file_size, path);
    case FrameCheck::kValid: return false;
  }
  return false;
}

Status LockFile(int fd, const std::string& path) {
  return posix_file::LockExclusive(fd, path,
                                   "binlog file " + path + " is in use by another destination");
}

// (index, name) of every binlog file in `dir`, ascending.
Result<std::vector<std::pair<uint64_t, std::string>>> ListBinlogFiles(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (std::optional<uint64_t> index = ParseBinlogFileName(name)) {
      files.emplace_back(*index, std::move(name));
    }
  }
  if (ec) return Status::IoError("list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::string BinlogFileName(uint64_t index, int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm local{};
  ::localtime_r(&t, &local);
  char time_text[kTimeDigits + 1];
  std::strftime(time_text, sizeof(time_text), "%Y%m%d%H%M%S", &local);
  char name[64];
  std::snprintf(name, sizeof(name), "binlog-%016llu-%s",
                static_cast<unsigned long long>(index), time_text);
  return name;
}

std::optional<uint64_t> ParseBinlogFileName(std::string_view name) {
  if (name.size() != kFileNamePrefix.size() + kIndexDigits + 1 + kTimeDigits ||
      !name.starts_with(kFileNamePrefix)) {
    return std::nullopt;
  }
  std::string_view index = name.substr(kFileNamePrefix.size(), kIndexDigits);
  std::string_view time = name.substr(kFileNamePrefix.size() + kIndexDigits + 1);
  if (name[kFileNamePrefix.size() + kIndexDigits] != '-' || !AllDigits(index) ||
      !AllDigits(time)) {
    return std::nullopt;
  }
  return std::stoull(std::string(index));
}

void AppendBinlogFrame(std::string_view payload, std::string& out) {
  PutLittleEndian(kBinlogFileMagic, 4, out);
  PutLittleEndian(payload.size(), 8, out);
  out.append(payload);
  PutLittleEndian(crc32c::Value(payload.data(), payload.size()), 4, out);
}

BinlogFileDestination::BinlogFileDestination(BinlogFileDestinationOptions options)
    : options_(std::move(options)) {}

BinlogFileDestination::~BinlogFileDestination() { (void)Close(); }

Result<std::unique_ptr<BinlogFileDestination>> BinlogFileDestination::Open(
    BinlogFileDestinationOptions options) {
  if (!options.now_unix_seconds) {
    return Status::InvalidArgument("binlog file destination needs a clock");
  }
  if (options.rotate_bytes <= 0) {
    return Status::InvalidArgument("binlog file rotation size must be positive");
  }
  std::unique_ptr<BinlogFileDestination> destination(
      new BinlogFileDestination(std::move(options)));
  auto files = ListBinlogFiles(destination->options_.dir);
  if (!files.ok()) return files.status();
  if (files->empty()) {
    BINLOG_RETURN_IF_ERROR(destination->CreateFile(0));
  } else {
    BINLOG_RETURN_IF_ERROR(destination->OpenLast(files->back().second, files->back().first));
  }
  return destination;
}

Status BinlogFileDestination::OpenLast(const std::string& name, uint64_t index) {
  index_ = index;
  path_ = options_.dir + "/" + name;
  fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) return ErrnoStatus("open", path_);
  BINLOG_RETURN_IF_ERROR(LockFile(fd_, path_));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", path_);
  const int64_t file_size = st.st_size;
  int64_t offset = 0;
  while (offset < file_size) {
    Result<FrameRead> frame = ReadFrame(fd_, offset, file_size, path_);
    if (!frame.ok()) return frame.status();
    if (frame->check == FrameCheck::kValid) {
      offset = frame->end;
      continue;
    }
    Result<bool> torn = IsTornTail(fd_, offset, file_size, *frame, path_);
    if (!torn.ok()) return torn.status();
    if (!*torn) {
      return Status::Corruption(path_ + ": offset " + std::to_string(offset) + ": " +
                                FrameCheckText(frame->check));
    }
    if (::ftruncate(fd_, offset) != 0) return ErrnoStatus("truncate", path_);
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_);
    truncated_tail_bytes_ = file_size - offset;
    break;
  }
  size_ = offset;
  return Status::Ok();
}

Status BinlogFileDestination::CreateFile(uint64_t index) {
  index_ = index;
  path_ = options_.dir + "/" + BinlogFileName(index, options_.now_unix_seconds());
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kBinlogFileMode);
  if (fd_ < 0) return ErrnoStatus("create", path_);
  size_ = 0;
  BINLOG_RETURN_IF_ERROR(LockFile(fd_, path_));
  return posix_file::FsyncDirectory(options_.dir);
}

Status BinlogFileDestination::Rotate() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_);
  ::close(fd_);
  fd_ = -1;
  return CreateFile(index_ + 1);
}

Status BinlogFileDestination::WriteBuffer(std::string& buffer) {
  BINLOG_RETURN_IF_ERROR(posix_file::WriteAllAt(fd_, buffer, size_, path_));
  size_ += static_cast<int64_t>(buffer.size());
  buffer.clear();
  return Status::Ok();
}

Status BinlogFileDestination::AppendAll(std::span<const binlog::Binlog> binlogs) {
  std::string buffer;
  for (const binlog::Binlog& binlog : binlogs) {
    const int64_t file_bytes = size_ + static_cast<int64_t>(buffer.size());
    if (file_bytes > 0 && file_bytes >= options_.rotate_bytes) {
      BINLOG_RETURN_IF_ERROR(WriteBuffer(buffer));
      BINLOG_RETURN_IF_ERROR(Rotate());
    }
    AppendBinlogFrame(EncodeBinlog(binlog), buffer);
    if (buffer.size() >= kBinlogFileWriteChunkBytes) BINLOG_RETURN_IF_ERROR(WriteBuffer(buffer));
  }
  BINLOG_RETURN_IF_ERROR(WriteBuffer(buffer));
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_);
  return Status::Ok();
}

Status BinlogFileDestination::Append(std::span<const binlog::Binlog> binlogs) {
  if (fd_ < 0) return Status::Unavailable("binlog file destination is closed");
  if (broken_) return Status::Unavailable("binlog file destination failed earlier; reopen it");
  const uint64_t start_index = index_;
  const int64_t start_size = size_;
  Status status = AppendAll(binlogs);
  if (!status.ok()) {
    broken_ = true;
    // Best effort: drop this batch's bytes from the file it started in, so a reopen finds
    // no partial frame there. Frames already in earlier rotated files stay (see
    // destination.h: a failed Append may leave a durable prefix).
    if (fd_ >= 0 && index_ == start_index && ::ftruncate(fd_, start_size) == 0) {
      size_ = start_size;
    }
  }
  return status;
}

Status BinlogFileDestination::Close() {
  if (fd_ < 0) return Status::Ok();
  Status status = ::fdatasync(fd_) == 0 ? Status::Ok() : ErrnoStatus("fdatasync", path_);
  ::close(fd_);
  fd_ = -1;
  return status;
}

Result<BinlogFileReader> BinlogFileReader::Open(const std::string& dir) {
  auto files = ListBinlogFiles(dir);
  if (!files.ok()) return files.status();
  std::vector<std::string> paths;
  for (const auto& [index, name] : *files) paths.push_back(dir + "/" + name);
  return BinlogFileReader(std::move(paths));
}

BinlogFileReader::BinlogFileReader(BinlogFileReader&& other) noexcept
    : paths_(std::move(other.paths_)),
      next_file_(other.next_file_),
      fd_(std::exchange(other.fd_, -1)),
      offset_(other.offset_),
      file_size_(other.file_size_) {}

BinlogFileReader& BinlogFileReader::operator=(BinlogFileReader&& other) noexcept {
  if (this != &other) {
    CloseFile();
    paths_ = std::move(other.paths_);
    next_file_ = other.next_file_;
    fd_ = std::exchange(other.fd_, -1);
    offset_ = other.offset_;
    file_size_ = other.file_size_;
  }
  return *this;
}

BinlogFileReader::~BinlogFileReader() { CloseFile(); }

void BinlogFileReader::CloseFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status BinlogFileReader::OpenFile(size_t i) {
  fd_ = ::open(paths_[i].c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return ErrnoStatus("open", paths_[i]);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", paths_[i]);
  offset_ = 0;
  file_size_ = st.st_size;
  return Status::Ok();
}

Result<bool> BinlogFileReader::Next(BinlogFileFrame& frame) {
  while (fd_ < 0 || offset_ == file_size_) {
    CloseFile();
    if (next_file_ == paths_.size()) return false;
    BINLOG_RETURN_IF_ERROR(OpenFile(next_file_++));
  }
  const std::string& path = paths_[next_file_ - 1];
  Result<FrameRead> read = ReadFrame(fd_, offset_, file_size_, path);
  if (!read.ok()) return read.status();
  const std::string where = path + ": offset " + std::to_string(offset_);
  if (read->check != FrameCheck::kValid) {
    return Status::Corruption(where + ": " + FrameCheckText(read->check));
  }
  Result<binlog::Binlog> decoded = DecodeBinlog(read->payload);
  if (!decoded.ok()) return decoded.status().Annotate(where);
  frame.path = path;
  frame.offset = offset_;
  frame.binlog = std::move(decoded).value();
  offset_ = read->end;
  return true;
}

}  // namespace tidb_binlog
