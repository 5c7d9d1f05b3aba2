// Stateful scenarios (profile `disruptive`, issue 5 §2, CONFORMANCE.md §4.6). They write
// data and shut nodes down, so they run last and only on a disposable cluster, in an order
// that keeps each observable: GC trigger; write a Prewrite and a Commit to every pump (gRPC
// WriteBinlog, or the node's write path in process) and find both at /debug/binlog/{ts};
// close the last pump (it goes offline only once the drainer
// has caught up, seen from a peer); pause the second pump (seen `paused` from a peer, and
// the drainer stalls behind it, as upstream's merge does); pause the drainer (seen `paused`
// in /drainers). A successful action cannot be observed on the node that took it (it
// shuts down), so every observation goes through pump[0]. Every wait is bounded by
// SuiteOptions::settle_timeout.
#include <algorithm>

#include "conformance/suite_internal.h"
#include "reference/core/binlog_codec.h"
#include "reference/core/binlog_text.h"
#include "reference/core/tso.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

constexpr char kCluster[] = "cluster";

std::optional<json::object> PumpRecordSeenBy(SuiteContext& ctx, Target& observer,
                                             const std::string& id) {
  Exchange x = ctx.Call(observer, "GET", "/status");
  std::optional<json::value> body = x.response ? ParseJsonBody(x.response->body()) : std::nullopt;
  if (!body) return std::nullopt;
  auto records = PumpRecords(*body);
  if (!records.count(id)) return std::nullopt;
  return records[id];
}

std::optional<json::object> DrainerRecordSeenBy(SuiteContext& ctx, Target& observer,
                                                const std::string& id) {
  Exchange x = ctx.Call(observer, "GET", "/drainers");
  std::optional<json::value> body = x.response ? ParseJsonBody(x.response->body()) : std::nullopt;
  if (!body || !body->is_array()) return std::nullopt;
  for (const json::value& r : body->as_array()) {
    if (r.is_object() && r.as_object().if_contains("nodeId") && r.at("nodeId") == json::value(id)) {
      return r.as_object();
    }
  }
  return std::nullopt;
}

std::string StateOf(const std::optional<json::object>& record) {
  if (!record || !record->if_contains("state") || !record->at("state").is_string()) return "(absent)";
  return std::string(record->at("state").as_string());
}

int64_t IntOf(const std::optional<json::object>& record, const char* key) {
  if (!record || !record->if_contains(key) || !record->at(key).is_int64()) return -1;
  return record->at(key).as_int64();
}

// PUT /state/<id>/<action>, judged as the documented endpoint plus a success message.
bool ApplyAction(SuiteContext& ctx, Target& target, const std::string& endpoint_id,
                 const std::string& id, const std::string& action, const std::string& check) {
  Exchange x = ctx.Call(target, "PUT", "/state/" + id + "/" + action);
  const EndpointSpec& e = ctx.spec.Endpoint(endpoint_id);
  std::optional<json::value> body = JudgeExchange(ctx, e, endpoint_id, target, x);
  const bool ok = body && body->is_object() && body->as_object().if_contains("code") &&
                  body->at("code") == json::value(200) &&
                  body->at("message") == json::value("apply action " + action + " success!");
  ctx.Record(Level::kDisruptive, check + ".accepted", ctx.Label(target), ok,
             "code 200, message `apply action " + action + " success!`", DescribeResponse(x),
             e.upstream_ref, &x);
  return ok;
}

void GcTrigger(SuiteContext& ctx, Target& pump) {
  const EndpointSpec& e = ctx.spec.Endpoint("pump.gc-trigger");
  for (int i = 0; i < 2; ++i) {
    Exchange x = ctx.Call(pump, "POST", "/debug/gc/trigger");
    JudgeExchange(ctx, e, "pump.gc-trigger", pump, x);
  }
}

// ---- write-and-read-binlog ----

constexpr char kWriteScenario[] = "scenario.write-and-read-binlog";
// The scenario's TSOs use logical parts at the top of the range, two per pump (start, then
// commit), which a TSO oracle handing out ts one by one never reaches within a millisecond:
// they cannot collide with a key the cluster itself writes.
constexpr int64_t kScenarioLogicalTop = kTsoLogicalCount - 1;
constexpr int64_t kScenarioPumpsMax = 1024;

struct ScenarioTxn {
  binlog::Binlog prewrite;
  binlog::Binlog commit;
};

// A Prewrite and its Commit. No prewrite_key: /debug/binlog would ask TiKV about it (§2.4),
// and the answer is no part of what this scenario judges.
ScenarioTxn MakeScenarioTxn(int64_t start_ts, int64_t commit_ts) {
  ScenarioTxn txn;
  txn.prewrite.set_tp(binlog::BinlogType::Prewrite);
  txn.prewrite.set_start_ts(start_ts);
  binlog::PrewriteValue value;
  value.set_schema_version(1);
  binlog::TableMutation* mutation = value.add_mutations();
  mutation->set_table_id(45);
  mutation->add_inserted_rows(std::string("conformance\x00\x80row", 17));
  mutation->add_sequence(binlog::MutationType::Insert);
  txn.prewrite.set_prewrite_value(EncodePrewriteValue(value));
  txn.commit.set_tp(binlog::BinlogType::Commit);
  txn.commit.set_start_ts(start_ts);
  txn.commit.set_commit_ts(commit_ts);
  return txn;
}

// A transaction with TSOs from the cluster's PD when the suite has it (SuiteOptions::tso);
// otherwise above everything the pump has stored (its maxCommitTS as its own /status shows
// it) and at the checker's clock, one millisecond back so TSOs handed out after the write are
// larger.
ScenarioTxn FreshTxn(SuiteContext& ctx, Target& pump, size_t index) {
  if (ctx.options.tso) {
    // From PD, as TiDB's: above every ts the cluster has handed out (a ts made up from a
    // clock may lie below what the drainer already synced, which then drops the commit).
    const int64_t start_ts = ctx.options.tso();
    return MakeScenarioTxn(start_ts, ctx.options.tso());
  }
  int64_t max_commit_ts = 0;
  if (std::optional<std::string> id = DiscoverPumpNodeId(ctx, pump)) {
    max_commit_ts = std::max<int64_t>(0, IntOf(PumpRecordSeenBy(ctx, pump, *id), "maxCommitTS"));
  }
  const int64_t physical_ms = std::max(ctx.options.now_ms() - 1, ExtractPhysical(max_commit_ts) + 1);
  const int64_t start_ts =
      ComposeTs(physical_ms, kScenarioLogicalTop - 1 - 2 * static_cast<int64_t>(index));
  return MakeScenarioTxn(start_ts, start_ts + 1);
}

std::unique_ptr<BinlogWriter> MakeWriter(SuiteContext& ctx, size_t index, Target& pump) {
  if (ctx.options.binlog_writer) return ctx.options.binlog_writer(index, pump);
  if (!pump.SupportsRawBytes()) return nullptr;  // not a TCP target: no port to speak gRPC to
  return MakeGrpcBinlogWriter(pump.Authority(), ctx.options.cluster_id);
}

bool WriteOne(SuiteContext& ctx, Target& pump, BinlogWriter& writer, const binlog::Binlog& b,
              const std::string& check) {
  const Status written = writer.Write(b);
  ctx.Record(Level::kDisruptive, check, ctx.Label(pump), written.ok(),
             "WriteBinlog through " + writer.description() + " succeeds: " + BinlogText(b),
             written.ok() ? "OK" : written.message(), "UPSTREAM.md §2.6, §7.2");
  return written.ok();
}

// The index is written after the write is acknowledged (§7.2 step 4): poll until it shows.
void ReadBack(SuiteContext& ctx, Target& pump, int64_t ts, const std::string& expected,
              const std::string& check) {
  Exchange x;
  const bool found = ctx.WaitUntil([&] {
    x = ctx.Call(pump, "GET", "/debug/binlog/" + std::to_string(ts));
    return x.response && x.response->body() == expected;
  });
  ctx.Record(Level::kDisruptive, check, ctx.Label(pump), found, "`" + expected + "`",
             x.response ? "`" + x.response->body() + "`" : DescribeResponse(x),
             "UPSTREAM.md §2.4, §6.3", &x);
}

void WriteAndReadBinlog(SuiteContext& ctx) {
  std::vector<Target*>& pumps = ctx.targets.pumps;
  for (size_t i = 0; i < pumps.size() && i < kScenarioPumpsMax; ++i) {
    Target& pump = *pumps[i];
    std::unique_ptr<BinlogWriter> writer = MakeWriter(ctx, i, pump);
    if (!writer) {
      ctx.Skip(Level::kDisruptive, kWriteScenario, ctx.Label(pump),
               "no way to write binlogs to this target (TCP targets are written over gRPC)");
      continue;
    }
    const ScenarioTxn txn = FreshTxn(ctx, pump, i);
    const std::string prefix = kWriteScenario;
    if (!WriteOne(ctx, pump, *writer, txn.prewrite, prefix + ".prewrite-accepted")) continue;
    if (!WriteOne(ctx, pump, *writer, txn.commit, prefix + ".commit-accepted")) continue;
    ReadBack(ctx, pump, txn.prewrite.start_ts(), DebugBinlogText(txn.prewrite),
             prefix + ".prewrite-at-start-ts");
    ReadBack(ctx, pump, txn.commit.commit_ts(), DebugBinlogText(txn.commit),
             prefix + ".commit-at-commit-ts");
  }
}

// ---- state changes ----

void ClosePump(SuiteContext& ctx, Target& observer, Target& pump, const std::string& drainer_id) {
  std::optional<std::string> id = DiscoverPumpNodeId(ctx, pump);
  if (!id) return;
  // What the pump had stored when asked to close, as a peer saw it (the registry lags the
  // pump by at most a heartbeat, so this is at most the M of waitSafeToOffline, which is
  // not observable from outside; the final record may exceed M by later fake binlogs).
  const int64_t before_close = IntOf(PumpRecordSeenBy(ctx, observer, *id), "maxCommitTS");
  if (!ApplyAction(ctx, pump, "pump.state", *id, "close", "scenario.close-pump")) return;
  std::optional<json::object> record;
  const bool offline = ctx.WaitUntil([&] {
    record = PumpRecordSeenBy(ctx, observer, *id);
    return StateOf(record) == "offline";
  });
  ctx.Record(Level::kDisruptive, "scenario.close-pump.offline", kCluster, offline,
             *id + " offline in a peer's /status", StateOf(record), "UPSTREAM.md §5.5");
  if (!offline || drainer_id.empty()) return;
  const int64_t checkpoint = IntOf(DrainerRecordSeenBy(ctx, observer, drainer_id), "maxCommitTS");
  ctx.Record(Level::kDisruptive, "scenario.close-pump.after-drainer-caught-up", kCluster,
             before_close >= 0 && checkpoint >= before_close,
             "once the pump is offline, the drainer's published checkpoint >= the pump's "
             "maxCommitTS when close was sent (" + std::to_string(before_close) + ")",
             "drainer maxCommitTS " + std::to_string(checkpoint), "UPSTREAM.md §5.5 waitSafeToOffline");
}

void PausePump(SuiteContext& ctx, Target& observer, Target& pump) {
  std::optional<std::string> id = DiscoverPumpNodeId(ctx, pump);
  if (!id || !ApplyAction(ctx, pump, "pump.state", *id, "pause", "scenario.pause-pump")) return;
  std::optional<json::object> record;
  const bool paused = ctx.WaitUntil([&] {
    record = PumpRecordSeenBy(ctx, observer, *id);
    return StateOf(record) == "paused";
  });
  ctx.Record(Level::kDisruptive, "scenario.pause-pump.paused", kCluster, paused,
             *id + " paused in a peer's /status", StateOf(record), "UPSTREAM.md §5.5");
  if (!paused || ctx.targets.drainer == nullptr) return;
  // The merge needs an item from every non-offline pump: nothing after the paused pump's
  // last binlog can be synced, so the checkpoint stays at or below it (§5.5, §11 #14).
  const int64_t last = IntOf(record, "maxCommitTS");
  int64_t last_ts = -1;
  ctx.WaitUntil([&] {
    Exchange x = ctx.Call(*ctx.targets.drainer, "GET", "/status");
    std::optional<json::value> body = x.response ? ParseJsonBody(x.response->body()) : std::nullopt;
    const int64_t sample = body && body->is_object() && body->as_object().if_contains("LastTS") &&
                                   body->at("LastTS").is_int64() ? body->at("LastTS").as_int64() : -1;
    last_ts = std::max(last_ts, sample);  // the largest checkpoint seen while paused
    return false;  // sample for the whole settle time: the checkpoint must never pass `last`
  });
  ctx.Record(Level::kDisruptive, "scenario.pause-pump.drainer-stalls", kCluster,
             last_ts >= 0 && last_ts <= last,
             "drainer LastTS <= the paused pump's last maxCommitTS " + std::to_string(last),
             "LastTS " + std::to_string(last_ts), "UPSTREAM.md §5.5, §11.14");
}

void PauseDrainer(SuiteContext& ctx, Target& observer, const std::string& drainer_id) {
  if (!ApplyAction(ctx, *ctx.targets.drainer, "drainer.state", drainer_id, "pause",
                   "scenario.pause-drainer")) {
    return;
  }
  std::optional<json::object> record;
  const bool paused = ctx.WaitUntil([&] {
    record = DrainerRecordSeenBy(ctx, observer, drainer_id);
    return StateOf(record) == "paused";
  });
  ctx.Record(Level::kDisruptive, "scenario.pause-drainer.paused", kCluster, paused,
             drainer_id + " paused in pump /drainers", StateOf(record), "UPSTREAM.md §5.5");
}

}  // namespace

void RunScenarios(SuiteContext& ctx) {
  if (!ctx.Enabled(Level::kDisruptive)) return;
  std::vector<Target*>& pumps = ctx.targets.pumps;
  Target& observer = *pumps.front();
  GcTrigger(ctx, observer);
  WriteAndReadBinlog(ctx);
  const std::string drainer_id =
      ctx.targets.drainer != nullptr ? DiscoverDrainerNodeId(ctx).value_or("") : "";
  if (pumps.size() >= 3) {
    ClosePump(ctx, observer, *pumps[2], drainer_id);
  } else {
    ctx.Skip(Level::kDisruptive, "scenario.close-pump.offline", kCluster, "needs three --pump");
  }
  if (pumps.size() >= 2) {
    PausePump(ctx, observer, *pumps[1]);
  } else {
    ctx.Skip(Level::kDisruptive, "scenario.pause-pump.paused", kCluster, "needs two --pump");
  }
  if (!drainer_id.empty()) {
    PauseDrainer(ctx, observer, drainer_id);
  } else {
    ctx.Skip(Level::kDisruptive, "scenario.pause-drainer.paused", kCluster,
             "no drainer, or its id could not be discovered");
  }
}

}  // namespace tidb_binlog::conformance
