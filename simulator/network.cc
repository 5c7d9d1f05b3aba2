#include "simulator/network.h"

namespace tidb_binlog::sim {

SimNetwork::SimNetwork(Prng rng, const FaultProfile& profile)
    : rng_(rng), profile_(profile) {}

int64_t SimNetwork::LinkDelayMaxMs(uint32_t from, uint32_t to) {
  auto [it, inserted] = link_delay_max_ms_.try_emplace({from, to}, 0);
  if (inserted) it->second = rng_.Between(profile_.delay_min_ms, profile_.delay_max_ms);
  return it->second;
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
