// Goal: the merger emits what upstream's drainer merge emits (UPSTREAM.md §8.2): strictly
// increasing commit_ts from the checkpoint on, stalling while any source is empty, dropping
// and counting duplicates and disorder, across sources added and removed mid-stream.
// The batch API (PushBatch, Drain) must give the same stream however the items are split into
// batches, without copying them, and keep the per-source bounds.
// Method: hand-built scenarios, then randomized streams (single pushes; and random batches
// with injected duplicates and disorder, drained as spans or popped, with sources added and
// removed) compared with a one-item-per-source reference merge written like upstream's loop.
#include "reference/drainer/merger.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <span>
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

std::vector<MergeItem> Batch(std::vector<int64_t> ts, const std::string& payload = "") {
  std::vector<MergeItem> batch;
  for (int64_t t : ts) batch.push_back(Item(t, payload));
  return batch;
}

// Drains everything available; returns the runs' commit ts, one vector per run.
std::vector<std::vector<int64_t>> DrainRuns(Merger<MergeItem>& merger,
                                            size_t max_items = SIZE_MAX) {
  std::vector<std::vector<int64_t>> runs;
  merger.Drain(max_items, [&](std::span<MergeItem> run) {
    runs.emplace_back();
    for (const MergeItem& item : run) runs.back().push_back(item.commit_ts);
  });
  return runs;
}

using Runs = std::vector<std::vector<int64_t>>;

TEST(MergerBatchTest, DrainHandsOutRunsInPlaceFromPushedBatches) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.AddSource("b").ok());
  std::vector<MergeItem> a = Batch({1, 2, 3, 10});
  const MergeItem* a_items = a.data();
  ASSERT_TRUE(merger.PushBatch("a", std::move(a)).ok());
  ASSERT_TRUE(merger.PushBatch("b", Batch({5, 6, 11})).ok());
  EXPECT_EQ(merger.buffered_items("a"), 4u);

  std::vector<const MergeItem*> starts;
  std::vector<std::vector<int64_t>> runs;
  merger.Drain(SIZE_MAX, [&](std::span<MergeItem> run) {
    starts.push_back(run.data());
    runs.emplace_back();
    for (const MergeItem& item : run) runs.back().push_back(item.commit_ts);
  });
  // A run lasts while the top source sorts before the runner-up; a drains with 10.
  EXPECT_EQ(runs, (Runs{{1, 2, 3}, {5, 6}, {10}}));
  EXPECT_EQ(starts.front(), a_items) << "runs are spans into the pushed batch, not copies";
  EXPECT_EQ(merger.latest_ts(), 10);
  EXPECT_EQ(merger.stats().emitted, 6);
  EXPECT_EQ(merger.EmptySources(), std::vector<std::string>{"a"});
  EXPECT_EQ(merger.buffered_items("b"), 1u);
  EXPECT_EQ(merger.buffered_bytes("b"), sizeof(MergeItem));
}

TEST(MergerBatchTest, RunsCrossChunksOnlyAsSeparateRuns) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.PushBatch("a", Batch({1, 2})).ok());
  ASSERT_TRUE(merger.PushBatch("a", Batch({3, 4})).ok());
  // A single item joins the newest chunk while it is small (kMergeAppendChunkItemsMax).
  ASSERT_TRUE(merger.Push("a", Item(5)).ok());
  EXPECT_EQ(DrainRuns(merger), (Runs{{1, 2}, {3, 4, 5}}));
  EXPECT_EQ(merger.buffered_items("a"), 0u);
  EXPECT_EQ(merger.buffered_bytes("a"), 0u);
}

TEST(MergerBatchTest, DuplicateOrDisorderInsideABatchEndsTheRunAndIsDropped) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.PushBatch("a", Batch({1, 2, 2, 3, 1, 4})).ok());
  EXPECT_EQ(DrainRuns(merger), (Runs{{1, 2}, {3}, {4}}));
  EXPECT_EQ(merger.stats().duplicates, 1);
  EXPECT_EQ(merger.stats().disorder, 1);
  EXPECT_EQ(merger.buffered_bytes("a"), 0u) << "dropped items release their bytes";
}

TEST(MergerBatchTest, DrainStopsAtMaxItemsInsideARun) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.PushBatch("a", Batch({1, 2, 3, 4, 5})).ok());
  EXPECT_EQ(DrainRuns(merger, 2), (Runs{{1, 2}}));
  EXPECT_EQ(merger.buffered_items("a"), 3u);
  EXPECT_EQ(DrainRuns(merger, 0), Runs{});
  EXPECT_EQ(DrainRuns(merger, 10), (Runs{{3, 4, 5}}));
}

TEST(MergerBatchTest, ConsumerMayMoveItemsOutOfARun) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.AddSource("b").ok());
  ASSERT_TRUE(merger.PushBatch("a", Batch({1, 3}, std::string(100, 'a'))).ok());
  ASSERT_TRUE(merger.PushBatch("b", Batch({2, 4}, std::string(50, 'b'))).ok());
  std::vector<std::string> payloads;
  size_t n = merger.Drain(SIZE_MAX, [&](std::span<MergeItem> run) {
    for (MergeItem& item : run) payloads.push_back(std::move(item.payload));
  });
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(payloads, (std::vector<std::string>{std::string(100, 'a'), std::string(50, 'b'),
                                                std::string(100, 'a')}));
  // The bytes of taken items were released before the consumer saw them.
  EXPECT_EQ(merger.buffered_bytes("a"), 0u);
  EXPECT_EQ(merger.buffered_bytes("b"), sizeof(MergeItem) + 50);
}

TEST(MergerBatchTest, BatchIsTakenWholeWithinBoundsOrLeftToTheCaller) {
  Merger<MergeItem> merger(0, MergerLimits{.items_per_source_max = 4,
                                           .bytes_per_source_max = 4 * sizeof(MergeItem) + 10});
  ASSERT_TRUE(merger.AddSource("a").ok());
  EXPECT_EQ(merger.PushBatch("x", Batch({1})).code(), StatusCode::kNotFound);
  ASSERT_TRUE(merger.PushBatch("a", Batch({})).ok());
  EXPECT_EQ(merger.buffered_items("a"), 0u) << "an empty batch is a no-op";
  ASSERT_TRUE(merger.PushBatch("a", Batch({1, 2, 3})).ok());

  // Count bound: 3 + 2 > 4.
  std::vector<MergeItem> refused = Batch({4, 5}, "kept");
  EXPECT_EQ(merger.PushBatch("a", std::move(refused)).code(), StatusCode::kResourceExhausted);
  ASSERT_EQ(refused.size(), 2u) << "a refused batch is left to the caller";
  EXPECT_EQ(refused[1].payload, "kept");
  // Byte bound: one more item fits the count but 11 payload bytes exceed the byte bound.
  EXPECT_EQ(merger.PushBatch("a", Batch({4}, std::string(11, 'x'))).code(),
            StatusCode::kResourceExhausted);
  ASSERT_TRUE(merger.PushBatch("a", Batch({4}, std::string(10, 'x'))).ok());
  EXPECT_EQ(merger.buffered_items("a"), 4u);
  EXPECT_EQ(merger.buffered_bytes("a"), 4 * sizeof(MergeItem) + 10);

  // An empty source takes a batch over its bounds whole, so that it can make progress.
  ASSERT_TRUE(merger.AddSource("big").ok());
  ASSERT_TRUE(merger.PushBatch("big", Batch({6, 7, 8, 9, 10, 11})).ok());
  EXPECT_EQ(merger.buffered_items("big"), 6u);
  EXPECT_EQ(merger.PushBatch("big", Batch({12})).code(), StatusCode::kResourceExhausted);
}

TEST(MergerBatchTest, TheSplitIntoBatchesDoesNotChangeTheOutput) {
  std::vector<int64_t> a = {1, 4, 5, 9, 9, 12, 13, 20};
  std::vector<int64_t> b = {2, 3, 4, 6, 7, 8, 14, 21};
  std::vector<std::vector<int64_t>> outputs;
  for (size_t batch_size : {1u, 2u, 3u, 8u}) {
    Merger<MergeItem> merger(0);
    ASSERT_TRUE(merger.AddSource("a").ok());
    ASSERT_TRUE(merger.AddSource("b").ok());
    for (size_t i = 0; i < a.size(); i += batch_size) {
      const size_t end = std::min(a.size(), i + batch_size);
      ASSERT_TRUE(merger.PushBatch("a", Batch({a.begin() + i, a.begin() + end})).ok());
      ASSERT_TRUE(merger.PushBatch("b", Batch({b.begin() + i, b.begin() + end})).ok());
    }
    outputs.push_back(PopAll(merger));
    EXPECT_EQ(merger.stats().duplicates, 2) << "4 from b and the second 9 from a";
  }
  EXPECT_EQ(outputs[0], (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 20}));
  for (const auto& output : outputs) EXPECT_EQ(output, outputs[0]);
}

TEST(MergerBatchTest, SpentBatchVectorsAreRecycledBounded) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  EXPECT_EQ(merger.TakeSpareBatch().capacity(), 0u) << "nothing spent yet";
  std::vector<MergeItem> batch = Batch({1, 2, 3});
  const MergeItem* storage = batch.data();
  ASSERT_TRUE(merger.PushBatch("a", std::move(batch)).ok());
  EXPECT_EQ(PopAll(merger), (std::vector<int64_t>{1, 2, 3}));
  // The drainer's cycle: the spent vector comes back empty with its storage, for the next
  // pull to be decoded into.
  std::vector<MergeItem> spare = merger.TakeSpareBatch();
  EXPECT_TRUE(spare.empty());
  EXPECT_EQ(spare.data(), storage);
  EXPECT_EQ(merger.TakeSpareBatch().capacity(), 0u);
  spare.push_back(Item(4));
  ASSERT_TRUE(merger.PushBatch("a", std::move(spare)).ok());
  EXPECT_EQ(PopAll(merger), std::vector<int64_t>{4});

  // At most kMergeSpareBatchesMax are kept; larger vectors than kMergeSpareBatchItemsMax
  // are freed.
  for (size_t i = 0; i < kMergeSpareBatchesMax + 3; ++i) {
    ASSERT_TRUE(merger.PushBatch("a", Batch({static_cast<int64_t>(10 + i)})).ok());
  }
  PopAll(merger);
  size_t spares = 0;
  while (merger.TakeSpareBatch().capacity() > 0) ++spares;
  EXPECT_EQ(spares, kMergeSpareBatchesMax);

  std::vector<MergeItem> huge = Batch({100});
  huge.reserve(kMergeSpareBatchItemsMax + 1);
  ASSERT_TRUE(merger.PushBatch("a", std::move(huge)).ok());
  EXPECT_EQ(PopAll(merger), std::vector<int64_t>{100});
  EXPECT_EQ(merger.TakeSpareBatch().capacity(), 0u) << "a huge spent vector is not kept";
}

TEST(MergerBatchDeathTest, ConsumerMustNotReenterTheMerger) {
  Merger<MergeItem> merger(0);
  ASSERT_TRUE(merger.AddSource("a").ok());
  ASSERT_TRUE(merger.PushBatch("a", Batch({1, 2})).ok());
  EXPECT_DEATH(merger.Drain(SIZE_MAX,
                            [&](std::span<MergeItem>) { (void)merger.Push("a", Item(3)); }),
               "draining");
}

// Upstream's loop: hold one item per source; when all hold one, take the minimum
// (ties: smallest node id) and compare it with the latest ts. Run() stops after `max_items`
// emitted items, as Pop and Drain do, so that it can run in lockstep with the merger.
struct ReferenceMerge {
  explicit ReferenceMerge(int64_t checkpoint_ts) : latest(checkpoint_ts) {}

  std::map<std::string, std::deque<MergeItem>> pending;  // per source, FIFO
  int64_t latest;
  std::vector<MergeItem> out;
  int64_t dropped = 0;

  void Run(size_t max_items = SIZE_MAX) {
    for (size_t emitted = 0; emitted < max_items && !pending.empty();) {
      std::deque<MergeItem>* best = nullptr;
      for (auto& [id, items] : pending) {
        if (items.empty()) return;
        if (best == nullptr || items.front().commit_ts < best->front().commit_ts) best = &items;
      }
      MergeItem item = std::move(best->front());
      best->pop_front();
      if (item.commit_ts > latest) {
        latest = item.commit_ts;
        out.push_back(std::move(item));
        ++emitted;
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
      if (merger.Push(id, Item(ts)).ok()) reference.pending[id].push_back(Item(ts));
      if (rng() % 3 == 0) merger.Pop(merged, 1 + rng() % 5);
    }
    merger.Pop(merged, SIZE_MAX);
    reference.Run();
    ASSERT_EQ(Ts(merged), Ts(reference.out)) << "round " << round;
    emitted_total += merged.size();
    EXPECT_EQ(merger.stats().duplicates + merger.stats().disorder, reference.dropped);
    EXPECT_EQ(merger.latest_ts(), reference.latest);
  }
  EXPECT_GT(emitted_total, 200u * 50) << "the streams must actually merge";
}


// The caller's side of the randomized batch test: per source, pulled batches the merger has
// not taken yet (a refused batch stays here, in order, and is offered again).
struct BatchFeeder {
  std::map<std::string, std::deque<std::vector<MergeItem>>> waiting;
};

// A pulled batch: mostly increasing commit ts with runs, plus injected duplicates (of the
// previous item or of a small ts other sources also use) and out-of-order items. Payloads
// name the source so that ties can be checked.
std::vector<MergeItem> RandomBatch(std::mt19937_64& rng, const std::string& id, int64_t& next) {
  std::vector<MergeItem> batch(1 + rng() % 24);
  for (MergeItem& item : batch) {
    next += static_cast<int64_t>(rng() % 3);
    int64_t ts = next;
    const uint64_t dice = rng() % 16;
    if (dice == 0) ts -= 1 + static_cast<int64_t>(rng() % 6);  // disorder
    if (dice == 1) ts = next & ~int64_t{3};                      // likely shared by others
    item.commit_ts = ts;
    item.payload = id + std::string(rng() % 12, '.');
  }
  return batch;
}

// Offers the source's waiting batches in order until one is refused, mirroring accepted
// items into the reference, and checks the bounds contract on every decision.
void FeedSource(Merger<MergeItem>& merger, const MergerLimits& limits, const std::string& id,
                BatchFeeder& feeder, ReferenceMerge& reference, std::mt19937_64& rng) {
  auto& waiting = feeder.waiting[id];
  while (!waiting.empty()) {
    std::vector<MergeItem>& batch = waiting.front();
    const size_t items_before = merger.buffered_items(id);
    const size_t bytes_before = merger.buffered_bytes(id);
    size_t batch_bytes = 0;
    for (const MergeItem& item : batch) batch_bytes += MergeItemBytes(item);
    const std::vector<MergeItem> copy = batch;
    if (rng() % 4 == 0) {  // the single-item API on the same buffers
      Result<size_t> taken = merger.PushSome(id, batch);
      ASSERT_TRUE(taken.ok());
      for (size_t i = 0; i < *taken; ++i) reference.pending[id].push_back(copy[i]);
      batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(*taken));
      if (!batch.empty()) return;
      waiting.pop_front();
      continue;
    }
    Status pushed = merger.PushBatch(id, std::move(batch));
    const bool within = items_before + copy.size() <= limits.items_per_source_max &&
                        bytes_before + batch_bytes <= limits.bytes_per_source_max;
    ASSERT_EQ(pushed.ok(), items_before == 0 || within);
    if (!pushed.ok()) {
      ASSERT_EQ(pushed.code(), StatusCode::kResourceExhausted);
      ASSERT_EQ(Ts(batch), Ts(copy)) << "a refused batch is left to the caller";
      return;
    }
    ASSERT_EQ(merger.buffered_bytes(id), bytes_before + batch_bytes);
    for (const MergeItem& item : copy) reference.pending[id].push_back(item);
    waiting.pop_front();
  }
}

void FeedAll(Merger<MergeItem>& merger, const MergerLimits& limits, BatchFeeder& feeder,
             ReferenceMerge& reference, std::mt19937_64& rng) {
  for (const auto& entry : reference.pending) {
    ASSERT_NO_FATAL_FAILURE(FeedSource(merger, limits, entry.first, feeder, reference, rng));
  }
}

// Drains up to `max_items` as spans (moving the payloads out) or with Pop, alternately.
size_t DrainSome(Merger<MergeItem>& merger, size_t max_items, bool as_spans,
                 std::vector<MergeItem>& merged) {
  if (!as_spans) return merger.Pop(merged, max_items);
  return merger.Drain(max_items, [&](std::span<MergeItem> run) {
    EXPECT_FALSE(run.empty());
    for (MergeItem& item : run) merged.push_back(std::move(item));
  });
}

// The checks after each step: same output so far, same state of every buffer.
void ExpectSameState(const Merger<MergeItem>& merger, const ReferenceMerge& reference,
                     const std::vector<MergeItem>& merged) {
  ASSERT_EQ(Ts(merged), Ts(reference.out));
  for (size_t i = 0; i < merged.size(); ++i) {
    ASSERT_EQ(merged[i].payload, reference.out[i].payload) << "ties go to the smallest id";
  }
  ASSERT_EQ(merger.stats().duplicates + merger.stats().disorder, reference.dropped);
  ASSERT_EQ(merger.latest_ts(), reference.latest);
  for (const auto& [id, items] : reference.pending) {
    size_t bytes = 0;
    for (const MergeItem& item : items) bytes += MergeItemBytes(item);
    ASSERT_EQ(merger.buffered_items(id), items.size()) << id;
    ASSERT_EQ(merger.buffered_bytes(id), bytes) << id;
  }
}

TEST(MergerBatchTest, RandomizedBatchesMatchReferenceMerge) {
  std::mt19937_64 rng(20240917);
  size_t emitted_total = 0;
  for (int round = 0; round < 200; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int64_t checkpoint = static_cast<int64_t>(rng() % 20);
    const MergerLimits limits{
        .items_per_source_max = 1 + rng() % 48,
        .bytes_per_source_max = rng() % 2 == 0 ? SIZE_MAX : (1 + rng() % 24) * sizeof(MergeItem)};
    Merger<MergeItem> merger(checkpoint, limits);
    ReferenceMerge reference(checkpoint);
    BatchFeeder feeder;
    std::map<std::string, int64_t> next_ts;
    int next_id = 0;
    auto add_source = [&] {
      const std::string id = "pump-" + std::to_string(100 + next_id++);
      ASSERT_TRUE(merger.AddSource(id).ok());
      reference.pending[id];
      next_ts[id] = reference.latest;  // as a new pump pulls after the merger's latest ts
    };
    for (int s = 0, k = 1 + static_cast<int>(rng() % 5); s < k; ++s) add_source();
    std::vector<MergeItem> merged;
    for (int step = 0; step < 200; ++step) {
      const uint64_t dice = rng() % 100;
      if (reference.pending.empty() || dice < 3) {
        add_source();
      } else if (dice < 6) {
        auto it = std::next(reference.pending.begin(),
                            static_cast<long>(rng() % reference.pending.size()));
        Result<size_t> discarded = merger.RemoveSource(it->first);
        ASSERT_TRUE(discarded.ok());
        ASSERT_EQ(*discarded, it->second.size());
        feeder.waiting.erase(it->first);
        reference.pending.erase(it);
      } else if (dice < 60) {
        auto it = std::next(next_ts.begin(), static_cast<long>(rng() % next_ts.size()));
        if (!reference.pending.contains(it->first)) continue;  // removed source
        feeder.waiting[it->first].push_back(RandomBatch(rng, it->first, it->second));
      } else {
        const size_t max_items = 1 + rng() % 40;
        const size_t before = merged.size();
        const size_t n = DrainSome(merger, max_items, rng() % 2 == 0, merged);
        ASSERT_EQ(n, merged.size() - before);
        reference.Run(max_items);
      }
      ASSERT_NO_FATAL_FAILURE(FeedAll(merger, limits, feeder, reference, rng));
      ASSERT_NO_FATAL_FAILURE(ExpectSameState(merger, reference, merged));
    }
    // Feed and merge until the merge stalls for good: an empty source with nothing waiting.
    for (int pass = 0; pass < 1000; ++pass) {
      const int64_t dropped = merger.stats().duplicates + merger.stats().disorder;
      ASSERT_NO_FATAL_FAILURE(FeedAll(merger, limits, feeder, reference, rng));
      const size_t n = DrainSome(merger, SIZE_MAX, true, merged);
      if (n == 0 && merger.stats().duplicates + merger.stats().disorder == dropped) break;
    }
    reference.Run();
    ASSERT_NO_FATAL_FAILURE(ExpectSameState(merger, reference, merged));
    emitted_total += merged.size();
  }
  EXPECT_GT(emitted_total, 200u * 100) << "the streams must actually merge";
}

}  // namespace
}  // namespace tidb_binlog
