// CPU time for the benchmarks' figures: on this shared 2-core machine wall time mostly says
// who else was scheduled, so CPU-bound sides are compared by CPU time.
//
// Header-only: the benchmark executables link different libraries and share no other
// support code. Thread safety: pure reads of the calling thread's / process's clocks.
#pragma once

#include <time.h>

namespace tidb_binlog::bench {

inline double CpuClockSeconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU time of the calling thread, seconds.
inline double ThreadCpuSeconds() { return CpuClockSeconds(CLOCK_THREAD_CPUTIME_ID); }

// CPU time of the whole process (every thread), seconds.
inline double ProcessCpuSeconds() { return CpuClockSeconds(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace tidb_binlog::bench
