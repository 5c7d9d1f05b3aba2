// Checkpoint: where the drainer resumes after a restart (UPSTREAM.md §8.4).
//
// A checkpoint holds the commit ts of the last binlog the destination has made durable,
// whether the drainer stopped cleanly (`consistent`), and the highest schema version seen.
// Two implementations of one interface:
//  - FileCheckpoint: upstream's file checkpoint (db-type file), `<data-dir>/savepoint`, TOML
//    byte-for-byte as upstream's encoder writes it, replaced atomically;
//  - MemoryCheckpoint: the same rules and bytes over a MemoryCheckpointFile that outlives
//    the node, for the simulator (with write-fault injection).
//
// Rules (upstream drainer/checkpoint/file.go):
//  - Load: no saved state -> ts() = initial commit ts; a saved commitTS of 0 -> initial
//    commit ts; otherwise the saved values. A saved state that is not valid TOML of the
//    expected keys and types is refused with kCorruption (upstream refuses to start).
//    Keys upstream does not know are ignored, as BurntSushi/toml does.
//  - Save(commit_ts, consistent, schema_version) records all three, except that the schema
//    version only ever increases (a smaller one keeps the saved one). OK means durable.
//  - After Close(), Save fails with upstream's text "CheckPoint has been closed".
// The initial commit ts is the resolved one: upstream's default -1 ("a fresh PD TSO") is
// resolved by the driver before constructing a checkpoint.
//
// Not for: MySQL/TiDB checkpoint tables (no SQL downstream here).
// Thread safety: none; one owner (the drainer node, serialised by its driver).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reference/core/status.h"

namespace tidb_binlog {

// Upstream's file name under the drainer data dir.
inline constexpr std::string_view kCheckpointFileName = "savepoint";
// A savepoint is three short lines; anything bigger is not one (and is not read whole).
inline constexpr size_t kCheckpointFileBytesMax = 64 * 1024;

struct CheckpointState {
  bool consistent = false;
  int64_t commit_ts = 0;
  int64_t schema_version = 0;

  bool operator==(const CheckpointState&) const = default;
};

// The bytes upstream writes: "consistent = false\ncommitTS = <n>\nschema-version = <n>\n".
std::string EncodeCheckpointToml(const CheckpointState& state);

// Parses what upstream's TOML decoder accepts for these three keys (comments, blank lines,
// any key order, unknown keys ignored, `_` digit separators). kCorruption naming the line
// on anything else. Missing keys keep their zero value, as in upstream.
Result<CheckpointState> ParseCheckpointToml(std::string_view text);

class Checkpoint {
 public:
  virtual ~Checkpoint() = default;

  // (Re)reads the saved state under the rules above.
  virtual Status Load() = 0;
  // Saves durably; see the rules above.
  virtual Status Save(int64_t commit_ts, bool consistent, int64_t schema_version) = 0;
  // Refuses further saves. Idempotent.
  virtual void Close() = 0;

  // The commit ts to resume after (valid after a successful Load or Save).
  int64_t ts() const { return state_.commit_ts; }
  bool consistent() const { return state_.consistent; }
  int64_t schema_version() const { return state_.schema_version; }
  const CheckpointState& state() const { return state_; }

 protected:
  explicit Checkpoint(int64_t initial_commit_ts) : initial_commit_ts_(initial_commit_ts) {}

  // Applies the load rules to what was read (nullptr: nothing saved).
  void ApplyLoaded(const CheckpointState* saved);
  // Applies the save rules; returns the state to persist. Fails once closed.
  Result<CheckpointState> NextState(int64_t commit_ts, bool consistent,
                                    int64_t schema_version) const;

  int64_t initial_commit_ts_;
  CheckpointState state_;
  bool closed_ = false;
};

// `<data_dir>/savepoint`, written as: temp file `savepoint.tmp` in the same directory,
// fsync, chmod 0644, rename over `savepoint`, fsync the directory. A crash at any point
// leaves either the old or the new savepoint.
class FileCheckpoint final : public Checkpoint {
 public:
  // Constructs and loads. Errors: kCorruption (malformed savepoint), kIoError.
  static Result<std::unique_ptr<FileCheckpoint>> Open(std::string data_dir,
                                                      int64_t initial_commit_ts);

  Status Load() override;
  Status Save(int64_t commit_ts, bool consistent, int64_t schema_version) override;
  void Close() override { closed_ = true; }

  const std::string& path() const { return path_; }

 private:
  FileCheckpoint(std::string data_dir, int64_t initial_commit_ts);

  std::string data_dir_;
  std::string path_;
};

// The simulator's stand-in for the savepoint file: its bytes (if any), surviving the node
// that writes it, plus fault injection.
struct MemoryCheckpointFile {
  std::optional<std::string> contents;
  // The next this-many saves fail with kIoError and leave `contents` unchanged.
  int fail_next_saves = 0;
};

class MemoryCheckpoint final : public Checkpoint {
 public:
  // Does not load; call Load() (as the drainer does at start).
  MemoryCheckpoint(std::shared_ptr<MemoryCheckpointFile> file, int64_t initial_commit_ts);

  Status Load() override;
  Status Save(int64_t commit_ts, bool consistent, int64_t schema_version) override;
  void Close() override { closed_ = true; }

 private:
  std::shared_ptr<MemoryCheckpointFile> file_;
};

}  // namespace tidb_binlog
