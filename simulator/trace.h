// Trace: the simulation's event log and its stable hash.
//
// Every event the simulation executes is recorded as (time, kind, subject, a, b): kind is a
// TraceKind, subject a node or writer index, a/b two integers (a ts, a status code, ...).
// The hash is FNV-1a 64 taken word-wise over those five fields packed into four 64-bit
// integers (time, kind | subject << 32, a, b): pure integer arithmetic, so it is the same on
// every platform, compiler and run (never std::hash). Two runs with the same
// seed and options must give the same hash; when they do not, the first differing event
// (kept when `keep_events` is on) says where they split.
//
// Optionally each event is written as one JSON line to a stream (`--trace FILE`).
//
// Thread safety: none; one owner (the simulation thread).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tidb_binlog::sim {

enum class TraceKind : uint32_t {
  kWriteDelivered,    // a: start ts, b: binlog type; subject pump
  kWriteAcked,        // a: start ts, b: status code; subject writer
  kWriterTimeout,     // a: start ts; subject writer
  kTxnCommitted,      // a: start ts, b: commit ts; subject writer
  kTxnRolledBack,     // a: start ts; subject writer
  kPumpTimer,         // a: local now, b: MaxCommitTS; subject pump
  kDrainerTimer,      // a: local now, b: checkpoint ts; subject drainer
  kPullDelivered,     // a: after ts; subject pump
  kPullAnswered,      // a: binlogs, b: status code; subject drainer
  kMessageLost,       // a: from, b: to
  kMessageDuplicated, // a: from, b: to
  kCrash,             // subject: node endpoint
  kRestart,           // subject: node endpoint, b: status code
  kHttpAction,        // a: action (0 pause, 1 close, 2 gc), b: accepted; subject endpoint
  kPartition,         // a: from, b: to (one way)
  kHeal,
  kClockJump,         // a: offset ms; subject endpoint
  kStorageFault,      // a: fault kind, b: amount; subject pump
  kNodeState,         // a: old state, b: new state; subject endpoint
  kEmitted,           // a: commit ts, b: count so far; subject drainer
  kPhase,             // a: phase number
  kEndpointCheck,     // subject: endpoint
  kNotify,            // a: pump endpoint, b: status code; subject drainer
  kCount
};

const char* TraceKindName(TraceKind kind);

struct TraceEvent {
  int64_t time_ms = 0;
  TraceKind kind = TraceKind::kPhase;
  uint32_t subject = 0;
  int64_t a = 0;
  int64_t b = 0;

  bool operator==(const TraceEvent&) const = default;
  std::string ToString() const;
};

class Trace {
 public:
  // `json_out` (may be null) receives one JSON line per event; `keep_events` keeps them in
  // memory for divergence reports.
  Trace(std::ostream* json_out, bool keep_events);

  void Record(int64_t time_ms, TraceKind kind, uint32_t subject, int64_t a, int64_t b);

  uint64_t hash() const { return hash_; }
  // 16 lower-case hex digits.
  std::string HashHex() const;
  uint64_t event_count() const { return event_count_; }
  const std::vector<TraceEvent>& events() const { return events_; }

 private:
  std::ostream* json_out_;
  bool keep_events_;
  uint64_t hash_;
  uint64_t event_count_ = 0;
  std::vector<TraceEvent> events_;
};

// The index of the first event where two kept traces differ (or where the shorter ends);
// nullopt when they are equal.
std::optional<size_t> FirstDivergence(const std::vector<TraceEvent>& a,
                                      const std::vector<TraceEvent>& b);

}  // namespace tidb_binlog::sim
