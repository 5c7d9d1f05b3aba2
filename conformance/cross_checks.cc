// Checks across endpoints and nodes (issue 5 §2): every pump's /status lists the same
// nodes; the drainer's PumpPos keys are exactly the non-offline pumps; /commit_ts equals
// the drainer's /status LastTS; /drainers (from every pump) agrees with the drainer's own
// /status. Values move while we read them (heartbeats, checkpoint saves), so each check
// retries until it holds or SuiteOptions::settle_timeout passes.
#include <set>

#include "conformance/suite_internal.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

constexpr char kCluster[] = "cluster";

std::optional<json::value> GetJson(SuiteContext& ctx, Target& target, const char* path) {
  Exchange x = ctx.Call(target, "GET", path);
  if (!x.response || x.response->result_int() != 200) return std::nullopt;
  return ParseJsonBody(x.response->body());
}

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return "{" + out + "}";
}

std::set<std::string> NodeIds(SuiteContext& ctx, Target& pump, bool live_only) {
  std::set<std::string> ids;
  std::optional<json::value> status = GetJson(ctx, pump, "/status");
  if (!status) return ids;
  for (const auto& [id, record] : PumpRecords(*status)) {
    const json::value* state = record.if_contains("state");
    const bool offline = state != nullptr && state->is_string() && state->as_string() == "offline";
    if (!live_only || !offline) ids.insert(id);
  }
  return ids;
}

void CheckSameNodes(SuiteContext& ctx) {
  if (ctx.targets.pumps.size() < 2) {
    ctx.Skip(Level::kPortable, "cross.pump-status-same-nodes", kCluster, "needs two or more --pump");
    return;
  }
  std::string detail;
  const bool ok = ctx.WaitUntil([&] {
    detail.clear();
    std::set<std::string> first = NodeIds(ctx, *ctx.targets.pumps.front(), false);
    bool same = !first.empty();
    for (Target* pump : ctx.targets.pumps) {
      std::set<std::string> ids = NodeIds(ctx, *pump, false);
      detail += pump->base_url() + " " + Join(ids) + "; ";
      same = same && ids == first;
    }
    return same;
  });
  ctx.Record(Level::kPortable, "cross.pump-status-same-nodes", kCluster, ok,
             "the same node ids in every pump's /status (one registry)", detail,
             "UPSTREAM.md §2.1");
}

void CheckPumpPos(SuiteContext& ctx) {
  Target& drainer = *ctx.targets.drainer;
  std::string detail;
  const bool ok = ctx.WaitUntil([&] {
    std::set<std::string> live = NodeIds(ctx, *ctx.targets.pumps.front(), true);
    std::optional<json::value> status = GetJson(ctx, drainer, "/status");
    std::set<std::string> keys;
    const json::value* pos = status && status->is_object() ? status->as_object().if_contains("PumpPos") : nullptr;
    if (pos != nullptr && pos->is_object()) {
      for (const auto& m : pos->as_object()) keys.insert(std::string(m.key()));
    }
    detail = "PumpPos keys " + Join(keys) + ", non-offline pumps " + Join(live);
    return pos != nullptr && pos->is_object() && keys == live;
  });
  ctx.Record(Level::kPortable, "cross.pump-pos-keys", kCluster, ok,
             "drainer PumpPos keys = the non-offline pumps in pump /status", detail,
             "UPSTREAM.md §3.1, §5.5");
}

int64_t IntAt(const std::optional<json::value>& v, const char* a, const char* b = nullptr) {
  if (!v || !v->is_object()) return -1;
  const json::value* x = v->as_object().if_contains(a);
  if (x != nullptr && b != nullptr) x = x->is_object() ? x->as_object().if_contains(b) : nullptr;
  return x != nullptr && x->is_int64() ? x->as_int64() : -1;
}

void CheckCommitTs(SuiteContext& ctx) {
  Target& drainer = *ctx.targets.drainer;
  std::string detail;
  const bool ok = ctx.WaitUntil([&] {
    const int64_t before = IntAt(GetJson(ctx, drainer, "/status"), "LastTS");
    const int64_t ts = IntAt(GetJson(ctx, drainer, "/commit_ts"), "data", "ts");
    const int64_t after = IntAt(GetJson(ctx, drainer, "/status"), "LastTS");
    detail = "LastTS " + std::to_string(before) + ", /commit_ts " + std::to_string(ts) +
             ", LastTS " + std::to_string(after);
    return ts >= 0 && (ts == before || ts == after);
  });
  ctx.Record(Level::kPortable, "cross.commit-ts-equals-last-ts", kCluster, ok,
             "/commit_ts data.ts equal to /status LastTS read around it (both are the checkpoint)",
             detail, "UPSTREAM.md §3.1, §3.2");
}

void CheckDrainersAgree(SuiteContext& ctx) {
  std::optional<std::string> id = DiscoverDrainerNodeId(ctx);
  if (!id) {
    ctx.Record(Level::kPortable, "cross.drainers-agree", kCluster, false,
               "the drainer at " + ctx.targets.drainer->Authority() + " listed in pump /drainers",
               "not found (no record with that host, and not exactly one live drainer)",
               "UPSTREAM.md §2.3, §5.4");
    return;
  }
  std::string detail;
  const bool ok = ctx.WaitUntil([&] {
    detail.clear();
    bool agree = true;
    for (Target* pump : ctx.targets.pumps) {
      std::optional<json::value> list = GetJson(ctx, *pump, "/drainers");
      int64_t max_commit_ts = -1;
      std::string state = "(absent)";
      for (const json::value& r : list && list->is_array() ? list->as_array() : json::array()) {
        if (!r.is_object() || r.as_object().if_contains("nodeId") == nullptr ||
            r.at("nodeId") != json::value(*id)) continue;
        state = r.at("state").is_string() ? std::string(r.at("state").as_string()) : "?";
        max_commit_ts = r.at("maxCommitTS").is_int64() ? r.at("maxCommitTS").as_int64() : -1;
      }
      const int64_t last_ts = IntAt(GetJson(ctx, *ctx.targets.drainer, "/status"), "LastTS");
      detail += pump->base_url() + ": " + *id + " " + state + " maxCommitTS " +
                std::to_string(max_commit_ts) + " (drainer LastTS " + std::to_string(last_ts) + "); ";
      agree = agree && state == "online" && max_commit_ts >= 0 && max_commit_ts <= last_ts;
    }
    return agree;
  });
  ctx.Record(Level::kPortable, "cross.drainers-agree", kCluster, ok,
             "every pump's /drainers shows the running drainer online with maxCommitTS <= its "
             "/status LastTS (the heartbeat publishes the checkpoint)",
             detail, "UPSTREAM.md §2.3, §5.4");
}

}  // namespace

void RunCrossChecks(SuiteContext& ctx) {
  if (!ctx.Enabled(Level::kPortable)) return;
  CheckSameNodes(ctx);
  if (ctx.targets.drainer == nullptr) {
    ctx.Skip(Level::kPortable, "cross.pump-pos-keys", kCluster, "no --drainer given");
    return;
  }
  CheckPumpPos(ctx);
  CheckCommitTs(ctx);
  CheckDrainersAgree(ctx);
}

}  // namespace tidb_binlog::conformance
