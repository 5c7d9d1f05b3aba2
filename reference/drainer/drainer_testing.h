// Test support for DrainerNode tests: fake pumps backed by MemoryBinlogStores that answer the
// node's PullRequests, and a fixture that wires a node to a MemoryRegistry, a ManualTso
// (reference/core/testing), a MemoryCheckpoint, a MemoryDestination and a private
// DrainerMetrics and drives it by hand (explicit now_ms, no threads). The checkpoint file
// and the destination outlive the node, so a test can restart it. Used by
// drainer_node_test.cc and drainer_http_test.cc only.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reference/core/binlog_codec.h"
#include "reference/core/testing/manual_tso_source.h"
#include "reference/drainer/checkpoint.h"
#include "reference/drainer/drainer_node.h"
#include "reference/drainer/memory_destination.h"
#include "reference/metrics/drainer_metrics.h"
#include "reference/metrics/metrics_test_util.h"
#include "reference/registry/memory_registry.h"
#include "reference/storage/memory_binlog_store.h"

namespace tidb_binlog::drainer_testing {

using testing_support::kStartMs;
using testing_support::ManualTso;

inline constexpr char kDrainerId[] = "drainer-1:8249";
inline constexpr char kDrainerHost[] = "127.0.0.1:8249";
// Bounds the fixture's delivery loop: a node that keeps asking without progress is a bug.
inline constexpr int kDeliveryRoundsMax = 10'000;

inline DrainerOptions TestDrainerOptions() {
  DrainerOptions options;
  options.node_id = kDrainerId;
  options.advertise_addr = kDrainerHost;
  return options;
}

using testing_util::TestMetricsOptions;

// A pump as the drainer sees it: a store it pulls from, a registry record, and faults.
struct FakePump {
  std::string host;
  std::unique_ptr<MemoryBinlogStore> store;
  int fail_next_pulls = 0;  // answered with kUnavailable (pump unreachable)
  bool hold = false;        // requests are kept unanswered (a slow pump)
  // Binlogs this pump served more than once (a re-sent tail): appended to the next answer.
  std::vector<binlog::Binlog> replay;
};

class DrainerFixture : public ::testing::Test {
 protected:
  explicit DrainerFixture(DrainerOptions options = TestDrainerOptions())
      : options_(std::move(options)),
        checkpoint_file_(std::make_shared<MemoryCheckpointFile>()) {
    tso_.now_ms = kStartMs;
    MakeNode();
  }

  // (Re)builds the node over the same registry, checkpoint file and destination: a restart.
  void MakeNode() {
    node_.reset();
    metrics_ = std::make_unique<DrainerMetrics>(TestMetricsOptions());
    checkpoint_ = std::make_unique<MemoryCheckpoint>(checkpoint_file_, options_.initial_commit_ts);
    destination_.Restart();
    node_ = std::make_unique<DrainerNode>(options_, registry_, tso_, *checkpoint_, destination_,
                                          *metrics_);
    held_.clear();
  }

  void StartNode() {
    ASSERT_TRUE(node_->Start(now_ms_).ok());
    Deliver();
  }

  // Registers (or re-registers) pump `id` in `state`, creating its store on first use.
  void PutPump(const std::string& id, NodeState state) {
    FakePump& pump = pumps_[id];
    if (pump.store == nullptr) {
      pump.host = "127.0.0.1:" + std::to_string(8250 + pumps_.size());
      pump.store = MemoryBinlogStore::Open(std::make_shared<MemoryDisk>()).value();
    }
    NodeStatus record;
    record.node_id = id;
    record.host = pump.host;
    record.state = state;
    record.max_commit_ts = pump.store->MaxCommitTS();
    record.update_ts = 1;
    ASSERT_TRUE(registry_.UpdateNode(NodeKind::kPump, record).ok());
  }

  int64_t NextTs() {
    tso_.now_ms = now_ms_;
    return tso_.GetTs().value();
  }

  static std::string InsertRowsValue(int rows, int64_t schema_version = 1) {
    binlog::PrewriteValue value;
    value.set_schema_version(schema_version);
    binlog::TableMutation* mutation = value.add_mutations();
    mutation->set_table_id(42);
    for (int i = 0; i < rows; ++i) {
      mutation->add_inserted_rows("row");
      mutation->add_sequence(binlog::Insert);
    }
    return EncodePrewriteValue(value);
  }

  // Writes a committed DML transaction to pump `id`: P then C. Returns its commit ts.
  int64_t CommitTxn(const std::string& id, int rows = 1) {
    const int64_t start_ts = NextTs();
    const int64_t commit_ts = NextTs();
    WriteTxn(id, start_ts, commit_ts, InsertRowsValue(rows), "", 0);
    return commit_ts;
  }
  int64_t CommitDdl(const std::string& id, const std::string& query, int64_t job_id) {
    const int64_t start_ts = NextTs();
    const int64_t commit_ts = NextTs();
    WriteTxn(id, start_ts, commit_ts, "", query, job_id);
    return commit_ts;
  }
  void WriteTxn(const std::string& id, int64_t start_ts, int64_t commit_ts,
                const std::string& prewrite_value, const std::string& ddl_query,
                int64_t ddl_job_id) {
    binlog::Binlog prewrite;
    prewrite.set_tp(binlog::Prewrite);
    prewrite.set_start_ts(start_ts);
    prewrite.set_prewrite_key("k");
    prewrite.set_prewrite_value(prewrite_value);
    prewrite.set_ddl_query(ddl_query);
    prewrite.set_ddl_job_id(ddl_job_id);
    binlog::Binlog commit;
    commit.set_tp(binlog::Commit);
    commit.set_start_ts(start_ts);
    commit.set_commit_ts(commit_ts);
    commit.set_ddl_query(ddl_query);
    commit.set_ddl_job_id(ddl_job_id);
    ASSERT_TRUE(pumps_.at(id).store->Write(prewrite).ok());
    ASSERT_TRUE(pumps_.at(id).store->Write(commit).ok());
  }
  int64_t WriteFake(const std::string& id) {
    const int64_t ts = NextTs();
    EXPECT_TRUE(pumps_.at(id).store->Write(MakeFakeBinlog(ts)).ok());
    return ts;
  }

  // Answers every pull request the node has, at the current time, until it asks for none.
  void Deliver() {
    for (int round = 0; round < kDeliveryRoundsMax; ++round) {
      std::vector<PullRequest> requests = node_->TakePullRequests();
      if (requests.empty()) return;
      for (PullRequest& request : requests) Answer(request);
      node_->CheckInvariants();
    }
    FAIL() << "the node kept asking for pulls";
  }

  void Answer(const PullRequest& request) {
    ++pull_requests_;
    auto it = pumps_.find(request.pump_node_id);
    ASSERT_NE(it, pumps_.end()) << request.pump_node_id;
    FakePump& pump = it->second;
    EXPECT_EQ(request.pump_host, pump.host);
    if (pump.hold) {
      held_.push_back(request);
      return;
    }
    if (pump.fail_next_pulls > 0) {
      --pump.fail_next_pulls;
      node_->OnPullResponse(request.id, Status::Unavailable("connection refused"), now_ms_);
      return;
    }
    Result<PullResult> pulled =
        pump.store->Pull(request.after_ts, request.limit_count, request.limit_bytes);
    if (pulled.ok() && !pump.replay.empty()) {
      pulled->binlogs.insert(pulled->binlogs.begin(), pump.replay.begin(), pump.replay.end());
      pump.replay.clear();
    }
    node_->OnPullResponse(request.id, std::move(pulled), now_ms_);
  }

  // Runs every timer due up to `to_ms`, in order, delivering pulls after each step.
  void AdvanceTo(int64_t to_ms) {
    Deliver();
    for (int64_t next = node_->NextTimerMs(); next <= to_ms; next = node_->NextTimerMs()) {
      now_ms_ = std::max(now_ms_, next);
      tso_.now_ms = now_ms_;
      node_->OnTimer(now_ms_);
      node_->CheckInvariants();
      Deliver();
    }
    now_ms_ = std::max(now_ms_, to_ms);
    tso_.now_ms = now_ms_;
  }
  void AdvanceBy(int64_t ms) { AdvanceTo(now_ms_ + ms); }
  // Long enough for every pump that answered "nothing new" to be asked again.
  void Settle() { AdvanceBy(options_.pull_poll_delay_ms); }

  // Commit ts of every binlog the destination holds, in order.
  std::vector<int64_t> DestinationTs() const {
    std::vector<int64_t> ts;
    for (const SharedPulledBinlog& b : destination_.binlogs()) ts.push_back(b.commit_ts());
    return ts;
  }

  NodeStatus DrainerRecord() {
    return registry_.GetNode(NodeKind::kDrainer, kDrainerId).value();
  }

  DrainerOptions options_;
  MemoryRegistry registry_;
  ManualTso tso_;
  std::shared_ptr<MemoryCheckpointFile> checkpoint_file_;
  std::unique_ptr<MemoryCheckpoint> checkpoint_;
  MemoryDestination destination_;
  std::unique_ptr<DrainerMetrics> metrics_;
  std::unique_ptr<DrainerNode> node_;
  std::map<std::string, FakePump> pumps_;
  std::vector<PullRequest> held_;
  int64_t pull_requests_ = 0;
  int64_t now_ms_ = kStartMs;
};

}  // namespace tidb_binlog::drainer_testing
