// Goal: CommitSorter computes upstream's MaxCommitTS and AllMatched (UPSTREAM.md §7.3-7.4)
// for every arrival order, and a replay from ReplayPosition() rebuilds its state.
// Method: hand-written cases for each rule, then seeded random workloads checked against a
// brute-force model that runs upstream's queue algorithm item by item.

#include "reference/storage/commit_sorter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <random>
#include <set>
#include <vector>

namespace tidb_binlog {
namespace {

using binlog::BinlogType;

struct Record {
  BinlogType tp;
  int64_t start_ts;
  int64_t commit_ts;
};

Record P(int64_t start) { return {binlog::Prewrite, start, 0}; }
Record C(int64_t start, int64_t commit) { return {binlog::Commit, start, commit}; }
Record R(int64_t start, int64_t commit = 0) { return {binlog::Rollback, start, commit}; }

// Feeds records with positions 1, 2, 3, ... after those already fed.
class Feeder {
 public:
  explicit Feeder(CommitSorter& sorter) : sorter_(sorter) {}
  void Feed(const Record& r) {
    ASSERT_TRUE(sorter_.Add(r.tp, r.start_ts, r.commit_ts, ++position_).ok());
  }
  void Feed(std::initializer_list<Record> records) {
    for (const Record& r : records) Feed(r);
  }
  uint64_t position() const { return position_; }

 private:
  CommitSorter& sorter_;
  uint64_t position_ = 0;
};

TEST(CommitSorterTest, StartsAtRecoveredValueAndAllMatched) {
  CommitSorter sorter(42);
  EXPECT_EQ(sorter.max_commit_ts(), 42);
  EXPECT_TRUE(sorter.all_matched());
  EXPECT_EQ(sorter.pending_count(), 0u);
  EXPECT_EQ(sorter.ReplayPosition(7), 7u);
}

TEST(CommitSorterTest, PendingPrewriteHoldsBackLaterCommitsUntilMatched) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed({P(10), C(10, 11)});
  EXPECT_EQ(sorter.max_commit_ts(), 11);
  f.Feed({P(20), P(30), C(30, 31)});
  // 31 arrived after the still-waiting Prewrite 20.
  EXPECT_EQ(sorter.max_commit_ts(), 11);
  EXPECT_FALSE(sorter.all_matched());
  EXPECT_EQ(sorter.pending_count(), 2u);
  f.Feed(C(20, 21));
  EXPECT_EQ(sorter.max_commit_ts(), 31);
  EXPECT_TRUE(sorter.all_matched());
  EXPECT_EQ(sorter.pending_count(), 0u);
}

TEST(CommitSorterTest, CommitsBeforeAPendingPrewriteAreReleased) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed({P(1), P(2), C(1, 5), P(3)});
  // C(1,5) arrived after P(2), which still waits: 5 is held back.
  EXPECT_EQ(sorter.max_commit_ts(), 0);
  f.Feed(C(2, 6));
  // P(2) matched: C(1,5) is released; C(2,6) arrived after the waiting P(3).
  EXPECT_EQ(sorter.max_commit_ts(), 5);
  EXPECT_FALSE(sorter.all_matched());
  f.Feed(C(3, 4));
  EXPECT_EQ(sorter.max_commit_ts(), 6);
  EXPECT_TRUE(sorter.all_matched());
}

TEST(CommitSorterTest, OutOfOrderCommitTsNeverDecreases) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed({P(1), P(2), C(2, 9), C(1, 4)});
  EXPECT_EQ(sorter.max_commit_ts(), 9);
  f.Feed({P(3), C(3, 7)});
  EXPECT_EQ(sorter.max_commit_ts(), 9);
}

TEST(CommitSorterTest, RollbackWithZeroCommitTsMatchesButNeverAdvances) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed({P(1), C(1, 3), P(5), R(5)});
  EXPECT_TRUE(sorter.all_matched());
  EXPECT_EQ(sorter.max_commit_ts(), 3);
}

TEST(CommitSorterTest, FakeBinlogAdvancesLikeACommit) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed(R(100, 100));
  EXPECT_EQ(sorter.max_commit_ts(), 100);
  f.Feed({P(150), R(200, 200)});
  EXPECT_EQ(sorter.max_commit_ts(), 100);
  f.Feed(C(150, 160));
  EXPECT_EQ(sorter.max_commit_ts(), 200);
}

TEST(CommitSorterTest, CommitWithoutPrewriteCountsAsCRecord) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed(C(7, 8));
  EXPECT_EQ(sorter.max_commit_ts(), 8);
  EXPECT_TRUE(sorter.all_matched());
}

TEST(CommitSorterTest, PrewriteArrivingAfterItsCommitWaits) {
  // Upstream clears the wait flag when the C-record arrives; a later Prewrite sets it again.
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed({C(7, 8), P(7), C(9, 10)});
  EXPECT_EQ(sorter.max_commit_ts(), 8);
  EXPECT_FALSE(sorter.all_matched());
}

TEST(CommitSorterTest, OneCommitReleasesDuplicatePrewrites) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed({P(4), P(6), P(4), C(6, 7)});
  EXPECT_EQ(sorter.pending_count(), 3u);
  f.Feed(C(4, 5));
  EXPECT_TRUE(sorter.all_matched());
  EXPECT_EQ(sorter.max_commit_ts(), 7);
}

TEST(CommitSorterTest, ReplayPositionIsOldestWaitingPrewrite) {
  CommitSorter sorter;
  Feeder f(sorter);
  f.Feed({P(1), P(2), P(3)});  // positions 1, 2, 3
  EXPECT_EQ(sorter.ReplayPosition(4), 1u);
  f.Feed(C(1, 10));  // position 4
  EXPECT_EQ(sorter.ReplayPosition(5), 2u);
  f.Feed(C(3, 11));  // position 5: P(3) matched but P(2) still waits
  EXPECT_EQ(sorter.ReplayPosition(6), 2u);
  f.Feed(C(2, 12));  // position 6
  EXPECT_EQ(sorter.ReplayPosition(7), 7u);
}

TEST(CommitSorterTest, RefusesPrewritesBeyondTheBoundWithoutChange) {
  CommitSorter sorter;
  uint64_t position = 0;
  for (size_t i = 0; i < kPendingPrewritesMax; ++i) {
    ASSERT_TRUE(sorter.Add(binlog::Prewrite, static_cast<int64_t>(i) + 1, 0, ++position).ok());
  }
  Status refused = sorter.Add(binlog::Prewrite, -1, 0, ++position);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(sorter.pending_count(), kPendingPrewritesMax);
  // C-records are still accepted; matching the oldest Prewrite frees room for one more.
  ASSERT_TRUE(sorter.Add(binlog::Commit, 1, 5, ++position).ok());
  EXPECT_EQ(sorter.pending_count(), kPendingPrewritesMax - 1);
  EXPECT_TRUE(sorter.Add(binlog::Prewrite, -1, 0, ++position).ok());
}

// Upstream's algorithm, literally: items in a queue; the head Prewrite blocks while its
// start_ts is waiting; a head C-record raises the max.
class BruteForceSorter {
 public:
  explicit BruteForceSorter(int64_t max_commit_ts) : max_(max_commit_ts) {}
  void Add(const Record& r) {
    if (r.tp == binlog::Prewrite) {
      waiting_.insert(r.start_ts);
    } else {
      waiting_.erase(r.start_ts);
    }
    items_.push_back(r);
    Drain();
  }
  int64_t max_commit_ts() const { return max_; }
  bool all_matched() const { return waiting_.empty(); }

 private:
  void Drain() {
    while (!items_.empty()) {
      const Record& head = items_.front();
      if (head.tp == binlog::Prewrite) {
        if (waiting_.count(head.start_ts) > 0) return;
      } else {
        max_ = std::max(max_, head.commit_ts);
      }
      items_.pop_front();
    }
  }

  int64_t max_;
  std::set<int64_t> waiting_;
  std::list<Record> items_;
};

// A random workload of overlapping transactions: each opens with a Prewrite and usually
// ends with a Commit (commit_ts from a shared increasing clock) or a Rollback; some
// Commits come without a Prewrite, some Prewrites repeat, fake binlogs interleave.
std::vector<Record> RandomWorkload(std::mt19937_64& rng, int length) {
  std::vector<Record> out;
  std::vector<int64_t> open;
  int64_t clock = 0;
  std::uniform_int_distribution<int> action(0, 99);
  while (static_cast<int>(out.size()) < length) {
    const int a = action(rng);
    if (a < 35 || open.empty()) {
      open.push_back(++clock);
      out.push_back(P(clock));
    } else if (a < 75) {
      const size_t i = std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng);
      out.push_back(C(open[i], ++clock));
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (a < 82) {
      const size_t i = std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng);
      out.push_back(R(open[i]));
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (a < 90) {
      ++clock;
      out.push_back(R(clock, clock));
    } else if (a < 95) {
      const int64_t start = ++clock;
      out.push_back(C(start, ++clock));  // Prewrite never seen
    } else {
      out.push_back(P(open[std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng)]));
    }
  }
  return out;
}

TEST(CommitSorterTest, MatchesBruteForceModelOnRandomWorkloads) {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    std::mt19937_64 rng(seed);
    const std::vector<Record> workload = RandomWorkload(rng, 1000);
    CommitSorter sorter;
    BruteForceSorter model(0);
    uint64_t position = 0;
    for (const Record& r : workload) {
      ASSERT_TRUE(sorter.Add(r.tp, r.start_ts, r.commit_ts, ++position).ok());
      model.Add(r);
      ASSERT_EQ(sorter.max_commit_ts(), model.max_commit_ts()) << "seed " << seed;
      ASSERT_EQ(sorter.all_matched(), model.all_matched()) << "seed " << seed;
    }
  }
}

TEST(CommitSorterTest, ReplayFromReplayPositionRebuildsState) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    std::mt19937_64 rng(seed);
    const std::vector<Record> workload = RandomWorkload(rng, 400);
    const size_t crash_at = std::uniform_int_distribution<size_t>(0, 200)(rng);
    CommitSorter live;
    for (size_t i = 0; i < crash_at; ++i) {
      const Record& r = workload[i];
      ASSERT_TRUE(live.Add(r.tp, r.start_ts, r.commit_ts, i + 1).ok());
    }
    // Positions are 1-based indexes into the workload.
    const uint64_t replay_from = live.ReplayPosition(crash_at + 1);
    CommitSorter rebuilt(live.max_commit_ts());
    for (size_t i = replay_from - 1; i < workload.size(); ++i) {
      const Record& r = workload[i];
      ASSERT_TRUE(rebuilt.Add(r.tp, r.start_ts, r.commit_ts, i + 1).ok());
      if (i >= crash_at) {
        ASSERT_TRUE(live.Add(r.tp, r.start_ts, r.commit_ts, i + 1).ok());
      }
      if (i + 1 >= crash_at) {
        ASSERT_EQ(rebuilt.max_commit_ts(), live.max_commit_ts()) << "seed " << seed;
        ASSERT_EQ(rebuilt.all_matched(), live.all_matched()) << "seed " << seed;
        ASSERT_EQ(rebuilt.pending_count(), live.pending_count()) << "seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace tidb_binlog
