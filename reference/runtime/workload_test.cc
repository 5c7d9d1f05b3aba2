// Goal: the built-in workload writes as TiDB does: Prewrite and Commit of a transaction to
// the same pump, pumps round-robin, a failed Prewrite retried on another pump, a Commit for
// a stopped pump held until that pump is back, TSOs from the shared source. Method: run it
// against an in-memory PumpWriteTarget whose pumps can be switched off, then check the log
// of writes it recorded.
#include "reference/runtime/workload.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "reference/runtime/wall_clock.h"

namespace tidb_binlog {
namespace {

struct Write {
  std::string pump_id;
  binlog::Binlog binlog;
};

class FakePumps final : public PumpWriteTarget {
 public:
  std::vector<std::string> OnlinePumpIds() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> ids;
    for (const auto& [id, online] : online_) {
      if (online) ids.push_back(id);
    }
    return ids;
  }
  Status WriteBinlog(const std::string& pump_id, const binlog::Binlog& binlog) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!online_[pump_id] || refuse_all_) return Status::Unavailable("pump " + pump_id + " down");
    writes_.push_back({pump_id, binlog});
    return Status::Ok();
  }
  void SetOnline(const std::string& id, bool online) {
    std::lock_guard<std::mutex> lock(mu_);
    online_[id] = online;
  }
  // Pumps listed online that still refuse writes (a failing pump).
  void SetRefuseAll(bool refuse) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_all_ = refuse;
  }
  std::vector<Write> writes() {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, bool> online_;
  bool refuse_all_ = false;
  std::vector<Write> writes_;
};

bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class TidbWorkloadTest : public ::testing::Test {
 protected:
  TidbWorkloadTest() {
    for (const char* id : {"p0", "p1", "p2"}) pumps_.SetOnline(id, true);
  }
  WallClock clock_;
  SystemTsoSource tso_{clock_};
  FakePumps pumps_;
};

TEST_F(TidbWorkloadTest, CommitFollowsItsPrewriteToTheSamePumpWithRealTsos) {
  TidbWorkload workload({.binlogs_per_second = 2'000, .seed = 3}, pumps_, tso_);
  workload.Start();
  ASSERT_TRUE(WaitFor([&] { return workload.counts().commits >= 200; }));
  workload.Stop();
  std::map<int64_t, std::string> prewrite_pump;  // start ts -> pump
  std::set<std::string> pumps_used;
  int64_t last_ts = 0;
  const int64_t now_physical = ExtractPhysical(*tso_.GetTs());
  for (const Write& write : pumps_.writes()) {
    const binlog::Binlog& b = write.binlog;
    EXPECT_FALSE(b.start_ts() == b.commit_ts()) << "the workload sends no fake binlogs";
    EXPECT_LE(ExtractPhysical(b.start_ts()), now_physical);
    EXPECT_GT(ExtractPhysical(b.start_ts()), now_physical - 60'000) << "TSOs carry real time";
    if (b.tp() == binlog::BinlogType::Prewrite) {
      prewrite_pump[b.start_ts()] = write.pump_id;
      pumps_used.insert(write.pump_id);
      continue;
    }
    ASSERT_TRUE(prewrite_pump.count(b.start_ts())) << "a Commit without its Prewrite";
    EXPECT_EQ(prewrite_pump[b.start_ts()], write.pump_id);
    if (b.commit_ts() != 0) {
      EXPECT_GT(b.commit_ts(), b.start_ts());
      EXPECT_GT(b.commit_ts(), last_ts) << "commit ts are handed out in write order";
      last_ts = b.commit_ts();
    }
  }
  EXPECT_EQ(pumps_used.size(), 3u) << "round-robin over every online pump";
}

TEST_F(TidbWorkloadTest, PrewritesAvoidOfflinePumpsAndHeldCommitsArriveWhenThePumpIsBack) {
  TidbWorkload workload({.binlogs_per_second = 2'000, .seed = 5}, pumps_, tso_);
  workload.Start();
  ASSERT_TRUE(WaitFor([&] { return workload.counts().commits >= 50; }));
  pumps_.SetOnline("p0", false);
  const size_t stopped_at = pumps_.writes().size();
  ASSERT_TRUE(WaitFor([&] { return pumps_.writes().size() >= stopped_at + 300; }));
  pumps_.SetOnline("p0", true);
  ASSERT_TRUE(WaitFor([&] { return pumps_.writes().size() >= stopped_at + 600; }));
  workload.Stop();

  // Every Prewrite written to p0 got its Commit/Rollback on p0 in the end.
  std::map<int64_t, int> open_on_p0;
  const std::vector<Write> writes = pumps_.writes();
  for (size_t i = 0; i < writes.size(); ++i) {
    if (writes[i].pump_id != "p0") continue;
    if (writes[i].binlog.tp() == binlog::BinlogType::Prewrite) {
      ++open_on_p0[writes[i].binlog.start_ts()];
    } else {
      --open_on_p0[writes[i].binlog.start_ts()];
    }
  }
  int unmatched = 0;
  for (const auto& [start_ts, open] : open_on_p0) unmatched += open;
  // Transactions still in flight when the workload stopped may miss their Commit; the
  // generator keeps at most 16 open.
  EXPECT_LE(unmatched, 16);
  EXPECT_EQ(workload.counts().dropped_transactions, 0);
}

TEST_F(TidbWorkloadTest, FailedPrewriteIsRetriedOnAnotherPumpOrDropped) {
  pumps_.SetRefuseAll(true);
  TidbWorkload workload({.binlogs_per_second = 2'000, .seed = 7}, pumps_, tso_);
  workload.Start();
  ASSERT_TRUE(WaitFor([&] { return workload.counts().dropped_transactions >= 5; }));
  pumps_.SetRefuseAll(false);
  ASSERT_TRUE(WaitFor([&] { return workload.counts().commits >= 20; }));
  workload.Stop();
  const TidbWorkloadCounts counts = workload.counts();
  // Each dropped transaction was tried on all three pumps first.
  EXPECT_GE(counts.failed_writes, counts.dropped_transactions * 3);
  // A dropped transaction's Commit is never sent: every Commit follows its Prewrite.
  std::set<int64_t> prewritten;
  for (const Write& write : pumps_.writes()) {
    if (write.binlog.tp() == binlog::BinlogType::Prewrite) {
      prewritten.insert(write.binlog.start_ts());
    } else {
      EXPECT_TRUE(prewritten.count(write.binlog.start_ts())) << write.binlog.start_ts();
    }
  }
}

}  // namespace
}  // namespace tidb_binlog
