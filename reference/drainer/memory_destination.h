// MemoryDestination: the Destination (destination.h) for the simulator. Deterministic, no
// I/O; it outlives the drainer node that writes to it, so checkers can read what a node
// made durable across restarts.
//
// Fault model, all injected by the simulator from its seeded streams:
//  - FailNextAppends(n): the next n Appends fail with kIoError and store nothing;
//  - CrashInNextAppend(k): the next Append keeps only its first k binlogs (what reached the
//    disk before the crash; the rest was unsynced and is lost), returns kUnavailable, and
//    the destination refuses everything until Restart() (the node's restart).
// A successful Append stores all its binlogs durably, as the file destination's fdatasync
// does. AppendShared keeps the drainer's shared binlogs (shared with the pumps' stores in
// the simulator) rather than copies; Append shares a copy of each.
//
// Thread safety: none; one owner at a time.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "reference/drainer/destination.h"

namespace tidb_binlog {

class MemoryDestination final : public Destination {
 public:
  Status Append(std::span<const binlog::Binlog> binlogs) override;
  Status AppendShared(std::span<const SharedPulledBinlog> binlogs) override;
  Status Close() override;

  void FailNextAppends(int appends);
  void CrashInNextAppend(size_t durable_prefix);
  // Brings a crashed or closed destination back (the node restarted); durable data stays.
  void Restart();

  // Everything durably appended, in order (Materialize() gives a binlog's full form).
  const std::vector<SharedPulledBinlog>& binlogs() const { return binlogs_; }
  bool crashed() const { return crashed_; }

 private:
  // The fault checks of an Append: OK, or what it returns without storing anything.
  Status CheckAppendable() const;
  // Stores `binlogs` as an Append that passed CheckAppendable would: all of them, or the
  // crash's durable prefix (then kUnavailable).
  template <typename Binlogs, typename Share>
  Status Store(const Binlogs& binlogs, Share share);

  std::vector<SharedPulledBinlog> binlogs_;
  int fail_next_appends_ = 0;
  std::optional<size_t> crash_keep_;
  bool crashed_ = false;
  bool closed_ = false;
};

}  // namespace tidb_binlog
