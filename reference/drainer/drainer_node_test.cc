// Goal: DrainerNode behaves as upstream's drainer over time (UPSTREAM.md §5.4, §5.5, §8):
// the merged stream reaches the destination strictly increasing with every committed binlog
// exactly once, pump states steer pulling and the merge as handlePumpStatusUpdate does, the
// checkpoint never passes what the destination made durable and a restart resumes right
// after it, the Synced time rule, heartbeats and their failure limit, and shutdown.
// Method: a manual driver (explicit now_ms, no threads) over fake pumps backed by
// MemoryBinlogStores, a MemoryRegistry, a MemoryCheckpoint and a MemoryDestination;
// invariants checked after every step.
#include "reference/drainer/drainer_node.h"

#include <gtest/gtest.h>

#include "reference/drainer/drainer_testing.h"

namespace tidb_binlog {
namespace {

using drainer_testing::DrainerFixture;
using drainer_testing::kDrainerHost;
using drainer_testing::kDrainerId;
using drainer_testing::kStartMs;

class DrainerNodeTest : public DrainerFixture {};

bool StrictlyIncreasing(const std::vector<int64_t>& ts) {
  return std::adjacent_find(ts.begin(), ts.end(),
                            [](int64_t a, int64_t b) { return a >= b; }) == ts.end();
}

TEST_F(DrainerNodeTest, StartRegistersOnlineWithTheCheckpointTs) {
  StartNode();
  // initial-commit-ts -1: the TSO taken at start, saved at once.
  const int64_t start_ts = checkpoint_->ts();
  EXPECT_EQ(ExtractPhysical(start_ts), kStartMs);
  EXPECT_EQ(*checkpoint_file_->contents,
            "consistent = false\ncommitTS = " + std::to_string(start_ts) +
                "\nschema-version = 0\n");
  EXPECT_EQ(NodeStatusToRegistryValue(DrainerRecord()),
            "{\"nodeId\":\"drainer-1:8249\",\"host\":\"127.0.0.1:8249\",\"state\":\"online\","
            "\"isAlive\":false,\"score\":0,\"label\":null,\"maxCommitTS\":" +
                std::to_string(start_ts) + ",\"updateTS\":" + std::to_string(start_ts) + "}");
  EXPECT_EQ(node_->NextTimerMs(), kStartMs);  // the heartbeat updates at once
  EXPECT_EQ(node_->CheckpointTs(), start_ts);
}

TEST_F(DrainerNodeTest, StartResumesFromTheSavedCheckpoint) {
  checkpoint_file_->contents = "consistent = true\ncommitTS = 4242\nschema-version = 7\n";
  StartNode();
  EXPECT_EQ(node_->CheckpointTs(), 4242);
  EXPECT_EQ(DrainerRecord().max_commit_ts, 4242);
  PutPump("pump-a", NodeState::kOnline);
  AdvanceBy(options_.detect_interval_ms);
  EXPECT_EQ(node_->PumpPositions().at("pump-a"), 4242);  // pulling starts after it
}

TEST_F(DrainerNodeTest, StartFailuresCarryUpstreamTexts) {
  tso_.FailNext(1);
  Status status = node_->Start(now_ms_);
  EXPECT_EQ(status.message(), "fail to get tso from pd: pd is unreachable");
  EXPECT_FALSE(node_->Started());
  checkpoint_file_->contents = "not toml";
  EXPECT_EQ(node_->Start(now_ms_).code(), StatusCode::kCorruption);
  checkpoint_file_->contents.reset();
  registry_.FailNextCalls(2);  // the previous-record read, then the registration
  status = node_->Start(now_ms_);
  EXPECT_EQ(status.message().rfind("fail to register node to etcd: ", 0), 0u) << status.message();
  EXPECT_EQ(node_->NextTimerMs(), kNoTimerMs);
  StartNode();
  EXPECT_TRUE(node_->Started());
}

TEST_F(DrainerNodeTest, MergesThreePumpsStrictlyIncreasingEachBinlogOnce) {
  for (const char* id : {"pump-a", "pump-b", "pump-c"}) PutPump(id, NodeState::kOnline);
  StartNode();
  std::vector<int64_t> committed;
  for (int round = 0; round < 20; ++round) {
    for (const char* id : {"pump-a", "pump-b", "pump-c"}) {
      if ((round + id[5]) % 3 != 0) committed.push_back(CommitTxn(id, 2));
    }
    AdvanceBy(37);
  }
  // Every pump ends with a fake binlog (as idle pumps do). The merge emits up to the
  // smallest of them: beyond it, pump-a might still send something smaller.
  std::vector<int64_t> fakes;
  for (const char* id : {"pump-a", "pump-b", "pump-c"}) fakes.push_back(WriteFake(id));
  const int64_t last_fake = fakes.front();
  AdvanceBy(options_.checkpoint_save_interval_ms);

  std::sort(committed.begin(), committed.end());
  EXPECT_EQ(DestinationTs(), committed);
  EXPECT_TRUE(StrictlyIncreasing(DestinationTs()));
  EXPECT_EQ(node_->SyncedTs(), last_fake);
  EXPECT_EQ(node_->CheckpointTs(), last_fake);
  EXPECT_EQ(metrics_->event("Insert").Value(), 2.0 * static_cast<double>(committed.size()));
  EXPECT_EQ(metrics_->checkpoint_tso().Value(), static_cast<double>(ExtractPhysical(last_fake)));
  for (const auto& [id, pos] : node_->PumpPositions()) {
    EXPECT_EQ(pos, pumps_.at(id).store->MaxCommitTS()) << id;
  }
}

TEST_F(DrainerNodeTest, DuplicatesAndDisorderAreDroppedOnce) {
  PutPump("pump-a", NodeState::kOnline);
  PutPump("pump-b", NodeState::kOnline);
  StartNode();
  const int64_t first = CommitTxn("pump-a");
  WriteFake("pump-b");
  Settle();
  ASSERT_EQ(DestinationTs(), std::vector<int64_t>{first});
  // pump-a re-sends its last binlog (a reconnect that repeats the tail) and pump-b sends one
  // older than what was already merged (disorder): both are dropped by the merge.
  binlog::Binlog resent = pumps_.at("pump-a").store->Pull(0, 10, 1 << 20)->binlogs.at(0);
  pumps_.at("pump-a").replay.push_back(resent);
  binlog::Binlog older = MakeFakeBinlog(first - 1);
  pumps_.at("pump-b").replay.push_back(older);
  const int64_t second = CommitTxn("pump-a");
  WriteFake("pump-b");
  Settle();
  const int64_t third = CommitTxn("pump-b");
  WriteFake("pump-a");
  Settle();
  EXPECT_EQ(DestinationTs(), (std::vector<int64_t>{first, second, third}));
}

TEST_F(DrainerNodeTest, PausedPumpStallsTheMergeUntilItIsOnlineAgain) {
  PutPump("pump-a", NodeState::kOnline);
  PutPump("pump-b", NodeState::kOnline);
  StartNode();
  const int64_t before = CommitTxn("pump-a");
  WriteFake("pump-b");
  Settle();
  ASSERT_EQ(DestinationTs(), std::vector<int64_t>{before});

  PutPump("pump-b", NodeState::kPaused);
  AdvanceBy(options_.detect_interval_ms);  // the refresh sees it
  const int64_t requests_before = pull_requests_;
  const int64_t stalled = CommitTxn("pump-a");
  WriteFake("pump-b");  // the paused pump has something, but nobody asks for it
  AdvanceBy(3 * options_.detect_interval_ms);
  EXPECT_EQ(DestinationTs(), std::vector<int64_t>{before});
  EXPECT_GT(pull_requests_, requests_before);  // pump-a is still pulled
  EXPECT_EQ(node_->PumpPositions().count("pump-b"), 1u);

  PutPump("pump-b", NodeState::kOnline);
  AdvanceBy(options_.detect_interval_ms);
  WriteFake("pump-a");
  Settle();
  EXPECT_EQ(DestinationTs(), (std::vector<int64_t>{before, stalled}));
}

TEST_F(DrainerNodeTest, OfflinePumpIsDroppedFromTheMergeAndForgotten) {
  PutPump("pump-a", NodeState::kOnline);
  PutPump("pump-b", NodeState::kOnline);
  StartNode();
  pumps_.at("pump-b").hold = true;  // its pull is in flight when it goes offline
  const int64_t ts = CommitTxn("pump-a");
  Settle();
  EXPECT_TRUE(DestinationTs().empty());  // stalled on pump-b
  ASSERT_EQ(held_.size(), 1u);
  const PullRequest stale = held_.front();

  PutPump("pump-b", NodeState::kOffline);
  AdvanceBy(options_.detect_interval_ms);
  EXPECT_EQ(DestinationTs(), std::vector<int64_t>{ts});
  EXPECT_EQ(node_->PumpPositions().count("pump-b"), 0u);
  // The late answer of the forgotten pump is ignored.
  PullResult late;
  late.binlogs.push_back(MakeFakeBinlog(NextTs()));
  node_->OnPullResponse(stale.id, late, now_ms_);
  node_->CheckInvariants();
  EXPECT_EQ(node_->PumpPositions().count("pump-b"), 0u);
  // An offline pump never seen before is not tracked at all.
  PutPump("pump-c", NodeState::kOffline);
  AdvanceBy(options_.detect_interval_ms);
  EXPECT_EQ(node_->PumpPositions().count("pump-c"), 0u);
}

TEST_F(DrainerNodeTest, NewPumpStartsAfterTheMergersLatestTsEvenIfPaused) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  const int64_t merged = CommitTxn("pump-a");
  Settle();
  ASSERT_EQ(DestinationTs(), std::vector<int64_t>{merged});
  PutPump("pump-b", NodeState::kPaused);
  AdvanceBy(options_.detect_interval_ms);
  EXPECT_EQ(node_->PumpPositions().at("pump-b"), merged);
}

// Cistern Notify (§3.4): the pump list is refreshed at once, not at the detect interval,
// and the interval keeps its phase; a registry error is returned.
TEST_F(DrainerNodeTest, NotifyRefreshesThePumpListAtOnce) {
  StartNode();
  const int64_t refresh_due_ms = now_ms_ + options_.detect_interval_ms;
  PutPump("pump-a", NodeState::kOnline);
  AdvanceBy(1);
  EXPECT_TRUE(node_->PumpPositions().empty());
  EXPECT_TRUE(node_->Notify(now_ms_).ok());
  EXPECT_EQ(node_->PumpPositions().count("pump-a"), 1u);
  const int64_t ts = CommitTxn("pump-a");
  AdvanceTo(refresh_due_ms - 1);  // pulled well before the next refresh
  EXPECT_EQ(DestinationTs(), std::vector<int64_t>{ts});

  registry_.FailNextCalls(1);
  const Status failed = node_->Notify(now_ms_);
  EXPECT_EQ(failed.message().rfind("get pumps' status failed: ", 0), 0u) << failed.message();
  node_->Shutdown(now_ms_);
  EXPECT_EQ(node_->Notify(now_ms_).message(), "context canceled");
}

TEST_F(DrainerNodeTest, FailedPullIsRetriedAfterTheDelayFromTheSamePosition) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  pumps_.at("pump-a").fail_next_pulls = 1;
  const int64_t ts = CommitTxn("pump-a");
  AdvanceBy(options_.pull_poll_delay_ms);  // answered with an error
  EXPECT_TRUE(DestinationTs().empty());
  AdvanceBy(options_.pull_retry_delay_ms);
  EXPECT_EQ(DestinationTs(), std::vector<int64_t>{ts});
}

TEST_F(DrainerNodeTest, CheckpointNeverPassesWhatTheDestinationMadeDurable) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  const int64_t start_ts = node_->CheckpointTs();
  const int64_t first = CommitTxn("pump-a");
  const int64_t second = CommitTxn("pump-a");
  destination_.CrashInNextAppend(1);  // only `first` reaches the disk
  AdvanceBy(options_.checkpoint_save_interval_ms);
  EXPECT_TRUE(node_->Stopped());
  EXPECT_EQ(node_->FatalError().code(), StatusCode::kUnavailable);
  EXPECT_EQ(DrainerRecord().state, NodeState::kPaused);
  EXPECT_EQ(DestinationTs(), std::vector<int64_t>{first});
  EXPECT_EQ(checkpoint_->ts(), start_ts);
  EXPECT_FALSE(checkpoint_->consistent());

  // Restart: resumes from the checkpoint; `first` is written again (at-least-once across a
  // crash, as upstream), `second` once.
  MakeNode();
  StartNode();
  Settle();
  EXPECT_EQ(DestinationTs(), (std::vector<int64_t>{first, first, second}));
  AdvanceBy(options_.checkpoint_save_interval_ms);
  EXPECT_EQ(node_->CheckpointTs(), second);
}

TEST_F(DrainerNodeTest, CleanRestartResumesExactlyAfterTheCheckpoint) {
  PutPump("pump-a", NodeState::kOnline);
  PutPump("pump-b", NodeState::kOnline);
  StartNode();
  std::vector<int64_t> committed = {CommitTxn("pump-a"), CommitTxn("pump-b")};
  WriteFake("pump-a");
  Settle();
  node_->Shutdown(now_ms_);
  AdvanceBy(0);
  ASSERT_TRUE(node_->Stopped());
  EXPECT_TRUE(node_->FatalError().ok());
  EXPECT_TRUE(checkpoint_->consistent());
  EXPECT_EQ(checkpoint_->ts(), committed.back());  // the final save needs no interval

  committed.push_back(CommitTxn("pump-b"));  // written while the drainer is down
  MakeNode();
  StartNode();
  EXPECT_EQ(node_->CheckpointTs(), committed[1]);
  committed.push_back(CommitTxn("pump-a"));
  WriteFake("pump-a");
  WriteFake("pump-b");
  Settle();
  EXPECT_EQ(DestinationTs(), committed);
}

TEST_F(DrainerNodeTest, DdlSavesTheCheckpointAtOnceAndSetvalDdlIsSkipped) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  AdvanceBy(1);
  const int64_t setval = CommitDdl("pump-a", "SELECT SETVAL(seq, 10)", 7);
  const int64_t ddl = CommitDdl("pump-a", "create table t (a int)", 8);
  Settle();
  EXPECT_EQ(DestinationTs(), std::vector<int64_t>{ddl});
  EXPECT_GT(ddl, setval);
  EXPECT_EQ(node_->CheckpointTs(), ddl);  // well inside the 3 s save interval
  EXPECT_EQ(metrics_->ddl_jobs_total().Value(), 1.0);
  EXPECT_EQ(metrics_->event("DDL").Value(), 1.0);
}

TEST_F(DrainerNodeTest, CheckpointIsSavedAtMostEverySaveInterval) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  const int64_t start_ts = node_->CheckpointTs();
  const int64_t ts = CommitTxn("pump-a");
  Settle();
  EXPECT_EQ(DestinationTs(), std::vector<int64_t>{ts});
  EXPECT_EQ(node_->CheckpointTs(), start_ts);
  EXPECT_EQ(DrainerRecord().max_commit_ts, start_ts);
  AdvanceTo(kStartMs + options_.checkpoint_save_interval_ms);
  EXPECT_EQ(node_->CheckpointTs(), ts);
  AdvanceBy(kDrainerHeartbeatIntervalMilliseconds);
  EXPECT_EQ(DrainerRecord().max_commit_ts, ts);  // heartbeats publish the checkpoint
}

TEST_F(DrainerNodeTest, PullAndPositionMetricsFollowTheirCodePaths) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  const int64_t ts = CommitTxn("pump-a", 3);
  Settle();
  ASSERT_EQ(DestinationTs(), std::vector<int64_t>{ts});
  auto sample_count = [](prometheus::Histogram& histogram) {
    return histogram.Collect().histogram.sample_count;
  };
  EXPECT_EQ(sample_count(metrics_->read_binlog_size("pump-a")), 1u);
  EXPECT_EQ(sample_count(metrics_->binlog_reach_duration_time("pump-a")), 1u);
  EXPECT_EQ(metrics_->event("Insert").Value(), 3.0);
  // pump_position is published when the /status snapshot is rebuilt (each refresh).
  AdvanceTo(kStartMs + options_.detect_interval_ms);
  EXPECT_EQ(metrics_->pump_position("pump-a").Value(),
            static_cast<double>(ExtractPhysical(ts)));
  EXPECT_EQ(metrics_->checkpoint_tso().Value(), static_cast<double>(ExtractPhysical(ts)));
  EXPECT_EQ(metrics_->queue_size("syncer_input").Value(), 0.0);
}

TEST_F(DrainerNodeTest, SyncedIsFalseForTheFirstCheckTimeThenTrueWhenIdle) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  EXPECT_FALSE(node_->HttpStatus(now_ms_).synced);
  AdvanceTo(kStartMs + options_.synced_check_time_ms);
  EXPECT_FALSE(node_->HttpStatus(now_ms_).synced);  // "more than", not "at least"
  AdvanceBy(1);
  EXPECT_TRUE(node_->HttpStatus(now_ms_).synced);
  // Sticky until the next rebuild, even after a real write.
  CommitTxn("pump-a");
  AdvanceBy(options_.pull_poll_delay_ms);
  EXPECT_TRUE(node_->HttpStatus(now_ms_).synced);
  AdvanceBy(options_.detect_interval_ms);  // rebuilt; the write was recent
  EXPECT_FALSE(node_->HttpStatus(now_ms_).synced);
  // Fake binlogs do not refresh the time.
  AdvanceBy(options_.synced_check_time_ms - options_.detect_interval_ms);
  WriteFake("pump-a");
  AdvanceBy(options_.detect_interval_ms);
  EXPECT_TRUE(node_->HttpStatus(now_ms_).synced);
}

TEST_F(DrainerNodeTest, HeartbeatEverySecondWithApproachTsAndCheckpointTs) {
  StartNode();
  const int64_t anchor = DrainerRecord().update_ts;
  AdvanceTo(kStartMs + 2'500);
  EXPECT_EQ(DrainerRecord().update_ts, GetApproachTs(anchor, 2'000));
  EXPECT_EQ(DrainerRecord().max_commit_ts, node_->CheckpointTs());
  // An operator's rewrite is undone within 1 s.
  NodeStatus rewritten = DrainerRecord();
  rewritten.state = NodeState::kPaused;
  ASSERT_TRUE(registry_.UpdateNode(NodeKind::kDrainer, rewritten).ok());
  AdvanceBy(kDrainerHeartbeatIntervalMilliseconds);
  EXPECT_EQ(DrainerRecord().state, NodeState::kOnline);
  EXPECT_EQ(DrainerRecord().host, kDrainerHost);
}

TEST_F(DrainerNodeTest, TwentyConsecutiveHeartbeatFailuresStopThePaused) {
  StartNode();
  // 19 failures, one success: the count starts again.
  for (int i = 0; i < kDrainerHeartbeatFailuresMax - 1; ++i) {
    registry_.FailNextCalls(1);
    AdvanceTo(node_->NextTimerMs());
  }
  AdvanceTo(node_->NextTimerMs());
  for (int i = 0; i < kDrainerHeartbeatFailuresMax - 1; ++i) {
    registry_.FailNextCalls(1);
    AdvanceTo(node_->NextTimerMs());
  }
  EXPECT_FALSE(node_->ShuttingDown());
  registry_.FailNextCalls(1);
  AdvanceTo(node_->NextTimerMs());
  EXPECT_TRUE(node_->Stopped());
  EXPECT_FALSE(node_->FatalError().ok());
  EXPECT_EQ(node_->state(), NodeState::kPaused);
  EXPECT_EQ(DrainerRecord().state, NodeState::kPaused);
  EXPECT_EQ(node_->NextTimerMs(), kNoTimerMs);
}

TEST_F(DrainerNodeTest, PauseAndCloseWriteTheFinalStateWithoutWaiting) {
  PutPump("pump-a", NodeState::kOnline);
  StartNode();
  EXPECT_EQ(node_->ApplyAction(kDrainerId, "close").message, "apply action close success!");
  EXPECT_EQ(node_->state(), NodeState::kClosing);
  EXPECT_TRUE(node_->TakePullRequests().empty());
  EXPECT_EQ(DrainerRecord().state, NodeState::kOnline);  // closing is never published
  AdvanceBy(0);
  EXPECT_TRUE(node_->Stopped());
  EXPECT_EQ(DrainerRecord().state, NodeState::kOffline);
  EXPECT_TRUE(checkpoint_->consistent());

  MakeNode();
  StartNode();
  EXPECT_EQ(DrainerRecord().state, NodeState::kOnline);
  EXPECT_TRUE(node_->ApplyAction(kDrainerId, "pause").accepted);
  EXPECT_EQ(node_->state(), NodeState::kPausing);
  AdvanceBy(0);
  EXPECT_EQ(DrainerRecord().state, NodeState::kPaused);
  EXPECT_EQ(node_->NextTimerMs(), kNoTimerMs);
}

TEST_F(DrainerNodeTest, SignalBeforeStartStopsWithoutWriting) {
  node_->Shutdown(now_ms_);
  AdvanceBy(0);
  EXPECT_TRUE(node_->Stopped());
  EXPECT_FALSE(registry_.GetNode(NodeKind::kDrainer, kDrainerId).ok());
  EXPECT_FALSE(checkpoint_file_->contents.has_value());
}

// A merge buffer of two binlogs per pump: pulls ask only for what fits, and a full buffer
// gets no pull at all until the merge makes room.
class SmallBufferDrainerTest : public DrainerFixture {
 protected:
  static DrainerOptions SmallBuffers() {
    DrainerOptions options = drainer_testing::TestDrainerOptions();
    options.merge_limits.items_per_source_max = 2;
    return options;
  }
  SmallBufferDrainerTest() : DrainerFixture(SmallBuffers()) {}
};

TEST_F(SmallBufferDrainerTest, FullMergeBufferStopsPullsUntilTheMergeMakesRoom) {
  PutPump("pump-a", NodeState::kOnline);
  PutPump("pump-b", NodeState::kOnline);
  StartNode();
  std::vector<int64_t> committed;
  for (int i = 0; i < 9; ++i) committed.push_back(CommitTxn("pump-a"));
  Settle();
  EXPECT_TRUE(DestinationTs().empty());  // stalled on pump-b
  EXPECT_EQ(node_->PumpPositions().at("pump-a"), committed[1]);
  const int64_t requests = pull_requests_;
  AdvanceBy(options_.detect_interval_ms);
  EXPECT_LT(pull_requests_ - requests, 60);  // pump-b only: about one poll per 100 ms
  WriteFake("pump-b");
  Settle();
  EXPECT_EQ(DestinationTs(), committed);
}

}  // namespace
}  // namespace tidb_binlog
