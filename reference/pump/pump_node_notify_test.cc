// Goal: a pump's start-up Notify round is upstream's (UPSTREAM.md §5.5, pump/node.go
// notifyDrainer): only after an `offline` or absent record, every `online` drainer in turn,
// 3 tries 1 s then 2 s apart, all within 10 s; on failure the record goes back to `offline`
// and the start fails with `fail to notify all living drainer`. Method: the manual driver of
// pump_testing.h answers the node's NotifyRequests by hand at chosen times.
#include <gtest/gtest.h>

#include "reference/pump/pump_node.h"
#include "reference/pump/pump_testing.h"

namespace tidb_binlog {
namespace {

using testing_support::kPumpHost;
using testing_support::kPumpId;
using testing_support::kStartMs;
using testing_support::PumpFixture;

class PumpNodeNotifyTest : public PumpFixture {
 protected:
  void PutDrainerAt(const std::string& id, const std::string& host, NodeState state) {
    NodeStatus drainer;
    drainer.node_id = id;
    drainer.host = host;
    drainer.state = state;
    drainer.update_ts = 1;
    ASSERT_TRUE(registry_.UpdateNode(NodeKind::kDrainer, drainer).ok());
  }
  void PutOwnRecord(NodeState state) {
    NodeStatus record;
    record.node_id = kPumpId;
    record.host = kPumpHost;
    record.state = state;
    ASSERT_TRUE(registry_.UpdateNode(NodeKind::kPump, record).ok());
  }
  // The one request the node wants sent now.
  NotifyRequest TakeOne() {
    std::vector<NotifyRequest> requests = node_.TakeNotifyRequests();
    EXPECT_EQ(requests.size(), 1u);
    return requests.empty() ? NotifyRequest{} : requests.front();
  }
  void Answer(const NotifyRequest& request, const Status& result, int64_t at_ms) {
    now_ms_ = at_ms;
    tso_.now_ms = at_ms;
    node_.OnNotifyResult(request.id, result, at_ms);
    node_.CheckInvariants();
  }
};

TEST_F(PumpNodeNotifyTest, NotifiesEveryOnlineDrainerInTurnThenCompletesTheStart) {
  PutDrainerAt("d1:8249", "10.0.0.1:8249", NodeState::kOnline);
  PutDrainerAt("d2:8249", "10.0.0.2:8249", NodeState::kPaused);
  PutDrainerAt("d3:8249", "10.0.0.3:8249", NodeState::kOnline);
  ASSERT_TRUE(node_.Start(kStartMs).ok());
  EXPECT_EQ(PumpRecord().state, NodeState::kOnline);  // registered before notifying
  EXPECT_TRUE(node_.Notifying());
  EXPECT_FALSE(node_.Started());

  const NotifyRequest first = TakeOne();
  EXPECT_EQ(first.drainer_node_id, "d1:8249");
  EXPECT_EQ(first.drainer_host, "10.0.0.1:8249");
  EXPECT_EQ(first.deadline_ms, kStartMs + kNotifyTimeoutMilliseconds);
  EXPECT_TRUE(node_.TakeNotifyRequests().empty());  // one call at a time
  // Nothing is served before the round succeeded, and a refusal is no counted loss.
  EXPECT_EQ(Write(Prewrite(NextTs())).code(), StatusCode::kUnavailable);
  EXPECT_EQ(LossCount(), 0);
  EXPECT_FALSE(node_.ApplyAction(kPumpId, "pause").accepted);

  Answer(first, Status::Ok(), kStartMs + 5);
  const NotifyRequest second = TakeOne();
  EXPECT_EQ(second.drainer_node_id, "d3:8249");  // the paused drainer is skipped
  Answer(second, Status::Ok(), kStartMs + 10);
  EXPECT_TRUE(node_.Started());
  EXPECT_FALSE(node_.Notifying());
  EXPECT_TRUE(node_.FatalError().ok());
  EXPECT_EQ(node_.NextTimerMs(), kStartMs + 10 + kDefaultHeartbeatIntervalMilliseconds);
  EXPECT_TRUE(Write(Prewrite(NextTs())).ok());
}

TEST_F(PumpNodeNotifyTest, RetriesOneSecondThenTwoSecondsLaterThenFailsOffline) {
  PutDrainerAt("d1:8249", "10.0.0.1:8249", NodeState::kOnline);
  ASSERT_TRUE(node_.Start(kStartMs).ok());
  const NotifyRequest first = TakeOne();
  Answer(first, Status::Unavailable("connection refused"), kStartMs + 100);
  EXPECT_TRUE(node_.TakeNotifyRequests().empty());
  EXPECT_EQ(node_.NextTimerMs(), kStartMs + 1'100);
  AdvanceTo(kStartMs + 1'099);
  EXPECT_TRUE(node_.TakeNotifyRequests().empty());
  AdvanceTo(kStartMs + 1'100);
  const NotifyRequest second = TakeOne();
  EXPECT_NE(second.id, first.id);
  Answer(first, Status::Ok(), kStartMs + 1'150);  // a stale answer changes nothing
  EXPECT_TRUE(node_.Notifying());
  Answer(second, Status::Unavailable("connection refused"), kStartMs + 1'200);
  EXPECT_EQ(node_.NextTimerMs(), kStartMs + 3'200);
  AdvanceTo(kStartMs + 3'200);
  const NotifyRequest third = TakeOne();
  Answer(third, Status::Unavailable("connection refused"), kStartMs + 3'300);

  EXPECT_TRUE(node_.Stopped());
  EXPECT_FALSE(node_.Started());
  EXPECT_EQ(node_.FatalError().message(),
            "fail to notify all living drainer: notify drainer(10.0.0.1:8249): connection "
            "refused");
  const NodeStatus record = PumpRecord();
  EXPECT_EQ(record.state, NodeState::kOffline);
  EXPECT_EQ(record.update_ts, 0);
  EXPECT_EQ(node_.NextTimerMs(), kNoTimerMs);
}

TEST_F(PumpNodeNotifyTest, UnansweredRoundFailsAtTheOverallTimeout) {
  PutDrainerAt("d1:8249", "10.0.0.1:8249", NodeState::kOnline);
  PutOwnRecord(NodeState::kOffline);  // closed earlier: starting again notifies
  ASSERT_TRUE(node_.Start(kStartMs).ok());
  const NotifyRequest first = TakeOne();
  EXPECT_EQ(node_.NextTimerMs(), kStartMs + kNotifyTimeoutMilliseconds);
  AdvanceTo(kStartMs + kNotifyTimeoutMilliseconds - 1);
  EXPECT_TRUE(node_.Notifying());
  AdvanceTo(kStartMs + kNotifyTimeoutMilliseconds);
  EXPECT_TRUE(node_.Stopped());
  EXPECT_EQ(node_.FatalError().message(),
            "fail to notify all living drainer: notify drainer(10.0.0.1:8249): context "
            "deadline exceeded");
  EXPECT_EQ(PumpRecord().state, NodeState::kOffline);
  Answer(first, Status::Ok(), kStartMs + kNotifyTimeoutMilliseconds + 1);  // too late
  EXPECT_TRUE(node_.Stopped());
}

TEST_F(PumpNodeNotifyTest, NoNotifyAfterAPausedRecord) {
  PutDrainerAt("d1:8249", "10.0.0.1:8249", NodeState::kOnline);
  PutOwnRecord(NodeState::kPaused);
  ASSERT_TRUE(node_.Start(kStartMs).ok());
  EXPECT_TRUE(node_.Started());
  EXPECT_TRUE(node_.TakeNotifyRequests().empty());
}

TEST_F(PumpNodeNotifyTest, NoNotifyAfterAStaleOnlineRecord) {
  PutDrainerAt("d1:8249", "10.0.0.1:8249", NodeState::kOnline);
  PutOwnRecord(NodeState::kOnline);  // a crash left it
  ASSERT_TRUE(node_.Start(kStartMs).ok());
  EXPECT_TRUE(node_.Started());
  EXPECT_TRUE(node_.TakeNotifyRequests().empty());
}

TEST_F(PumpNodeNotifyTest, NoNotifyWithoutOnlineDrainers) {
  PutDrainerAt("d1:8249", "10.0.0.1:8249", NodeState::kPaused);
  PutDrainerAt("d2:8249", "10.0.0.2:8249", NodeState::kOffline);
  ASSERT_TRUE(node_.Start(kStartMs).ok());
  EXPECT_TRUE(node_.Started());
  EXPECT_TRUE(node_.TakeNotifyRequests().empty());
}

TEST_F(PumpNodeNotifyTest, SignalDuringTheRoundFailsTheStart) {
  PutDrainerAt("d1:8249", "10.0.0.1:8249", NodeState::kOnline);
  ASSERT_TRUE(node_.Start(kStartMs).ok());
  (void)TakeOne();
  node_.Shutdown(kStartMs + 50);
  EXPECT_TRUE(node_.Stopped());
  EXPECT_EQ(node_.FatalError().message(),
            "fail to notify all living drainer: notify drainer(10.0.0.1:8249): context "
            "canceled");
  EXPECT_EQ(PumpRecord().state, NodeState::kOffline);
}

}  // namespace
}  // namespace tidb_binlog
