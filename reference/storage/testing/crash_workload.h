// The workload shared by crash_writer (the child that gets SIGKILLed) and
// binlog_store_crash_test (the parent that checks what survived): deterministic payloads
// derived from the ts, and the line protocol on the child's stdout.
//
// Lines (one write(2) each, so a line is either wholly there or absent after a kill):
//   "I P <start> <commit>"  about to write the Prewrite of a transaction that will commit at
//                           <commit> (written before the Write call: an intent)
//   "I F <ts> <ts>"         about to write a fake binlog (it may become MaxCommitTS even if
//                           the kill lands before its "A" line)
//   "A P|C|R|F <start> <commit>"  that binlog's Write returned OK (acknowledged)
//   "READY"                 resolution of the previous round's open transactions is done
#pragma once

#include <cstdint>
#include <string>

#include "reference/core/proto/binlog.pb.h"

namespace tidb_binlog::crash_workload {

// Keys of one (thread, iteration) slot: start = base, commit = base + 2, fake = base + 3.
inline constexpr int64_t kSlotWidth = 4;
// Longest generated prewrite value.
inline constexpr uint64_t kPayloadBytesMax = 1500;

inline std::string PrewriteValueFor(int64_t start_ts) {
  uint64_t size = 1 + (static_cast<uint64_t>(start_ts) * 2654435761u) % kPayloadBytesMax;
  std::string value(size, '\0');
  for (uint64_t j = 0; j < size; ++j) value[j] = static_cast<char>((start_ts + j * 7) & 0xff);
  return value;
}

inline binlog::Binlog MakeBinlog(char kind, int64_t start_ts, int64_t commit_ts) {
  binlog::Binlog b;
  b.set_start_ts(start_ts);
  switch (kind) {
    case 'P':
      b.set_tp(binlog::Prewrite);
      b.set_commit_ts(0);
      b.set_prewrite_key(std::string(1, 'k').append(std::to_string(start_ts)));
      b.set_prewrite_value(PrewriteValueFor(start_ts));
      break;
    case 'C':
      b.set_tp(binlog::Commit);
      b.set_commit_ts(commit_ts);
      b.set_prewrite_key(std::string(1, 'k').append(std::to_string(start_ts)));
      break;
    default:  // 'R' rollback, 'F' fake (start == commit)
      b.set_tp(binlog::Rollback);
      b.set_commit_ts(commit_ts);
      break;
  }
  return b;
}

}  // namespace tidb_binlog::crash_workload
