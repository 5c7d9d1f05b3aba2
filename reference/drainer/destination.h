// Destination: where the drainer writes the merged stream (UPSTREAM.md §8.5).
//
// Implementations: BinlogFileDestination (binlog_file_destination.h, upstream's `file`
// db-type) and MemoryDestination (memory_destination.h, for the simulator). Storage-like
// synchronous dependency of the drainer node (DESIGN.md §3).
//
// Contract: Append writes the binlogs in the given order and returns OK only once all of
// them are durable, so the checkpoint may advance to the last one's commit_ts. A failed
// Append may leave a prefix of its binlogs durable: after a restart the drainer resumes from
// its checkpoint and writes them again (at-least-once across failures, as upstream). After
// Close, Append returns kUnavailable.
// Thread safety: none; one owner (the drainer node, serialised by its driver).
#pragma once

#include <span>
#include <vector>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"
#include "reference/storage/binlog_store.h"

namespace tidb_binlog {

class Destination {
 public:
  virtual ~Destination() = default;

  virtual Status Append(std::span<const binlog::Binlog> binlogs) = 0;
  // Append of pulled binlogs as the drainer holds them (shared with the pumps' stores in
  // process): the same contract for their enriched binlogs. The default materializes them
  // (SharedPulledBinlog::Materialize) and calls Append, so a destination that encodes
  // (the file destination) writes the same bytes either way.
  virtual Status AppendShared(std::span<const SharedPulledBinlog> binlogs);
  // Makes everything durable and releases resources. Idempotent.
  virtual Status Close() = 0;
};

inline Status Destination::AppendShared(std::span<const SharedPulledBinlog> binlogs) {
  std::vector<binlog::Binlog> enriched;
  enriched.reserve(binlogs.size());
  for (const SharedPulledBinlog& b : binlogs) enriched.push_back(b.Materialize());
  return Append(enriched);
}

}  // namespace tidb_binlog
