// What the simulator's command line and its benchmark report about their own process. Not
// used by a simulated run (nothing inside a run reads the host), only around it.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace tidb_binlog::sim {

// Peak resident memory of this process (VmHWM in /proc/self/status), KiB; 0 if unknown.
inline int64_t PeakRssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

}  // namespace tidb_binlog::sim
