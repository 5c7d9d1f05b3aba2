// SimNetwork: the simulated network between endpoints (pumps, drainers, writers), deciding
// for each message whether it is lost, duplicated, delayed or held back, and which links
// are cut.
//
// Each directed link gets its own delay ceiling, drawn once (lazily, in first-use order,
// which is deterministic) within the profile's range, so some links are slower than others.
// The ceilings live in a flat endpoints x endpoints table (one lookup per message; a tree
// keyed by the pair was a visible share of a run): 4 bytes a link, 5 MiB for the 1,132
// endpoints of a 1,000-pump cluster.
// Per message: lost with loss_ppm; otherwise delivered after a delay uniform in
// [delay_min, link ceiling], plus up to kReorderExtraDelayMs with reorder_ppm (so messages
// overtake each other); duplicated with duplicate_ppm (the copy gets its own delay). A cut
// link (one-way partition) drops everything sent on it; a two-way partition is two cuts.
// SetFaultsEnabled(false) (the liveness phase) turns loss, duplication, reordering and new
// cuts off; HealAll() removes the cuts.
//
// Thread safety: none; one owner (the simulation thread).
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "simulator/sim_config.h"
#include "simulator/sim_random.h"

namespace tidb_binlog::sim {

// How long a reordered message may be held back beyond its normal delay.
inline constexpr int64_t kReorderExtraDelayMs = 200;

// Where a message goes: up to two copies, each with its delay.
struct Delivery {
  int copies = 0;  // 0: lost or cut
  int64_t delay_ms[2] = {0, 0};
  bool cut = false;
};

class SimNetwork {
 public:
  // Endpoints are numbered [0, endpoints).
  SimNetwork(Prng rng, const FaultProfile& profile, uint32_t endpoints);

  // `may_duplicate` false: at most one copy (see the simulation's note on writes).
  Delivery Send(uint32_t from, uint32_t to, bool may_duplicate = true);

  void Cut(uint32_t from, uint32_t to) { cuts_.insert({from, to}); }
  void HealAll() { cuts_.clear(); }
  bool IsCut(uint32_t from, uint32_t to) const {
    return !cuts_.empty() && cuts_.count({from, to}) != 0;
  }
  size_t cut_count() const { return cuts_.size(); }
  void SetFaultsEnabled(bool enabled) { faults_enabled_ = enabled; }

 private:
  int64_t LinkDelayMaxMs(uint32_t from, uint32_t to);
  int64_t SampleDelayMs(int64_t link_max_ms);

  Prng rng_;
  FaultProfile profile_;
  bool faults_enabled_ = true;
  uint32_t endpoints_;
  std::set<std::pair<uint32_t, uint32_t>> cuts_;
  // Delay ceiling of link from -> to at [from * endpoints_ + to]; kLinkDelayUnset until drawn.
  std::vector<int32_t> link_delay_max_ms_;
};

}  // namespace tidb_binlog::sim
