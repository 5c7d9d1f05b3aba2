// Checker: the simulator's safety checks against an oracle of what the writers did.
//
// The oracle: every commit a writer decided (its commit ts taken from the TSO, the Commit
// binlog being sent), which of those a pump acknowledged, and every TiDB rollback.
// Checked continuously (each Observe* call), per drainer:
//  - output: strictly increasing commit ts; only decided commits (no rolled-back, unknown or
//    fake binlog); no duplicate, except the replay the Destination contract allows after a
//    drainer restart (binlogs after the saved checkpoint written again, in order);
//  - checkpoint: never goes backwards, and never passes a decided commit its destination
//    has not durably written (unless GC purged it first, see OnPumpGc);
// per pump: MaxCommitTS never goes backwards (also across crash and restart); every state
// change seen in the registry is legal (IsLegalTransition).
// Liveness (MissingFromDrainer): every acknowledged commit after a drainer's first checkpoint
// is in its destination, except commits at or below their pump's gc_ts (purged, OnPumpGc).
// It is kept incrementally: each drainer holds the acknowledged commits it has not written
// yet (being written and being purged never stop being true), so a liveness check costs the
// commits still in flight, not every commit of the run.
//
// Failures are kept (the first kFailuresKeptMax) with the checker's name; the first one
// ends the run. Thread safety: none; one owner (the simulation thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "reference/core/node_status.h"
#include "reference/core/proto/binlog.pb.h"
#include "reference/storage/binlog_store.h"

namespace tidb_binlog::sim {

inline constexpr size_t kFailuresKeptMax = 16;

struct CheckFailure {
  int64_t time_ms = 0;
  std::string checker;  // "drainer-order", "checkpoint-durable", ...
  std::string detail;
  bool liveness = false;
};

class Checker {
 public:
  explicit Checker(int drainers);

  // Oracle.
  void OnCommitDecided(int64_t start_ts, int64_t commit_ts);
  void OnCommitAcked(int64_t commit_ts, int pump);
  // Pump `pump`'s gc_ts is now `gc_ts`: a drainer that had not pulled one of its commits at
  // or below it may legitimately never get it (upstream purges it and warns, §7.6), so
  // liveness does not count such commits as missing.
  void OnPumpGc(int pump, int64_t gc_ts);
  // Start ts of decided commit `commit_ts` (0 when unknown).
  int64_t StartTsOf(int64_t commit_ts) const;
  int64_t purged_excused() const { return purged_excused_; }
  void OnRollback(int64_t start_ts);

  // Drainer `d` output: `binlogs` is its destination's whole durable content; only the
  // entries after the last observed count are new.
  void ObserveDestination(int d, const std::vector<SharedPulledBinlog>& binlogs, int64_t now_ms);
  void ObserveCheckpoint(int d, int64_t checkpoint_ts, int64_t now_ms);
  // Drainer `d` starts (again) from `checkpoint_ts`: what it writes up to its previous
  // output's end may be a replay.
  void OnDrainerStart(int d, int64_t checkpoint_ts);

  void ObservePumpMaxCommitTs(int pump, int64_t max_commit_ts, int64_t now_ms);
  void ObserveNodeState(NodeKind kind, const std::string& node_id, NodeState state,
                        int64_t now_ms);

  // Liveness: acknowledged commits missing from drainer `d` (0 when all arrived).
  size_t MissingFromDrainer(int d) const;

  void Fail(int64_t now_ms, std::string checker, std::string detail, bool liveness = false);
  bool failed() const { return !failures_.empty(); }
  const std::vector<CheckFailure>& failures() const { return failures_; }

  int64_t decided_count() const { return static_cast<int64_t>(decided_.size()); }
  int64_t acked_count() const { return static_cast<int64_t>(acked_.size()); }
  int64_t rollback_count() const { return static_cast<int64_t>(rolled_back_.size()); }
  int64_t emitted_count(int d) const { return drainers_[d].emitted_total; }

 private:
  using FlatSet = boost::unordered_flat_set<int64_t>;

  struct DrainerView {
    bool started = false;
    size_t observed = 0;           // destination entries already checked
    int64_t last_ts = 0;           // last commit ts written (replays included)
    int64_t max_ts = 0;            // largest commit ts ever written
    int64_t replay_until = 0;      // entries up to this may repeat (after a restart)
    int64_t first_checkpoint = -1; // commits after it are this drainer's to deliver
    int64_t checkpoint = 0;
    FlatSet written;          // commit ts in the destination (looked up only)
    FlatSet unwritten_acked;  // acknowledged commit ts not in `written` yet (only counted)
    int64_t emitted_total = 0;
  };

  void CheckEmitted(int d, const SharedPulledBinlog& binlog, int64_t now_ms);
  std::vector<std::pair<int64_t, int64_t>>::const_iterator DecidedLowerBound(
      int64_t commit_ts) const;
  std::vector<std::pair<int64_t, int64_t>>::const_iterator DecidedUpperBound(
      int64_t commit_ts) const;
  // The decision for `commit_ts`, or null.
  const std::pair<int64_t, int64_t>* FindDecided(int64_t commit_ts) const;
  // At or below its pump's gc_ts: a lagging drainer may skip it (see OnPumpGc).
  bool Purged(int64_t commit_ts) const;

  // (commit ts, start ts) sorted by commit ts: decisions arrive in TSO order, so a flat
  // array appended at the end (no node per commit) answers the range and point queries.
  std::vector<std::pair<int64_t, int64_t>> decided_;
  // commit ts -> the pump that acknowledged it. Hashed (this and the other looked-up-only
  // sets): the checker sees every commit, a tree's per-commit node walks showed in profiles;
  // open addressing (Boost's flat containers), so that no commit costs a node to allocate
  // and, at the end of the run, to free.
  boost::unordered_flat_map<int64_t, int> acked_;
  std::map<int, int64_t> pump_gc_ts_;
  mutable int64_t purged_excused_ = 0;
  FlatSet rolled_back_;  // start ts
  std::vector<DrainerView> drainers_;
  // By pump index (checked after every pump call): the largest MaxCommitTS seen, if any.
  std::vector<std::optional<int64_t>> pump_max_commit_ts_;
  std::map<std::pair<int, std::string>, NodeState> node_states_;
  std::vector<CheckFailure> failures_;
};

}  // namespace tidb_binlog::sim
