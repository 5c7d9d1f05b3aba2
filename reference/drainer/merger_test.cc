// Goal: the merger emits what upstream's drainer merge emits (UPSTREAM.md §8.2): strictly
// increasing commit_ts from the checkpoint on, stalling while any source is empty, dropping
// and counting duplicates and disorder, across sources added and removed mid-stream.
// Method: hand-built scenarios, then randomized streams compared with a one-item-per-source
// reference merge written like upstream's loop.
#include "reference/drainer/merger.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace tidb_binlog {
namespace {

MergeItem Item(int64_t ts, std::string payload = "") { return MergeItem{ts, std::move(payload)}; }

std::vector<int64_t> Ts(const std::vector<MergeItem>& items) {
  std::vector<int64_t> out;
  for (const MergeItem& item : items) out.push_back(item.commit_ts);
  return out;
}

void PushAll(Merger<MergeItem>& merger, const std::string& source, std::vector<int64_t> ts) {
  for (int64_t t : ts) ASSERT_TRUE(merger.Push(source, Item(t)).ok());
}

std::vector<int64_t> PopAll(Merger<MergeItem>& merger) {
  std::vector<MergeItem> out;
  merger.Pop(out, SIZE_MAX);
  return Ts(out);
}

TEST(MergerTest, MergesSortedSourcesByCommitTs) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("pump-a").ok());
  ASSERT_TRUE(merger.AddSource("pump-b").ok());
  PushAll(merger, "pump-a", {1, 4, 5, 9});
  PushAll(merger, "pump-b", {2, 3, 6, 10});
  // 9 from pump-a drains it; pump-b's 10 must wait for pump-a's next item.
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 9}));
  EXPECT_EQ(merger.latest_ts(), 9);
  EXPECT_EQ(merger.EmptySources(), std::vector<std::string>{"pump-a"});
}

TEST(MergerTest, EmptySourceStallsTheMerge) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.AddSource("b").ok());
  PushAll(merger, "a", {1, 2, 3});
  EXPECT_TRUE(PopAll(merger).empty()) << "b might still send a smaller commit_ts";
  EXPECT_EQ(merger.EmptySources(), std::vector<std::string>{"b"});
  PushAll(merger, "b", {2});
  // 1 from a; then the tie at 2 goes to "a" (smaller node id); b's 2 is a duplicate and b
  // is empty again, so 3 waits.
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(merger.stats().duplicates, 1);
  PushAll(merger, "b", {7});
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{3}));
}

TEST(MergerTest, NoSourcesEmitsNothing) {
  Merger<MergeItem> merger(0);
  EXPECT_TRUE(PopAll(merger).empty());
}

TEST(MergerTest, CheckpointTsIsTheInitialLatestTs) {
  Merger<MergeItem> merger(100);
  ASSERT_TRUE(merger.AddSource("a").ok());
  PushAll(merger, "a", {90, 100, 101});
  EXPECT_EQ(PopAll(merger), std::vector<int64_t>{101});
  EXPECT_EQ(merger.stats().disorder, 1);
  EXPECT_EQ(merger.stats().duplicates, 1);
  EXPECT_EQ(merger.stats().emitted, 1);
}

TEST(MergerTest, DuplicatesAcrossSourcesEmitOnceFromTheSmallestNodeId) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("b").ok());
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.Push("b", Item(5, "from-b")).ok());
  ASSERT_TRUE(merger.Push("b", Item(8, "from-b")).ok());
  ASSERT_TRUE(merger.Push("a", Item(5, "from-a")).ok());
  ASSERT_TRUE(merger.Push("a", Item(9, "from-a")).ok());
  std::vector<MergeItem> out;
  merger.Pop(out, SIZE_MAX);
  ASSERT_EQ(Ts(out), (std::vector<int64_t>{5, 8}));
  EXPECT_EQ(out[0].payload, "from-a");
  EXPECT_EQ(merger.stats().duplicates, 1);
}

TEST(MergerTest, UnsortedSourceItemsBelowLatestAreDisorder) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.AddSource("b").ok());
  PushAll(merger, "a", {10, 4, 12});
  PushAll(merger, "b", {3, 11, 20});
  // Heads decide, as upstream's one-item-per-source loop: 3, 10, 4 (< 10: disorder), 11, 12.
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{3, 10, 11, 12}));
  EXPECT_EQ(merger.stats().disorder, 1);
}

TEST(MergerTest, PopRespectsMaxItems) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.AddSource("b").ok());
  PushAll(merger, "a", {1, 2, 3, 4, 5, 100});
  PushAll(merger, "b", {50});
  std::vector<MergeItem> out;
  EXPECT_EQ(merger.Pop(out, 2), 2u);
  EXPECT_EQ(merger.Pop(out, 2), 2u);
  EXPECT_EQ(merger.Pop(out, 10), 2u);
  EXPECT_EQ(Ts(out), (std::vector<int64_t>{1, 2, 3, 4, 5, 50}));
}

TEST(MergerTest, PopAppendsToANonEmptyOutputWithoutALimit) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  std::vector<MergeItem> out;
  out.push_back(Item(0));
  PushAll(merger, "a", {1, 2});
  EXPECT_EQ(merger.Pop(out, SIZE_MAX), 2u);
  EXPECT_EQ(Ts(out), (std::vector<int64_t>{0, 1, 2}));
}

TEST(MergerTest, AddSourceMidStreamStallsUntilItHasAnItem) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  PushAll(merger, "a", {1, 2});
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{1, 2}));
  PushAll(merger, "a", {5, 6});
  ASSERT_TRUE(merger.AddSource("c").ok());
  EXPECT_TRUE(PopAll(merger).empty());
  PushAll(merger, "c", {3, 7});
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{3, 5, 6}));
  EXPECT_EQ(merger.SourceIds(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(merger.AddSource("c").code(), StatusCode::kInvalidArgument);
}

TEST(MergerTest, RemovingTheStalledSourceUnblocksTheOthers) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.AddSource("b").ok());
  ASSERT_TRUE(merger.AddSource("c").ok());
  PushAll(merger, "a", {1, 4});
  PushAll(merger, "b", {2});
  PushAll(merger, "c", {3, 6, 8});
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{1, 2}));  // stalled on b
  Result<size_t> discarded = merger.RemoveSource("b");
  ASSERT_TRUE(discarded.ok());
  EXPECT_EQ(*discarded, 0u);
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{3, 4}));  // stalled on a
  discarded = merger.RemoveSource("c");
  ASSERT_TRUE(discarded.ok());
  EXPECT_EQ(*discarded, 2u);
  EXPECT_EQ(merger.stats().discarded_on_remove, 2);
  EXPECT_EQ(merger.RemoveSource("c").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(merger.Push("c", Item(9)).code(), StatusCode::kNotFound);
}

TEST(MergerTest, BufferIsBoundedByCountAndBytes) {
  Merger<MergeItem> merger(0, MergerLimits{.items_per_source_max = 3,
                                           .bytes_per_source_max = 3 * sizeof(MergeItem) + 10});
  ASSERT_TRUE(merger.AddSource("a").ok());
  PushAll(merger, "a", {1, 2, 3});
  MergeItem fourth = Item(4, "kept");
  EXPECT_EQ(merger.Push("a", std::move(fourth)).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(fourth.payload, "kept") << "a refused item is left to the caller";
  EXPECT_EQ(merger.buffered_items("a"), 3u);

  ASSERT_TRUE(merger.AddSource("big").ok());
  // An empty source always takes one item, however large; then the byte bound applies.
  ASSERT_TRUE(merger.Push("big", Item(10, std::string(1000, 'x'))).ok());
  EXPECT_EQ(merger.Push("big", Item(11)).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(merger.buffered_bytes("big"), sizeof(MergeItem) + 1000);

  std::vector<MergeItem> batch;
  for (int64_t ts : {20, 21, 22}) batch.push_back(Item(ts));
  Result<size_t> taken = merger.PushSome("a", batch);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, 0u);
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{1, 2, 3}));
  taken = merger.PushSome("a", batch);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, 3u);
}

// Upstream's loop: hold one item per source; when all hold one, take the minimum
// (ties: smallest node id) and compare it with the latest ts.
struct ReferenceMerge {
  explicit ReferenceMerge(int64_t checkpoint_ts) : latest(checkpoint_ts) {}

  std::map<std::string, std::vector<int64_t>> pending;  // per source, FIFO
  int64_t latest;
  std::vector<int64_t> out;
  int64_t dropped = 0;

  void Run() {
    for (;;) {
      if (pending.empty()) return;
      const std::string* best = nullptr;
      for (auto& [id, items] : pending) {
        if (items.empty()) return;
        if (best == nullptr || items.front() < pending[*best].front()) best = &id;
      }
      std::vector<int64_t>& items = pending[*best];
      int64_t ts = items.front();
      items.erase(items.begin());
      if (ts > latest) {
        latest = ts;
        out.push_back(ts);
      } else {
        ++dropped;
      }
    }
  }
};

TEST(MergerTest, RandomizedMatchesReferenceMerge) {
  std::mt19937_64 rng(20240601);
  size_t emitted_total = 0;
  for (int round = 0; round < 200; ++round) {
    const int k = 1 + static_cast<int>(rng() % 6);
    const int64_t checkpoint = static_cast<int64_t>(rng() % 20);
    Merger<MergeItem> merger(checkpoint, MergerLimits{.items_per_source_max = 1 + rng() % 8,
                                                      .bytes_per_source_max = SIZE_MAX});
    ReferenceMerge reference(checkpoint);
    std::vector<int64_t> next_ts(k, 0);
    for (int s = 0; s < k; ++s) {
      ASSERT_TRUE(merger.AddSource("pump-" + std::to_string(s)).ok());
      reference.pending["pump-" + std::to_string(s)];
    }
    std::vector<MergeItem> merged;  // Pop appends to it, as a driver's batch would
    for (int step = 0; step < 300; ++step) {
      const int s = static_cast<int>(rng() % k);
      const std::string id = "pump-" + std::to_string(s);
      // Mostly increasing per source, with runs, duplicates across sources and some
      // out-of-order items.
      int64_t ts = next_ts[s] + static_cast<int64_t>(rng() % 4);
      if (rng() % 20 == 0) ts -= 5;
      next_ts[s] = std::max(next_ts[s], ts);
      if (merger.Push(id, Item(ts)).ok()) reference.pending[id].push_back(ts);
      if (rng() % 3 == 0) merger.Pop(merged, 1 + rng() % 5);
    }
    merger.Pop(merged, SIZE_MAX);
    reference.Run();
    ASSERT_EQ(Ts(merged), reference.out) << "round " << round;
    emitted_total += merged.size();
    EXPECT_EQ(merger.stats().duplicates + merger.stats().disorder, reference.dropped);
    EXPECT_EQ(merger.latest_ts(), reference.latest);
  }
  EXPECT_GT(emitted_total, 200u * 50) << "the streams must actually merge";
}

}  // namespace
}  // namespace tidb_binlog
