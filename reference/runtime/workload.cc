#include "reference/runtime/workload.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "reference/core/assert.h"
#include "reference/storage/binlog_store.h"

namespace tidb_binlog {
namespace {

workload::BinlogGeneratorOptions GeneratorOptions(uint64_t seed) {
  workload::BinlogGeneratorOptions options;
  options.seed = seed;
  // Pumps write their own fake binlogs; the workload sends only what TiDB sends.
  options.fake_interval_ms = 0;
  return options;
}

}  // namespace

TidbWorkload::TidbWorkload(TidbWorkloadOptions options, PumpWriteTarget& target,
                           TsoSource& tso)
    : options_(options), target_(target), tso_(tso), generator_(GeneratorOptions(options.seed)) {
  BINLOG_ASSERT(options_.binlogs_per_second > 0);
}

TidbWorkload::~TidbWorkload() { Stop(); }

void TidbWorkload::Start() {
  BINLOG_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] { Run(); });
}

void TidbWorkload::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

TidbWorkloadCounts TidbWorkload::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

bool TidbWorkload::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_until(lock, deadline, [this] { return stop_; });
}

void TidbWorkload::Run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / options_.binlogs_per_second);
  const auto catch_up_window = std::chrono::milliseconds(kWorkloadCatchUpWindowMilliseconds);
  auto due = Clock::now();
  while (WaitUntil(due)) {
    RetryOrphans();
    Step();
    due += interval;
    // Behind by more than the window (pumps were slow or all down): skip the backlog.
    if (Clock::now() - due > catch_up_window) due = Clock::now();
  }
}

void TidbWorkload::Step() {
  binlog::Binlog next = generator_.Next();
  while (IsFakeBinlog(next)) next = generator_.Next();
  if (next.tp() == binlog::BinlogType::Prewrite) {
    WritePrewrite(std::move(next));
  } else {
    WriteFinish(std::move(next));
  }
}

void TidbWorkload::WritePrewrite(binlog::Binlog binlog) {
  const int64_t generated_start_ts = binlog.start_ts();
  const std::vector<std::string> pumps = target_.OnlinePumpIds();
  Result<int64_t> start_ts = tso_.GetTs();
  if (pumps.empty() || !start_ts.ok() || open_.size() >= kWorkloadOpenTransactionsMax) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_.dropped_transactions;
    return;  // its Commit finds no open transaction and is skipped
  }
  binlog.set_start_ts(*start_ts);
  // Round-robin start, then the next pumps in turn when a write fails (TiDB's retry).
  for (size_t attempt = 0; attempt < pumps.size(); ++attempt) {
    const std::string& pump_id = pumps[(next_pump_ + attempt) % pumps.size()];
    const Status written = target_.WriteBinlog(pump_id, binlog);
    std::lock_guard<std::mutex> lock(mu_);
    if (written.ok()) {
      next_pump_ = (next_pump_ + attempt + 1) % pumps.size();
      open_[generated_start_ts] = Transaction{*start_ts, pump_id};
      ++counts_.prewrites;
      if (binlog.ddl_job_id() > 0) ++counts_.ddl;
      return;
    }
    ++counts_.failed_writes;
    spdlog::warn("workload: write prewrite to pump {} failed, trying another pump: {}",
                 pump_id, written.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_.dropped_transactions;
}

void TidbWorkload::WriteFinish(binlog::Binlog binlog) {
  const auto found = open_.find(binlog.start_ts());
  if (found == open_.end()) return;  // its Prewrite was dropped
  const Transaction transaction = found->second;
  open_.erase(found);
  binlog.set_start_ts(transaction.start_ts);
  if (binlog.commit_ts() != 0) {  // a TiDB Rollback keeps commit_ts 0
    Result<int64_t> commit_ts = tso_.GetTs();
    if (!commit_ts.ok()) {
      KeepOrphan(transaction.pump_id, std::move(binlog));
      return;
    }
    binlog.set_commit_ts(*commit_ts);
  }
  const Status written = target_.WriteBinlog(transaction.pump_id, binlog);
  if (!written.ok()) {
    spdlog::warn("workload: write commit to pump {} failed, keeping it for later: {}",
                 transaction.pump_id, written.message());
    KeepOrphan(transaction.pump_id, std::move(binlog));
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_.commits;
}

void TidbWorkload::KeepOrphan(const std::string& pump_id, binlog::Binlog binlog) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_.failed_writes;
  if (orphan_count_ >= kOrphanCommitsMax) {
    spdlog::error("workload: too many commits waiting for stopped pumps; dropping one for "
                  "start ts {} (pump {} keeps an unmatched prewrite)",
                  binlog.start_ts(), pump_id);
    return;
  }
  orphans_[pump_id].push_back(std::move(binlog));
  ++orphan_count_;
}

void TidbWorkload::RetryOrphans() {
  if (orphan_count_ == 0) return;
  for (const std::string& pump_id : target_.OnlinePumpIds()) {
    const auto found = orphans_.find(pump_id);
    if (found == orphans_.end()) continue;
    std::deque<binlog::Binlog>& waiting = found->second;
    while (!waiting.empty()) {
      if (!target_.WriteBinlog(pump_id, waiting.front()).ok()) break;
      waiting.pop_front();
      --orphan_count_;
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_.commits;
    }
    if (waiting.empty()) orphans_.erase(found);
  }
}

}  // namespace tidb_binlog
