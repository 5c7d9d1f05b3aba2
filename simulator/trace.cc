#include "simulator/trace.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "simulator/sim_random.h"

namespace tidb_binlog::sim {
namespace {

constexpr std::array<const char*, static_cast<size_t>(TraceKind::kCount)> kKindNames = {
    "write_delivered", "write_acked",    "writer_timeout",  "txn_committed",
    "txn_rolled_back", "pump_timer",     "drainer_timer",   "pull_delivered",
    "pull_answered",   "message_lost",   "message_dup",     "crash",
    "restart",         "http_action",    "partition",       "heal",
    "clock_jump",      "storage_fault",  "node_state",      "emitted",
    "phase",           "endpoint_check", "notify",
};

}  // namespace

const char* TraceKindName(TraceKind kind) {
  size_t index = static_cast<size_t>(kind);
  return index < kKindNames.size() ? kKindNames[index] : "unknown";
}

std::string TraceEvent::ToString() const {
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer),
                "{\"t\":%lld,\"kind\":\"%s\",\"subject\":%u,\"a\":%lld,\"b\":%lld}",
                static_cast<long long>(time_ms), TraceKindName(kind), subject,
                static_cast<long long>(a), static_cast<long long>(b));
  return buffer;
}

Trace::Trace(std::ostream* json_out, bool keep_events)
    : json_out_(json_out), keep_events_(keep_events), hash_(kFnvOffsetBasis) {}

void Trace::Record(int64_t time_ms, TraceKind kind, uint32_t subject, int64_t a, int64_t b) {
  // FNV-1a over the five fields as four 64-bit words (word-wise rather than byte-wise: the
  // hash runs once per event, and byte-wise it was a visible share of a run).
  const uint64_t words[4] = {static_cast<uint64_t>(time_ms),
                             static_cast<uint64_t>(kind) | (uint64_t{subject} << 32),
                             static_cast<uint64_t>(a), static_cast<uint64_t>(b)};
  for (uint64_t word : words) {
    hash_ ^= word;
    hash_ *= kFnvPrime;
  }
  ++event_count_;
  TraceEvent event{time_ms, kind, subject, a, b};
  if (json_out_ != nullptr) *json_out_ << event.ToString() << '\n';
  if (keep_events_) events_.push_back(event);
}

std::string Trace::HashHex() const {
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(hash_));
  return buffer;
}

std::optional<size_t> FirstDivergence(const std::vector<TraceEvent>& a,
                                      const std::vector<TraceEvent>& b) {
  size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    if (!(a[i] == b[i])) return i;
  }
  if (a.size() != b.size()) return common;
  return std::nullopt;
}

}  // namespace tidb_binlog::sim
