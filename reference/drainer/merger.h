// Merger: the drainer's k-way merge of per-pump binlog streams by commit_ts (UPSTREAM.md §8.2).
//
// Each tracked pump is a *source*, named by its node id. Its puller hands pulled items to
// Push(); Pop() moves the merged stream out. The contract is upstream's:
//  - Items are emitted only while every source has at least one item buffered: a source with
//    nothing buffered (a paused, slow or unreachable pump) stalls the whole merge, because
//    it might still send a smaller commit_ts (UPSTREAM.md §11 #14, intended).
//  - The emitted stream is strictly increasing in commit_ts. The latest emitted ts starts at
//    the checkpoint ts. An item whose commit_ts equals the latest emitted ts is dropped as a
//    duplicate; one below it is dropped as disorder. Both are counted (MergerStats).
//  - Among sources, the head item with the smallest (commit_ts, node id) goes first, so the
//    result depends only on the items and node ids (never on pointers or arrival order).
// Upstream holds one item per source; we buffer up to MergerLimits per source (by count
// AND bytes, so a fast pump cannot make the drainer run out of memory), which emits exactly
// the same sequence: each buffer's head plays the role of upstream's one held item.
//
// Algorithm: a binary min-heap of (head commit_ts, source rank) with replace-top, emitting a
// run from the top source while its next item still sorts before the runner-up
// (PERFORMANCE.md §5b: 5x a plain heap when pumps produce runs). Buffers are ring buffers
// that only allocate while growing to their limit.
//
// Not for: pulling, decoding, or deciding when a pump's source may be removed (the drainer
// node does that). Sans-I/O.
// Thread safety: none; one owner (the drainer node, serialised by its driver).
#pragma once

#include <algorithm>
#include <concepts>
#include <iterator>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "reference/core/assert.h"
#include "reference/core/status.h"

namespace tidb_binlog {

// Per-source buffer bounds. Upstream holds 1 item per source behind an unbuffered channel;
// a few thousand lets a puller receive a whole batch without waiting for the merge.
inline constexpr size_t kMergeBufferedItemsPerSourceMax = 4096;
// 64 MiB per pump keeps k pumps' worth of large transactions well below a drainer's memory.
inline constexpr size_t kMergeBufferedBytesPerSourceMax = size_t{64} << 20;
// First allocation of a source's ring buffer (it doubles up to the item limit).
inline constexpr size_t kMergeRingInitialCapacityItems = 16;

// What the merger needs from an item: a commit ts member and an ADL-visible size in bytes
// (for the byte bound). Items must be default-constructible and movable.
template <typename Item>
concept MergeableItem = std::default_initializable<Item> && std::movable<Item> &&
                        requires(const Item& item) {
                          { item.commit_ts } -> std::convertible_to<int64_t>;
                          { MergeItemBytes(item) } -> std::convertible_to<size_t>;
                        };

// The drainer's item: a binlog as pulled (marshalled tipb Binlog) with its commit ts, so
// only emitted items need decoding.
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

// FIFO of items over a power-of-two ring; grows by doubling, never shrinks. Bulk appends
// and removals move contiguous segments (memcpy for trivially copyable items).
template <typename Item>
class Ring {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  Item& front() { return slots_[head_]; }
  const Item& front() const { return slots_[head_]; }
  const Item& at(size_t i) const { return slots_[(head_ + i) & (slots_.size() - 1)]; }

  void push_back(Item&& item) {
    Reserve(size_ + 1);
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(item);
    ++size_;
  }
  // Moves all of `items` to the back.
  void append(std::span<Item> items) {
    Reserve(size_ + items.size());
    const size_t tail = (head_ + size_) & (slots_.size() - 1);
    const size_t first = std::min(items.size(), slots_.size() - tail);
    std::move(items.begin(), items.begin() + first, slots_.begin() + tail);
    std::move(items.begin() + first, items.end(), slots_.begin());
    size_ += items.size();
  }
  // Moves the front item out.
  Item take_front() {
    Item item = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return item;
  }
  // The items from the front up to the end of the storage (or of the items): the first of
  // at most two contiguous segments.
  std::span<const Item> front_segment() const {
    if (size_ == 0) return {};
    return {slots_.data() + head_, std::min(size_, slots_.size() - head_)};
  }
  // Moves the first `n` items to the end of `out`.
  void move_front_to(size_t n, std::vector<Item>& out) {
    const size_t first = std::min(n, slots_.size() - head_);
    MoveRange(slots_.data() + head_, first, out);
    MoveRange(slots_.data(), n - first, out);
    head_ = (head_ + n) & (slots_.size() - 1);
    size_ -= n;
  }

 private:
  void Reserve(size_t needed) {
    if (needed <= slots_.size()) return;
    size_t capacity = std::max(kMergeRingInitialCapacityItems, slots_.size());
    while (capacity < needed) capacity *= 2;
    std::vector<Item> bigger(capacity);
    for (size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }

  static void MoveRange(Item* begin, size_t n, std::vector<Item>& out) {
    if constexpr (std::is_trivially_copyable_v<Item>) {
      out.insert(out.end(), begin, begin + n);  // one memmove
    } else {
      out.insert(out.end(), std::make_move_iterator(begin), std::make_move_iterator(begin + n));
    }
  }

  std::vector<Item> slots_;  // size is a power of two (or 0)
  size_t head_ = 0;
  size_t size_ = 0;
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

  // Buffers `item` for `node_id`. kResourceExhausted when the source's buffer is at its
  // count or byte bound (a source with nothing buffered always takes one item, however
  // large); kNotFound for an unknown source. `item` is moved from only on success.
  Status Push(std::string_view node_id, Item&& item);
  // Buffers a prefix of `items` (moved from) up to the source's bounds; returns how many
  // were taken (0 when full). kNotFound for an unknown source.
  Result<size_t> PushSome(std::string_view node_id, std::span<Item> items);

  // Appends up to `max_items` merged items to `out` and returns how many. Stops early when
  // some source has nothing buffered (the merge is stalled) or there are no sources.
  size_t Pop(std::vector<Item>& out, size_t max_items);

  int64_t latest_ts() const { return latest_ts_; }
  const MergerStats& stats() const { return stats_; }
  size_t buffered_items(std::string_view node_id) const;
  size_t buffered_bytes(std::string_view node_id) const;

 private:
  static constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

  struct Source {
    std::string node_id;
    merger_internal::Ring<Item> items;
    size_t bytes = 0;
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

  uint32_t FindSlot(std::string_view node_id) const;
  bool HasRoom(const Source& source, size_t item_bytes) const;
  void Buffer(Source& source, Item&& item);
  Item TakeHead(Source& source);
  // True when the heap holds every source and the top source has an item.
  bool Ready();
  void BuildHeap();
  void SiftDownTop();
  void Offer(Item&& item, std::vector<Item>& out);
  Entry RunnerUp() const;
  // Moves the longest prefix of `source` (at most `room` items) that is strictly increasing,
  // above the latest emitted ts and sorts before `runner` to `out`; returns its length.
  size_t EmitRun(Source& source, uint32_t slot, const Entry& runner, size_t room,
                 std::vector<Item>& out);

  MergerLimits limits_;
  int64_t latest_ts_;
  MergerStats stats_;
  std::vector<Source> sources_;  // sorted by node_id; index = slot
  std::vector<Entry> heap_;      // valid only while heap_built_
  bool heap_built_ = false;
  // The top source ran empty: its cached key is stale until it is refilled and sifted.
  bool top_stale_ = false;
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
  auto it = std::lower_bound(sources_.begin(), sources_.end(), node_id,
                             [](const Source& s, std::string_view id) { return s.node_id < id; });
  if (it != sources_.end() && it->node_id == node_id) {
    return Status::InvalidArgument("merge source " + std::string(node_id) + " already exists");
  }
  Source source;
  source.node_id = std::string(node_id);
  sources_.insert(it, std::move(source));
  // Slots (ranks) shifted: rebuild the heap lazily at the next Pop.
  heap_built_ = false;
  return Status::Ok();
}

template <MergeableItem Item>
Result<size_t> Merger<Item>::RemoveSource(std::string_view node_id) {
  uint32_t slot = FindSlot(node_id);
  if (slot == kNoSlot) {
    return Status::NotFound("merge source " + std::string(node_id) + " not found");
  }
  size_t discarded = sources_[slot].items.size();
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
    if (s.items.empty()) ids.push_back(s.node_id);
  }
  return ids;
}

template <MergeableItem Item>
bool Merger<Item>::HasRoom(const Source& source, size_t item_bytes) const {
  if (source.items.empty()) return true;
  return source.items.size() < limits_.items_per_source_max &&
         source.bytes + item_bytes <= limits_.bytes_per_source_max;
}

template <MergeableItem Item>
void Merger<Item>::Buffer(Source& source, Item&& item) {
  source.bytes += MergeItemBytes(item);
  source.items.push_back(std::move(item));
}

template <MergeableItem Item>
Item Merger<Item>::TakeHead(Source& source) {
  Item item = source.items.take_front();
  source.bytes -= MergeItemBytes(item);
  return item;
}

template <MergeableItem Item>
Status Merger<Item>::Push(std::string_view node_id, Item&& item) {
  uint32_t slot = FindSlot(node_id);
  if (slot == kNoSlot) {
    return Status::NotFound("merge source " + std::string(node_id) + " not found");
  }
  Source& source = sources_[slot];
  if (!HasRoom(source, MergeItemBytes(item))) {
    return Status::ResourceExhausted("merge buffer of source " + source.node_id + " is full");
  }
  Buffer(source, std::move(item));
  return Status::Ok();
}

template <MergeableItem Item>
Result<size_t> Merger<Item>::PushSome(std::string_view node_id, std::span<Item> items) {
  uint32_t slot = FindSlot(node_id);
  if (slot == kNoSlot) {
    return Status::NotFound("merge source " + std::string(node_id) + " not found");
  }
  Source& source = sources_[slot];
  // Count what fits first, then move it in one go.
  size_t count = source.items.size();
  size_t bytes = source.bytes;
  size_t taken = 0;
  while (taken < items.size()) {
    const size_t item_bytes = MergeItemBytes(items[taken]);
    const bool fits = count == 0 || (count < limits_.items_per_source_max &&
                                     bytes + item_bytes <= limits_.bytes_per_source_max);
    if (!fits) break;
    ++count;
    bytes += item_bytes;
    ++taken;
  }
  source.items.append(items.first(taken));
  source.bytes = bytes;
  return taken;
}

template <MergeableItem Item>
void Merger<Item>::BuildHeap() {
  heap_.clear();
  heap_.reserve(sources_.size());
  for (uint32_t slot = 0; slot < sources_.size(); ++slot) {
    heap_.push_back(Entry{sources_[slot].items.front().commit_ts, slot});
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
      if (s.items.empty()) return false;
    }
    BuildHeap();
    return true;
  }
  // Only the top source is ever drained, so the others are non-empty by construction.
  Source& top = sources_[heap_[0].slot];
  if (top.items.empty()) return false;
  if (top_stale_) {
    heap_[0].ts = top.items.front().commit_ts;
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
void Merger<Item>::Offer(Item&& item, std::vector<Item>& out) {
  const int64_t ts = item.commit_ts;
  if (ts > latest_ts_) {
    latest_ts_ = ts;
    ++stats_.emitted;
    out.push_back(std::move(item));
  } else if (ts == latest_ts_) {
    ++stats_.duplicates;
  } else {
    ++stats_.disorder;
  }
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
size_t Merger<Item>::EmitRun(Source& source, uint32_t slot, const Entry& runner, size_t room,
                             std::vector<Item>& out) {
  // Sorting before the runner-up means ts < runner.ts, or ts == runner.ts from a smaller
  // slot; being emitted needs ts > the latest emitted ts (strictly increasing).
  const bool ties_win = slot < runner.slot;
  auto qualifies = [&](int64_t ts, int64_t last) {
    return ts > last && (ts < runner.ts || (ties_win && ts == runner.ts));
  };
  const size_t limit = std::min(room, source.items.size());
  int64_t last = latest_ts_;
  size_t bytes = 0;
  size_t n = 0;
  // Scan the contiguous first segment, then (if the run reaches its end) the rest.
  std::span<const Item> segment = source.items.front_segment();
  const size_t first_limit = std::min(limit, segment.size());
  for (; n < first_limit && qualifies(segment[n].commit_ts, last); ++n) {
    last = segment[n].commit_ts;
    bytes += MergeItemBytes(segment[n]);
  }
  if (n == first_limit) {
    for (; n < limit && qualifies(source.items.at(n).commit_ts, last); ++n) {
      last = source.items.at(n).commit_ts;
      bytes += MergeItemBytes(source.items.at(n));
    }
  }
  if (n == 0) return 0;
  source.items.move_front_to(n, out);
  source.bytes -= bytes;
  latest_ts_ = last;
  stats_.emitted += static_cast<int64_t>(n);
  return n;
}

template <MergeableItem Item>
size_t Merger<Item>::Pop(std::vector<Item>& out, size_t max_items) {
  const size_t start = out.size();
  // Counted from `start` (not as start + max_items, which overflows for SIZE_MAX).
  auto room = [&] { return max_items - (out.size() - start); };
  while (room() > 0 && Ready()) {
    Entry& top = heap_[0];
    Source& source = sources_[top.slot];
    const Entry runner = RunnerUp();
    // Emit runs of the top source while its head sorts before the runner-up. A head at or
    // below the latest emitted ts ends a run and is dropped on its own.
    for (;;) {
      if (EmitRun(source, top.slot, runner, room(), out) == 0) Offer(TakeHead(source), out);
      if (source.items.empty()) {
        top_stale_ = true;  // stalled on this source until it is refilled
        return out.size() - start;
      }
      top.ts = source.items.front().commit_ts;
      if (room() == 0 || !Before(top, runner)) break;
    }
    SiftDownTop();
  }
  return out.size() - start;
}

template <MergeableItem Item>
size_t Merger<Item>::buffered_items(std::string_view node_id) const {
  uint32_t slot = FindSlot(node_id);
  return slot == kNoSlot ? 0 : sources_[slot].items.size();
}

template <MergeableItem Item>
size_t Merger<Item>::buffered_bytes(std::string_view node_id) const {
  uint32_t slot = FindSlot(node_id);
  return slot == kNoSlot ? 0 : sources_[slot].bytes;
}

// The drainer's instantiation is compiled once, in merger.cc.
extern template class Merger<MergeItem>;

}  // namespace tidb_binlog
