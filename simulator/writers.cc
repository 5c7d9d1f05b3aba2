// World: the TiDB-like writers (TiDB's pump client: prewrite, commit/rollback, retries).
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json.hpp>
#include <fmt/compile.h>
#include <fmt/format.h>

#include "reference/core/binlog_codec.h"
#include "reference/drainer/drainer_http.h"
#include "reference/pump/pump_http.h"
#include "simulator/prewrite_value.h"
#include "simulator/world.h"

namespace tidb_binlog::sim {
namespace {

// The writers' tables: ids from here on, as TiDB's first user tables.
constexpr int64_t kFirstTableId = 100;
// "t_", a writer index, "_" and a ts: 2 + 11 + 1 + 20 characters at most (int, int64).
constexpr size_t kPrewriteKeyBytesMax = 34;

// `key` = "t_<writer>_<start ts>", the transaction's primary key, formatted in place: the
// number strings of std::to_string and the appends would each allocate (a ts has 19 digits).
void SetPrewriteKey(int writer, int64_t start_ts, std::string* key) {
  std::array<char, kPrewriteKeyBytesMax> text;  // fits any int and int64 (see there)
  char* end = fmt::format_to(text.data(), FMT_COMPILE("t_{}_{}"), writer, start_ts);
  key->assign(text.data(), static_cast<size_t>(end - text.data()));
}

}  // namespace

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

// Builds writer.prewrite: a new binlog (the previous one may still be shared by a store,
// a pull or a destination), its value encoded in place (EncodeOneRowPrewriteValue).
void World::MakePrewrite(int w, int64_t start_ts) {
  SimWriter& writer = writers_[w];
  auto [built, shared] = NewBinlog();
  writer.prewrite = std::move(shared);
  binlog::Binlog& b = *built;
  b.set_tp(binlog::Prewrite);
  b.set_start_ts(start_ts);
  b.set_commit_ts(0);
  // Every always-written scalar present (as TiDB's encoder writes them): ByteSizeLong() is
  // then the encoded size (EncodeBinlog), and the store keeps the binlog as it is.
  b.set_ddl_job_id(0);
  b.set_ddl_schema_state(0);
  SetPrewriteKey(w, start_ts, b.mutable_prewrite_key());
  if (writer.rng.ChancePerMillion(kDdlPerMillion)) {
    b.set_ddl_job_id(start_ts);
    b.set_ddl_query("create table t" + std::to_string(start_ts) + " (id int primary key)");
    b.set_ddl_schema_state(5);
    return;
  }
  // A PrewriteValue as TiDB marshals it: one table's inserted row of random bytes.
  const int64_t table_id = kFirstTableId + static_cast<int64_t>(writer.rng.Below(kTablesCount));
  const size_t row_bytes = static_cast<size_t>(writer.rng.Between(1, config_.row_bytes_max));
  const size_t offset = static_cast<size_t>(writer.rng.Below(row_pool_.size() - row_bytes));
  EncodeOneRowPrewriteValue(table_id, std::string_view(row_pool_).substr(offset, row_bytes),
                            b.mutable_prewrite_value());
}

std::pair<binlog::Binlog*, std::shared_ptr<const binlog::Binlog>> World::NewBinlog() {
  binlog::Binlog* b = google::protobuf::Arena::CreateMessage<binlog::Binlog>(binlog_arena_.get());
  // Aliasing: the pointer owns the arena, not the binlog (the arena frees it).
  return {b, std::shared_ptr<const binlog::Binlog>(binlog_arena_, b)};
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

void World::SendWrite(int w, uint32_t pump, std::shared_ptr<const binlog::Binlog> b) {
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
  message.write_cluster_id = kSimClusterId;
  message.write_bytes = b->ByteSizeLong();  // every scalar present: EncodeBinlog's size
  message.write_binlog = std::move(b);
  message.request_id = next_message_id_;  // Send assigns this id
  writer.outstanding = next_message_id_;
  writer.request_sent_ms = now_ms_;
  // Whatever wake was queued is void now; the timeout is armed only if the answer will be
  // late or never come (ArmWriteTimeoutIfLate).
  ++writer.wake_generation;
  const uint64_t sent = Send(std::move(message));
  BINLOG_ASSERT(sent == writer.outstanding);
}

// A writer's request timeout (kWriteTimeoutMs after sending) is queued only when the
// answer will not arrive before it: the network decides each message's fate when it is sent,
// so Send knows when a request or its answer is lost or late, and a request that finds its
// pump down is never answered (DeliverWriteRequest). Queuing a timeout for every request
// instead kept a second of them in the agenda, most of a run's queue work. `answer_ms` is
// when the answer arrives (kNoTimerMs: never); the timeout wins a tie, as it would have.
void World::ArmWriteTimeoutIfLate(int w, uint64_t request_id, int64_t answer_ms) {
  SimWriter& writer = writers_[w];
  if (writer.outstanding != request_id) return;  // answered, or given up on, already
  const int64_t deadline_ms = writer.request_sent_ms + kWriteTimeoutMs;
  if (answer_ms < deadline_ms) return;
  WakeWriterAt(w, std::max(now_ms_, deadline_ms));
}

void World::ArmWriteTimeoutIfLate(const Message& message, const Delivery& delivery) {
  const int writers_from = config_.pumps + config_.drainers;
  int64_t answer_ms = kNoTimerMs;  // lost or cut
  if (delivery.copies > 0) {
    answer_ms = now_ms_ + *std::min_element(delivery.delay_ms, delivery.delay_ms + delivery.copies);
  }
  if (message.kind == MessageKind::kWriteRequest) {
    // The answer comes no earlier than the request arrives.
    ArmWriteTimeoutIfLate(static_cast<int>(message.from) - writers_from, message.request_id,
                          answer_ms);
  } else if (message.kind == MessageKind::kWriteResponse) {
    ArmWriteTimeoutIfLate(static_cast<int>(message.to) - writers_from, message.request_id,
                          answer_ms);
  }
}

void World::BeginTransaction(int w) {
  SimWriter& writer = writers_[w];
  writer.start_ts = tso_.Next();
  writer.commit_ts = 0;
  writer.tried.clear();
  MakePrewrite(w, writer.start_ts);
  writer.phase = TxnPhase::kPrewrite;
  if (!SendPrewrite(w)) {  // no online pump: TiDB fails the transaction
    writer.phase = TxnPhase::kIdle;
    ++result_.writes_failed;
    WakeWriterAt(w, now_ms_ + kWriteRetryDelayMs);
  }
}

// TiDB's pump client: a random online pump not yet tried for this prewrite (counted, then
// found again by rank, so that no candidate list is built per transaction).
bool World::SendPrewrite(int w) {
  SimWriter& writer = writers_[w];
  const std::vector<uint32_t>& view = WriterPumpView();
  auto untried = [&writer](uint32_t pump) {
    return std::find(writer.tried.begin(), writer.tried.end(), pump) == writer.tried.end();
  };
  const size_t candidates = static_cast<size_t>(std::count_if(view.begin(), view.end(), untried));
  if (candidates == 0) return false;
  size_t rank = writer.rng.Below(candidates);
  for (uint32_t pump : view) {
    if (!untried(pump)) continue;
    if (rank-- == 0) {
      writer.pump = pump;
      break;
    }
  }
  SendWrite(w, writer.pump, writer.prewrite);
  return true;
}

void World::SendFinish(int w) {
  SimWriter& writer = writers_[w];
  auto [built, shared] = NewBinlog();
  binlog::Binlog& b = *built;
  b.set_start_ts(writer.start_ts);
  if (writer.commit_ts != 0) {
    b.set_tp(binlog::Commit);
    b.set_commit_ts(writer.commit_ts);
  } else {
    b.set_tp(binlog::Rollback);
    b.set_commit_ts(0);
  }
  b.set_prewrite_key(writer.prewrite->prewrite_key());
  b.set_ddl_job_id(writer.prewrite->ddl_job_id());
  b.set_ddl_schema_state(0);  // every always-written scalar present: see MakePrewrite
  SendWrite(w, writer.pump, std::move(shared));
}

void World::SendCleanup(int w) {
  SimWriter& writer = writers_[w];
  auto [b, shared] = NewBinlog();
  b->set_tp(binlog::Rollback);
  b->set_start_ts(writer.start_ts);
  b->set_commit_ts(0);
  b->set_ddl_job_id(0);  // every always-written scalar present: see MakePrewrite
  b->set_ddl_schema_state(0);
  SendWrite(w, writer.cleanup_pumps.back(), std::move(shared));
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
        OnCommitAcked(writer.commit_ts, static_cast<int>(writer.pump));
        Record(Kind::kTxnCommitted, WriterEndpoint(w), writer.start_ts, writer.commit_ts);
        // The line is built only when a history is written (once per commit otherwise).
        if (options_.history_out != nullptr) {
          History("{:type :ok, :f :commit, :process " + std::to_string(w) + ", :time " +
                  std::to_string(now_ms_ - kSimStartMs) + ", :value [" +
                  std::to_string(writer.start_ts) + " " + std::to_string(writer.commit_ts) +
                  "]}");
        }
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
