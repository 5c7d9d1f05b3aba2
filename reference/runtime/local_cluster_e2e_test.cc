// Goal: the local cluster behaves end to end as a TiDB-Binlog user expects, over real
// sockets: writes are served by /debug/binlog, drained to the destination once and in commit
// order, node states travel through the registry, close waits for the drainer, and a restart
// resumes from the checkpoint. Method: start a LocalCluster in-process on ephemeral ports in
// a temporary directory with short intervals, play TiDB through its PumpWriteTarget, query
// the nodes with a plain HTTP client, wait with bounded polls, read the destination files
// back after shutdown.
#include "reference/runtime/local_cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "reference/core/binlog_codec.h"
#include "reference/core/testing/test_directory.h"
#include "reference/drainer/binlog_file_destination.h"
#include "reference/runtime/e2e_testing.h"
#include "reference/runtime/e2e_http_client.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;
using boost::beast::http::verb;
using e2e::HttpCall;
using e2e::HttpGet;
using ::testing::HasSubstr;

using e2e::WaitFor;

struct Txn {
  int64_t start_ts = 0;
  int64_t commit_ts = 0;
  std::string pump_id;
};

class LocalClusterE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::FreshTestPath("local_cluster_e2e");
  }
  void TearDown() override {
    cluster_.reset();
    fs::remove_all(dir_);
  }

  LocalClusterOptions Options() const {
    return e2e::E2eClusterOptions(dir_.string(), "e2e-host", /*pumps=*/3, /*drainers=*/1);
  }

  void StartCluster() {
    auto cluster = LocalCluster::Start(Options());
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(cluster).value();
    cluster_->RunInBackground();
  }

  // Stops every node (as SIGINT does) and joins the loop.
  void StopCluster() {
    cluster_->RequestShutdown();
    cluster_->Wait();
  }

  std::string PumpId(size_t i) const { return cluster_->Nodes()[i].id; }
  std::string PumpAddress(size_t i) const { return cluster_->PumpAddresses()[i]; }
  std::string DrainerAddress() const { return cluster_->DrainerAddresses()[0]; }
  std::string DrainerId() const { return cluster_->Nodes()[cluster_->options().pumps].id; }
  std::string AdminAddress() const {
    return "127.0.0.1:" + std::to_string(cluster_->admin_port());
  }

  // One transaction as TiDB writes it: Prewrite then Commit to the same pump.
  Txn WriteTxn(const std::string& pump_id) {
    Txn txn;
    txn.pump_id = pump_id;
    txn.start_ts = *cluster_->tso().GetTs();
    binlog::Binlog prewrite;
    prewrite.set_tp(binlog::BinlogType::Prewrite);
    prewrite.set_start_ts(txn.start_ts);
    prewrite.set_prewrite_key("t\x80key" + std::to_string(txn.start_ts));
    binlog::PrewriteValue value;
    value.set_schema_version(1);
    prewrite.set_prewrite_value(EncodePrewriteValue(value));
    EXPECT_TRUE(cluster_->WriteBinlog(pump_id, prewrite).ok());
    txn.commit_ts = *cluster_->tso().GetTs();
    binlog::Binlog commit;
    commit.set_tp(binlog::BinlogType::Commit);
    commit.set_start_ts(txn.start_ts);
    commit.set_commit_ts(txn.commit_ts);
    commit.set_prewrite_key(prewrite.prewrite_key());
    EXPECT_TRUE(cluster_->WriteBinlog(pump_id, commit).ok());
    return txn;
  }

  std::vector<Txn> WriteTxns(int count) {
    std::vector<Txn> txns;
    for (int i = 0; i < count; ++i) {
      txns.push_back(WriteTxn(PumpId(static_cast<size_t>(i) % cluster_->options().pumps)));
    }
    return txns;
  }

  int64_t DrainerCommitTs() {
    auto reply = HttpGet(DrainerAddress(), "/commit_ts");
    if (!reply.ok()) return -1;
    return boost::json::parse(reply->body).at("data").at("ts").as_int64();
  }

  // The state pump `id` has in the registry, as pump `peer` shows it on /status.
  std::string PumpStateSeenBy(size_t peer, const std::string& id) {
    auto reply = HttpGet(PumpAddress(peer), "/status");
    if (!reply.ok()) return "";
    const boost::json::value body = boost::json::parse(reply->body);
    if (!body.at("status").is_object()) return "";
    const boost::json::object& status = body.at("status").as_object();
    const auto found = status.find(id);
    if (found == status.end()) return "";
    return std::string(found->value().at("state").as_string());
  }

  boost::json::object PumpRecordSeenBy(size_t peer, const std::string& id) {
    auto reply = HttpGet(PumpAddress(peer), "/status");
    if (!reply.ok()) return {};
    const boost::json::value body = boost::json::parse(reply->body);
    return body.at("status").at(id).as_object();
  }

  std::string DrainerStateSeenBy(size_t peer) {
    auto reply = HttpGet(PumpAddress(peer), "/drainers");
    if (!reply.ok()) return "";
    const boost::json::value drainers = boost::json::parse(reply->body);
    if (!drainers.is_array() || drainers.as_array().empty()) return "";
    return std::string(drainers.as_array()[0].at("state").as_string());
  }

  // Every frame of the drainer's destination (read after shutdown).
  std::vector<binlog::Binlog> DestinationBinlogs(const std::string& dir) {
    std::vector<binlog::Binlog> binlogs;
    auto reader = BinlogFileReader::Open(dir);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return binlogs;
    BinlogFileFrame frame;
    while (true) {
      auto more = reader->Next(frame);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      binlogs.push_back(frame.binlog);
    }
    return binlogs;
  }

  // The destination holds exactly `txns`' commits, once each, in commit-ts order.
  void ExpectDestinationHolds(const std::vector<Txn>& txns, const std::string& dir) {
    const std::vector<binlog::Binlog> binlogs = DestinationBinlogs(dir);
    std::vector<int64_t> commit_ts;
    for (const auto& binlog : binlogs) {
      EXPECT_EQ(binlog.tp(), binlog::BinlogType::Commit);
      EXPECT_FALSE(binlog.prewrite_value().empty()) << "the pump fills the prewrite value in";
      commit_ts.push_back(binlog.commit_ts());
    }
    std::vector<int64_t> expected;
    for (const Txn& txn : txns) expected.push_back(txn.commit_ts);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(commit_ts, expected);
  }

  fs::path dir_;
  std::unique_ptr<LocalCluster> cluster_;
};

TEST_F(LocalClusterE2eTest, WritesAreServedAndDrainedOnceInCommitOrder) {
  StartCluster();
  const std::vector<Txn> txns = WriteTxns(30);
  const Txn& last = txns.back();

  auto prewrite = HttpGet(PumpAddress(2), "/debug/binlog/" + std::to_string(last.start_ts));
  ASSERT_TRUE(prewrite.ok()) << prewrite.status().ToString();
  // tp Prewrite is the enum's zero value, which the compact text form omits.
  EXPECT_THAT(prewrite->body,
              ::testing::StartsWith("start_ts:" + std::to_string(last.start_ts) + " "));
  EXPECT_THAT(prewrite->body, HasSubstr("\n\n PrewriteValue: \n"));
  auto commit = HttpGet(PumpAddress(2), "/debug/binlog/" + std::to_string(last.commit_ts));
  ASSERT_TRUE(commit.ok());
  EXPECT_THAT(commit->body, HasSubstr("tp:Commit start_ts:" + std::to_string(last.start_ts) +
                                      " commit_ts:" + std::to_string(last.commit_ts) + " "));

  ASSERT_TRUE(WaitFor([&] { return DrainerCommitTs() >= last.commit_ts; }))
      << "drainer commit ts " << DrainerCommitTs() << " < " << last.commit_ts;
  // /commit_ts and /status LastTS both show the checkpoint ts; read them back to back until
  // no checkpoint save fell in between.
  EXPECT_TRUE(WaitFor([&] {
    auto status = HttpGet(DrainerAddress(), "/status");
    if (!status.ok()) return false;
    const boost::json::value body = boost::json::parse(status->body);
    if (body.at("PumpPos").is_null()) return false;
    return body.at("LastTS").as_int64() == DrainerCommitTs();
  }));

  auto gc = HttpCall(PumpAddress(0), verb::post, "/debug/gc/trigger");
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->body, "trigger gc success\n");

  const std::string binlog_dir = cluster_->DrainerBinlogDirs()[0];
  StopCluster();
  for (const NodeInfo& node : cluster_->Nodes()) {
    EXPECT_EQ(node.state, NodeState::kPaused) << node.id;
    EXPECT_FALSE(node.serving) << node.id;
  }
  ExpectDestinationHolds(txns, binlog_dir);
}

TEST_F(LocalClusterE2eTest, PausedNodesShowInTheRegistryAndStartAgainThroughAdmin) {
  StartCluster();
  const std::string pump0 = PumpId(0);
  auto paused = HttpCall(PumpAddress(0), verb::put, "/state/" + pump0 + "/pause");
  ASSERT_TRUE(paused.ok());
  EXPECT_THAT(paused->body, HasSubstr("\"code\": 200"));
  EXPECT_TRUE(WaitFor([&] { return PumpStateSeenBy(1, pump0) == "paused"; }));
  EXPECT_TRUE(WaitFor([&] { return !HttpGet(PumpAddress(0), "/status").ok(); }))
      << "a paused pump stops serving";

  auto drainer_paused =
      HttpCall(DrainerAddress(), verb::put, "/state/" + DrainerId() + "/pause");
  ASSERT_TRUE(drainer_paused.ok());
  EXPECT_TRUE(WaitFor([&] { return DrainerStateSeenBy(1) == "paused"; }));

  auto nodes = HttpGet(AdminAddress(), "/nodes");
  ASSERT_TRUE(nodes.ok());
  const boost::json::array rows = boost::json::parse(nodes->body).as_array();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("kind").as_string(), "pump");
  EXPECT_EQ(rows[0].at("id").as_string(), pump0);
  EXPECT_EQ(rows[0].at("state").as_string(), "paused");
  EXPECT_EQ(rows[0].at("serving").as_bool(), false);
  EXPECT_EQ(rows[1].at("serving").as_bool(), true);

  auto started = HttpCall(AdminAddress(), verb::post, "/nodes/" + pump0 + "/start");
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->status, 200) << started->body;
  EXPECT_TRUE(WaitFor([&] { return PumpStateSeenBy(0, pump0) == "online"; }));
  auto again = HttpCall(AdminAddress(), verb::post, "/nodes/" + pump0 + "/start");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409) << "a running node cannot be started twice";
  auto unknown = HttpCall(AdminAddress(), verb::post, "/nodes/nobody/start");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(LocalClusterE2eTest, ClosedPumpGoesOfflineOnlyAfterTheDrainerCaughtUp) {
  StartCluster();
  const std::string pump0 = PumpId(0);
  std::vector<Txn> txns = WriteTxns(9);
  ASSERT_TRUE(WaitFor([&] { return DrainerCommitTs() >= txns.back().commit_ts; }));

  // With the drainer paused, its checkpoint is behind what the pump must hand over.
  const std::string drainer_id = DrainerId();
  ASSERT_TRUE(HttpCall(DrainerAddress(), verb::put, "/state/" + drainer_id + "/pause").ok());
  ASSERT_TRUE(WaitFor([&] { return DrainerStateSeenBy(1) == "paused"; }));
  auto closing = HttpCall(PumpAddress(0), verb::put, "/state/" + pump0 + "/close");
  ASSERT_TRUE(closing.ok());
  EXPECT_THAT(closing->body, HasSubstr("\"code\": 200"));
  // Bounded negative check: three of the pump's 1 s offline checks pass without offline.
  std::this_thread::sleep_for(std::chrono::milliseconds(3'000));
  EXPECT_NE(PumpStateSeenBy(1, pump0), "offline") << "close must wait for the paused drainer";

  auto started = HttpCall(AdminAddress(), verb::post, "/nodes/" + drainer_id + "/start");
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->status, 200) << started->body;
  ASSERT_TRUE(WaitFor([&] { return PumpStateSeenBy(1, pump0) == "offline"; }));
  const int64_t pump_final_max_commit_ts =
      PumpRecordSeenBy(1, pump0).at("maxCommitTS").as_int64();
  EXPECT_GE(DrainerCommitTs(), pump_final_max_commit_ts)
      << "the pump went offline before the drainer had its binlogs";
  EXPECT_FALSE(HttpGet(PumpAddress(0), "/status").ok()) << "an offline pump stops serving";
}

TEST_F(LocalClusterE2eTest, RestartResumesFromTheCheckpointWithoutGapsOrDuplicates) {
  StartCluster();
  const std::vector<std::string> pump_ids = {PumpId(0), PumpId(1), PumpId(2)};
  std::vector<Txn> txns = WriteTxns(20);
  ASSERT_TRUE(WaitFor([&] { return DrainerCommitTs() >= txns.back().commit_ts; }));
  const std::string binlog_dir = cluster_->DrainerBinlogDirs()[0];
  StopCluster();
  cluster_.reset();

  StartCluster();
  EXPECT_EQ((std::vector<std::string>{PumpId(0), PumpId(1), PumpId(2)}), pump_ids)
      << "pump ids come back from .node";
  EXPECT_GE(DrainerCommitTs(), txns.back().commit_ts) << "the drainer resumes from its savepoint";
  for (const Txn& txn : WriteTxns(20)) txns.push_back(txn);
  ASSERT_TRUE(WaitFor([&] { return DrainerCommitTs() >= txns.back().commit_ts; }));
  StopCluster();
  ExpectDestinationHolds(txns, binlog_dir);
}

TEST_F(LocalClusterE2eTest, BuiltInWorkloadFeedsTheDrainer) {
  LocalClusterOptions options = Options();
  options.write_rate = 200;
  auto cluster = LocalCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  cluster_ = std::move(cluster).value();
  cluster_->RunInBackground();
  ASSERT_TRUE(WaitFor([&] { return cluster_->WorkloadCounts().commits >= 50; }));
  const int64_t after = *cluster_->tso().GetTs();
  ASSERT_TRUE(WaitFor([&] { return DrainerCommitTs() >= after; }));
  const std::string binlog_dir = cluster_->DrainerBinlogDirs()[0];
  StopCluster();
  const TidbWorkloadCounts counts = cluster_->WorkloadCounts();
  EXPECT_GT(counts.prewrites, 0);
  EXPECT_EQ(counts.dropped_transactions, 0);
  // Every committed transaction the drainer passed is in the destination, in order, once.
  const std::vector<binlog::Binlog> binlogs = DestinationBinlogs(binlog_dir);
  EXPECT_GE(binlogs.size(), 40u);
  std::set<int64_t> seen;
  int64_t previous = 0;
  for (const auto& binlog : binlogs) {
    EXPECT_GT(binlog.commit_ts(), previous);
    previous = binlog.commit_ts();
    EXPECT_TRUE(seen.insert(binlog.start_ts()).second) << "transaction written twice";
  }
}

}  // namespace
}  // namespace tidb_binlog
