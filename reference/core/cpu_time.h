// CPU time of the calling thread or of the whole process, for reports around the work, not
// inside it: the store's GC round report and the benchmarks' figures (on a shared 2-core
// machine wall time mostly says who else was scheduled, so CPU-bound sides are compared by
// CPU time). Node logic never reads clocks (DESIGN.md §3).
//
// Header-only: the benchmark executables link different libraries.
// Thread safety: pure reads of the calling thread's / process's clocks.
#pragma once

#include <time.h>

namespace tidb_binlog {

// The clock's reading in seconds; 0 if it cannot be read.
inline double CpuClockSeconds(clockid_t clock) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU time of the calling thread (user + system), seconds.
inline double ThreadCpuSeconds() { return CpuClockSeconds(CLOCK_THREAD_CPUTIME_ID); }

// CPU time of the whole process (every thread), seconds.
inline double ProcessCpuSeconds() { return CpuClockSeconds(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace tidb_binlog
