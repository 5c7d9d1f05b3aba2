// Planted bugs: realistic defects that test builds can switch on, so that the simulator's
// swarm can show it catches them (issue 4 §5, SIMULATION.md G9).
//
// A hook in node code reads `if (BINLOG_PLANTED_BUG(kSomeBug)) { ...wrong behaviour... }`.
// In normal builds BINLOG_PLANTED_BUGS is not defined and the macro is the constant `false`,
// so the hook compiles to nothing. Only the simulator's test targets
// (binlog_simulator_planted, binlog-sim-planted, planted_bugs_test) compile the node sources
// again with BINLOG_PLANTED_BUGS defined; there, SetActiveBug() selects at run time which
// one bug (or none) is live.
//
// Thread safety: the selection is one process-wide atomic; a process runs simulations of
// one planted bug at a time (the swarm runner's jobs all share it).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#if defined(BINLOG_PLANTED_BUGS)
#include <atomic>
#endif

namespace tidb_binlog::planted {

enum class Bug : uint32_t {
  kMergeOutOfOrder,         // drainer: two merged binlogs reach the destination swapped
  kCheckpointBeforeWrite,   // drainer: the checkpoint is saved before the destination write
  kAckBeforeDurable,        // pump store: a write is acknowledged before it is synced
  kGcIgnoresMargin,         // pump store: GC deletes up to gc_ts, not gc_ts - 10 min
  kCloseSkipsDrainerWait,   // pump: close goes offline without waiting for the drainers
  kPausedPublishedOnline,   // pump: the final record of a paused pump says `online`
  kMaxCommitPastUnmatched,  // pump store: MaxCommitTS passes a Prewrite still unmatched
  kPullSkipsFirst,          // pump store: a pull skips the first binlog after its ts
  kCount
};

inline constexpr std::array<std::string_view, static_cast<size_t>(Bug::kCount)> kBugNames = {
    "merge-out-of-order",   "checkpoint-before-write",  "ack-before-durable",
    "gc-ignores-margin",    "close-skips-drainer-wait", "paused-published-online",
    "max-commit-past-unmatched", "pull-skips-first",
};

inline std::string_view BugName(Bug bug) { return kBugNames[static_cast<size_t>(bug)]; }

inline std::optional<Bug> BugFromName(std::string_view name) {
  for (size_t i = 0; i < kBugNames.size(); ++i) {
    if (kBugNames[i] == name) return static_cast<Bug>(i);
  }
  return std::nullopt;
}

#if defined(BINLOG_PLANTED_BUGS)

// The live bug, kCount for none.
inline std::atomic<uint32_t> g_active_bug{static_cast<uint32_t>(Bug::kCount)};

inline void SetActiveBug(std::optional<Bug> bug) {
  g_active_bug.store(static_cast<uint32_t>(bug.value_or(Bug::kCount)),
                     std::memory_order_relaxed);
}
inline bool IsActive(Bug bug) {
  return g_active_bug.load(std::memory_order_relaxed) == static_cast<uint32_t>(bug);
}

#define BINLOG_PLANTED_BUG(name) \
  (::tidb_binlog::planted::IsActive(::tidb_binlog::planted::Bug::name))

#else

#define BINLOG_PLANTED_BUG(name) false

#endif

}  // namespace tidb_binlog::planted
