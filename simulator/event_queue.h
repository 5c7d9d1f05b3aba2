// EventQueue: the simulator's agenda, a binary min-heap of events ordered by
// (time, sequence number). The sequence number is assigned at Push, so events due at the same
// virtual millisecond run in the order they were scheduled: the order never depends on
// addresses, hashing or the heap's internal layout (DESIGN.md §3).
//
// An event is a small value (what happens, to whom, one integer argument); larger payloads
// (messages) live in tables owned by the simulation and are named by the argument.
//
// Thread safety: none; one owner (the single simulation thread).
#pragma once

#include <cstdint>
#include <vector>

#include "reference/core/assert.h"

namespace tidb_binlog::sim {

struct SimEvent {
  int64_t time_ms = 0;
  uint64_t seq = 0;
  uint32_t kind = 0;    // the simulation's event kind
  uint32_t target = 0;  // node or writer index
  uint64_t arg = 0;     // message id, timer generation, ...

  // Strict weak order for a min-heap: later (time, seq) compares "less".
  friend bool operator>(const SimEvent& a, const SimEvent& b) {
    return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.seq > b.seq;
  }
};

class EventQueue {
 public:
  // Schedules an event; returns its sequence number.
  uint64_t Push(int64_t time_ms, uint32_t kind, uint32_t target, uint64_t arg) {
    SimEvent event{time_ms, next_seq_++, kind, target, arg};
    heap_.push_back(event);
    SiftUp(heap_.size() - 1);
    return event.seq;
  }

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const SimEvent& top() const {
    BINLOG_ASSERT(!heap_.empty());
    return heap_.front();
  }

  SimEvent Pop() {
    BINLOG_ASSERT(!heap_.empty());
    SimEvent first = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(0);
    return first;
  }

 private:
  // Hand-written sift loops (rather than std::push_heap) move one hole instead of swapping,
  // which is what keeps the loop near a raw std::priority_queue's rate.
  void SiftUp(size_t index) {
    SimEvent moving = heap_[index];
    while (index > 0) {
      size_t parent = (index - 1) / 2;
      if (!(heap_[parent] > moving)) break;
      heap_[index] = heap_[parent];
      index = parent;
    }
    heap_[index] = moving;
  }
  void SiftDown(size_t index) {
    const size_t count = heap_.size();
    SimEvent moving = heap_[index];
    for (;;) {
      size_t child = 2 * index + 1;
      if (child >= count) break;
      if (child + 1 < count && heap_[child] > heap_[child + 1]) ++child;
      if (!(moving > heap_[child])) break;
      heap_[index] = heap_[child];
      index = child;
    }
    heap_[index] = moving;
  }

  std::vector<SimEvent> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace tidb_binlog::sim
