// CommitSorter: upstream's P/C matching ("sorter", UPSTREAM.md §7.3) and the MaxCommitTS it
// produces (§7.4), as pure logic shared by both BinlogStore implementations.
//
// Records are fed in arrival (write) order. A Prewrite waits until a Commit/Rollback with
// the same start_ts arrives; every other record (Commit, Rollback, fake binlog, the obsolete
// DDL types) is a "C-record". MaxCommitTS is the largest commit_ts (> 0) of a C-record such
// that every Prewrite that arrived before it has been matched. It never decreases.
//
// Matching follows upstream's `waitStarts` map exactly:
//  - a C-record clears the wait of every pending Prewrite with its start_ts (also a
//    duplicate Prewrite written twice), whether or not its commit_ts is 0;
//  - a C-record whose Prewrite is not pending (never seen, or arriving later) only counts as
//    a C-record; a Prewrite arriving after its C-record therefore waits for another one
//    (upstream relies on its TiKV resolver there, which this reference does not have).
//
// Cost: O(1) amortised per record. Pending Prewrites sit in a deque in arrival order; each
// carries the largest commit_ts of the C-records that arrived after it and before the next
// pending Prewrite; matched entries are folded from the front into MaxCommitTS.
//
// Not for: storing binlogs, resolving stale Prewrites through TiKV, persistence (the store
// persists max_commit_ts() and replays records from ReplayPosition() after a restart).
// Thread safety: none; the owning store serialises calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>

#include "reference/core/proto/binlog.pb.h"
#include "reference/core/status.h"

namespace tidb_binlog {

// Most Prewrites the sorter holds at once (waiting, or matched but queued behind an older
// waiting one). Upstream bounds the same pipeline with kv_chan_cap = 1 << 20; a Prewrite is
// held only while its transaction is open (at most 600 s), so a million open transactions
// on one pump is far beyond real load, while the bound caps memory at roughly 100 MiB.
inline constexpr size_t kPendingPrewritesMax = size_t{1} << 20;

class CommitSorter {
 public:
  // `max_commit_ts`: the value recovered on reopen (0 for a new store).
  explicit CommitSorter(int64_t max_commit_ts = 0);

  // Feeds one stored binlog in arrival order. `position` is an opaque arrival position
  // supplied by the store, strictly increasing across calls; the sorter only remembers it
  // for ReplayPosition(). kResourceExhausted, with nothing changed, when a new Prewrite
  // would make pending_count() exceed kPendingPrewritesMax.
  Status Add(binlog::BinlogType tp, int64_t start_ts, int64_t commit_ts, uint64_t position);

  int64_t max_commit_ts() const { return max_commit_ts_; }
  // True when no Prewrite waits for its Commit/Rollback (upstream AllMatched).
  bool all_matched() const { return pending_.empty(); }
  // Prewrites held: the oldest is always waiting; later ones may already be matched.
  size_t pending_count() const { return pending_.size(); }

  // Where a replay must start to rebuild this state after a crash, given a sorter built
  // with max_commit_ts(): the position of the oldest waiting Prewrite, or `end_position`
  // (the position the next record will get) when none is waiting.
  uint64_t ReplayPosition(uint64_t end_position) const;

 private:
  static constexpr uint64_t kNoEntry = UINT64_MAX;

  struct Pending {
    uint64_t position;
    // Largest commit_ts of the C-records between this Prewrite and the next pending one.
    int64_t max_commit_after;
    // Sequence number of an older pending Prewrite with the same start_ts, or kNoEntry.
    uint64_t older_same_start;
    bool matched;
  };

  void AddPrewrite(int64_t start_ts, uint64_t position);
  void AddCommitRecord(int64_t start_ts, int64_t commit_ts);
  void MatchStart(int64_t start_ts);
  void FoldMatchedFront();
  Pending& EntryAt(uint64_t sequence);

  int64_t max_commit_ts_;
  std::deque<Pending> pending_;
  // Sequence number of pending_.front(); entry i has sequence front_sequence_ + i.
  uint64_t front_sequence_ = 0;
  // start_ts -> sequence of the newest waiting Prewrite with that start_ts. Lookup only,
  // never iterated, so its unordered layout cannot leak into results.
  std::unordered_map<int64_t, uint64_t> waiting_;
};

}  // namespace tidb_binlog
