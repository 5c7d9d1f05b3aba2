#include "reference/drainer/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <set>
#include <utility>

#include "reference/storage/posix_file.h"

namespace tidb_binlog {
namespace {

// Upstream's text for a save after Close (drainer/checkpoint: ErrCheckPointClosed).
constexpr char kClosedMessage[] = "CheckPoint has been closed";
// Mode upstream's util.AtomicWriteFile gives the savepoint.
constexpr mode_t kSavepointFileMode = 0644;

using posix_file::ErrnoStatus;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A TOML decimal integer: optional sign, digits, single underscores between digits.
std::optional<int64_t> ParseTomlInteger(std::string_view text) {
  std::string digits;
  size_t i = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    if (text[0] == '-') digits.push_back('-');
    i = 1;
  }
  bool previous_digit = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      previous_digit = true;
    } else if (c == '_' && previous_digit && i + 1 < text.size() && text[i + 1] >= '0' &&
               text[i + 1] <= '9') {
      previous_digit = false;
    } else {
      return std::nullopt;
    }
  }
  std::string_view number = digits;
  std::string_view unsigned_part = number.substr(number.starts_with('-') ? 1 : 0);
  // TOML forbids leading zeros ("007"); a lone "0" is fine.
  if (unsigned_part.empty() || (unsigned_part.size() > 1 && unsigned_part[0] == '0')) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  return value;
}

// The value part of `key = value # comment` for our keys (integers and booleans, which
// cannot contain '#').
std::string_view StripComment(std::string_view value) {
  size_t hash = value.find('#');
  return Trim(hash == std::string_view::npos ? value : value.substr(0, hash));
}

Status LineError(size_t line, const std::string& what) {
  return Status::Corruption("malformed checkpoint, line " + std::to_string(line) + ": " + what);
}

// Applies one `key = value` line to `state`; unknown keys are ignored like upstream's
// decoder does (their values are not interpreted).
Status ApplyKeyValue(std::string_view key, std::string_view raw_value, size_t line,
                     CheckpointState& state) {
  std::string_view value = StripComment(raw_value);
  if (key == "consistent") {
    if (value == "true") {
      state.consistent = true;
    } else if (value == "false") {
      state.consistent = false;
    } else {
      return LineError(line, "consistent must be true or false");
    }
  } else if (key == "commitTS" || key == "schema-version") {
    std::optional<int64_t> number = ParseTomlInteger(value);
    if (!number) return LineError(line, std::string(key) + " must be an integer");
    (key == "commitTS" ? state.commit_ts : state.schema_version) = *number;
  }
  return Status::Ok();
}

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return ErrnoStatus("open", path);
  }
  std::string contents;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status status = ErrnoStatus("read", path);
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
    if (contents.size() > kCheckpointFileBytesMax) {
      ::close(fd);
      return Status::Corruption("malformed checkpoint " + path + ": larger than " +
                                std::to_string(kCheckpointFileBytesMax) + " bytes");
    }
  }
  ::close(fd);
  return contents;
}

}  // namespace

std::string EncodeCheckpointToml(const CheckpointState& state) {
  // BurntSushi/toml encodes the struct's fields in declaration order, one `key = value` line
  // each (UPSTREAM.md §8.4).
  return std::string("consistent = ") + (state.consistent ? "true" : "false") +
         "\ncommitTS = " + std::to_string(state.commit_ts) +
         "\nschema-version = " + std::to_string(state.schema_version) + "\n";
}

Result<CheckpointState> ParseCheckpointToml(std::string_view text) {
  CheckpointState state;
  bool in_table = false;  // keys under a [table] are not ours
  std::set<std::string_view> seen_keys;  // TOML forbids defining a key twice
  size_t line_number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return LineError(line_number, "unterminated table header");
      in_table = true;
      continue;
    }
    size_t equals = line.find('=');
    if (equals == std::string_view::npos) return LineError(line_number, "expected key = value");
    std::string_view key = Trim(line.substr(0, equals));
    std::string_view value = Trim(line.substr(equals + 1));
    if (!IsBareKey(key)) return LineError(line_number, "invalid key");
    if (value.empty()) return LineError(line_number, "missing value");
    if (in_table) continue;
    if (!seen_keys.insert(key).second) {
      return LineError(line_number, "key " + std::string(key) + " defined twice");
    }
    BINLOG_RETURN_IF_ERROR(ApplyKeyValue(key, value, line_number, state));
  }
  return state;
}

void Checkpoint::ApplyLoaded(const CheckpointState* saved) {
  state_ = saved != nullptr ? *saved : CheckpointState{};
  if (state_.commit_ts == 0) state_.commit_ts = initial_commit_ts_;
}

Result<CheckpointState> Checkpoint::NextState(int64_t commit_ts, bool consistent,
                                              int64_t schema_version) const {
  if (closed_) return Status::Unavailable(kClosedMessage);
  CheckpointState next = state_;
  next.commit_ts = commit_ts;
  next.consistent = consistent;
  if (schema_version > next.schema_version) next.schema_version = schema_version;
  return next;
}

FileCheckpoint::FileCheckpoint(std::string data_dir, int64_t initial_commit_ts)
    : Checkpoint(initial_commit_ts),
      data_dir_(std::move(data_dir)),
      path_(data_dir_ + "/" + std::string(kCheckpointFileName)) {}

Result<std::unique_ptr<FileCheckpoint>> FileCheckpoint::Open(std::string data_dir,
                                                             int64_t initial_commit_ts) {
  std::unique_ptr<FileCheckpoint> checkpoint(
      new FileCheckpoint(std::move(data_dir), initial_commit_ts));
  BINLOG_RETURN_IF_ERROR(checkpoint->Load());
  return checkpoint;
}

Status FileCheckpoint::Load() {
  Result<std::string> contents = ReadSmallFile(path_);
  if (!contents.ok()) {
    if (contents.status().code() != StatusCode::kNotFound) return contents.status();
    ApplyLoaded(nullptr);
    return Status::Ok();
  }
  Result<CheckpointState> saved = ParseCheckpointToml(*contents);
  if (!saved.ok()) return saved.status().Annotate(path_);
  ApplyLoaded(&*saved);
  return Status::Ok();
}

Status FileCheckpoint::Save(int64_t commit_ts, bool consistent, int64_t schema_version) {
  Result<CheckpointState> next = NextState(commit_ts, consistent, schema_version);
  if (!next.ok()) return next.status();
  // Upstream util.AtomicWriteFile, plus the fsyncs that make it durable.
  BINLOG_RETURN_IF_ERROR(posix_file::WriteFileAtomically(
      data_dir_, path_, EncodeCheckpointToml(*next), kSavepointFileMode));
  state_ = *next;
  return Status::Ok();
}

MemoryCheckpoint::MemoryCheckpoint(std::shared_ptr<MemoryCheckpointFile> file,
                                   int64_t initial_commit_ts)
    : Checkpoint(initial_commit_ts), file_(std::move(file)) {
  BINLOG_ASSERT(file_ != nullptr);
}

Status MemoryCheckpoint::Load() {
  if (!file_->contents.has_value()) {
    ApplyLoaded(nullptr);
    return Status::Ok();
  }
  Result<CheckpointState> saved = ParseCheckpointToml(*file_->contents);
  if (!saved.ok()) return saved.status();
  ApplyLoaded(&*saved);
  return Status::Ok();
}

Status MemoryCheckpoint::Save(int64_t commit_ts, bool consistent, int64_t schema_version) {
  Result<CheckpointState> next = NextState(commit_ts, consistent, schema_version);
  if (!next.ok()) return next.status();
  if (file_->fail_next_saves > 0) {
    --file_->fail_next_saves;
    return Status::IoError("injected checkpoint write fault");
  }
  file_->contents = EncodeCheckpointToml(*next);
  state_ = *next;
  return Status::Ok();
}

}  // namespace tidb_binlog
