// Goal: every pump HTTP endpoint answers byte for byte as upstream (UPSTREAM.md §1.2-§1.4,
// §2, §10): bodies, trailing newlines, Content-Types, /state check precedence, /debug/binlog
// ts parsing and lookups by start or commit ts, the GC trigger texts, /metrics on any method,
// and the router's 404/405. Method: requests routed in-process through MakePumpRouter over a
// manually driven PumpNode (no sockets).
#include "reference/pump/pump_http.h"

#include <gtest/gtest.h>

#include "reference/core/binlog_text.h"
#include "reference/pump/pump_testing.h"

namespace tidb_binlog {
namespace {

namespace http = boost::beast::http;
using testing_support::kPumpId;
using testing_support::kStartMs;

class PumpHttpTest : public testing_support::PumpFixture {
 protected:
  HttpResponse Send(http::verb method, const std::string& target) {
    HttpRequest request{method, target, 11};
    request.set(http::field::host, "127.0.0.1:8250");
    return router_.Route(request);
  }
  static std::string ContentType(const HttpResponse& response) {
    return std::string(response[http::field::content_type]);
  }
  static std::string RenderBody(const std::string& message, int code) {
    return "{\n  \"message\": \"" + message + "\",\n  \"code\": " + std::to_string(code) +
           ",\n  \"data\": null\n}\n";
  }

  Router router_ = MakePumpRouter(node_);
};

TEST_F(PumpHttpTest, StatusMatchesUpstreamVerifiedExample) {
  NodeStatus pump;
  pump.node_id = "b:8250";
  pump.host = "127.0.0.1:8250";
  pump.max_commit_ts = 2;
  pump.update_ts = 3;
  ASSERT_TRUE(registry_.UpdateNode(NodeKind::kPump, pump).ok());
  tso_.Pin(99);
  const HttpResponse response = Send(http::verb::get, "/status");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(ContentType(response), "text/plain; charset=utf-8");
  EXPECT_EQ(response.body(),
            "{\"status\":{\"b:8250\":{\"nodeId\":\"b:8250\",\"host\":\"127.0.0.1:8250\","
            "\"state\":\"online\",\"isAlive\":false,\"score\":0,\"label\":null,"
            "\"maxCommitTS\":2,\"updateTS\":3}},\"CommitTS\":99,\"Checkpoint\":{},"
            "\"ErrMsg\":\"\"}\n");
  // Query strings are ignored.
  EXPECT_EQ(Send(http::verb::get, "/status?x=1").body(), response.body());
}

TEST_F(PumpHttpTest, StatusListsEveryPumpIncludingOfflineSortedWithAFreshTso) {
  StartNode();
  NodeStatus gone;
  gone.node_id = "a-old:8250";
  gone.host = "10.0.0.1:8250";
  gone.state = NodeState::kOffline;
  ASSERT_TRUE(registry_.UpdateNode(NodeKind::kPump, gone).ok());
  const int64_t before = tso_.GetTs().value();
  const std::string body = Send(http::verb::get, "/status").body();
  const std::string own = NodeStatusToRegistryValue(PumpRecord());
  const std::string expected_prefix = "{\"status\":{\"a-old:8250\":" +
                                      NodeStatusToRegistryValue(gone) + ",\"pump-1:8250\":" +
                                      own + "},\"CommitTS\":";
  ASSERT_EQ(body.substr(0, expected_prefix.size()), expected_prefix);
  const std::string rest = body.substr(expected_prefix.size());
  const int64_t commit_ts = std::stoll(rest);
  EXPECT_GT(commit_ts, before);
  EXPECT_EQ(rest, std::to_string(commit_ts) + ",\"Checkpoint\":{},\"ErrMsg\":\"\"}\n");
}

TEST_F(PumpHttpTest, StatusErrorsHaveNullStatus) {
  registry_.FailNextCalls(1);
  const std::string registry_error = Send(http::verb::get, "/status").body();
  EXPECT_EQ(registry_error.rfind("{\"status\":null,\"CommitTS\":0,\"Checkpoint\":{},\"ErrMsg\":\"",
                                 0),
            0u)
      << registry_error;
  tso_.FailNext(1);
  EXPECT_EQ(Send(http::verb::get, "/status").body(),
            "{\"status\":null,\"CommitTS\":0,\"Checkpoint\":{},\"ErrMsg\":\"pd is "
            "unreachable\"}\n");
}

TEST_F(PumpHttpTest, StatusAfterShutdownBeganIsContextCanceled) {
  StartNode();
  ASSERT_EQ(Send(http::verb::put, std::string("/state/") + kPumpId + "/pause").body(),
            RenderBody("apply action pause success!", 200));
  const std::string canceled =
      "{\"status\":null,\"CommitTS\":0,\"Checkpoint\":{},\"ErrMsg\":\"context canceled\"}\n";
  EXPECT_EQ(Send(http::verb::get, "/status").body(), canceled);
  EXPECT_EQ(Send(http::verb::get, "/drainers").body(), "null\n");
  TickNow();
  EXPECT_EQ(Send(http::verb::get, "/status").body(), canceled);
}

TEST_F(PumpHttpTest, DrainersIsNullWhenEmptyOrFailingElseACompactArray) {
  EXPECT_EQ(Send(http::verb::get, "/drainers").body(), "null\n");
  EXPECT_EQ(ContentType(Send(http::verb::get, "/drainers")), "text/plain; charset=utf-8");
  PutDrainer("d2:8249", NodeState::kOffline, 7);
  PutDrainer("d1:8249", NodeState::kPaused, 5);
  EXPECT_EQ(Send(http::verb::get, "/drainers").body(),
            "[{\"nodeId\":\"d1:8249\",\"host\":\"127.0.0.1:8249\",\"state\":\"paused\","
            "\"isAlive\":false,\"score\":0,\"label\":null,\"maxCommitTS\":5,\"updateTS\":1},"
            "{\"nodeId\":\"d2:8249\",\"host\":\"127.0.0.1:8249\",\"state\":\"offline\","
            "\"isAlive\":false,\"score\":0,\"label\":null,\"maxCommitTS\":7,\"updateTS\":1}]\n");
  registry_.FailNextCalls(1);
  EXPECT_EQ(Send(http::verb::get, "/drainers").body(), "null\n");
}

TEST_F(PumpHttpTest, StateActionsAnswerUpstreamBytes) {
  StartNode();
  const std::string own = std::string("/state/") + kPumpId;
  HttpResponse wrong_id = Send(http::verb::put, "/state/other:1/pause");
  EXPECT_EQ(ContentType(wrong_id), "application/json; charset=UTF-8");
  EXPECT_EQ(wrong_id.body(),
            RenderBody("invalide nodeID other:1, this pump's nodeID is pump-1:8250", 3));
  EXPECT_EQ(Send(http::verb::put, own + "/stop").body(), RenderBody("invalide action stop", 3));
  EXPECT_EQ(node_.state(), NodeState::kOnline);

  const HttpResponse paused = Send(http::verb::put, own + "/pause");
  EXPECT_EQ(paused.body(), RenderBody("apply action pause success!", 200));
  EXPECT_EQ(paused.body().size(), 78u);  // upstream's Content-Length
  EXPECT_EQ(paused[http::field::content_length], "78");
  // Precedence: wrong node id, then state, then action.
  EXPECT_EQ(Send(http::verb::put, "/state/other:1/bogus").body(),
            RenderBody("invalide nodeID other:1, this pump's nodeID is pump-1:8250", 3));
  EXPECT_EQ(Send(http::verb::put, own + "/bogus").body(),
            RenderBody("this pump's state is pausing, apply bogus failed!", 3));
  EXPECT_EQ(Send(http::verb::put, own + "/stop").body(),
            RenderBody("this pump's state is pausing, apply stop failed!", 3));
  // Path variables are percent-decoded.
  EXPECT_EQ(Send(http::verb::put, "/state/a%20b/close").body(),
            RenderBody("invalide nodeID a b, this pump's nodeID is pump-1:8250", 3));
}

TEST_F(PumpHttpTest, RouterGives404And405AsUpstream) {
  const HttpResponse wrong_method = Send(http::verb::get, "/state/x/pause");
  EXPECT_EQ(wrong_method.result(), http::status::method_not_allowed);
  EXPECT_EQ(wrong_method.body(), "");
  EXPECT_EQ(Send(http::verb::head, "/status").result(), http::status::method_not_allowed);
  EXPECT_EQ(Send(http::verb::get, "/debug/gc/trigger").result(),
            http::status::method_not_allowed);
  EXPECT_EQ(Send(http::verb::post, "/status").result(), http::status::method_not_allowed);
  for (const char* target : {"/nope", "/", "/status/", "/state/n1", "/state/a/b/c",
                             "/debug/binlog/", "/metrics/"}) {
    const HttpResponse missing = Send(http::verb::get, target);
    EXPECT_EQ(missing.result(), http::status::not_found) << target;
    EXPECT_EQ(missing.body(), "404 page not found\n") << target;
  }
}

TEST_F(PumpHttpTest, BinlogByTsRejectsWhatParseIntRejects) {
  for (const char* raw : {"abc", "99999999999999999999", "0x10", "1_0", "+", "-", "1.0"}) {
    const HttpResponse response = Send(http::verb::get, std::string("/debug/binlog/") + raw);
    EXPECT_EQ(response.body(), std::string("invalid parameter ts: ") + raw) << raw;
    EXPECT_EQ(ContentType(response), "text/plain; charset=utf-8");
  }
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/-5").body(),
            "fail read binlog by ts: -5: leveldb: not found");
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/+5").body(),
            "fail read binlog by ts: 5: leveldb: not found");
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/007").body(),
            "fail read binlog by ts: 7: leveldb: not found");
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/9223372036854775807").body(),
            "fail read binlog by ts: 9223372036854775807: leveldb: not found");
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/-9223372036854775808").body(),
            "fail read binlog by ts: -9223372036854775808: leveldb: not found");
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/9223372036854775808").body(),
            "invalid parameter ts: 9223372036854775808");
}

TEST_F(PumpHttpTest, BinlogByTsReproducesTheDocExampleByCommitTs) {
  // The C-binlog of the public doc's example, prewrite_key bytes as its octal escapes show.
  static constexpr char kKey[] =
      "t\200\000\000\000\000\000-\212_i\200\000\000\000\000\000\000\001\003\200\000\000\000"
      "\000\teK\003\200\000\000\000\000\007\230L";
  binlog::Binlog commit = Commit(412518831548007786, 412518831548007863);
  commit.set_prewrite_key(std::string(kKey, sizeof(kKey) - 1));
  ASSERT_TRUE(store_->Write(commit).ok());
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/412518831548007863").body(),
            "tp:Commit start_ts:412518831548007786 commit_ts:412518831548007863 "
            "prewrite_key:\"t\\200\\000\\000\\000\\000\\000-\\212_i\\200\\000\\000\\000\\000"
            "\\000\\000\\001\\003\\200\\000\\000\\000\\000\\teK\\003\\200\\000\\000\\000\\000"
            "\\007\\230L\" \n\n GetMvccByEncodedKey: \n");
}

TEST_F(PumpHttpTest, BinlogByTsFindsPrewriteByStartTsAndCommitByCommitTs) {
  StartNode();
  binlog::Binlog prewrite = Prewrite(NextTs());
  binlog::PrewriteValue value;
  value.set_schema_version(12);
  prewrite.set_prewrite_value(EncodePrewriteValue(value));
  const binlog::Binlog commit = Commit(prewrite.start_ts(), NextTs());
  ASSERT_TRUE(Write(prewrite).ok());
  ASSERT_TRUE(Write(commit).ok());
  const std::string by_start =
      Send(http::verb::get, "/debug/binlog/" + std::to_string(prewrite.start_ts())).body();
  EXPECT_EQ(by_start, DebugBinlogText(prewrite));
  EXPECT_EQ(by_start, "start_ts:" + std::to_string(prewrite.start_ts()) +
                          " prewrite_key:\"k\" prewrite_value:\"\\010\\014\" \n\n"
                          " PrewriteValue: \nschema_version:12 \n\n GetMvccByEncodedKey: \n");
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/" + std::to_string(commit.commit_ts())).body(),
            "tp:Commit start_ts:" + std::to_string(commit.start_ts()) +
                " commit_ts:" + std::to_string(commit.commit_ts()) + " ");
  // A fake binlog is found by its ts.
  AdvanceTo(kStartMs + 6'000);
  const PullResult pulled = store_->Pull(commit.commit_ts(), 10, 1 << 20).value();
  ASSERT_FALSE(pulled.binlogs.empty());
  const int64_t fake_ts = pulled.binlogs.back().commit_ts();
  EXPECT_EQ(Send(http::verb::get, "/debug/binlog/" + std::to_string(fake_ts)).body(),
            "tp:Rollback start_ts:" + std::to_string(fake_ts) +
                " commit_ts:" + std::to_string(fake_ts) + " ");
}

TEST_F(PumpHttpTest, GcTriggerTexts) {
  EXPECT_EQ(Send(http::verb::post, "/debug/gc/trigger").body(), "gc is working\n");
  StartNode();
  const HttpResponse first = Send(http::verb::post, "/debug/gc/trigger");
  EXPECT_EQ(first.body(), "trigger gc success\n");
  EXPECT_EQ(ContentType(first), "text/plain; charset=utf-8");
  EXPECT_EQ(Send(http::verb::post, "/debug/gc/trigger").body(), "gc is working\n");
  TickNow();
  EXPECT_EQ(Send(http::verb::post, "/debug/gc/trigger").body(), "trigger gc success\n");
  node_.Shutdown(now_ms_);
  EXPECT_EQ(Send(http::verb::post, "/debug/gc/trigger").body(), "gc is working\n");
}

TEST_F(PumpHttpTest, MetricsOnAnyMethod) {
  StartNode();
  for (http::verb method : {http::verb::get, http::verb::post, http::verb::delete_}) {
    const HttpResponse response = Send(method, "/metrics");
    EXPECT_EQ(response.result(), http::status::ok);
    EXPECT_EQ(ContentType(response), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(response.body().find("# TYPE binlog_pump_loss_binlog_count counter\n"
                                   "binlog_pump_loss_binlog_count 0\n"),
              std::string::npos);
    EXPECT_NE(response.body().find("binlog_pump_storage_storage_size_bytes{type=\"available\"}"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace tidb_binlog
