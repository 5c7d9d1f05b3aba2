// Goal: the drainer's Cistern gRPC service and the pump's start-up Notify work over real
// sockets as upstream's do (UPSTREAM.md §3.4, §5.5): a pump starting with no record notifies
// the online drainer, which then tracks it at once (long before its detect interval); a pump
// facing a stale `online` drainer record (nothing listening) fails its start with upstream's
// text and leaves `offline`; DumpBinlog and DumpDDLJobs answer empty; the drainer's HTTP/1
// answers on the shared port are unchanged around gRPC traffic.
// Method: a DrainerHost and PumpHost on one io thread over ephemeral loopback ports, a
// MemoryRegistry, CisternClient and the plain HTTP client; bounded polls (e2e_testing.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "reference/core/testing/test_directory.h"
#include "reference/grpc/cistern_client.h"
#include "reference/registry/memory_registry.h"
#include "reference/runtime/drainer_host.h"
#include "reference/runtime/e2e_http_client.h"
#include "reference/runtime/e2e_testing.h"
#include "reference/runtime/pump_host.h"
#include "reference/runtime/wall_clock.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;
using e2e::HttpGet;
using e2e::WaitFor;

// Far beyond every wait here: a drainer that sees the pump did so through Notify.
constexpr int64_t kLongDetectIntervalMs = 600'000;
constexpr auto kRpcTimeout = std::chrono::seconds(5);

// A loopback port nothing listens on once this returns (bound, then released).
uint16_t UnusedPort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class CisternE2eTest : public ::testing::Test {
 protected:
  // Runs `fn` on the io thread (where hosts are opened and driven) and waits for it.
  template <typename Fn>
  auto OnIo(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  void SetUp() override {
    dir_ = testing_support::FreshTestPath("cistern_e2e");
    loop_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    OnIo([this] {
      for (const std::shared_ptr<NodeHost>& host : hosts_) host->Shutdown();
    });
    EXPECT_TRUE(WaitFor([this] {
      for (const std::shared_ptr<NodeHost>& host : hosts_) {
        if (!host->finished()) return false;
      }
      return true;
    }));
    work_.reset();
    io_.stop();
    loop_.join();
    hosts_.clear();
    fs::remove_all(dir_);
  }

  void OpenDrainer() {
    DrainerHostConfig config;
    config.data_dir = (dir_ / "drainer").string();
    config.listen_host = config.advertise_host = "127.0.0.1";
    config.port = UnusedPort();
    config.hostname = "cistern-e2e";
    config.options.detect_interval_ms = kLongDetectIntervalMs;
    auto opened = OnIo([&] {
      return DrainerHost::Open(
          io_, clock_, registry_, tso_, config,
          [this](std::string_view address) -> std::shared_ptr<PumpHost> {
            return pump_ && pump_->address() == address ? pump_ : nullptr;
          },
          {});
    });
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    drainer_ = std::move(opened).value();
    hosts_.push_back(drainer_);
  }

  Result<std::shared_ptr<PumpHost>> OpenPump() {
    PumpHostConfig config;
    config.data_dir = (dir_ / "pump").string();
    config.listen_host = config.advertise_host = "127.0.0.1";
    config.port = UnusedPort();
    config.hostname = "cistern-e2e";
    config.options.cluster_id = kClusterId;
    config.stop_write_at_available_space_bytes = 0;
    auto opened = OnIo([&] {
      return PumpHost::Open(io_, clock_, registry_, tso_, config, {});
    });
    if (opened.ok()) {
      pump_ = opened.value();
      hosts_.push_back(pump_);
    }
    return opened;
  }

  void PutStaleDrainer(const std::string& host) {
    NodeStatus record;
    record.node_id = "gone:8249";
    record.host = host;
    record.state = NodeState::kOnline;
    record.update_ts = 1;
    ASSERT_TRUE(registry_.UpdateNode(NodeKind::kDrainer, record).ok());
  }

  static constexpr uint64_t kClusterId = 42;
  fs::path dir_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(io_)};
  WallClock clock_;
  SystemTsoSource tso_{clock_};
  MemoryRegistry registry_;
  std::shared_ptr<DrainerHost> drainer_;
  std::shared_ptr<PumpHost> pump_;
  std::vector<std::shared_ptr<NodeHost>> hosts_;
  std::thread loop_;
};

TEST_F(CisternE2eTest, StartingPumpNotifiesTheDrainerWhichTracksItAtOnce) {
  OpenDrainer();
  auto status = HttpGet(drainer_->address(), "/status");
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->body.find("\"PumpPos\":{}"), std::string::npos) << status->body;
  ASSERT_TRUE(OpenPump().ok());
  ASSERT_TRUE(WaitFor([&] { return pump_->AcceptsPrewrites(); }));
  EXPECT_TRUE(pump_->FatalError().ok());
  // The drainer's /status snapshot is rebuilt by the refresh Notify ran.
  ASSERT_TRUE(WaitFor([&] {
    auto reply = HttpGet(drainer_->address(), "/status");
    return reply.ok() && reply->body.find(pump_->node_id()) != std::string::npos;
  }));
}

TEST_F(CisternE2eTest, StaleOnlineDrainerRecordFailsThePumpStartOffline) {
  const std::string nowhere = "127.0.0.1:" + std::to_string(UnusedPort());
  PutStaleDrainer(nowhere);
  ASSERT_TRUE(OpenPump().ok());
  ASSERT_TRUE(WaitFor([&] { return pump_->finished(); }));
  const std::string message = pump_->FatalError().message();
  EXPECT_EQ(message.rfind("fail to notify all living drainer: notify drainer(" + nowhere +
                              "): rpc error: code = Unavailable desc = ",
                          0),
            0u)
      << message;
  Result<NodeStatus> record = registry_.GetNode(NodeKind::kPump, pump_->node_id());
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, NodeState::kOffline);
  EXPECT_EQ(record->update_ts, 0);
}

TEST_F(CisternE2eTest, DumpCallsAnswerEmptyAndNotifySucceeds) {
  OpenDrainer();
  CisternClient client(drainer_->address());
  std::vector<binlog::DumpBinlogResp> binlogs;
  const RpcStatus dumped = client.DumpBinlog(0, kRpcTimeout, &binlogs);
  EXPECT_TRUE(dumped.ok()) << dumped.ToString();
  EXPECT_TRUE(binlogs.empty());
  binlog::DumpDDLJobsResp jobs;
  jobs.add_ddljobs("stale");
  const RpcStatus ddl = client.DumpDDLJobs(0, kRpcTimeout, &jobs);
  EXPECT_TRUE(ddl.ok()) << ddl.ToString();
  EXPECT_EQ(jobs.ddljobs_size(), 0);
  const RpcStatus notified = client.Notify(kRpcTimeout);
  EXPECT_TRUE(notified.ok()) << notified.ToString();
}

// The hook only takes connections that open with the HTTP/2 preface: HTTP/1 answers on the
// shared port are the router's, byte for byte, before and after gRPC traffic.
TEST_F(CisternE2eTest, DrainerHttpAnswersAreUnchangedAroundGrpcTraffic) {
  OpenDrainer();
  auto before = HttpGet(drainer_->address(), "/commit_ts");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->status, 200);
  CisternClient client(drainer_->address());
  ASSERT_TRUE(client.Notify(kRpcTimeout).ok());
  auto after = HttpGet(drainer_->address(), "/commit_ts");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, before->status);
  EXPECT_EQ(after->body, before->body);
  auto missing = HttpGet(drainer_->address(), "/no-such-route");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "404 page not found\n");
}

}  // namespace
}  // namespace tidb_binlog
