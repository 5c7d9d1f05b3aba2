#include "simulator/network.h"

#include <climits>

#include "reference/core/assert.h"

namespace tidb_binlog::sim {

namespace {

// A link whose delay ceiling was not drawn yet (a drawn ceiling is never negative).
constexpr int32_t kLinkDelayUnset = -1;

}  // namespace

SimNetwork::SimNetwork(Prng rng, const FaultProfile& profile, uint32_t endpoints)
    : rng_(rng),
      profile_(profile),
      endpoints_(endpoints),
      link_delay_max_ms_(size_t{endpoints} * endpoints, kLinkDelayUnset) {
  // Ceilings are stored in 32 bits.
  BINLOG_ASSERT(profile_.delay_min_ms >= 0 && profile_.delay_max_ms <= INT32_MAX);
}

int64_t SimNetwork::LinkDelayMaxMs(uint32_t from, uint32_t to) {
  BINLOG_ASSERT(from < endpoints_ && to < endpoints_);
  int32_t& ceiling = link_delay_max_ms_[size_t{from} * endpoints_ + to];
  if (ceiling == kLinkDelayUnset) {
    ceiling = static_cast<int32_t>(rng_.Between(profile_.delay_min_ms, profile_.delay_max_ms));
  }
  return ceiling;
}

int64_t SimNetwork::SampleDelayMs(int64_t link_max_ms) {
  int64_t delay = rng_.Between(profile_.delay_min_ms, link_max_ms);
  if (faults_enabled_ && rng_.ChancePerMillion(profile_.reorder_ppm)) {
    delay += rng_.Between(1, kReorderExtraDelayMs);
  }
  return delay;
}

Delivery SimNetwork::Send(uint32_t from, uint32_t to, bool may_duplicate) {
  Delivery delivery;
  if (IsCut(from, to)) {
    delivery.cut = true;
    return delivery;
  }
  if (faults_enabled_ && rng_.ChancePerMillion(profile_.loss_ppm)) return delivery;
  int64_t link_max = LinkDelayMaxMs(from, to);
  delivery.copies = 1;
  delivery.delay_ms[0] = SampleDelayMs(link_max);
  if (may_duplicate && faults_enabled_ && rng_.ChancePerMillion(profile_.duplicate_ppm)) {
    delivery.copies = 2;
    delivery.delay_ms[1] = SampleDelayMs(link_max);
  }
  return delivery;
}

}  // namespace tidb_binlog::sim
