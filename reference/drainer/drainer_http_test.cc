// Goal: the drainer's HTTP API answers byte for byte as upstream's (UPSTREAM.md §3, §10):
// bodies, trailing newlines, Content-Types, the before-first-refresh /status, the Synced and
// LastTS rules as /status shows them, /commit_ts, the /state checks and their precedence, and
// /metrics on any method. Method: requests routed in-process through MakeDrainerRouter over
// the manual-driver fixture (no sockets, explicit time).
#include "reference/drainer/drainer_http.h"

#include <gtest/gtest.h>

#include "reference/drainer/drainer_testing.h"

namespace tidb_binlog {
namespace {

namespace http = boost::beast::http;
using drainer_testing::DrainerFixture;
using drainer_testing::kStartMs;

class DrainerHttpTest : public DrainerFixture {
 protected:
  HttpResponse Call(http::verb method, const std::string& target) {
    Router router = MakeDrainerRouter(*node_, [this] { return now_ms_; });
    HttpRequest request(method, target, 11);
    request.set(http::field::host, "127.0.0.1:8249");
    return router.Route(request);
  }
  static std::string ContentType(const HttpResponse& response) {
    return std::string(response[http::field::content_type]);
  }
  static std::string Error(const std::string& message) {
    return "{\n  \"message\": \"" + message + "\",\n  \"code\": 3,\n  \"data\": null\n}\n";
  }
};

TEST_F(DrainerHttpTest, StatusBeforeTheFirstRefreshIsNullFalseZero) {
  HttpResponse response = Call(http::verb::get, "/status");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "{\"PumpPos\":null,\"Synced\":false,\"LastTS\":0,\"TsMap\":\"\"}\n");
  EXPECT_EQ(ContentType(response), "text/plain; charset=utf-8");

  // A failed first refresh (a pump record that does not decode) leaves it so, LastTS too.
  ASSERT_TRUE(registry_.Put("/tidb-binlog/v1/pumps/broken", "not json").ok());
  StartNode();
  EXPECT_EQ(Call(http::verb::get, "/status").body(),
            "{\"PumpPos\":null,\"Synced\":false,\"LastTS\":0,\"TsMap\":\"\"}\n");
}

TEST_F(DrainerHttpTest, StatusShowsPumpPositionsSyncedAndCheckpointTs) {
  StartNode();
  // No pumps yet: the snapshot exists, with an empty (non-nil) map.
  const std::string last_ts = std::to_string(node_->CheckpointTs());
  EXPECT_EQ(Call(http::verb::get, "/status").body(),
            "{\"PumpPos\":{},\"Synced\":false,\"LastTS\":" + last_ts + ",\"TsMap\":\"\"}\n");

  PutPump("pump-b:8250", NodeState::kOnline);
  PutPump("pump-a:8250", NodeState::kPaused);
  AdvanceBy(options_.detect_interval_ms);
  // pump-a is tracked (a new pump is pulled even if its record says paused) until the next
  // refresh pauses it; its last fake binlog lets pump-b's commit through the merge.
  WriteFake("pump-a:8250");
  const int64_t ts = CommitTxn("pump-b:8250");
  const int64_t fake_a = WriteFake("pump-a:8250");
  Settle();
  ASSERT_EQ(DestinationTs(), std::vector<int64_t>{ts});
  AdvanceTo(kStartMs + options_.synced_check_time_ms + options_.detect_interval_ms);
  ASSERT_EQ(node_->CheckpointTs(), ts);
  // Sorted keys; LastTS is the checkpoint; Synced only once the check time passed idle.
  EXPECT_EQ(Call(http::verb::get, "/status").body(),
            "{\"PumpPos\":{\"pump-a:8250\":" + std::to_string(fake_a) +
                ",\"pump-b:8250\":" + std::to_string(ts) +
                "},\"Synced\":false,\"LastTS\":" + std::to_string(ts) + ",\"TsMap\":\"\"}\n");
  AdvanceBy(options_.synced_check_time_ms);
  EXPECT_NE(Call(http::verb::get, "/status").body().find("\"Synced\":true"), std::string::npos);
}

TEST_F(DrainerHttpTest, CommitTsIsTheCheckpointInRenderJson) {
  checkpoint_file_->contents = "consistent = false\ncommitTS = 412361808537191540\n";
  StartNode();
  HttpResponse response = Call(http::verb::get, "/commit_ts");
  EXPECT_EQ(response.body(),
            "{\n  \"message\": \"get drainer's latest ts success!\",\n  \"code\": 200,\n"
            "  \"data\": {\n    \"ts\": 412361808537191540\n  }\n}\n");
  EXPECT_EQ(ContentType(response), "application/json; charset=UTF-8");
}

TEST_F(DrainerHttpTest, StateChecksNodeIdThenStateThenAction) {
  StartNode();
  EXPECT_EQ(Call(http::verb::put, "/state/other:8249/stop").body(),
            Error("invalid nodeID other:8249, this pump's nodeID is drainer-1:8249"));
  HttpResponse bad_action = Call(http::verb::put, "/state/drainer-1:8249/stop");
  EXPECT_EQ(bad_action.body(), Error("invalid action stop"));
  EXPECT_EQ(bad_action.result(), http::status::ok);
  EXPECT_EQ(ContentType(bad_action), "application/json; charset=UTF-8");
  EXPECT_EQ(node_->state(), NodeState::kOnline);

  HttpResponse paused = Call(http::verb::put, "/state/drainer-1:8249/pause");
  EXPECT_EQ(paused.body(),
            "{\n  \"message\": \"apply action pause success!\",\n  \"code\": 200,\n"
            "  \"data\": null\n}\n");
  // Not online any more: the state message beats the bad action; the node id still wins.
  EXPECT_EQ(Call(http::verb::put, "/state/drainer-1:8249/stop").body(),
            Error("this pump's state is pausing, apply stop failed!"));
  EXPECT_EQ(Call(http::verb::put, "/state/x/stop").body(),
            Error("invalid nodeID x, this pump's nodeID is drainer-1:8249"));
  AdvanceBy(0);
  EXPECT_EQ(Call(http::verb::put, "/state/drainer-1:8249/close").body(),
            Error("this pump's state is paused, apply close failed!"));
  EXPECT_EQ(DrainerRecord().state, NodeState::kPaused);
}

TEST_F(DrainerHttpTest, RouterRulesAndMetricsOnAnyMethod) {
  StartNode();
  EXPECT_EQ(Call(http::verb::post, "/status").result(), http::status::method_not_allowed);
  EXPECT_EQ(Call(http::verb::get, "/state/drainer-1:8249/pause").result(),
            http::status::method_not_allowed);
  EXPECT_EQ(Call(http::verb::get, "/drainers").body(), "404 page not found\n");
  for (http::verb method : {http::verb::get, http::verb::post, http::verb::delete_}) {
    HttpResponse metrics = Call(method, "/metrics");
    EXPECT_EQ(metrics.result(), http::status::ok);
    EXPECT_EQ(ContentType(metrics), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(metrics.body().find("binlog_drainer_checkpoint_tso "), std::string::npos);
    EXPECT_NE(metrics.body().find("binlog_drainer_event{type=\"savepoint\"} 1"),
              std::string::npos);
  }
  EXPECT_EQ(node_->state(), NodeState::kOnline);
}

}  // namespace
}  // namespace tidb_binlog
