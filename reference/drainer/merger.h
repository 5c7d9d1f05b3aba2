// Merger: the drainer's k-way merge of per-pump binlog streams by commit_ts (UPSTREAM.md §8.2).
//
// Each tracked pump is a *source*, named by its node id. Its puller hands each pulled batch
// to PushBatch() (moved in whole, O(1) per batch); Drain() hands the merged stream out as
// runs, spans into those batches (no copy); a batch's emptied vector comes back through
// TakeSpareBatch() for the next pull. Pop() moves merged items into a vector for callers
// that want ownership; Push()/PushSome() take single items or a prefix of a span.
// The contract is upstream's:
//  - Items are emitted only while every source has at least one item buffered: a source with
//    nothing buffered (a paused, slow or unreachable pump) stalls the whole merge, because
//    it might still send a smaller commit_ts (UPSTREAM.md §11 #14, intended).
//  - The emitted stream is strictly increasing in commit_ts. The latest emitted ts starts at
//    the checkpoint ts. An item whose commit_ts equals the latest emitted ts is dropped as a
//    duplicate; one below it is dropped as disorder. Both are counted (MergerStats).
//  - Among sources, the head item with the smallest (commit_ts, node id) goes first, so the
//    result depends only on the items and node ids (never on pointers, arrival order or how
//    the items were split into batches).
// Upstream holds one item per source; we buffer up to MergerLimits per source (by count
// AND bytes, so a fast pump cannot make the drainer run out of memory), which emits exactly
// the same sequence: each buffer's head plays the role of upstream's one held item.
//
// Algorithm: a binary min-heap of (head commit_ts, source rank) with replace-top; the top
// source emits a run, the longest prefix of its current chunk that still sorts before the
// runner-up (PERFORMANCE.md §5b: 5x a plain heap when pumps produce runs). A source buffers
// a FIFO of chunks (the pushed vectors) and a cursor into the front one, so neither pushing
// a batch nor emitting a run copies items, and fully merged vectors are recycled. A run
// ends at a chunk's end, at a duplicate or out-of-order item (dropped and counted by the
// next step), or where the runner-up takes over.
//
// Not for: pulling, decoding, or deciding when a pump's source may be removed (the drainer
// node does that). Sans-I/O.
// Thread safety: none; one owner (the drainer node, serialised by its driver). Drain()'s
// callback must not call back into the merger (asserted).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/core/assert.h"
#include "reference/core/status.h"

namespace tidb_binlog {

// Per-source buffer bounds. Upstream holds 1 item per source behind an unbuffered channel;
// a few thousand lets a puller hand over whole pulled batches without waiting for the merge.
inline constexpr size_t kMergeBufferedItemsPerSourceMax = 4096;
// 64 MiB per pump keeps k pumps' worth of large transactions well below a drainer's memory.
inline constexpr size_t kMergeBufferedBytesPerSourceMax = size_t{64} << 20;
// Single items (Push, PushSome) are appended to the newest chunk while it holds fewer than
// this many items: item-by-item feeding then costs one allocation per this many items, and a
// chunk's memory is released soon after its last item is merged.
inline constexpr size_t kMergeAppendChunkItemsMax = 256;
// Vectors of fully merged chunks kept (emptied, capacity intact) for TakeSpareBatch() and
// single-item chunks, so that a steady drainer recycles its pull batches instead of
// allocating and freeing one per pull (freeing cost ~25% of a clustered merge here).
inline constexpr size_t kMergeSpareBatchesMax = 16;
// Spent vectors with more capacity than this are freed, not kept: a rare huge batch must not
// pin its memory.
inline constexpr size_t kMergeSpareBatchItemsMax = 16384;
// Released chunk slots at the front of a source's chunk list are compacted away once there
// are at least this many of them (and they are the majority), so the list stays bounded.
inline constexpr size_t kMergeChunkSlotsCompactMin = 32;

// What the merger needs from an item: a commit ts member and an ADL-visible size in bytes
// (for the byte bound). Items must be default-constructible and movable.
template <typename Item>
concept MergeableItem = std::default_initializable<Item> && std::movable<Item> &&
                        requires(const Item& item) {
                          { item.commit_ts } -> std::convertible_to<int64_t>;
                          { MergeItemBytes(item) } -> std::convertible_to<size_t>;
                        };

// A simple item: a binlog as pulled (marshalled tipb Binlog) with its commit ts, so only
// emitted items need decoding.
struct MergeItem {
  int64_t commit_ts = 0;
  std::string payload;
};
inline size_t MergeItemBytes(const MergeItem& item) {
  return sizeof(MergeItem) + item.payload.size();
}

struct MergerLimits {
  size_t items_per_source_max = kMergeBufferedItemsPerSourceMax;
  size_t bytes_per_source_max = kMergeBufferedBytesPerSourceMax;
};

struct MergerStats {
  int64_t emitted = 0;
  int64_t duplicates = 0;           // commit_ts == latest emitted: dropped
  int64_t disorder = 0;             // commit_ts < latest emitted: dropped ("disorder")
  int64_t discarded_on_remove = 0;  // still buffered when their source was removed
};

namespace merger_internal {

// FIFO of non-empty chunks (pushed vectors). A vector with a front index rather than a
// std::deque: its move is noexcept (sources live in a vector that is reshuffled by
// AddSource), and released slots are reused instead of reallocated. Moving a chunk keeps
// its items where they are, so pointers into them stay valid.
template <typename Item>
class ChunkQueue {
 public:
  bool empty() const { return front_ == chunks_.size(); }
  std::vector<Item>& front() { return chunks_[front_]; }
  std::vector<Item>& back() { return chunks_.back(); }

  void push_back(std::vector<Item>&& items) {
    BINLOG_ASSERT(!items.empty());
    chunks_.push_back(std::move(items));
  }
  // Removes the front chunk and returns it.
  std::vector<Item> pop_front() {
    std::vector<Item> items = std::move(chunks_[front_]);
    chunks_[front_] = std::vector<Item>();
    ++front_;
    if (front_ == chunks_.size()) {
      chunks_.clear();
      front_ = 0;
    } else if (front_ >= kMergeChunkSlotsCompactMin && 2 * front_ >= chunks_.size()) {
      chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(front_));
      front_ = 0;
    }
    return items;
  }

 private:
  std::vector<std::vector<Item>> chunks_;
  size_t front_ = 0;
};

}  // namespace merger_internal

template <MergeableItem Item>
class Merger {
 public:
  // `checkpoint_ts`: the initial latest ts; only items above it are emitted.
  explicit Merger(int64_t checkpoint_ts, MergerLimits limits = {})
      : limits_(limits), latest_ts_(checkpoint_ts) {
    BINLOG_ASSERT(limits_.items_per_source_max > 0 && limits_.bytes_per_source_max > 0);
  }

  // kInvalidArgument if a source with this id exists.
  Status AddSource(std::string_view node_id);
  // Drops the source and whatever it still buffered (returned, and counted in
  // stats().discarded_on_remove). kNotFound if there is no such source.
  Result<size_t> RemoveSource(std::string_view node_id);
  bool HasSource(std::string_view node_id) const { return FindSlot(node_id) != kNoSlot; }
  // Node ids of all sources, ascending.
  std::vector<std::string> SourceIds() const;
  // Node ids of the sources with nothing buffered: the ones a stalled merge waits for.
  std::vector<std::string> EmptySources() const;

  // Buffers a whole pulled batch for `node_id` by move: O(1) in the number of items apart
  // from summing their sizes. The batch is taken whole if the source has nothing buffered
  // (however large: a source must be able to make progress), or if the source's count and
  // byte bounds hold with it added; otherwise kResourceExhausted and `batch` is left to the
  // caller untouched. kNotFound for an unknown source. An empty batch is accepted as a no-op.
  // The items need not be sorted: duplicates and disorder are dropped when they are merged.
  Status PushBatch(std::string_view node_id, std::vector<Item>&& batch);
  // An empty vector to fill with the next pull batch: a spent one whose capacity is reused
  // when there is one (see kMergeSpareBatchesMax), else a new one. Optional.
  std::vector<Item> TakeSpareBatch();
  // Buffers `item` for `node_id`. kResourceExhausted when the source's buffer is at its
  // count or byte bound (a source with nothing buffered always takes one item, however
  // large); kNotFound for an unknown source. `item` is moved from only on success.
  Status Push(std::string_view node_id, Item&& item);
  // Buffers a prefix of `items` (moved from) up to the source's bounds; returns how many
  // were taken (0 when full). kNotFound for an unknown source.
  Result<size_t> PushSome(std::string_view node_id, std::span<Item> items);

  // Merges up to `max_items` items and hands them out in order as runs: calls
  // `on_run(std::span<Item>)` once per run (never with an empty span). The span points into
  // the merger's buffers and is valid only during the call; `on_run` may move the items out
  // (they are not looked at again) but must not call any Merger method. Returns how many
  // items were handed out; stops early when some source has nothing buffered (the merge is
  // stalled) or there are no sources. stats() and latest_ts() already count a run when
  // `on_run` sees it.
  template <typename Fn>
  size_t Drain(size_t max_items, Fn&& on_run);
  // Drain() that appends the merged items to `out` by move. Returns how many.
  size_t Pop(std::vector<Item>& out, size_t max_items);

  int64_t latest_ts() const { return latest_ts_; }
  const MergerStats& stats() const { return stats_; }
  size_t buffered_items(std::string_view node_id) const;
  size_t buffered_bytes(std::string_view node_id) const;

 private:
  static constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

  // Move-only: `next`/`end` point into its own chunks.
  struct Source {
    Source() = default;
    Source(Source&&) noexcept = default;
    Source& operator=(Source&&) noexcept = default;
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;

    std::string node_id;
    merger_internal::ChunkQueue<Item> chunks;
    // The front chunk's unmerged items are [next, end); both null when nothing is buffered.
    // Cached so that the per-run path reads the head without walking the chunk queue.
    Item* next = nullptr;
    Item* end = nullptr;
    size_t items = 0;  // buffered (not yet merged or dropped) items over all chunks
    size_t bytes = 0;  // MergeItemBytes of those items
  };
  // Heap entry: the cached head commit_ts of a source and its slot. Slots are ranks in
  // node-id order, so (ts, slot) is the deterministic merge key.
  struct Entry {
    int64_t ts;
    uint32_t slot;
  };
  static bool Before(const Entry& a, const Entry& b) {
    return a.ts < b.ts || (a.ts == b.ts && a.slot < b.slot);
  }
  // A run found in the front chunk of the top source, before it is handed out.
  struct Run {
    size_t length = 0;
    size_t bytes = 0;
    int64_t last_ts = 0;
  };
  // Marks the merger busy for the duration of a Drain() so that a callback re-entering it
  // is caught.
  class DrainScope {
   public:
    explicit DrainScope(bool& draining) : draining_(draining) {
      BINLOG_ASSERT(!draining_);
      draining_ = true;
    }
    ~DrainScope() { draining_ = false; }
    DrainScope(const DrainScope&) = delete;
    DrainScope& operator=(const DrainScope&) = delete;

   private:
    bool& draining_;
  };

  uint32_t FindSlot(std::string_view node_id) const;
  // The source named `node_id`, ready to take items; null (and `status` set) if unknown.
  Source* SourceForPush(std::string_view node_id, Status& status);
  // True when `items` more items of `bytes` more bytes keep `source` within its bounds.
  bool WithinBounds(const Source& source, size_t items, size_t bytes) const;
  // What Push and PushBatch accept: anything into an empty source, else within the bounds.
  bool Fits(const Source& source, size_t items, size_t bytes) const {
    return source.items == 0 || WithinBounds(source, items, bytes);
  }
  // Moves [begin, end) onto the newest chunk if it is small, else into a new chunk.
  template <typename It>
  void Append(Source& source, It begin, It end, size_t bytes);
  static int64_t HeadTs(const Source& source) { return source.next->commit_ts; }
  // Consumes `n` items from the front chunk of `source` (accounting already done); a
  // chunk fully consumed is recycled.
  void Advance(Source& source, size_t n);
  void Recycle(std::vector<Item>&& items);
  // Points `next`/`end` at the front chunk from its item `head` on (null if none).
  static void SetCursor(Source& source, size_t head);
  // True when the heap holds every source and the top source has an item.
  bool Ready();
  void BuildHeap();
  void SiftDownTop();
  Entry RunnerUp() const;
  // The longest prefix of the front chunk of `source` (at most `room` items) that is
  // strictly increasing, above the latest emitted ts and sorts before `runner`.
  // Inlined: it runs once per run, and in an interleaved merge a run is about one item.
  Run FindRun(const Source& source, uint32_t slot, const Entry& runner, size_t room) const;
  // Drops the head of `source`, which is at or below the latest emitted ts, and counts it.
  void DropHead(Source& source);

  MergerLimits limits_;
  int64_t latest_ts_;
  MergerStats stats_;
  std::vector<Source> sources_;  // sorted by node_id; index = slot
  std::vector<Entry> heap_;      // valid only while heap_built_
  bool heap_built_ = false;
  // The top source ran empty: its cached key is stale until it is refilled and sifted.
  bool top_stale_ = false;
  bool draining_ = false;  // inside Drain(): the callback must not re-enter
  std::vector<std::vector<Item>> spares_;  // empty; at most kMergeSpareBatchesMax
};

// ---------------------------------------------------------------------------------------
// Implementation (a template: the drainer and the benchmarks instantiate different items).

template <MergeableItem Item>
uint32_t Merger<Item>::FindSlot(std::string_view node_id) const {
  auto it = std::lower_bound(sources_.begin(), sources_.end(), node_id,
                             [](const Source& s, std::string_view id) { return s.node_id < id; });
  if (it == sources_.end() || it->node_id != node_id) return kNoSlot;
  return static_cast<uint32_t>(it - sources_.begin());
}

template <MergeableItem Item>
Status Merger<Item>::AddSource(std::string_view node_id) {
  BINLOG_ASSERT(!draining_);
  auto it = std::lower_bound(sources_.begin(), sources_.end(), node_id,
                             [](const Source& s, std::string_view id) { return s.node_id < id; });
  if (it != sources_.end() && it->node_id == node_id) {
    return Status::InvalidArgument("merge source " + std::string(node_id) + " already exists");
  }
  Source source;
  source.node_id = std::string(node_id);
  sources_.insert(it, std::move(source));
  // Slots (ranks) shifted: rebuild the heap lazily at the next Drain.
  heap_built_ = false;
  return Status::Ok();
}

template <MergeableItem Item>
Result<size_t> Merger<Item>::RemoveSource(std::string_view node_id) {
  BINLOG_ASSERT(!draining_);
  uint32_t slot = FindSlot(node_id);
  if (slot == kNoSlot) {
    return Status::NotFound("merge source " + std::string(node_id) + " not found");
  }
  size_t discarded = sources_[slot].items;
  stats_.discarded_on_remove += static_cast<int64_t>(discarded);
  sources_.erase(sources_.begin() + slot);
  heap_built_ = false;
  return discarded;
}

template <MergeableItem Item>
std::vector<std::string> Merger<Item>::SourceIds() const {
  std::vector<std::string> ids;
  ids.reserve(sources_.size());
  for (const Source& s : sources_) ids.push_back(s.node_id);
  return ids;
}

template <MergeableItem Item>
std::vector<std::string> Merger<Item>::EmptySources() const {
  std::vector<std::string> ids;
  for (const Source& s : sources_) {
    if (s.items == 0) ids.push_back(s.node_id);
  }
  return ids;
}

template <MergeableItem Item>
typename Merger<Item>::Source* Merger<Item>::SourceForPush(std::string_view node_id,
                                                           Status& status) {
  BINLOG_ASSERT(!draining_);
  uint32_t slot = FindSlot(node_id);
  if (slot == kNoSlot) {
    status = Status::NotFound("merge source " + std::string(node_id) + " not found");
    return nullptr;
  }
  return &sources_[slot];
}

template <MergeableItem Item>
bool Merger<Item>::WithinBounds(const Source& source, size_t items, size_t bytes) const {
  // Written as room left so that SIZE_MAX bounds cannot overflow.
  const size_t items_room =
      limits_.items_per_source_max - std::min(source.items, limits_.items_per_source_max);
  const size_t bytes_room =
      limits_.bytes_per_source_max - std::min(source.bytes, limits_.bytes_per_source_max);
  return items <= items_room && bytes <= bytes_room;
}

template <MergeableItem Item>
template <typename It>
void Merger<Item>::Append(Source& source, It begin, It end, size_t bytes) {
  const size_t n = static_cast<size_t>(end - begin);
  if (n == 0) return;
  if (!source.chunks.empty() && source.chunks.back().size() + n <= kMergeAppendChunkItemsMax) {
    std::vector<Item>& items = source.chunks.back();
    // The back chunk may be the front one, whose cursor the insert can invalidate.
    const bool is_front = &items == &source.chunks.front();
    const size_t head = is_front ? static_cast<size_t>(source.next - items.data()) : 0;
    items.insert(items.end(), std::make_move_iterator(begin), std::make_move_iterator(end));
    if (is_front) SetCursor(source, head);
  } else {
    std::vector<Item> items = TakeSpareBatch();
    items.reserve(std::max(n, kMergeAppendChunkItemsMax));
    items.insert(items.end(), std::make_move_iterator(begin), std::make_move_iterator(end));
    const bool was_empty = source.chunks.empty();
    source.chunks.push_back(std::move(items));
    if (was_empty) SetCursor(source, 0);
  }
  source.items += n;
  source.bytes += bytes;
}

template <MergeableItem Item>
Status Merger<Item>::PushBatch(std::string_view node_id, std::vector<Item>&& batch) {
  Status status;
  Source* source = SourceForPush(node_id, status);
  if (source == nullptr) return status;
  if (batch.empty()) return Status::Ok();
  size_t bytes = 0;
  for (const Item& item : batch) bytes += MergeItemBytes(item);
  if (!Fits(*source, batch.size(), bytes)) {
    return Status::ResourceExhausted("merge buffer of source " + source->node_id + " is full");
  }
  source->items += batch.size();
  source->bytes += bytes;
  const bool was_empty = source->chunks.empty();
  source->chunks.push_back(std::move(batch));
  if (was_empty) SetCursor(*source, 0);
  batch.clear();  // a moved-from vector is valid but unspecified; leave it empty
  return Status::Ok();
}

template <MergeableItem Item>
std::vector<Item> Merger<Item>::TakeSpareBatch() {
  if (spares_.empty()) return {};
  std::vector<Item> spare = std::move(spares_.back());
  spares_.pop_back();
  return spare;
}

template <MergeableItem Item>
void Merger<Item>::Recycle(std::vector<Item>&& items) {
  if (spares_.size() >= kMergeSpareBatchesMax || items.capacity() > kMergeSpareBatchItemsMax) {
    return;  // freed with `items` by the caller
  }
  items.clear();
  spares_.push_back(std::move(items));
}

template <MergeableItem Item>
Status Merger<Item>::Push(std::string_view node_id, Item&& item) {
  Status status;
  Source* source = SourceForPush(node_id, status);
  if (source == nullptr) return status;
  const size_t bytes = MergeItemBytes(item);
  if (!Fits(*source, 1, bytes)) {
    return Status::ResourceExhausted("merge buffer of source " + source->node_id + " is full");
  }
  Append(*source, &item, &item + 1, bytes);
  return Status::Ok();
}

template <MergeableItem Item>
Result<size_t> Merger<Item>::PushSome(std::string_view node_id, std::span<Item> items) {
  Status status;
  Source* source = SourceForPush(node_id, status);
  if (source == nullptr) return status;
  // Count what fits first, then move it in one go. The first item always fits an empty
  // source (as in Push); the rest must keep the bounds.
  size_t taken = 0;
  size_t bytes = 0;
  while (taken < items.size()) {
    const size_t item_bytes = MergeItemBytes(items[taken]);
    const bool fits = (source->items == 0 && taken == 0) ||
                      WithinBounds(*source, taken + 1, bytes + item_bytes);
    if (!fits) break;
    ++taken;
    bytes += item_bytes;
  }
  Append(*source, items.begin(), items.begin() + static_cast<std::ptrdiff_t>(taken), bytes);
  return taken;
}

template <MergeableItem Item>
void Merger<Item>::BuildHeap() {
  heap_.clear();
  heap_.reserve(sources_.size());
  for (uint32_t slot = 0; slot < sources_.size(); ++slot) {
    heap_.push_back(Entry{HeadTs(sources_[slot]), slot});
  }
  // std::make_heap builds a max-heap: invert the order to get the smallest key on top.
  std::make_heap(heap_.begin(), heap_.end(),
                 [](const Entry& a, const Entry& b) { return Before(b, a); });
  heap_built_ = true;
  top_stale_ = false;
}

template <MergeableItem Item>
bool Merger<Item>::Ready() {
  if (sources_.empty()) return false;
  if (!heap_built_) {
    for (const Source& s : sources_) {
      if (s.items == 0) return false;
    }
    BuildHeap();
    return true;
  }
  // Only the top source is ever drained, so the others are non-empty by construction.
  Source& top = sources_[heap_[0].slot];
  if (top.items == 0) return false;
  if (top_stale_) {
    heap_[0].ts = HeadTs(top);
    SiftDownTop();
    top_stale_ = false;
  }
  return true;
}

template <MergeableItem Item>
void Merger<Item>::SiftDownTop() {
  const size_t n = heap_.size();
  const Entry moving = heap_[0];
  size_t hole = 0;
  for (;;) {
    size_t child = 2 * hole + 1;
    if (child >= n) break;
    if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], moving)) break;
    heap_[hole] = heap_[child];
    hole = child;
  }
  heap_[hole] = moving;
}

template <MergeableItem Item>
typename Merger<Item>::Entry Merger<Item>::RunnerUp() const {
  // The smaller child of the root; with one source there is none (an unbeatable key).
  Entry runner{std::numeric_limits<int64_t>::max(), kNoSlot};
  if (heap_.size() > 1) runner = heap_[1];
  if (heap_.size() > 2 && Before(heap_[2], runner)) runner = heap_[2];
  return runner;
}

template <MergeableItem Item>
[[gnu::always_inline]] inline typename Merger<Item>::Run Merger<Item>::FindRun(
    const Source& source, uint32_t slot, const Entry& runner, size_t room) const {
  // Sorting before the runner-up means ts < runner.ts, or ts == runner.ts from a smaller
  // slot, i.e. ts <= max_ts; being emitted needs ts > the latest emitted ts.
  Run run;
  run.last_ts = latest_ts_;
  const bool ties_win = slot < runner.slot;
  if (!ties_win && runner.ts == std::numeric_limits<int64_t>::min()) return run;
  const int64_t max_ts = ties_win ? runner.ts : runner.ts - 1;
  const Item* items = source.next;
  const size_t limit = std::min(room, static_cast<size_t>(source.end - source.next));
  size_t n = 0;
  size_t bytes = 0;
  int64_t last = latest_ts_;
  for (; n < limit; ++n) {
    const int64_t ts = items[n].commit_ts;
    if (ts <= last || ts > max_ts) break;
    last = ts;
    bytes += MergeItemBytes(items[n]);
  }
  run.length = n;
  run.bytes = bytes;
  run.last_ts = last;
  return run;
}

template <MergeableItem Item>
void Merger<Item>::Advance(Source& source, size_t n) {
  source.next += n;
  source.items -= n;
  if (source.next == source.end) {
    Recycle(source.chunks.pop_front());
    SetCursor(source, 0);
  }
}

template <MergeableItem Item>
void Merger<Item>::SetCursor(Source& source, size_t head) {
  if (source.chunks.empty()) {
    source.next = source.end = nullptr;
    return;
  }
  std::vector<Item>& items = source.chunks.front();
  source.next = items.data() + head;
  source.end = items.data() + items.size();
}

template <MergeableItem Item>
void Merger<Item>::DropHead(Source& source) {
  const Item& item = *source.next;
  BINLOG_ASSERT(item.commit_ts <= latest_ts_);
  if (item.commit_ts == latest_ts_) {
    ++stats_.duplicates;
  } else {
    ++stats_.disorder;
  }
  source.bytes -= MergeItemBytes(item);
  Advance(source, 1);
}

template <MergeableItem Item>
template <typename Fn>
size_t Merger<Item>::Drain(size_t max_items, Fn&& on_run) {
  DrainScope scope(draining_);
  size_t emitted = 0;
  while (emitted < max_items && Ready()) {
    Entry& top = heap_[0];
    Source& source = sources_[top.slot];
    const Entry runner = RunnerUp();
    // Hand out runs of the top source while its head sorts before the runner-up. A head at
    // or below the latest emitted ts ends a run and is dropped on its own.
    for (;;) {
      const Run run = FindRun(source, top.slot, runner, max_items - emitted);
      if (run.length == 0) {
        DropHead(source);
      } else {
        latest_ts_ = run.last_ts;
        stats_.emitted += static_cast<int64_t>(run.length);
        source.bytes -= run.bytes;
        on_run(std::span<Item>(source.next, run.length));
        emitted += run.length;
        Advance(source, run.length);
      }
      if (source.items == 0) {
        top_stale_ = true;  // stalled on this source until it is refilled
        return emitted;
      }
      top.ts = HeadTs(source);
      if (emitted == max_items || !Before(top, runner)) break;
    }
    SiftDownTop();
  }
  return emitted;
}

template <MergeableItem Item>
size_t Merger<Item>::Pop(std::vector<Item>& out, size_t max_items) {
  return Drain(max_items, [&out](std::span<Item> run) {
    out.insert(out.end(), std::make_move_iterator(run.begin()),
               std::make_move_iterator(run.end()));
  });
}

template <MergeableItem Item>
size_t Merger<Item>::buffered_items(std::string_view node_id) const {
  uint32_t slot = FindSlot(node_id);
  return slot == kNoSlot ? 0 : sources_[slot].items;
}

template <MergeableItem Item>
size_t Merger<Item>::buffered_bytes(std::string_view node_id) const {
  uint32_t slot = FindSlot(node_id);
  return slot == kNoSlot ? 0 : sources_[slot].bytes;
}

// The drainer's instantiation is compiled once, in merger.cc.
extern template class Merger<MergeItem>;

}  // namespace tidb_binlog
