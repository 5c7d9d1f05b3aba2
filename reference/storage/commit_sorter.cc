#include "reference/storage/commit_sorter.h"

#include <algorithm>

namespace tidb_binlog {

CommitSorter::CommitSorter(int64_t max_commit_ts) : max_commit_ts_(max_commit_ts) {
  BINLOG_ASSERT(max_commit_ts >= 0);
}

Status CommitSorter::Add(binlog::BinlogType tp, int64_t start_ts, int64_t commit_ts,
                         uint64_t position) {
  if (tp != binlog::Prewrite) {
    AddCommitRecord(start_ts, commit_ts);
    return Status::Ok();
  }
  if (pending_.size() >= kPendingPrewritesMax) {
    return Status::ResourceExhausted("too many prewrite binlogs waiting for their commit");
  }
  AddPrewrite(start_ts, position);
  return Status::Ok();
}

uint64_t CommitSorter::ReplayPosition(uint64_t end_position) const {
  return pending_.empty() ? end_position : pending_.front().position;
}

void CommitSorter::AddPrewrite(int64_t start_ts, uint64_t position) {
  BINLOG_ASSERT(pending_.empty() || position > pending_.back().position);
  const uint64_t sequence = front_sequence_ + pending_.size();
  uint64_t older = kNoEntry;
  if (auto it = waiting_.find(start_ts); it != waiting_.end()) {
    // A duplicate Prewrite: upstream keeps one wait flag per start_ts, so the next C-record
    // with this start_ts releases both.
    older = it->second;
    it->second = sequence;
  } else {
    waiting_.emplace(start_ts, sequence);
  }
  pending_.push_back(Pending{position, 0, older, false});
}

void CommitSorter::AddCommitRecord(int64_t start_ts, int64_t commit_ts) {
  if (pending_.empty()) {
    // Nothing waits ahead of this record: it passes the sorter at once.
    max_commit_ts_ = std::max(max_commit_ts_, commit_ts);
    return;
  }
  // Queued behind the newest pending Prewrite; released when everything before it matches.
  Pending& back = pending_.back();
  back.max_commit_after = std::max(back.max_commit_after, commit_ts);
  MatchStart(start_ts);
  FoldMatchedFront();
}

void CommitSorter::MatchStart(int64_t start_ts) {
  auto it = waiting_.find(start_ts);
  if (it == waiting_.end()) return;
  for (uint64_t sequence = it->second; sequence != kNoEntry;) {
    Pending& entry = EntryAt(sequence);
    entry.matched = true;
    sequence = entry.older_same_start;
  }
  waiting_.erase(it);
}

void CommitSorter::FoldMatchedFront() {
  while (!pending_.empty() && pending_.front().matched) {
    max_commit_ts_ = std::max(max_commit_ts_, pending_.front().max_commit_after);
    pending_.pop_front();
    ++front_sequence_;
  }
}

CommitSorter::Pending& CommitSorter::EntryAt(uint64_t sequence) {
  BINLOG_ASSERT(sequence >= front_sequence_ && sequence - front_sequence_ < pending_.size());
  return pending_[sequence - front_sequence_];
}

}  // namespace tidb_binlog
