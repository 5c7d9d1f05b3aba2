// BinlogFileDestination: upstream drainer's `file` destination (db-type file/pb,
// UPSTREAM.md §8.5): merged binlogs appended as checksummed frames to rotating files in one
// directory, plus a reader that walks every frame in order (tests, the simulator's checker).
//
// Files are named `binlog-<16-digit index>-<YYYYMMDDhhmmss>` (index from 0, creation time in
// the local zone, as upstream's binlogfile.BinlogName). Each frame is, exactly:
//   magic uint32 LE = 471532804 (0x1c1b0504) | length uint64 LE | payload | CRC-32C uint32 LE
// where the CRC (Castagnoli) covers the payload. A new file is started when the current one
// has reached the rotation size (upstream 512 MiB).
//
// Documented deviation: upstream's payload is its secondary-binlog `pb_binlog.Binlog`
// (DML rows decoded into column events, DDL text with `use <schema>`), which needs TiDB's
// table schemas to build. We have none, so the payload is the merged tipb `binlog.Binlog`
// itself, marshalled as upstream's gogo code marshals it (EncodeBinlog). The framing,
// naming and rotation are upstream's.
//
// Durability: Append writes and fdatasyncs before returning (a new file also fsyncs the
// directory). Open truncates a torn tail of the last file: an incomplete last frame, a last
// frame whose checksum fails, or a zero-filled remainder (what a crash during a write
// leaves). Any other invalid frame is kCorruption: we never silently cut committed data.
// The current file is flock'ed: a second destination on the same directory gets kBusy.
//
// Thread safety: none; one owner. The reader is independent of any writer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/drainer/destination.h"

namespace tidb_binlog {

// pkg/binlogfile's frame magic.
inline constexpr uint32_t kBinlogFileMagic = 471532804;  // 0x1c1b0504
// magic + length, before the payload.
inline constexpr size_t kBinlogFrameHeaderBytes = 12;
// CRC-32C after the payload.
inline constexpr size_t kBinlogFrameTrailerBytes = 4;
// Upstream's segment size (binlogfile.SegmentSizeBytes).
inline constexpr int64_t kBinlogFileRotateBytesDefault = int64_t{512} << 20;
// Frames are gathered into writes of about this size, bounding the memory of one Append.
inline constexpr size_t kBinlogFileWriteChunkBytes = size_t{4} << 20;

struct BinlogFileDestinationOptions {
  std::string dir;  // must exist
  // A file at or above this size is closed and the next frame starts a new file.
  int64_t rotate_bytes = kBinlogFileRotateBytesDefault;
  // Current Unix time in seconds, used only to name new files; handed in by the driver
  // (the drainer library reads no clock). Required.
  std::function<int64_t()> now_unix_seconds;
};

// `binlog-<index, 16 digits>-<local time YYYYMMDDhhmmss>`.
std::string BinlogFileName(uint64_t index, int64_t unix_seconds);
// The index of a name of that form; nullopt for any other name.
std::optional<uint64_t> ParseBinlogFileName(std::string_view name);
// Appends one frame holding `payload` to `out`.
void AppendBinlogFrame(std::string_view payload, std::string& out);

class BinlogFileDestination final : public Destination {
 public:
  // Opens the newest binlog file in options.dir (truncating a torn tail) or creates
  // index 0. Errors: kInvalidArgument (bad options), kCorruption (invalid frame before the
  // tail), kBusy (another destination holds the directory), kIoError.
  static Result<std::unique_ptr<BinlogFileDestination>> Open(
      BinlogFileDestinationOptions options);
  ~BinlogFileDestination() override;

  Status Append(std::span<const binlog::Binlog> binlogs) override;
  Status Close() override;

  // Path of the file frames are appended to.
  const std::string& current_path() const { return path_; }
  // Bytes Open cut from the tail of the last file (0 if it was intact).
  int64_t truncated_tail_bytes() const { return truncated_tail_bytes_; }

 private:
  explicit BinlogFileDestination(BinlogFileDestinationOptions options);

  Status OpenLast(const std::string& name, uint64_t index);
  Status CreateFile(uint64_t index);
  Status Rotate();
  Status WriteBuffer(std::string& buffer);
  Status AppendAll(std::span<const binlog::Binlog> binlogs);

  BinlogFileDestinationOptions options_;
  int fd_ = -1;
  uint64_t index_ = 0;
  std::string path_;
  int64_t size_ = 0;
  int64_t truncated_tail_bytes_ = 0;
  bool broken_ = false;  // a write failed; further appends are refused
};

// One frame as read back.
struct BinlogFileFrame {
  std::string path;
  int64_t offset = 0;  // of the frame's magic within the file
  binlog::Binlog binlog;
};

// Walks every frame of every binlog file in a directory in index order. Any invalid or
// incomplete frame, or a payload that does not decode, is kCorruption naming the file and
// offset (run it on a directory no destination is writing, or after Open).
class BinlogFileReader {
 public:
  static Result<BinlogFileReader> Open(const std::string& dir);
  BinlogFileReader(BinlogFileReader&& other) noexcept;
  BinlogFileReader& operator=(BinlogFileReader&& other) noexcept;
  ~BinlogFileReader();

  // Fills `frame` and returns true, or returns false after the last frame.
  Result<bool> Next(BinlogFileFrame& frame);
  // Paths of the binlog files, in index order.
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  explicit BinlogFileReader(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  Status OpenFile(size_t i);
  void CloseFile();

  std::vector<std::string> paths_;
  size_t next_file_ = 0;
  int fd_ = -1;
  int64_t offset_ = 0;
  int64_t file_size_ = 0;
};

}  // namespace tidb_binlog
