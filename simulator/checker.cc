#include "simulator/checker.h"

#include <algorithm>
#include <utility>

#include "reference/core/assert.h"

namespace tidb_binlog::sim {

Checker::Checker(int drainers) : drainers_(static_cast<size_t>(drainers)) {}

// Commit ts come from the TSO in increasing order (acknowledgements nearly so): a decision
// is appended; one that is not the largest (never seen, but not assumed) goes in its place.
void Checker::OnCommitDecided(int64_t start_ts, int64_t commit_ts) {
  if (decided_.empty() || decided_.back().first < commit_ts) {
    decided_.emplace_back(commit_ts, start_ts);
    return;
  }
  auto it = decided_.begin() + (DecidedLowerBound(commit_ts) - decided_.cbegin());
  if (it != decided_.end() && it->first == commit_ts) {
    it->second = start_ts;
  } else {
    decided_.emplace(it, commit_ts, start_ts);
  }
}

std::vector<std::pair<int64_t, int64_t>>::const_iterator Checker::DecidedLowerBound(
    int64_t commit_ts) const {
  return std::lower_bound(decided_.begin(), decided_.end(), commit_ts,
                          [](const auto& entry, int64_t ts) { return entry.first < ts; });
}

std::vector<std::pair<int64_t, int64_t>>::const_iterator Checker::DecidedUpperBound(
    int64_t commit_ts) const {
  return std::upper_bound(decided_.begin(), decided_.end(), commit_ts,
                          [](int64_t ts, const auto& entry) { return ts < entry.first; });
}

const std::pair<int64_t, int64_t>* Checker::FindDecided(int64_t commit_ts) const {
  auto it = DecidedLowerBound(commit_ts);
  return it != decided_.end() && it->first == commit_ts ? &*it : nullptr;
}
void Checker::OnCommitAcked(int64_t commit_ts, int pump) {
  acked_[commit_ts] = pump;
  for (DrainerView& view : drainers_) {
    if (view.written.count(commit_ts) == 0) {
      view.unwritten_acked.insert(commit_ts);
    }
  }
}

void Checker::OnPumpGc(int pump, int64_t gc_ts) {
  int64_t& known = pump_gc_ts_[pump];
  known = std::max(known, gc_ts);
}

bool Checker::Purged(int64_t commit_ts) const {
  auto acked = acked_.find(commit_ts);
  if (acked != acked_.end()) {
    auto gc = pump_gc_ts_.find(acked->second);
    return gc != pump_gc_ts_.end() && commit_ts <= gc->second;
  }
  // Not acknowledged: it may sit on any pump.
  for (const auto& [pump, gc_ts] : pump_gc_ts_) {
    if (commit_ts <= gc_ts) return true;
  }
  return false;
}

int64_t Checker::StartTsOf(int64_t commit_ts) const {
  const std::pair<int64_t, int64_t>* decided = FindDecided(commit_ts);
  return decided == nullptr ? 0 : decided->second;
}
void Checker::OnRollback(int64_t start_ts) { rolled_back_.insert(start_ts); }

void Checker::Fail(int64_t now_ms, std::string checker, std::string detail, bool liveness) {
  if (failures_.size() >= kFailuresKeptMax) return;
  failures_.push_back({now_ms, std::move(checker), std::move(detail), liveness});
}

void Checker::OnDrainerStart(int d, int64_t checkpoint_ts) {
  DrainerView& view = drainers_[d];
  if (!view.started) {
    view.started = true;
    view.first_checkpoint = checkpoint_ts;
    view.checkpoint = checkpoint_ts;
  }
  // A restart resumes after its checkpoint: what it wrote beyond that may come again.
  view.replay_until = view.max_ts;
  view.last_ts = checkpoint_ts;
}

// The failure texts are built only on failure: this runs once per emitted binlog.
void Checker::CheckEmitted(int d, const SharedPulledBinlog& b, int64_t now_ms) {
  DrainerView& view = drainers_[d];
  const int64_t ts = b.commit_ts();
  auto where = [&] {
    return "drainer " + std::to_string(d) + " commit ts " + std::to_string(ts);
  };
  if (b.start_ts() == ts) Fail(now_ms, "no-fake-emitted", where() + " is a fake binlog");
  const std::pair<int64_t, int64_t>* decided = FindDecided(ts);
  if (decided == nullptr) {
    Fail(now_ms, "only-committed-emitted", where() + " was never committed by a writer");
  } else if (decided->second != b.start_ts()) {
    Fail(now_ms, "only-committed-emitted", where() + " has start ts " +
                                               std::to_string(b.start_ts()) + ", committed " +
                                               std::to_string(decided->second));
  }
  if (rolled_back_.count(b.start_ts()) != 0) {
    Fail(now_ms, "only-committed-emitted", where() + " belongs to a rolled-back transaction");
  }
  if (ts <= view.last_ts) {
    Fail(now_ms, "drainer-order",
         where() + " after " + std::to_string(view.last_ts) + " (not strictly increasing)");
  }
  bool replay = ts <= view.replay_until;
  if (!view.written.insert(ts).second && !replay) {
    Fail(now_ms, "exactly-once", where() + " written twice");
  }
  view.unwritten_acked.erase(ts);
  view.last_ts = ts;
  if (ts > view.max_ts) view.max_ts = ts;
  ++view.emitted_total;
}

void Checker::ObserveDestination(int d, const std::vector<SharedPulledBinlog>& binlogs,
                                 int64_t now_ms) {
  DrainerView& view = drainers_[d];
  for (; view.observed < binlogs.size(); ++view.observed) {
    CheckEmitted(d, binlogs[view.observed], now_ms);
  }
}

void Checker::ObserveCheckpoint(int d, int64_t checkpoint_ts, int64_t now_ms) {
  DrainerView& view = drainers_[d];
  auto who = [d] { return "drainer " + std::to_string(d); };
  if (checkpoint_ts < view.checkpoint) {
    Fail(now_ms, "checkpoint-monotonic",
         who() + " checkpoint " + std::to_string(checkpoint_ts) + " < " +
             std::to_string(view.checkpoint));
  }
  // Every decided commit the checkpoint passed must be durable in the destination.
  auto from = DecidedUpperBound(std::max(view.checkpoint, view.first_checkpoint));
  auto to = DecidedUpperBound(checkpoint_ts);
  for (auto it = from; it != to; ++it) {
    if (view.written.count(it->first) == 0 && !Purged(it->first)) {
      Fail(now_ms, "checkpoint-durable",
           who() + " checkpoint " + std::to_string(checkpoint_ts) + " passed commit ts " +
               std::to_string(it->first) + " that its destination does not hold");
      break;
    }
  }
  if (checkpoint_ts > view.checkpoint) view.checkpoint = checkpoint_ts;
}

void Checker::ObservePumpMaxCommitTs(int pump, int64_t max_commit_ts, int64_t now_ms) {
  BINLOG_ASSERT(pump >= 0);
  const size_t index = static_cast<size_t>(pump);
  if (index >= pump_max_commit_ts_.size()) pump_max_commit_ts_.resize(index + 1);
  std::optional<int64_t>& seen = pump_max_commit_ts_[index];
  if (!seen.has_value()) {
    seen = max_commit_ts;
    return;
  }
  if (max_commit_ts < *seen) {
    Fail(now_ms, "max-commit-ts-monotonic",
         "pump " + std::to_string(pump) + " MaxCommitTS " + std::to_string(max_commit_ts) +
             " < " + std::to_string(*seen));
  }
  seen = std::max(*seen, max_commit_ts);
}

void Checker::ObserveNodeState(NodeKind kind, const std::string& node_id, NodeState state,
                               int64_t now_ms) {
  auto key = std::make_pair(static_cast<int>(kind), node_id);
  auto [it, inserted] = node_states_.try_emplace(key, state);
  if (inserted) {
    if (state != NodeState::kOnline) {
      Fail(now_ms, "legal-transition", node_id + " first registered as " +
                                           NodeStateName(state));
    }
    return;
  }
  if (it->second != state && !IsLegalTransition(kind, it->second, state)) {
    Fail(now_ms, "legal-transition", std::string(NodeKindName(kind)) + " " + node_id +
                                         ": " + NodeStateName(it->second) + " -> " +
                                         NodeStateName(state));
  }
  it->second = state;
}

size_t Checker::MissingFromDrainer(int d) const {
  const DrainerView& view = drainers_[d];
  size_t missing = 0;
  purged_excused_ = 0;
  for (int64_t commit_ts : view.unwritten_acked) {
    if (commit_ts <= view.first_checkpoint) continue;  // before this drainer's start
    if (Purged(commit_ts)) {
      ++purged_excused_;
      continue;
    }
    ++missing;
  }
  return missing;
}

}  // namespace tidb_binlog::sim
