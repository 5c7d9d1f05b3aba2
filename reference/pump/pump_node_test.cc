// Goal: PumpNode behaves as upstream's pump server does over time (UPSTREAM.md §5.4-§5.5,
// §7.6-§7.7, §2.6): registration, heartbeat cadence and records, fake binlogs only when idle,
// GC scheduling and triggering, the drainer checkpoint warning, the write path's errors and
// loss counting, and the pause/close/signal sequences as observers of the registry see them.
// Method: a manual driver (explicit now_ms, no threads) over MemoryBinlogStore,
// MemoryRegistry and a manual TSO; invariants checked after every timer step.
#include "reference/pump/pump_node.h"

#include <optional>

#include <gtest/gtest.h>

#include "reference/metrics/exposition.h"
#include "reference/pump/pump_testing.h"

namespace tidb_binlog {
namespace {

using testing_support::kClusterId;
using testing_support::kPumpHost;
using testing_support::kPumpId;
using testing_support::kStartMs;
using testing_support::PumpFixture;

class PumpNodeTest : public PumpFixture {};

TEST_F(PumpNodeTest, StartRegistersOnlineWithFreshTsoAndStoredMaxCommitTs) {
  tso_.Pin(ComposeTs(kStartMs, 5));
  StartNode();
  const NodeStatus record = PumpRecord();
  EXPECT_EQ(record.node_id, kPumpId);
  EXPECT_EQ(record.host, kPumpHost);
  EXPECT_EQ(record.state, NodeState::kOnline);
  EXPECT_FALSE(record.is_alive);
  EXPECT_EQ(record.update_ts, ComposeTs(kStartMs, 5));
  EXPECT_EQ(record.max_commit_ts, store_->MaxCommitTS());
  EXPECT_EQ(NodeStatusToRegistryValue(record),
            "{\"nodeId\":\"pump-1:8250\",\"host\":\"127.0.0.1:8250\",\"state\":\"online\","
            "\"isAlive\":false,\"score\":0,\"label\":null,\"maxCommitTS\":0,\"updateTS\":" +
                std::to_string(ComposeTs(kStartMs, 5)) + "}");
  EXPECT_EQ(node_.NextTimerMs(), kStartMs + kDefaultHeartbeatIntervalMilliseconds);
}

TEST_F(PumpNodeTest, StartOverAPausedRecordRegistersOnline) {
  PutDrainer("unrelated:8249", NodeState::kOnline, 0);
  NodeStatus paused;
  paused.node_id = kPumpId;
  paused.host = kPumpHost;
  paused.state = NodeState::kPaused;
  ASSERT_TRUE(registry_.UpdateNode(NodeKind::kPump, paused).ok());
  StartNode();
  EXPECT_EQ(PumpRecord().state, NodeState::kOnline);
}

TEST_F(PumpNodeTest, StartFailuresCarryUpstreamTexts) {
  tso_.FailNext(1);
  Status status = node_.Start(kStartMs);
  EXPECT_EQ(status.message(), "fail to get tso from pd: pd is unreachable");
  EXPECT_FALSE(node_.Started());
  // Whether to notify drainers depends on the previous record: failing to read it fails.
  registry_.FailNextCalls(1);
  status = node_.Start(kStartMs);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message().rfind("fail to register node to etcd: ", 0), 0u)
      << status.message();
  EXPECT_EQ(node_.NextTimerMs(), kNoTimerMs);
  StartNode();
  EXPECT_TRUE(node_.Started());
}

TEST_F(PumpNodeTest, HeartbeatEveryIntervalWithApproachTsAndStorageMaxCommitTs) {
  StartNode();
  const int64_t anchor = PumpRecord().update_ts;
  AdvanceTo(kStartMs + 2'000);
  EXPECT_EQ(PumpRecord().update_ts, GetApproachTs(anchor, 2'000));
  EXPECT_EQ(PumpRecord().max_commit_ts, 0);
  // At +3 s the idle pump writes a fake binlog; the +4 s heartbeat publishes it.
  AdvanceTo(kStartMs + 4'000);
  const std::vector<int64_t> fakes = FakeBinlogTs();
  ASSERT_EQ(fakes.size(), 1u);
  EXPECT_EQ(PumpRecord().update_ts, GetApproachTs(anchor, 4'000));
  EXPECT_EQ(PumpRecord().max_commit_ts, fakes[0]);
  // A record rewritten by an operator is overwritten by the next heartbeat (§11 #17).
  NodeStatus rewritten = PumpRecord();
  rewritten.state = NodeState::kPaused;
  ASSERT_TRUE(registry_.UpdateNode(NodeKind::kPump, rewritten).ok());
  AdvanceTo(kStartMs + 5'999);
  EXPECT_EQ(PumpRecord().state, NodeState::kPaused);
  AdvanceTo(kStartMs + 6'000);
  EXPECT_EQ(PumpRecord().state, NodeState::kOnline);
}

TEST_F(PumpNodeTest, HeartbeatFailureIsOnlyLogged) {
  StartNode();
  const int64_t anchor = PumpRecord().update_ts;
  registry_.FailNextCalls(1);
  AdvanceTo(kStartMs + 2'000);
  EXPECT_FALSE(node_.ShuttingDown());
  EXPECT_EQ(PumpRecord().update_ts, anchor);  // the failed write changed nothing
  EXPECT_EQ(node_.NextTimerMs(), kStartMs + 3'000);
  AdvanceTo(kStartMs + 4'000);
  EXPECT_EQ(PumpRecord().update_ts, GetApproachTs(anchor, 4'000));
}

TEST_F(PumpNodeTest, FakeBinlogOnlyWhenNoWriteStartedSinceTheLastTick) {
  StartNode();
  AdvanceTo(kStartMs + 1'000);
  const int64_t start_ts = NextTs();
  ASSERT_TRUE(Write(Prewrite(start_ts)).ok());
  ASSERT_TRUE(Write(Commit(start_ts, NextTs())).ok());
  AdvanceTo(kStartMs + 3'000);  // tick 1: writes happened -> no fake
  EXPECT_TRUE(FakeBinlogTs().empty());
  AdvanceTo(kStartMs + 6'000);  // tick 2: idle -> fake
  EXPECT_EQ(FakeBinlogTs().size(), 1u);
  AdvanceTo(kStartMs + 9'000);  // tick 3: only the fake itself since tick 2 -> fake again
  EXPECT_EQ(FakeBinlogTs().size(), 2u);
  AdvanceTo(kStartMs + 10'000);
  ASSERT_TRUE(Write(Commit(0, 0)).ok());  // TiDB's probe counts as a write too
  AdvanceTo(kStartMs + 12'000);
  EXPECT_EQ(FakeBinlogTs().size(), 2u);
  // A failed write also counts as started, as upstream marks it before checking.
  AdvanceTo(kStartMs + 13'000);
  binlog::WriteBinlogReq foreign = Request(Commit(1, 2));
  foreign.set_clusterid(7);
  EXPECT_FALSE(node_.WriteBinlog(foreign, now_ms_).ok());
  AdvanceTo(kStartMs + 15'000);
  EXPECT_EQ(FakeBinlogTs().size(), 2u);
  // Fake binlogs advance MaxCommitTS, which is their purpose.
  AdvanceTo(kStartMs + 18'000);
  EXPECT_EQ(store_->MaxCommitTS(), FakeBinlogTs().back());
}

TEST_F(PumpNodeTest, WriteErrorsCarryUpstreamTextsAndCountAsLoss) {
  StartNode();
  binlog::WriteBinlogReq foreign = Request(Commit(1, 2));
  foreign.set_clusterid(7);
  EXPECT_EQ(node_.WriteBinlog(foreign, now_ms_).message(),
            "cluster ID are mismatch, 7 vs " + std::to_string(kClusterId));
  EXPECT_EQ(LossCount(), 1);

  binlog::WriteBinlogReq garbage = Request(Commit(1, 2));
  garbage.set_payload("\xff\xff\xff");
  EXPECT_EQ(node_.WriteBinlog(garbage, now_ms_).code(), StatusCode::kCorruption);
  EXPECT_EQ(LossCount(), 2);

  disk_->FailNextWrites(1);
  EXPECT_EQ(Write(Prewrite(NextTs())).code(), StatusCode::kIoError);
  EXPECT_EQ(LossCount(), 3);

  disk_->SetAvailableBytes(1);
  const Status no_space = Write(Prewrite(NextTs()));
  EXPECT_EQ(no_space.code(), StatusCode::kNoSpace);
  EXPECT_EQ(no_space.message().rfind("no available space, available: ", 0), 0u);
  EXPECT_EQ(LossCount(), 4);

  disk_->SetAvailableBytes(testing_support::kPlentyOfSpaceBytes);
  ASSERT_TRUE(Write(Commit(0, 0)).ok());  // TiDB's probe: accepted and dropped
  EXPECT_EQ(LossCount(), 4);
  // Every write is measured by its payload size.
  EXPECT_EQ(metrics_.storage_write_binlog_size(pump_metric_label::kWriteSingle)
                .Collect()
                .histogram.sample_count,
            3u);
}

// The gRPC service's path: the same checks, texts, loss counts and store write as
// WriteBinlog, answered through the callback.
TEST_F(PumpNodeTest, WriteBinlogAsyncAnswersWhatWriteBinlogWould) {
  StartNode();
  auto write_async = [this](const binlog::WriteBinlogReq& request) {
    std::optional<Status> answer;
    node_.WriteBinlogAsync(request, now_ms_, [&answer](Status s) { answer = std::move(s); });
    EXPECT_TRUE(answer.has_value());  // the memory store answers before it returns
    return answer.value_or(Status::Ok());
  };
  binlog::WriteBinlogReq foreign = Request(Commit(1, 2));
  foreign.set_clusterid(7);
  EXPECT_EQ(write_async(foreign).message(),
            "cluster ID are mismatch, 7 vs " + std::to_string(kClusterId));
  EXPECT_EQ(LossCount(), 1);

  disk_->FailNextWrites(1);
  EXPECT_EQ(write_async(Request(Prewrite(NextTs()))).code(), StatusCode::kIoError);
  EXPECT_EQ(LossCount(), 2);

  const int64_t start_ts = NextTs();
  ASSERT_TRUE(write_async(Request(Prewrite(start_ts))).ok());
  EXPECT_TRUE(store_->Lookup(start_ts).ok());
  EXPECT_EQ(LossCount(), 2);
  EXPECT_EQ(metrics_.storage_write_binlog_size(pump_metric_label::kWriteSingle)
                .Collect()
                .histogram.sample_count,
            2u);
}

TEST_F(PumpNodeTest, PullBinlogsChecksClusterIdAndReadsAfterOffset) {
  StartNode();
  const int64_t start_ts = NextTs();
  const int64_t commit_ts = NextTs();
  ASSERT_TRUE(Write(Prewrite(start_ts)).ok());
  ASSERT_TRUE(Write(Commit(start_ts, commit_ts)).ok());
  binlog::PullBinlogReq request;
  request.set_clusterid(kClusterId);
  request.mutable_startfrom()->set_offset(0);
  Result<PullResult> pulled = node_.PullBinlogs(request, 10, 1 << 20);
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->binlogs.size(), 1u);
  EXPECT_EQ(pulled->binlogs[0].commit_ts(), commit_ts);
  EXPECT_EQ(pulled->binlogs[0].prewrite_value(), "v");  // enriched from the Prewrite
  request.mutable_startfrom()->set_offset(commit_ts);
  EXPECT_TRUE(node_.PullBinlogs(request, 10, 1 << 20)->binlogs.empty());
  request.set_clusterid(1);
  EXPECT_EQ(node_.PullBinlogs(request, 10, 1 << 20).status().message(),
            "cluster ID are mismatch, 1 vs " + std::to_string(kClusterId));
}

TEST_F(PumpNodeTest, RpcDurationsAreObservedByMethodAndOutcome) {
  StartNode();
  node_.ObserveRpcDuration(pump_metric_label::kMethodPullBinlogs, false, 0.25);
  AdvanceTo(kStartMs + 3'000);  // one fake binlog, observed as a 0 s WriteBinlog
  const auto pull = metrics_.rpc_duration_seconds("PullBinlogs", "fail").Collect().histogram;
  EXPECT_EQ(pull.sample_count, 1u);
  EXPECT_DOUBLE_EQ(pull.sample_sum, 0.25);
  EXPECT_EQ(metrics_.rpc_duration_seconds("WriteBinlog", "succ").Collect().histogram.sample_count,
            1u);
}

TEST_F(PumpNodeTest, GcRunsHourlyWithTheRetention) {
  PumpOptions options = testing_support::TestPumpOptions();
  options.gc_retention_ms = 30 * 60'000;
  PumpNode node(options, *store_, registry_, tso_, metrics_);
  ASSERT_TRUE(node.Start(kStartMs).ok());
  for (int64_t next = node.NextTimerMs(); next <= kStartMs + 3'600'000;
       next = node.NextTimerMs()) {
    tso_.now_ms = next;
    node.OnTimer(next);
  }
  EXPECT_EQ(store_->GcTS(), EncodeTso(kStartMs + 3'600'000 - 30 * 60'000));
  EXPECT_EQ(node.NextTimerMs(), kStartMs + 3'600'000 + 2'000);  // heartbeat first
}

TEST_F(PumpNodeTest, TriggeredGcRunsAtTheNextTickAndOneAtATime) {
  EXPECT_FALSE(node_.TriggerGc());  // not started: no GC loop to wake
  StartNode();
  AdvanceTo(kStartMs + 3'000);  // one fake binlog: MaxCommitTS is now
  // The default retention is 7 days; with a clock near now nothing is old enough, so the
  // store ignores the request (gc ts 0 stays) but the trigger still answers success.
  EXPECT_TRUE(node_.TriggerGc());
  EXPECT_FALSE(node_.TriggerGc());
  EXPECT_EQ(node_.NextTimerMs(), now_ms_);
  TickNow();
  EXPECT_TRUE(node_.TriggerGc());
  TickNow();
  node_.Shutdown(now_ms_);
  EXPECT_FALSE(node_.TriggerGc());
}

TEST_F(PumpNodeTest, TriggeredGcDeletesOldData) {
  PumpOptions options = testing_support::TestPumpOptions();
  options.gc_retention_ms = 60'000;
  PumpNode node(options, *store_, registry_, tso_, metrics_);
  ASSERT_TRUE(node.Start(kStartMs).ok());
  int64_t now = kStartMs;
  for (; now <= kStartMs + 20 * 60'000; now += 1'000) {
    tso_.now_ms = now;
    if (node.NextTimerMs() <= now) node.OnTimer(now);
  }
  now -= 1'000;
  ASSERT_TRUE(node.TriggerGc());
  node.OnTimer(now);
  EXPECT_EQ(store_->GcTS(), EncodeTso(now - 60'000));
  EXPECT_GT(store_->Stats().deleted_index_keys, 0);
}

TEST_F(PumpNodeTest, DrainerCheckpointWarningCountsLaggingNonOfflineDrainers) {
  StartNode();
  PutDrainer("lagging:8249", NodeState::kPaused, 1);
  PutDrainer("gone:8249", NodeState::kOffline, 1);
  PutDrainer("fresh:8249", NodeState::kOnline, EncodeTso(kStartMs + 3'600'000 * 24));
  AdvanceTo(kStartMs + kDetectDrainerCheckpointIntervalMilliseconds - 1);
  EXPECT_EQ(metrics_.detected_drainer_binlog_purge_count("lagging:8249").Value(), 0);
  AdvanceTo(kStartMs + kDetectDrainerCheckpointIntervalMilliseconds);
  EXPECT_EQ(metrics_.detected_drainer_binlog_purge_count("lagging:8249").Value(), 1);
  EXPECT_EQ(metrics_.detected_drainer_binlog_purge_count("gone:8249").Value(), 0);
  EXPECT_EQ(metrics_.detected_drainer_binlog_purge_count("fresh:8249").Value(), 0);
  // The counter is upstream's unregistered one: not on /metrics.
  EXPECT_EQ(node_.ExposeMetrics().find("purge"), std::string::npos);
}

TEST_F(PumpNodeTest, PauseShowsOnlineUntilTheFinalPaused) {
  StartNode();
  AdvanceTo(kStartMs + 4'000);
  const NodeStatus before = PumpRecord();
  const ApplyActionResult result = node_.ApplyAction(kPumpId, "pause");
  EXPECT_TRUE(result.accepted);
  EXPECT_EQ(result.message, "apply action pause success!");
  EXPECT_EQ(node_.state(), NodeState::kPausing);
  EXPECT_TRUE(node_.ShuttingDown());
  EXPECT_EQ(PumpRecord(), before);  // pausing is never written
  // Prewrites are refused, commits still accepted, until the final write.
  const int64_t start_ts = NextTs();
  EXPECT_EQ(Write(Prewrite(start_ts)).message(), "no online: pausing");
  EXPECT_TRUE(Write(Commit(start_ts - 1, NextTs())).ok());
  EXPECT_EQ(node_.NextTimerMs(), now_ms_);
  TickNow();
  EXPECT_TRUE(node_.Stopped());
  const NodeStatus after = PumpRecord();
  EXPECT_EQ(after.state, NodeState::kPaused);
  EXPECT_EQ(after.update_ts, 0);  // upstream registerNode(state, 0)
  EXPECT_EQ(after.max_commit_ts, store_->MaxCommitTS());
  EXPECT_EQ(node_.NextTimerMs(), kNoTimerMs);
  EXPECT_EQ(Write(Commit(1, 2)).code(), StatusCode::kUnavailable);
  binlog::PullBinlogReq pull;
  pull.set_clusterid(kClusterId);
  EXPECT_EQ(node_.PullBinlogs(pull, 1, 1).status().code(), StatusCode::kUnavailable);
}

TEST_F(PumpNodeTest, SignalPausesFromOnline) {
  StartNode();
  node_.Shutdown(now_ms_);
  EXPECT_EQ(node_.state(), NodeState::kOnline);  // upstream's Close leaves it online
  EXPECT_EQ(PumpRecord().state, NodeState::kOnline);
  node_.Shutdown(now_ms_);  // idempotent
  TickNow();
  EXPECT_TRUE(node_.Stopped());
  EXPECT_EQ(PumpRecord().state, NodeState::kPaused);
}

TEST_F(PumpNodeTest, ShutdownBeforeStartWritesNothing) {
  node_.Shutdown(kStartMs);
  TickNow();
  EXPECT_TRUE(node_.Stopped());
  EXPECT_FALSE(registry_.GetNode(NodeKind::kPump, kPumpId).ok());
}

TEST_F(PumpNodeTest, ActionChecksFollowUpstreamPrecedence) {
  StartNode();
  EXPECT_EQ(node_.ApplyAction("other:1", "bogus").message,
            "invalide nodeID other:1, this pump's nodeID is pump-1:8250");
  EXPECT_EQ(node_.ApplyAction(kPumpId, "stop").message, "invalide action stop");
  EXPECT_EQ(node_.ApplyAction(kPumpId, "Pause").message, "invalide action Pause");
  EXPECT_EQ(node_.state(), NodeState::kOnline);
  EXPECT_TRUE(node_.ApplyAction(kPumpId, "close").accepted);
  EXPECT_EQ(node_.ApplyAction("other:1", "pause").message,
            "invalide nodeID other:1, this pump's nodeID is pump-1:8250");
  EXPECT_EQ(node_.ApplyAction(kPumpId, "bogus").message,
            "this pump's state is closing, apply bogus failed!");
}

TEST_F(PumpNodeTest, CloseWaitsForLaggingDrainerAndWritesFakeBinlogsMeanwhile) {
  StartNode();
  PutDrainer("lagging:8249", NodeState::kPaused, 0);  // paused drainers count too
  PutDrainer("gone:8249", NodeState::kOffline, 0);    // offline ones do not
  AdvanceTo(kStartMs + 1'000);
  // An unmatched Prewrite holds the close until its Commit arrives.
  const int64_t start_ts = NextTs();
  ASSERT_TRUE(Write(Prewrite(start_ts)).ok());

  ASSERT_TRUE(node_.ApplyAction(kPumpId, "close").accepted);
  EXPECT_EQ(Write(Prewrite(NextTs())).message(), "no online: closing");
  TickNow();  // first fake binlog written; not all matched yet
  EXPECT_EQ(FakeBinlogTs().size(), 0u);  // pulls stop at MaxCommitTS, held by the Prewrite
  AdvanceBy(3'000);
  EXPECT_FALSE(node_.Stopped());
  EXPECT_EQ(PumpRecord().state, NodeState::kOnline);
  ASSERT_TRUE(Write(Commit(start_ts, NextTs())).ok());  // commits are still accepted
  AdvanceBy(1'000);  // saved and matched: M fixed
  const int64_t target = store_->MaxCommitTS();
  const size_t fakes_at_target = FakeBinlogTs().size();
  EXPECT_GE(fakes_at_target, 1u);
  AdvanceBy(5'000);  // the drainer lags: one more fake binlog per second
  EXPECT_FALSE(node_.Stopped());
  EXPECT_EQ(FakeBinlogTs().size(), fakes_at_target + 5);
  EXPECT_EQ(PumpRecord().state, NodeState::kOnline);

  PutDrainer("lagging:8249", NodeState::kPaused, target - 1);
  AdvanceBy(1'000);
  EXPECT_FALSE(node_.Stopped());
  PutDrainer("lagging:8249", NodeState::kPaused, target);
  AdvanceBy(1'000);
  EXPECT_TRUE(node_.Stopped());
  const NodeStatus record = PumpRecord();
  EXPECT_EQ(record.state, NodeState::kOffline);
  EXPECT_EQ(record.update_ts, 0);
  EXPECT_EQ(node_.NextTimerMs(), kNoTimerMs);
}

TEST_F(PumpNodeTest, CloseWithoutDrainersRetriesTheFirstFakeBinlog) {
  StartNode();
  ASSERT_TRUE(node_.ApplyAction(kPumpId, "close").accepted);
  tso_.FailNext(2);
  TickNow();
  AdvanceBy(1'000);
  EXPECT_TRUE(FakeBinlogTs().empty());
  EXPECT_FALSE(node_.Stopped());
  AdvanceBy(1'000);  // third try succeeds, saved at once
  EXPECT_EQ(FakeBinlogTs().size(), 1u);
  AdvanceBy(1'000);  // no drainers: +inf >= M
  EXPECT_TRUE(node_.Stopped());
  EXPECT_EQ(PumpRecord().state, NodeState::kOffline);
}

TEST_F(PumpNodeTest, ExposedMetricsReflectStorage) {
  StartNode();
  AdvanceTo(kStartMs + 3'000);
  const std::string text = node_.ExposeMetrics();
  EXPECT_NE(text.find("binlog_pump_storage_max_commit_ts " +
                      FormatGoFloat(static_cast<double>(ExtractPhysical(store_->MaxCommitTS())))),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("binlog_pump_storage_storage_size_bytes{type=\"capacity\"}"),
            std::string::npos);
  EXPECT_NE(text.find("binlog_pump_loss_binlog_count 0"), std::string::npos);
}

}  // namespace
}  // namespace tidb_binlog
