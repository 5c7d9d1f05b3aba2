// Byte-for-byte checks of the HTTP API bodies against every example in UPSTREAM.md that
// these encoders produce: util.Response bodies (§1.4, §2.2, §2.2.1, §3.2, §3.3), pump
// /status (§2.1) and /drainers (§2.3), drainer /status (§3.1).
#include "reference/core/api_response.h"

#include <gtest/gtest.h>

#include <vector>

namespace tidb_binlog {
namespace {

TEST(ResponseBodyTest, PauseSuccessIs78Bytes) {
  const std::string body = SuccessResponseBody("apply action pause success!");
  EXPECT_EQ(body,
            "{\n"
            "  \"message\": \"apply action pause success!\",\n"
            "  \"code\": 200,\n"
            "  \"data\": null\n"
            "}\n");
  EXPECT_EQ(body.size(), 78u);
}

TEST(ResponseBodyTest, StopActionOnPumpAndDrainer) {
  EXPECT_EQ(ErrorResponseBody("invalide action stop"),
            "{\n  \"message\": \"invalide action stop\",\n  \"code\": 3,\n  \"data\": null\n}\n");
  EXPECT_EQ(ErrorResponseBody("invalid action stop"),
            "{\n  \"message\": \"invalid action stop\",\n  \"code\": 3,\n  \"data\": null\n}\n");
  EXPECT_EQ(ErrorResponseBody("invalide nodeID x:1, this pump's nodeID is b:8250"),
            "{\n  \"message\": \"invalide nodeID x:1, this pump's nodeID is b:8250\",\n"
            "  \"code\": 3,\n  \"data\": null\n}\n");
  EXPECT_EQ(ErrorResponseBody("this pump's state is paused, apply stop failed!"),
            "{\n  \"message\": \"this pump's state is paused, apply stop failed!\",\n"
            "  \"code\": 3,\n  \"data\": null\n}\n");
}

TEST(ResponseBodyTest, MessagesAreGoEscaped) {
  EXPECT_EQ(ErrorResponseBody("invalide nodeID <a&b>, this pump's nodeID is \"n\""),
            "{\n  \"message\": \"invalide nodeID \\u003ca\\u0026b\\u003e, this pump's nodeID "
            "is \\\"n\\\"\",\n  \"code\": 3,\n  \"data\": null\n}\n");
}

TEST(ResponseBodyTest, NotFound) {
  EXPECT_EQ(NotFoundResponseBody("node n1"),
            "{\n  \"message\": \"node n1 not found\",\n  \"code\": 2,\n  \"data\": null\n}\n");
}

TEST(ResponseBodyTest, CommitTs) {
  EXPECT_EQ(CommitTsBody(412361808537191540),
            "{\n"
            "  \"message\": \"get drainer's latest ts success!\",\n"
            "  \"code\": 200,\n"
            "  \"data\": {\n"
            "    \"ts\": 412361808537191540\n"
            "  }\n"
            "}\n");
}

NodeStatus Node(std::string id, std::string host, NodeState state, int64_t max_commit_ts,
                int64_t update_ts) {
  NodeStatus s;
  s.node_id = std::move(id);
  s.host = std::move(host);
  s.state = state;
  s.max_commit_ts = max_commit_ts;
  s.update_ts = update_ts;
  return s;
}

TEST(PumpStatusBodyTest, SpecExample) {
  const std::vector<NodeStatus> pumps = {
      Node("b:8250", "127.0.0.1:8250", NodeState::kOnline, 2, 3)};
  EXPECT_EQ(PumpStatusBody(pumps, 99),
            R"({"status":{"b:8250":{"nodeId":"b:8250","host":"127.0.0.1:8250","state":"online","isAlive":false,"score":0,"label":null,"maxCommitTS":2,"updateTS":3}},"CommitTS":99,"Checkpoint":{},"ErrMsg":""})"
            "\n");
}

TEST(PumpStatusBodyTest, KeyedByNodeIdSortedAndIncludingOffline) {
  const std::vector<NodeStatus> pumps = {
      Node("p2", "h2", NodeState::kOffline, 5, 6), Node("p1", "h1", NodeState::kPaused, 0, 0)};
  EXPECT_EQ(PumpStatusBody(pumps, 7),
            R"({"status":{"p1":{"nodeId":"p1","host":"h1","state":"paused","isAlive":false,"score":0,"label":null,"maxCommitTS":0,"updateTS":0},"p2":{"nodeId":"p2","host":"h2","state":"offline","isAlive":false,"score":0,"label":null,"maxCommitTS":5,"updateTS":6}},"CommitTS":7,"Checkpoint":{},"ErrMsg":""})"
            "\n");
  EXPECT_EQ(PumpStatusBody({}, 7),
            "{\"status\":{},\"CommitTS\":7,\"Checkpoint\":{},\"ErrMsg\":\"\"}\n");
}

TEST(PumpStatusBodyTest, ErrorShape) {
  EXPECT_EQ(PumpStatusErrorBody("context canceled"),
            "{\"status\":null,\"CommitTS\":0,\"Checkpoint\":{},\"ErrMsg\":\"context canceled\"}\n");
}

TEST(DrainersBodyTest, NoneIsNull) {
  EXPECT_EQ(DrainersBody({}), "null\n");
}

TEST(DrainersBodyTest, RecordsAsCompactArray) {
  const std::vector<NodeStatus> drainers = {
      Node("d1:8249", "127.0.0.1:8249", NodeState::kOnline, 10, 11),
      Node("d0:8249", "127.0.0.1:8248", NodeState::kOffline, 1, 2)};
  EXPECT_EQ(DrainersBody(drainers),
            R"([{"nodeId":"d1:8249","host":"127.0.0.1:8249","state":"online","isAlive":false,"score":0,"label":null,"maxCommitTS":10,"updateTS":11},{"nodeId":"d0:8249","host":"127.0.0.1:8248","state":"offline","isAlive":false,"score":0,"label":null,"maxCommitTS":1,"updateTS":2}])"
            "\n");
}

TEST(DrainerStatusBodyTest, SpecExample) {
  EXPECT_EQ(DrainerStatusBody(std::map<std::string, int64_t>{{"p1:8250", 412361808550297954}},
                              true, 412361808537191540),
            "{\"PumpPos\":{\"p1:8250\":412361808550297954},\"Synced\":true,"
            "\"LastTS\":412361808537191540,\"TsMap\":\"\"}\n");
}

TEST(DrainerStatusBodyTest, BeforeFirstRefresh) {
  EXPECT_EQ(DrainerStatusBody(std::nullopt, false, 0),
            "{\"PumpPos\":null,\"Synced\":false,\"LastTS\":0,\"TsMap\":\"\"}\n");
}

TEST(DrainerStatusBodyTest, PumpPosSortedAndEmptyMapIsObject) {
  EXPECT_EQ(DrainerStatusBody(std::map<std::string, int64_t>{{"b", 2}, {"a", 1}}, false, 3),
            "{\"PumpPos\":{\"a\":1,\"b\":2},\"Synced\":false,\"LastTS\":3,\"TsMap\":\"\"}\n");
  EXPECT_EQ(DrainerStatusBody(std::map<std::string, int64_t>{}, false, 0),
            "{\"PumpPos\":{},\"Synced\":false,\"LastTS\":0,\"TsMap\":\"\"}\n");
}

}  // namespace
}  // namespace tidb_binlog
