// Stateful scenarios (profile `disruptive`, issue 5 §2, CONFORMANCE.md §4.6). They shut
// nodes down, so they run last and only on a disposable cluster, in an order that keeps
// each observable: GC trigger; close the last pump (it goes offline only once the drainer
// has caught up, seen from a peer); pause the second pump (seen `paused` from a peer, and
// the drainer stalls behind it, as upstream's merge does); pause the drainer (seen `paused`
// in /drainers). A successful action cannot be observed on the node that took it (it
// shuts down), so every observation goes through pump[0]. Every wait is bounded by
// SuiteOptions::settle_timeout.
#include <algorithm>

#include "conformance/suite_internal.h"

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
  ctx.Skip(Level::kDisruptive, "scenario.write-and-read-binlog", kCluster,
           "writing binlogs needs a gRPC WriteBinlog client, which the suite does not have yet");
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
