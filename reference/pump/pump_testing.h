// Test support for PumpNode tests: a fixture that wires a node to a MemoryBinlogStore, a
// MemoryRegistry, a ManualTso (reference/core/testing) and a private PumpMetrics, and drives
// it by hand (explicit now_ms, no threads). Used by pump_node_test.cc and pump_http_test.cc
// only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reference/core/binlog_codec.h"
#include "reference/core/testing/manual_tso_source.h"
#include "reference/metrics/pump_metrics.h"
#include "reference/metrics/metrics_test_util.h"
#include "reference/pump/pump_node.h"
#include "reference/registry/memory_registry.h"
#include "reference/storage/memory_binlog_store.h"

namespace tidb_binlog::testing_support {

inline constexpr uint64_t kClusterId = 6'879'000'000'000'000'001ULL;
inline constexpr char kPumpId[] = "pump-1:8250";
inline constexpr char kPumpHost[] = "127.0.0.1:8250";
// Free space far above the store's stop-write threshold.
inline constexpr int64_t kPlentyOfSpaceBytes = int64_t{1} << 40;

inline PumpOptions TestPumpOptions() {
  PumpOptions options;
  options.node_id = kPumpId;
  options.advertise_addr = kPumpHost;
  options.cluster_id = kClusterId;
  return options;
}

using testing_util::TestMetricsOptions;

class PumpFixture : public ::testing::Test {
 protected:
  explicit PumpFixture(PumpOptions options = TestPumpOptions())
      : disk_(std::make_shared<MemoryDisk>()),
        store_(MemoryBinlogStore::Open(disk_).value()),
        metrics_(TestMetricsOptions()),
        node_(std::move(options), *store_, registry_, tso_, metrics_) {
    tso_.now_ms = kStartMs;
  }

  // Starts the node; any start-up Notify calls (online drainers, no previous record) are
  // answered OK at once, so the start completes.
  void StartNode() {
    ASSERT_TRUE(node_.Start(kStartMs).ok());
    now_ms_ = kStartMs;
    for (std::vector<NotifyRequest> requests = node_.TakeNotifyRequests(); !requests.empty();
         requests = node_.TakeNotifyRequests()) {
      for (const NotifyRequest& request : requests) {
        node_.OnNotifyResult(request.id, Status::Ok(), now_ms_);
      }
    }
    ASSERT_TRUE(node_.Started());
  }

  // Runs every timer due up to `to_ms`, in order, as a driver would.
  void AdvanceTo(int64_t to_ms) {
    for (int64_t next = node_.NextTimerMs(); next <= to_ms; next = node_.NextTimerMs()) {
      now_ms_ = std::max(now_ms_, next);
      tso_.now_ms = now_ms_;
      node_.OnTimer(now_ms_);
      node_.CheckInvariants();
    }
    now_ms_ = to_ms;
    tso_.now_ms = to_ms;
  }
  void AdvanceBy(int64_t ms) { AdvanceTo(now_ms_ + ms); }

  // Calls OnTimer at the current time (what a driver does after NextTimerMs() says "now").
  void TickNow() {
    node_.OnTimer(now_ms_);
    node_.CheckInvariants();
  }

  binlog::WriteBinlogReq Request(const binlog::Binlog& binlog) const {
    binlog::WriteBinlogReq request;
    request.set_clusterid(kClusterId);
    request.set_payload(EncodeBinlog(binlog));
    return request;
  }
  Status Write(const binlog::Binlog& binlog) {
    return node_.WriteBinlog(Request(binlog), now_ms_);
  }
  int64_t NextTs() { return tso_.GetTs().value(); }

  static binlog::Binlog Prewrite(int64_t start_ts) {
    binlog::Binlog binlog;
    binlog.set_tp(binlog::Prewrite);
    binlog.set_start_ts(start_ts);
    binlog.set_commit_ts(0);
    binlog.set_prewrite_key("k");
    binlog.set_prewrite_value("v");
    return binlog;
  }
  static binlog::Binlog Commit(int64_t start_ts, int64_t commit_ts) {
    binlog::Binlog binlog;
    binlog.set_tp(binlog::Commit);
    binlog.set_start_ts(start_ts);
    binlog.set_commit_ts(commit_ts);
    return binlog;
  }

  NodeStatus PumpRecord() { return registry_.GetNode(NodeKind::kPump, kPumpId).value(); }

  void PutDrainer(const std::string& id, NodeState state, int64_t max_commit_ts) {
    NodeStatus drainer;
    drainer.node_id = id;
    drainer.host = "127.0.0.1:8249";
    drainer.state = state;
    drainer.max_commit_ts = max_commit_ts;
    drainer.update_ts = 1;
    ASSERT_TRUE(registry_.UpdateNode(NodeKind::kDrainer, drainer).ok());
  }

  // Fake binlogs the store holds (start_ts == commit_ts), in commit order.
  std::vector<int64_t> FakeBinlogTs() {
    std::vector<int64_t> fakes;
    PullResult pulled = store_->Pull(0, 100'000, size_t{1} << 30).value();
    for (const binlog::Binlog& b : pulled.binlogs) {
      if (IsFakeBinlog(b)) fakes.push_back(b.commit_ts());
    }
    return fakes;
  }

  double LossCount() { return metrics_.loss_binlog_count().Value(); }

  std::shared_ptr<MemoryDisk> disk_;
  std::unique_ptr<MemoryBinlogStore> store_;
  MemoryRegistry registry_;
  ManualTso tso_;
  PumpMetrics metrics_;
  PumpNode node_;
  int64_t now_ms_ = kStartMs;
};

}  // namespace tidb_binlog::testing_support
