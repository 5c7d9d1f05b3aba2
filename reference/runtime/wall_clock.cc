#include "reference/runtime/wall_clock.h"

#include <chrono>

namespace tidb_binlog {

int64_t WallClock::NowMs() {
  const int64_t system_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  int64_t last = last_ms_.load(std::memory_order_relaxed);
  while (system_ms > last &&
         !last_ms_.compare_exchange_weak(last, system_ms, std::memory_order_relaxed)) {
  }
  return system_ms > last ? system_ms : last;
}

SystemTsoSource::SystemTsoSource(WallClock& clock, int64_t floor_ts)
    : clock_(clock), oracle_(floor_ts) {}

Result<int64_t> SystemTsoSource::GetTs() {
  const int64_t now_ms = clock_.NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  return oracle_.Next(now_ms);
}

}  // namespace tidb_binlog
