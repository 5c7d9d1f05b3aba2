// EventQueue's goal is a deterministic agenda: events come out in (time, push order), the
// order the simulator's trace hash depends on. Method: push seeded random times (many ties),
// interleave pops with pushes as a run does, and compare every pop with a reference order
// kept by sorting.
#include "simulator/event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>
#include <vector>

#include "simulator/sim_random.h"

namespace tidb_binlog::sim {
namespace {

// Few distinct times, so that ties (ordered by push sequence) are common.
constexpr uint64_t kDistinctTimes = 50;

struct Expected {
  int64_t time_ms;
  uint64_t seq;
  uint64_t arg;
  bool operator<(const Expected& other) const {
    return std::tie(time_ms, seq) < std::tie(other.time_ms, other.seq);
  }
};

TEST(EventQueueTest, PopsInTimeThenPushOrder) {
  Prng rng = MakeStream(7, "event-queue-test");
  EventQueue queue;
  std::vector<Expected> pending;  // what the queue holds, kept sorted
  uint64_t next_arg = 0;
  auto push = [&](int64_t time_ms) {
    const uint64_t seq = queue.Push(time_ms, 1, 2, next_arg);
    pending.insert(std::upper_bound(pending.begin(), pending.end(),
                                    Expected{time_ms, seq, next_arg}),
                   Expected{time_ms, seq, next_arg});
    ++next_arg;
  };
  for (int i = 0; i < 1'000; ++i) push(static_cast<int64_t>(rng.Below(kDistinctTimes)));
  int64_t now = 0;
  while (!queue.empty()) {
    ASSERT_EQ(queue.size(), pending.size());
    const SimEvent event = queue.Pop();
    ASSERT_EQ(event.time_ms, pending.front().time_ms);
    ASSERT_EQ(event.seq, pending.front().seq);
    ASSERT_EQ(event.arg, pending.front().arg);
    EXPECT_EQ(event.kind, 1u);
    EXPECT_EQ(event.target, 2u);
    ASSERT_GE(event.time_ms, now);
    now = event.time_ms;
    pending.erase(pending.begin());
    // A handler schedules follow-ups, some at the current time (after what is queued there).
    if (next_arg < 3'000) {
      push(now);
      if (rng.Below(2) == 0) push(now + static_cast<int64_t>(rng.Below(kDistinctTimes)));
    }
  }
  EXPECT_TRUE(pending.empty());
}

}  // namespace
}  // namespace tidb_binlog::sim
