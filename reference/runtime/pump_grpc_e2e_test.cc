// Goal: a reference pump serves upstream's gRPC service on its HTTP port, as TiDB and drainers
// use it: binlogs written with WriteBinlog are read back at /debug/binlog/{ts} over HTTP on the
// same port and streamed by PullBinlogs; failures are gRPC errors with code Unknown and
// upstream's texts (foreign cluster id, Prewrite to a pump that is not online), counted in
// binlog_pump_loss_binlog_count and the rpc histogram's `fail` label; HTTP/1 keeps working on
// the port around gRPC traffic; the drainer's port serves no binlog.Pump.
// Method: a LocalCluster in-process on ephemeral loopback ports in a temporary directory (no
// workload), PumpClient over real sockets, the plain HTTP client, bounded polls.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "reference/core/binlog_codec.h"
#include "reference/core/binlog_text.h"
#include "reference/core/testing/test_directory.h"
#include "reference/grpc/pump_client.h"
#include "reference/runtime/e2e_testing.h"
#include "reference/runtime/e2e_http_client.h"
#include "reference/runtime/local_cluster.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;
using boost::beast::http::verb;
using e2e::HttpCall;
using e2e::HttpGet;

using e2e::kWaitLimit;
using e2e::WaitFor;

// The value of the first /metrics sample line starting with `prefix` and containing every
// one of `parts`; -1 when there is none.
double Sample(const std::string& metrics, const std::string& prefix,
              std::initializer_list<std::string> parts = {}) {
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(prefix)) continue;
    bool all = true;
    for (const std::string& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

class PumpGrpcE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing_support::FreshTestPath("pump_grpc_e2e"); }
  void TearDown() override {
    cluster_.reset();
    fs::remove_all(dir_);
  }

  void StartCluster(int drainers) {
    const LocalClusterOptions options =
        e2e::E2eClusterOptions(dir_.string(), "grpc-e2e-host", /*pumps=*/1, drainers);
    auto cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(cluster).value();
    cluster_->RunInBackground();
    client_ = std::make_unique<PumpClient>(PumpAddress());
  }

  std::string PumpAddress() const { return cluster_->PumpAddresses()[0]; }
  std::string PumpId() const { return cluster_->Nodes()[0].id; }

  binlog::Binlog Prewrite(int64_t start_ts) {
    binlog::Binlog prewrite;
    prewrite.set_tp(binlog::BinlogType::Prewrite);
    prewrite.set_start_ts(start_ts);
    prewrite.set_prewrite_key("t\x80\x01key");
    binlog::PrewriteValue value;
    value.set_schema_version(7);
    binlog::TableMutation* mutation = value.add_mutations();
    mutation->set_table_id(45);
    mutation->add_inserted_rows(std::string("row\x00\xff", 5) + std::to_string(start_ts));
    mutation->add_sequence(binlog::MutationType::Insert);
    prewrite.set_prewrite_value(EncodePrewriteValue(value));
    return prewrite;
  }

  static binlog::Binlog Commit(const binlog::Binlog& prewrite, int64_t commit_ts) {
    binlog::Binlog commit;
    commit.set_tp(binlog::BinlogType::Commit);
    commit.set_start_ts(prewrite.start_ts());
    commit.set_commit_ts(commit_ts);
    commit.set_prewrite_key(prewrite.prewrite_key());
    return commit;
  }

  std::string DebugBinlog(int64_t ts) {
    auto reply = HttpGet(PumpAddress(), "/debug/binlog/" + std::to_string(ts));
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->body : "";
  }

  std::string Metrics() {
    auto reply = HttpGet(PumpAddress(), "/metrics");
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->body : "";
  }

  void ExpectHttpStatusWorks() {
    auto reply = HttpGet(PumpAddress(), "/status");
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->status, 200);
    EXPECT_THAT(reply->body, ::testing::HasSubstr(PumpId()));
  }

  fs::path dir_;
  std::unique_ptr<LocalCluster> cluster_;
  std::unique_ptr<PumpClient> client_;
};

TEST_F(PumpGrpcE2eTest, WrittenBinlogsAreReadBackOverHttpOnTheSamePort) {
  StartCluster(/*drainers=*/0);
  ExpectHttpStatusWorks();
  const binlog::Binlog prewrite = Prewrite(*cluster_->tso().GetTs());
  const RpcStatus p = client_->WriteBinlog(kLocalClusterId, prewrite);
  ASSERT_TRUE(p.ok()) << p.ToString();
  const binlog::Binlog commit = Commit(prewrite, *cluster_->tso().GetTs());
  const RpcStatus c = client_->WriteBinlog(kLocalClusterId, commit);
  ASSERT_TRUE(c.ok()) << c.ToString();

  EXPECT_EQ(DebugBinlog(prewrite.start_ts()), DebugBinlogText(prewrite));
  EXPECT_EQ(DebugBinlog(commit.commit_ts()), DebugBinlogText(commit));
  EXPECT_THAT(DebugBinlog(prewrite.start_ts()), ::testing::HasSubstr("\n\n PrewriteValue: \n"));
  ExpectHttpStatusWorks();
  const std::string metrics = Metrics();
  EXPECT_GE(Sample(metrics, "binlog_pump_rpc_duration_seconds_count",
                   {"label=\"succ\"", "method=\"WriteBinlog\""}),
            2);
  EXPECT_EQ(Sample(metrics, "binlog_pump_loss_binlog_count"), 0);
}

TEST_F(PumpGrpcE2eTest, ForeignClusterIdIsRefusedWithUpstreamsText) {
  StartCluster(/*drainers=*/0);
  const binlog::Binlog prewrite = Prewrite(*cluster_->tso().GetTs());
  const RpcStatus refused = client_->WriteBinlog(42, prewrite);
  EXPECT_EQ(refused.code, kGrpcCodeUnknown);
  EXPECT_EQ(refused.message,
            "cluster ID are mismatch, 42 vs " + std::to_string(kLocalClusterId));
  EXPECT_EQ(DebugBinlog(prewrite.start_ts()),
            "fail read binlog by ts: " + std::to_string(prewrite.start_ts()) +
                ": leveldb: not found");
  const std::string metrics = Metrics();
  EXPECT_EQ(Sample(metrics, "binlog_pump_loss_binlog_count"), 1);
  EXPECT_EQ(Sample(metrics, "binlog_pump_rpc_duration_seconds_count",
                   {"label=\"fail\"", "method=\"WriteBinlog\""}),
            1);
}

TEST_F(PumpGrpcE2eTest, UndecodablePayloadIsAnUnknownError) {
  StartCluster(/*drainers=*/0);
  const RpcStatus refused = client_->WriteBinlog(kLocalClusterId, std::string("\xff\xff", 2));
  EXPECT_EQ(refused.code, kGrpcCodeUnknown);
  EXPECT_FALSE(refused.message.empty());
  EXPECT_EQ(Sample(Metrics(), "binlog_pump_loss_binlog_count"), 1);
}

TEST_F(PumpGrpcE2eTest, PullBinlogsStreamsTheCommittedBinlogWithItsPrewriteValue) {
  StartCluster(/*drainers=*/0);
  const binlog::Binlog prewrite = Prewrite(*cluster_->tso().GetTs());
  ASSERT_TRUE(client_->WriteBinlog(kLocalClusterId, prewrite).ok());
  const binlog::Binlog commit = Commit(prewrite, *cluster_->tso().GetTs());
  ASSERT_TRUE(client_->WriteBinlog(kLocalClusterId, commit).ok());

  auto stream = client_->PullBinlogs(kLocalClusterId, prewrite.start_ts(), kWaitLimit);
  binlog::PullBinlogResp response;
  bool found = false;
  int64_t previous = prewrite.start_ts();
  while (!found && stream->Next(&response)) {
    const binlog::Entity& entity = response.entity();
    EXPECT_GT(entity.meta().committs(), previous) << "commit ts order";
    previous = entity.meta().committs();
    if (entity.meta().committs() != commit.commit_ts()) continue;  // fake binlogs
    found = true;
    EXPECT_TRUE(entity.has_pos());
    EXPECT_EQ(entity.meta().startts(), prewrite.start_ts());
    Result<binlog::Binlog> pulled = DecodeBinlog(entity.payload());
    ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
    EXPECT_EQ(pulled->tp(), binlog::BinlogType::Commit);
    EXPECT_EQ(pulled->start_ts(), prewrite.start_ts());
    EXPECT_EQ(pulled->commit_ts(), commit.commit_ts());
    EXPECT_EQ(pulled->prewrite_value(), prewrite.prewrite_value()) << "§7.5: copied from P";
  }
  EXPECT_TRUE(found);
  stream->Cancel();
  ExpectHttpStatusWorks();
}

TEST_F(PumpGrpcE2eTest, PullWithForeignClusterIdFailsWithUpstreamsText) {
  StartCluster(/*drainers=*/0);
  auto stream = client_->PullBinlogs(7, 0, kWaitLimit);
  binlog::PullBinlogResp response;
  EXPECT_FALSE(stream->Next(&response));
  const RpcStatus status = stream->Finish();
  EXPECT_EQ(status.code, kGrpcCodeUnknown);
  EXPECT_EQ(status.message, "cluster ID are mismatch, 7 vs " + std::to_string(kLocalClusterId));
}

// A closing pump waits for every non-offline drainer to catch up (§5.5); with the drainer
// paused it stays `closing`, where Prewrites are refused and Commits still accepted.
TEST_F(PumpGrpcE2eTest, PrewriteToAPumpThatIsNotOnlineIsRefusedWithUpstreamsText) {
  StartCluster(/*drainers=*/1);
  const std::string drainer_address = cluster_->DrainerAddresses()[0];
  const std::string drainer_id = cluster_->Nodes()[1].id;
  ASSERT_TRUE(WaitFor([&] {
    auto reply = HttpGet(PumpAddress(), "/drainers");
    return reply.ok() && reply->body.find("online") != std::string::npos;
  }));
  ASSERT_TRUE(HttpCall(drainer_address, verb::put, "/state/" + drainer_id + "/pause").ok());
  ASSERT_TRUE(WaitFor([&] {
    auto reply = HttpGet(PumpAddress(), "/drainers");
    return reply.ok() && reply->body.find("paused") != std::string::npos;
  }));
  const binlog::Binlog early = Prewrite(*cluster_->tso().GetTs());
  ASSERT_TRUE(client_->WriteBinlog(kLocalClusterId, early).ok());
  ASSERT_TRUE(HttpCall(PumpAddress(), verb::put, "/state/" + PumpId() + "/close").ok());

  const binlog::Binlog late = Prewrite(*cluster_->tso().GetTs());
  const RpcStatus refused = client_->WriteBinlog(kLocalClusterId, late);
  EXPECT_EQ(refused.code, kGrpcCodeUnknown);
  EXPECT_EQ(refused.message, "no online: closing");
  const RpcStatus committed =
      client_->WriteBinlog(kLocalClusterId, Commit(early, *cluster_->tso().GetTs()));
  EXPECT_TRUE(committed.ok()) << committed.ToString();
  EXPECT_EQ(Sample(Metrics(), "binlog_pump_loss_binlog_count"), 1);

  // Bring the drainer back so the pump can finish closing (and the cluster stop promptly).
  const std::string admin = "127.0.0.1:" + std::to_string(cluster_->admin_port());
  ASSERT_TRUE(HttpCall(admin, verb::post, "/nodes/" + drainer_id + "/start").ok());
  EXPECT_TRUE(WaitFor([&] { return cluster_->Nodes()[0].state == NodeState::kOffline; }));
}

// The drainer's port serves gRPC too, but only binlog.Cistern (drainer_grpc_server.h), as
// upstream's drainer registers no Pump service.
TEST_F(PumpGrpcE2eTest, DrainerPortDoesNotServeThePumpService) {
  StartCluster(/*drainers=*/1);
  PumpClient drainer(cluster_->DrainerAddresses()[0]);
  const RpcStatus refused = drainer.WriteBinlog(kLocalClusterId, Prewrite(1));
  EXPECT_EQ(refused.code, kGrpcCodeUnimplemented) << refused.ToString();
}

}  // namespace
}  // namespace tidb_binlog
