// Goal: the driver's clock and TSO source keep the promises nodes rely on (time never goes
// back, TSOs strictly increase across threads and carry the current time). Method: call
// them many times, from several threads for the TSOs, and compare with the system clock.
#include "reference/runtime/wall_clock.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace tidb_binlog {
namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(WallClockTest, NeverGoesBackwardsAndTracksTheSystemClock) {
  WallClock clock;
  const int64_t before = SystemNowMs();
  int64_t previous = clock.NowMs();
  EXPECT_GE(previous, before);
  for (int i = 0; i < 10'000; ++i) {
    const int64_t now = clock.NowMs();
    EXPECT_GE(now, previous);
    previous = now;
  }
  EXPECT_LE(previous, SystemNowMs());
}

TEST(SystemTsoSourceTest, StrictlyIncreasingAcrossThreadsAndAboveTheFloor) {
  WallClock clock;
  const int64_t floor = ComposeTs(SystemNowMs() + 60'000, 5);  // a floor in the future
  SystemTsoSource tso(clock, floor);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5'000;
  std::vector<std::vector<int64_t>> taken(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&tso, &taken, t] {
      for (int i = 0; i < kPerThread; ++i) taken[t].push_back(*tso.GetTs());
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<int64_t> all;
  for (const auto& part : taken) {
    EXPECT_TRUE(std::is_sorted(part.begin(), part.end()));
    all.insert(all.end(), part.begin(), part.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a TSO was handed out twice";
  EXPECT_GT(all.front(), floor);
}

TEST(SystemTsoSourceTest, PhysicalPartIsTheCurrentTime) {
  WallClock clock;
  SystemTsoSource tso(clock);
  const int64_t before = SystemNowMs();
  const int64_t ts = *tso.GetTs();
  EXPECT_GE(ExtractPhysical(ts), before);
  EXPECT_LE(ExtractPhysical(ts), SystemNowMs());
}

}  // namespace
}  // namespace tidb_binlog
