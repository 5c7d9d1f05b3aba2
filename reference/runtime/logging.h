// ConfigureLogging: console logging for the reference executables with spdlog, in the shape
// of upstream's pingcap/log text format (UPSTREAM.md §9):
//   [2019/04/28 09:29:59.016 +00:00] [INFO] ["register success, NodeID host:8250"]
// Upstream also prints the source file and line and logs fields as [key=value]; our log calls
// carry neither, so the message stands alone in its brackets.
//
// Thread safety: call once at start-up, before other threads log.
#pragma once

#include <string_view>

#include "reference/core/status.h"

namespace tidb_binlog {

// `level` is upstream's -L value: debug, info, warn, error or fatal (fatal maps to spdlog's
// critical). kInvalidArgument for anything else.
Status ConfigureLogging(std::string_view level);

}  // namespace tidb_binlog
