// World: the TiDB-like writers (TiDB's pump client: prewrite, commit/rollback, retries).
#include <algorithm>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "reference/core/binlog_codec.h"
#include "reference/drainer/drainer_http.h"
#include "reference/pump/pump_http.h"
#include "simulator/world.h"

namespace tidb_binlog::sim {

// ---------------------------------------------------------------------------- writers

std::vector<uint32_t> World::OnlinePumps() const {
  std::vector<uint32_t> online;
  auto records = const_cast<MemoryRegistry&>(registry_).ListNodes(NodeKind::kPump);
  if (!records.ok()) return online;
  for (int i = 0; i < config_.pumps; ++i) {
    for (const NodeStatus& record : records.value()) {
      if (record.node_id == pumps_[i].id && record.state == NodeState::kOnline) {
        online.push_back(PumpEndpoint(i));
      }
    }
  }
  return online;
}

const std::vector<uint32_t>& World::WriterPumpView() {
  if (now_ms_ - writer_pump_view_ms_ >= kPumpClientRefreshMs) {
    std::vector<uint32_t> online = OnlinePumps();
    // A failed registry read keeps the previous view, as a client whose watch broke does.
    if (!online.empty() || writer_pump_view_.empty()) writer_pump_view_ = std::move(online);
    writer_pump_view_ms_ = now_ms_;
  }
  return writer_pump_view_;
}

binlog::Binlog World::MakePrewrite(int w, int64_t start_ts) {
  SimWriter& writer = writers_[w];
  binlog::Binlog b;
  b.set_tp(binlog::Prewrite);
  b.set_start_ts(start_ts);
  b.set_commit_ts(0);
  b.set_prewrite_key("t_" + std::to_string(w) + "_" + std::to_string(start_ts));
  if (writer.rng.ChancePerMillion(kDdlPerMillion)) {
    b.set_ddl_job_id(start_ts);
    b.set_ddl_query("create table t" + std::to_string(start_ts) + " (id int primary key)");
    b.set_ddl_schema_state(5);
  } else {
    // A PrewriteValue as TiDB marshals it: one table's inserted rows of random bytes.
    binlog::PrewriteValue value;
    value.set_schema_version(1);
    binlog::TableMutation* mutation = value.add_mutations();
    mutation->set_table_id(100 + static_cast<int64_t>(writer.rng.Below(kTablesCount)));
    const size_t row_bytes = static_cast<size_t>(writer.rng.Between(1, config_.row_bytes_max));
    const size_t offset = static_cast<size_t>(writer.rng.Below(row_pool_.size() - row_bytes));
    std::string row = row_pool_.substr(offset, row_bytes);
    mutation->add_inserted_rows(std::move(row));
    mutation->add_sequence(binlog::Insert);
    b.set_prewrite_value(value.SerializeAsString());
  }
  return b;
}

void World::WakeWriterAt(int w, int64_t at_ms) {
  queue_.Push(at_ms, kEvWriterWake, static_cast<uint32_t>(w), ++writers_[w].wake_generation);
}

void World::OnWriterWake(int w, uint64_t generation) {
  if (generation != writers_[w].wake_generation) return;
  SimWriter& writer = writers_[w];
  if (writer.outstanding != 0) {  // the answer did not come in time
    Record(Kind::kWriterTimeout, WriterEndpoint(w), writer.start_ts);
    writer.outstanding = 0;
    OnWriteAnswer(w, Status::Unavailable("timeout"));
    return;
  }
  WriterStep(w);
}

void World::SendWrite(int w, uint32_t pump, const binlog::Binlog& b) {
  SimWriter& writer = writers_[w];
  if (pumps_[pump].decommissioned && writer.phase != TxnPhase::kPrewrite) {
    // The pump closed: waitSafeToOffline let it go offline only with every Prewrite matched,
    // so our Commit/Rollback is there (or our Prewrite never was). Nothing left to send.
    OnWriteAnswer(w, Status::Ok());
    return;
  }
  Message message;
  message.kind = MessageKind::kWriteRequest;
  message.from = WriterEndpoint(w);
  message.to = pump;
  message.write.set_clusterid(kSimClusterId);
  message.write.set_payload(EncodeBinlog(b));
  message.request_id = next_message_id_;  // Send assigns this id
  writer.outstanding = Send(std::move(message));
  WakeWriterAt(w, now_ms_ + kWriteTimeoutMs);
}

void World::BeginTransaction(int w) {
  SimWriter& writer = writers_[w];
  writer.start_ts = tso_.Next();
  writer.commit_ts = 0;
  writer.tried.clear();
  writer.prewrite = MakePrewrite(w, writer.start_ts);
  writer.phase = TxnPhase::kPrewrite;
  if (!SendPrewrite(w)) {  // no online pump: TiDB fails the transaction
    writer.phase = TxnPhase::kIdle;
    ++result_.writes_failed;
    WakeWriterAt(w, now_ms_ + kWriteRetryDelayMs);
  }
}

// TiDB's pump client: the first online pump not yet tried for this prewrite.
bool World::SendPrewrite(int w) {
  SimWriter& writer = writers_[w];
  std::vector<uint32_t> candidates;
  for (uint32_t pump : WriterPumpView()) {
    if (std::find(writer.tried.begin(), writer.tried.end(), pump) == writer.tried.end()) {
      candidates.push_back(pump);
    }
  }
  if (candidates.empty()) return false;
  writer.pump = candidates[writer.rng.Below(candidates.size())];
  SendWrite(w, writer.pump, writer.prewrite);
  return true;
}

void World::SendFinish(int w) {
  SimWriter& writer = writers_[w];
  binlog::Binlog b;
  b.set_start_ts(writer.start_ts);
  if (writer.commit_ts != 0) {
    b.set_tp(binlog::Commit);
    b.set_commit_ts(writer.commit_ts);
  } else {
    b.set_tp(binlog::Rollback);
    b.set_commit_ts(0);
  }
  b.set_prewrite_key(writer.prewrite.prewrite_key());
  b.set_ddl_job_id(writer.prewrite.ddl_job_id());
  SendWrite(w, writer.pump, b);
}

void World::SendCleanup(int w) {
  SimWriter& writer = writers_[w];
  binlog::Binlog b;
  b.set_tp(binlog::Rollback);
  b.set_start_ts(writer.start_ts);
  b.set_commit_ts(0);
  SendWrite(w, writer.cleanup_pumps.back(), b);
}

void World::OnWriteAnswer(int w, const Status& status) {
  SimWriter& writer = writers_[w];
  writer.outstanding = 0;
  if (!status.ok()) ++result_.writes_failed;
  switch (writer.phase) {
    case TxnPhase::kPrewrite:
      if (status.ok()) {
        if (writer.rng.ChancePerMillion(kRollbackPerMillion)) {
          writer.commit_ts = 0;
          checker_.OnRollback(writer.start_ts);
          Record(Kind::kTxnRolledBack, WriterEndpoint(w), writer.start_ts);
        } else {
          writer.commit_ts = tso_.Next();
          checker_.OnCommitDecided(writer.start_ts, writer.commit_ts);
        }
        writer.phase = TxnPhase::kFinish;
        SendFinish(w);
        return;
      }
      // The pump may hold the prewrite after all (a lost answer): settle it there later.
      writer.cleanup_pumps.push_back(writer.pump);
      writer.tried.push_back(writer.pump);
      if (!SendPrewrite(w)) {
        // Every pump failed: TiDB aborts the transaction.
        checker_.OnRollback(writer.start_ts);
        writer.phase = TxnPhase::kCleanup;
        SendCleanup(w);
      }
      return;
    case TxnPhase::kFinish:
      if (!status.ok()) {
        WakeWriterAt(w, now_ms_ + kWriteRetryDelayMs);  // same pump, until it answers
        return;
      }
      if (writer.commit_ts != 0) {
        checker_.OnCommitAcked(writer.commit_ts, static_cast<int>(writer.pump));
        acked_commits_by_pump_[writer.pump].push_back(writer.commit_ts);
        Record(Kind::kTxnCommitted, WriterEndpoint(w), writer.start_ts, writer.commit_ts);
        History("{:type :ok, :f :commit, :process " + std::to_string(w) + ", :time " +
                std::to_string(now_ms_ - kSimStartMs) + ", :value [" +
                std::to_string(writer.start_ts) + " " + std::to_string(writer.commit_ts) + "]}");
      }
      writer.phase = writer.cleanup_pumps.empty() ? TxnPhase::kIdle : TxnPhase::kCleanup;
      break;
    case TxnPhase::kCleanup:
      if (!status.ok()) {
        WakeWriterAt(w, now_ms_ + kWriteRetryDelayMs);
        return;
      }
      writer.cleanup_pumps.pop_back();
      if (writer.cleanup_pumps.empty()) writer.phase = TxnPhase::kIdle;
      break;
    case TxnPhase::kIdle:
      return;
  }
  WriterStep(w);
}

void World::WriterStep(int w) {
  SimWriter& writer = writers_[w];
  switch (writer.phase) {
    case TxnPhase::kFinish: SendFinish(w); return;
    case TxnPhase::kCleanup: SendCleanup(w); return;
    case TxnPhase::kPrewrite: return;
    case TxnPhase::kIdle: break;
  }
  if (liveness_) return;  // no new transactions once faults stop
  if (now_ms_ < writer.next_start_ms) {
    WakeWriterAt(w, writer.next_start_ms);
    return;
  }
  // Poisson-like arrivals: a uniform gap with the configured mean per writer.
  int64_t mean_gap_ms = std::max<int64_t>(
      1, 1'000 * config_.writers / std::max<int64_t>(1, config_.write_rate_per_second));
  writer.next_start_ms = now_ms_ + writer.rng.Between(0, 2 * mean_gap_ms);
  BeginTransaction(w);
}


}  // namespace tidb_binlog::sim
